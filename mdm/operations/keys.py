"""Fingerprints of the configured keys, and whether they open the data already stored.

A fingerprint is an unkeyed one-way digest of a key (never the key; the keys are random, so it
cannot be reversed), so a backup manifest can record which keys its data needs and a restore
can refuse others.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from mdm.privacy import crypto

#: Where the configured keys come from (named in every refusal).
ENCRYPTION_SETTING = "MDM_ENCRYPTION_KEYS"
INDEX_SETTING = "MDM_BLIND_INDEX_KEY"


def fingerprint(key: str) -> str:
    """First 16 hex characters of SHA-256 over a domain prefix and the key."""
    return hashlib.sha256(b"mdm-key-fingerprint\x00" + key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class KeyFingerprints:
    """Fingerprints of the encryption keys (first = current) and of the blind-index key."""

    encryption: tuple[str, ...]
    blind_index: str

    def as_dict(self) -> dict[str, object]:
        return {"encryption": list(self.encryption), "blind_index": self.blind_index}


def configured_fingerprints() -> KeyFingerprints:
    return KeyFingerprints(
        encryption=tuple(fingerprint(key) for key in settings.MDM_ENCRYPTION_KEYS),
        blind_index=fingerprint(settings.MDM_BLIND_INDEX_KEY),
    )


def key_mismatch(expected: dict[str, Any]) -> str | None:
    """Why the configured keys cannot read data written under ``expected`` (a manifest's
    fingerprints); None when they can. Every key the data's hub had must still be configured
    (an unfinished rotation leaves values under older keys), and the blind-index key must be
    the same (the indexes are stored, not recomputed)."""
    configured = configured_fingerprints()
    missing = [fp for fp in expected.get("encryption", []) if fp not in configured.encryption]
    problems = []
    if missing:
        problems.append(
            f"{ENCRYPTION_SETTING} lacks {len(missing)} key(s) the data was written with "
            f"(fingerprints {', '.join(missing)})"
        )
    if expected.get("blind_index") != configured.blind_index:
        problems.append(
            f"{INDEX_SETTING} differs from the data's (fingerprint {expected.get('blind_index')}, "
            f"configured {configured.blind_index})"
        )
    return "; ".join(problems) or None


def data_key_problem(cursor: Any) -> str | None:
    """Do the configured keys open the data ``cursor`` (a DB-API cursor) reads? Checks the
    newest source record that has a blind index: its ciphertexts must decrypt and their blind
    indexes recompute to the stored ones. None when they do or when nothing is encrypted yet;
    else the reason."""
    cursor.execute(
        "SELECT attributes, blind_index FROM mdm_sourcerecord "
        "WHERE blind_index IS NOT NULL AND CAST(blind_index AS TEXT) NOT IN ('{}', 'null') "
        "ORDER BY id DESC LIMIT 1"
    )
    row = cursor.fetchone()
    if row is None:
        return None
    attributes, index = (_json(value) for value in row)
    for code, stored in sorted(index.items()):
        value = attributes.get(code)
        if not crypto.is_encrypted(value):
            continue
        try:
            plain = crypto.decrypt(value)
        except crypto.DecryptionError:
            return (
                f"{ENCRYPTION_SETTING} cannot decrypt the stored data (no configured key opens "
                f"the newest encrypted record); start the hub with the keys its data was "
                f"written with"
            )
        if crypto.blind_index(code, plain) != stored:
            return (
                f"{INDEX_SETTING} does not match the stored blind indexes; start the hub "
                f"with the key its data was written with"
            )
    return None


def _json(value):
    if isinstance(value, str):
        return json.loads(value)
    return value or {}
