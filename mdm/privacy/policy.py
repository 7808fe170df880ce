"""The one privacy policy: what a caller may see of a personal value, and what may be asked.

Every page, export, list, search, history view, explanation and quality issue that shows a
value of a record asks here. A value is shown

* ``CLEAR`` only to a user holding ``mdm.view_personal_data`` who has just given a reason for
  this record (:func:`reveal` writes the audit row and returns the grant);
* ``MASKED`` to everyone else (the dictionary's mask of its kind: ``138****5678``);
* ``ABSENT`` where not even the mask has a purpose (a blind index, a ciphertext of an element
  the caller has no business with).

The mechanics of masking stay in ``masking`` (and ``dictionary.masking``); this module decides.
It also decides what may be *asked*: admin list look-ups are limited to the declared filters
(:func:`lookup_is_declared`), and a search term that is a personal value (a phone, an e-mail,
a resident ID, a person's full name) answers only through the blind index, exact match, and
only for a caller who may see the result (:func:`personal_search`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from dictionary.masking import mask_name, mask_value
from dictionary.services import encrypted_elements, personal_elements, standardize_and_validate
from mdm.models import SourceRecord, golden_model
from mdm.privacy import audit, crypto, masking


class Visibility(enum.Enum):
    CLEAR = "clear"
    MASKED = "masked"
    ABSENT = "absent"


ABSENT_TEXT = "***"
#: Model fields that hold a whole payload of element values.
PAYLOAD_FIELDS = frozenset({"raw", "attributes", "extra"})


def may_unmask(user) -> bool:
    """Whether ``user`` may ask to see personal values in clear (each time with a reason)."""
    return masking.can_view_personal_data(user)


def visibility(user, *, granted: bool = False) -> Visibility:
    """Clear only for a user who may unmask *and* holds an audited grant for this view."""
    return Visibility.CLEAR if granted and may_unmask(user) else Visibility.MASKED


def reveal(
    *,
    user,
    entity: str,
    record: str,
    fields: Iterable[str],
    reason: str,
    request=None,
    channel: str = audit.ADMIN,
) -> bool:
    """Grant a clear view of ``record``'s personal ``fields`` to ``user``: the audit row first.

    Returns False (and writes nothing) for a user who may not unmask or gave no reason.
    """
    if not may_unmask(user) or not (reason or "").strip():
        return False
    audit.log_personal_data_access(
        actor=user,
        action=audit.UNMASK,
        channel=channel,
        entity=entity,
        record=record,
        fields=fields,
        reason=reason,
        request=request,
    )
    return True


def reveal_records(
    *,
    user,
    entity: str,
    records: Mapping[str, Iterable[str]],
    reason: str,
    request=None,
    channel: str = audit.ADMIN,
) -> bool:
    """Grant a clear view of several records at once (both sides of a match candidate):
    ``records`` maps each record's label to its personal fields; one audit row per record that
    has any, all in one transaction. False (nothing written) as :func:`reveal`."""
    if not may_unmask(user) or not (reason or "").strip():
        return False
    with transaction.atomic():
        for record, fields in records.items():
            fields = sorted(set(fields))
            if fields:
                reveal(
                    user=user,
                    entity=entity,
                    record=record,
                    fields=fields,
                    reason=reason,
                    request=request,
                    channel=channel,
                )
    return True


# --- values -------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A stored value in clear, in memory only (a ciphertext no key opens becomes ``***``)."""
    try:
        return crypto.decrypt(value)
    except crypto.DecryptionError:
        return ABSENT_TEXT


def is_person(entity: str, attributes: Mapping[str, Any]) -> bool:
    """A person customer, declared or recognised as matching recognises one (its name is
    personal data even when the sender gave no customer type)."""
    if not isinstance(attributes, Mapping):
        return False
    return masking.is_person(entity, {k: plain(v) for k, v in attributes.items()})


def element_kind(entity: str, element: str, *, person: bool = False) -> str | None:
    """The mask kind of ``element`` of ``entity``, or None when it is not personal."""
    found = personal_elements(entity).get(element)
    if found is not None:
        return found.mask_kind
    if element in masking.PERSON_NAME_FIELDS or (element == "name" and person):
        return "name"
    return None


def shown_value(
    entity: str,
    element: str,
    value: Any,
    *,
    person: bool = False,
    seen: Visibility = Visibility.MASKED,
) -> Any:
    """One value of ``element`` as the caller may see it."""
    if value in (None, ""):
        return value
    if seen is Visibility.CLEAR:
        return plain(value)
    if seen is Visibility.ABSENT:
        return ABSENT_TEXT
    kind = element_kind(entity, element, person=person)
    if kind is not None:
        return mask_value(kind, plain(value))
    return scrub(value)


def shown_attributes(
    entity: str,
    attributes: Any,
    *,
    person: bool | None = None,
    seen: Visibility = Visibility.MASKED,
) -> Any:
    """A payload of element values as the caller may see it."""
    if not isinstance(attributes, Mapping):
        return scrub(attributes)
    if seen is Visibility.CLEAR:
        return masking.unmask_attributes(attributes)
    if person is None:
        person = is_person(entity, attributes)
    return scrub(masking.mask_attributes(entity, attributes, person=person))


def shown_name(entity: str, name: str, attributes: Mapping[str, Any]) -> str:
    """A record's name for a list or a title: a person's name masked."""
    if name and is_person(entity, attributes):
        return mask_name(name)
    return name


def scrub(value: Any) -> Any:
    """``value`` with every ciphertext replaced by ``***``, however deeply it is nested: the
    safety net under every view (a ciphertext is never meant for a reader)."""
    if crypto.is_encrypted(value):
        return ABSENT_TEXT
    if isinstance(value, Mapping):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def shown_field(
    entity: str,
    field: str,
    value: Any,
    *,
    person: bool,
    record_values: Iterable[Mapping[str, Any]] = (),
) -> Any:
    """A model field's value (a history diff, a read-only field) masked for display.

    ``field`` is a typed golden column (an element code), a payload (``raw``, ``attributes``,
    ``extra``), steward locks, a blind index, warnings or a match explanation.
    ``record_values`` are the record's payloads, to find personal values quoted in messages.
    """
    if value in (None, ""):
        return value
    if field in PAYLOAD_FIELDS:
        return shown_attributes(entity, value, person=person)
    if field == "locked" and isinstance(value, Mapping):
        return scrub(masking.mask_locked(entity, value, person=person))
    if field == "blind_index" and isinstance(value, Mapping):
        return dict.fromkeys(value, ABSENT_TEXT)
    if field in ("link_explanation", "explanation") and isinstance(value, list):
        return scrub(masking.mask_explanation(entity, value, person=person))
    if field == "warnings" and isinstance(value, list):
        return scrub(masking.mask_warnings(entity, value, *record_values))
    return shown_value(entity, field, value, person=person)


# --- free text (logs, errors) -------------------------------------------------------------------

_TEXT_PATTERNS = (
    (re.compile(r"enc:v1:[A-Za-z0-9_\-=]+"), lambda m: ABSENT_TEXT),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), lambda m: mask_value("email", m.group())),
    (
        re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])"),
        lambda m: mask_value("resident_id", m.group()),
    ),
    (
        re.compile(
            r"(?<![\w+])(?:\+?86[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}-?\d{7,8})(?!\d)"
        ),
        lambda m: mask_value("phone", m.group()),
    ),
)


def redact_text(text: str) -> str:
    """Free text (a job log line, an error) with anything shaped like a ciphertext, an e-mail,
    a resident ID or a Chinese phone number masked: a log is read by operators, not owners."""
    if not text:
        return text
    for pattern, replace in _TEXT_PATTERNS:
        text = pattern.sub(replace, text)
    return text


# --- quality issues -----------------------------------------------------------------------------


def masked_issue_value(entity: str, element: str, value: str) -> str:
    """An issue's value as stored and shown: a personal element's values masked.

    An ``inconsistent`` issue lists ``SYSTEM: value | SYSTEM: value``: each value is masked.
    """
    if not value or element_kind(entity, element) is None:
        return scrub(value)
    kind = element_kind(entity, element) or "generic"
    parts = []
    for part in value.split(" | "):
        label, sep, rest = part.partition(": ")
        if sep and label.isupper() and " " not in label:
            parts.append(f"{label}: {mask_value(kind, plain(rest))}")
        else:
            parts.append(mask_value(kind, plain(part)))
    return " | ".join(parts)


# --- what may be asked --------------------------------------------------------------------------

#: Suffixes Django's own list filters add to a declared filter's field path.
FILTER_SUFFIXES = frozenset(
    {"", "exact", "isnull", "id__exact", "pk__exact", "in", "year", "month", "day", "gte", "lt"}
)


def declared_filter_paths(list_filter: Iterable[Any], date_hierarchy: str | None) -> set[str]:
    """The field paths and parameter names a changelist declares (its filters, its dates)."""
    from django.contrib.admin.filters import SimpleListFilter

    paths = {date_hierarchy} if date_hierarchy else set()
    for item in list_filter:
        if isinstance(item, type) and issubclass(item, SimpleListFilter):
            paths.add(item.parameter_name)
        elif isinstance(item, list | tuple):
            paths.add(item[0])
        elif isinstance(item, str):
            paths.add(item)
    return paths


def lookup_is_declared(lookup: str, paths: Iterable[str]) -> bool:
    """Whether a query-string look-up is one of the declared filters (no ``phone__startswith``:
    a look-up on an undeclared field answers questions about values the page masks)."""
    for path in paths:
        if lookup == path:
            return True
        if lookup.startswith(path + "__") and lookup[len(path) + 2 :] in FILTER_SUFFIXES:
            return True
    return False


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^[+()\d][\d\s()+-]{5,}$")
_RESIDENT_ID_RE = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")


def personal_term_element(term: str) -> str | None:
    """The personal element a search term is a value of (``phone``, ``email``, ``id_number``),
    or None for an ordinary term."""
    text = term.strip()
    if _RESIDENT_ID_RE.match(text):
        return "id_number"
    if _EMAIL_RE.match(text):
        return "email"
    if _PHONE_RE.match(text) and sum(c.isdigit() for c in text) >= 7:
        return "phone"
    return None


def personal_search(entity: str, term: str, *, user) -> set[str] | None:
    """Golden codes found by a personal value, or None when ``term`` is not one.

    The term is standardized as the dictionary stores the element, then matched *exactly*:
    through the blind index for an encrypted element, by equality otherwise (never ``LIKE``).
    A caller who may not see the result gets an empty answer whatever exists: the search must
    not confirm what the page masks.
    """
    element = personal_term_element(term)
    if element is None or element not in personal_elements(entity):
        return None
    if not may_unmask(user):
        return set()
    checked = standardize_and_validate(entity, {element: term.strip()}, partial=True)
    value = checked.attributes.get(element) if not checked.errors else None
    if not value:
        return set()
    records = SourceRecord.objects.filter(entity=entity, is_active=True).exclude(golden_code="")
    if element in encrypted_elements(entity):
        index = crypto.blind_index(element, value)
        codes = records.filter(**{f"blind_index__{element}": index})
    else:
        codes = records.filter(**{f"attributes__{element}": value})
        model = golden_model(entity)
        if element in getattr(model, "TYPED_ATTRIBUTES", ()):
            found = set(model.objects.filter(**{element: value}).values_list("code", flat=True))
            return found | set(codes.values_list("golden_code", flat=True))
    return set(codes.values_list("golden_code", flat=True))
