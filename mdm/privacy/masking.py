"""Who sees personal data, and how it looks to everyone else.

The dictionary says which elements are personal (``personal``, ``sensitive_personal``); a
person customer's ``name`` is personal too. Everyone sees those values masked
(``dictionary.masking``) except

* a source system reading its own records (it sent them), and
* a user or system with ``mdm.view_personal_data`` who asks for it with a reason
  (``?unmask=true`` + ``X-Access-Reason`` in the API, "show personal data" in admin).

Both are reads of unmasked personal data and are written to the audit log
(``mdm.privacy.audit``). Encrypted values are decrypted here only to be masked or unmasked for
such a caller; the plaintext never goes anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from dictionary.masking import mask_name, mask_text, mask_value
from dictionary.services import PersonalElement, personal_elements
from matching.normalize import is_person_customer
from mdm.privacy import crypto

if TYPE_CHECKING:
    from mdm.models import SourceRecord

VIEW_PERSONAL_DATA = "mdm.view_personal_data"
#: Match-explanation fields that carry a person's name.
PERSON_NAME_FIELDS = frozenset({"person_name"})


def can_view_personal_data(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(VIEW_PERSONAL_DATA))


def _plain(value: Any) -> Any:
    try:
        return crypto.decrypt(value)
    except crypto.DecryptionError:
        return "***"


def is_person(entity: str, attributes: Mapping[str, Any]) -> bool:
    """A person customer (whose name is personal data), as matching would classify it."""
    if entity != "customers":
        return False
    return is_person_customer(
        str(attributes.get("customer_type") or ""),
        str(attributes.get("name") or ""),
        has_credit_code=bool(attributes.get("credit_code")),
        has_id_number=bool(attributes.get("id_number")),
    )


def personal_fields(
    entity: str,
    attributes: Mapping[str, Any],
    *,
    person: bool | None = None,
    personal: Mapping[str, PersonalElement] | None = None,
) -> list[str]:
    """The personal fields present in ``attributes`` (what an unmasked read shows)."""
    personal = personal_elements(entity) if personal is None else personal
    if person is None:
        person = is_person(entity, attributes)
    return sorted(
        k
        for k, v in attributes.items()
        if v not in (None, "") and (k in personal or (k == "name" and person))
    )


def mask_attributes(
    entity: str,
    attributes: Mapping[str, Any],
    *,
    person: bool | None = None,
    personal: Mapping[str, PersonalElement] | None = None,
) -> dict[str, Any]:
    """``attributes`` (standardized, raw or golden) with every personal value masked."""
    if not isinstance(attributes, Mapping):
        return attributes
    personal = personal_elements(entity) if personal is None else personal
    if person is None:
        person = is_person(entity, attributes)
    masked = {}
    for key, value in attributes.items():
        element = personal.get(key)
        if element is not None:
            masked[key] = mask_value(element.mask_kind, _plain(value))
        elif key == "name" and person and isinstance(value, str):
            masked[key] = mask_name(value)
        else:
            # An element no longer personal in the dictionary may still hold a ciphertext.
            masked[key] = _plain(value) if crypto.is_encrypted(value) else value
    return masked


def unmask_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """``attributes`` in clear: for a caller allowed to see them, after the read is audited."""
    if not isinstance(attributes, Mapping):
        return attributes
    return {key: _plain(value) for key, value in attributes.items()}


def mask_warnings(
    entity: str, warnings: Iterable[Mapping[str, Any]], *sources: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Warnings whose messages quote a personal value of ``sources`` (raw, attributes)."""
    personal = personal_elements(entity)
    out = []
    for warning in warnings or []:
        warning = dict(warning)
        element = personal.get(str(warning.get("field", "")))
        if element is not None:
            for source in sources:
                value = _plain(source.get(element.code)) if isinstance(source, Mapping) else None
                for key in ("message", "message_zh", "message_en"):
                    if key in warning:
                        warning[key] = mask_text(warning[key], value, element.mask_kind)
        out.append(warning)
    return out


def mask_locked(entity: str, locked: Mapping[str, Any], *, person: bool) -> dict[str, Any]:
    """Steward-locked values (``{attr: {"value": …, "by": …}}``) with personal values masked."""
    values = {attr: lock.get("value") for attr, lock in locked.items()}
    masked = mask_attributes(entity, values, person=person)
    return {attr: dict(lock, value=masked[attr]) for attr, lock in locked.items()}


#: Explanation rows named otherwise than the attribute whose values they show.
EXPLANATION_ATTRIBUTES = {"email_domain": "email"}


def mask_explanation(
    entity: str, explanation: Iterable[Mapping[str, Any]], *, person: bool = True
) -> list[dict[str, Any]]:
    """A match explanation with the personal values of its rows masked."""
    personal = personal_elements(entity)
    rows = []
    for row in explanation or []:
        row = dict(row)
        field = str(row.get("field", ""))
        field = EXPLANATION_ATTRIBUTES.get(field, field)
        kind = None
        if field in personal:
            kind = personal[field].mask_kind
        elif field in PERSON_NAME_FIELDS or (field == "name" and person):
            kind = "name"
        if kind:
            for side in ("left", "right"):
                if isinstance(row.get(side), str) and len(row[side]) != 64:
                    row[side] = mask_value(kind, row[side])
                elif isinstance(row.get(side), str):
                    row[side] = "***"  # a blind index: meaningless, and not for display
        rows.append(row)
    return rows


def mask_event_payload(entity: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """An outbox payload with its golden attributes masked (events are stored this way)."""
    payload = dict(payload)
    attributes = payload.get("attributes")
    if isinstance(attributes, Mapping):
        payload["attributes"] = mask_attributes(entity, attributes)
    return payload


def mask_source_raw(record: SourceRecord) -> Any:
    """A source record's payload as received, personal values masked."""
    person = is_person(record.entity, record.attributes)
    return mask_attributes(record.entity, record.raw, person=person)


def restore_masked(record: SourceRecord, submitted: Any) -> Any:
    """A steward's edited payload where each personal value left masked is the stored value.

    The edit form shows the payload masked; saving it must not store the masks.
    """
    if not isinstance(submitted, Mapping) or not isinstance(record.raw, Mapping):
        return submitted
    masked = mask_source_raw(record)
    restored = dict(submitted)
    for key, value in submitted.items():
        if key in record.raw and masked.get(key) == value and record.raw[key] != value:
            restored[key] = _plain(record.raw[key])
    return restored
