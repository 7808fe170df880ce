"""What the write path does before its transaction: check, standardize, validate, fingerprint.

Nothing here touches the database's rows. ``validate_items`` turns a batch of
``(local_code, payload)`` into ``Pending`` items (or an error per bad item), ``split_repeats``
cuts the batch into runs that never write one record twice, and ``seal_raw`` /
``scrub_warnings`` keep the values of encrypted elements out of what is stored in clear.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dictionary.masking import mask_kind, mask_text
from dictionary.services import (
    StandardizedRecord,
    compiled_elements,
    encrypted_codes,
    standardize_and_validate,
)
from mdm.errors import RecordRejected, ServiceError
from mdm.models import SourceSystem
from mdm.privacy import crypto

MAX_LOCAL_CODE = 100


def check_local_code(local_code: Any) -> str:
    code = str(local_code if local_code is not None else "").strip()
    if not code or len(code) > MAX_LOCAL_CODE or any(ch in code for ch in "\x00\r\n\t/"):
        raise ServiceError(
            f"本地编码必须为1至{MAX_LOCAL_CODE}个可见字符且不含斜杠",
            f"local_code must be 1 to {MAX_LOCAL_CODE} printable characters without slashes",
            code="invalid_local_code",
        )
    return code


def fingerprint(attributes: Mapping[str, str], flagged: list[str]) -> str:
    canonical = json.dumps([attributes, sorted(flagged)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def source_key(system: SourceSystem, entity: str, local_code: str) -> str:
    """The advisory-lock key of one source record."""
    return f"source:{system.pk}:{entity}:{local_code}"


@dataclass
class Pending:
    """One valid item of a batch, standardized, on its way to the transaction."""

    index: int
    local_code: str
    payload: Any
    checked: StandardizedRecord
    print_: str
    #: Encrypted element codes of the entity and the blind indexes of this record's values.
    sealed: frozenset[str] = frozenset()
    blind: dict[str, str] = field(default_factory=dict)

    @property
    def matching_attributes(self) -> dict[str, str]:
        """The standardized attributes as matching sees them: blind indexes, no plaintext."""
        attributes = self.checked.attributes
        return {k: v for k, v in attributes.items() if k not in self.sealed} | self.blind


def validate_items(
    entity: str, items: Sequence[tuple[Any, Any]], country: str
) -> tuple[list, list[Pending]]:
    """Standardize and validate every item with one compiled dictionary, phone numbers in the
    sending system's ``country``; nothing is written."""
    elements = compiled_elements(entity)
    sealed = encrypted_codes(elements)
    results: list[Any] = [None] * len(items)
    pending: list[Pending] = []
    for index, (local_code, payload) in enumerate(items):
        try:
            code = check_local_code(local_code)
        except ServiceError as exc:
            results[index] = exc
            continue
        checked = standardize_and_validate(entity, payload, elements=elements, country=country)
        if checked.errors:
            results[index] = RecordRejected(checked.errors)
            continue
        # Encrypted values enter the fingerprint as their blind index: a keyed hash, where a
        # plain hash of a record holding a resident ID could be reversed by enumeration.
        blind = crypto.blind_indexes(sealed, checked.attributes)
        printed = {k: v for k, v in checked.attributes.items() if k not in sealed} | {
            k: "bi:" + v for k, v in blind.items()
        }
        pending.append(
            Pending(
                index,
                code,
                payload,
                checked,
                fingerprint(printed, checked.flagged),
                sealed,
                blind,
            )
        )
    return results, pending


def split_repeats(pending: list[Pending]) -> list[list[Pending]]:
    """Runs without a repeated local code, so a batch never writes one record twice."""
    runs: list[list[Pending]] = [[]]
    seen: set[str] = set()
    for item in pending:
        if item.local_code in seen:
            runs.append([])
            seen = set()
        runs[-1].append(item)
        seen.add(item.local_code)
    return [run for run in runs if run]


def seal_raw(p: Pending) -> Any:
    """The payload as received, with the values of encrypted elements encrypted."""
    if not p.sealed or not isinstance(p.payload, Mapping):
        return p.payload
    return {
        key: crypto.encrypt(value) if key in p.sealed and value not in (None, "") else value
        for key, value in p.payload.items()
    }


def scrub_warnings(p: Pending) -> list[dict[str, str]]:
    """Warnings with encrypted values masked: a message may quote the value it is about."""
    if not p.sealed:
        return p.checked.warnings
    secrets = [
        (value, mask_kind(code))
        for code in p.sealed
        for value in (p.checked.attributes.get(code), _raw_value(p.payload, code))
        if value not in (None, "")
    ]
    scrubbed = []
    for warning in p.checked.warnings:
        warning = dict(warning)
        for key in ("message", "message_zh", "message_en"):
            for value, kind in secrets:
                warning[key] = mask_text(warning.get(key, ""), value, kind)
        scrubbed.append(warning)
    return scrubbed


def _raw_value(payload: Any, code: str) -> Any:
    return payload.get(code) if isinstance(payload, Mapping) else None
