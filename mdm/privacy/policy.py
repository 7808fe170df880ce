"""The one privacy policy: what a caller may see of a personal value, and what may be asked.

Every page, export, list, search, history view, explanation and quality issue that shows a
value of a record asks here; :func:`disclose` is the one decision of a read (what the caller
sees, and the audit row of a clear view). A value is shown

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from rest_framework.request import Request

from dictionary.masking import mask_name, mask_value
from dictionary.services import (
    PersonalElement,
    encrypted_elements,
    personal_elements,
    standardize_and_validate,
)
from mdm.errors import Forbidden
from mdm.models import SourceRecord, golden_model
from mdm.privacy import audit, crypto, masking


class Visibility(enum.Enum):
    CLEAR = "clear"
    MASKED = "masked"
    ABSENT = "absent"


ABSENT_TEXT = "***"
#: Model fields that hold a whole payload of element values.
PAYLOAD_FIELDS = frozenset({"raw", "attributes", "extra"})


def may_unmask(user: Any) -> bool:
    """Whether ``user`` may ask to see personal values in clear (each time with a reason)."""
    return masking.can_view_personal_data(user)


def visibility(user: Any, *, granted: bool = False) -> Visibility:
    """Clear only for a user who may unmask *and* holds an audited grant for this view."""
    return Visibility.CLEAR if granted and may_unmask(user) else Visibility.MASKED


def reveal(
    *,
    user: Any,
    entity: str,
    record: str,
    fields: Iterable[str],
    reason: str,
    request: HttpRequest | Request | None = None,
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
    user: Any,
    entity: str,
    records: Mapping[str, Iterable[str]],
    reason: str,
    request: HttpRequest | Request | None = None,
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


# --- the one decision of a read -----------------------------------------------------------------

#: The audit reason of a source system reading back a record it sent.
OWN_RECORD_REASON = "source system reads its own record"


@dataclass(frozen=True)
class Disclosure:
    """What :func:`disclose` decided: how the values are seen, and each value as shown."""

    seen: Visibility
    values: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def requested_reason(user: Any, *, asked: bool, reason: Callable[[], str]) -> str | None:
    """The reason of a clear view a caller asked for (``?unmask=true``), or None when none was
    asked. A caller who may not unmask is refused (``Forbidden``) before any reason is read;
    ``reason()`` reads it (and refuses a missing one)."""
    if not asked:
        return None
    if not may_unmask(user):
        raise _refused()
    return reason()


def _refused() -> Forbidden:
    return Forbidden(
        "无权查看未脱敏个人信息",
        "Not allowed to see unmasked personal data",
        code="permission_denied",
    )


def disclose(
    *,
    user: Any,
    entity: str,
    record: str,
    values: Mapping[str, Any],
    person: bool | None = None,
    reason: str | None = None,
    own_record: bool = False,
    channel: str = audit.API,
    request: HttpRequest | Request | None = None,
) -> Disclosure:
    """Decide what ``user`` sees of ``record``'s ``values`` and write the audit row of a clear
    view: the one function every read of a record's values goes through.

    ``values`` names what is shown, as :func:`shown_field` knows them: payloads (``raw``,
    ``attributes``), ``warnings``, ``locked``, an explanation, or a typed element. They are

    * ``CLEAR`` for a source system reading back its own record (``own_record``; an audited
      read) and for a user who may unmask and gives a ``reason`` (an audited unmask); a reason
      from anyone else is refused (``Forbidden``);
    * ``MASKED`` otherwise.

    A clear view that shows any personal field writes one audit row naming those fields.
    ``person`` (whether a person's name is personal data) is read from ``attributes`` unless
    given.
    """
    if person is None:
        attributes = values.get("attributes")
        person = is_person(entity, attributes) if isinstance(attributes, Mapping) else False
    payloads = [v for k, v in values.items() if k in PAYLOAD_FIELDS and isinstance(v, Mapping)]
    if own_record:
        action, reason = audit.READ, OWN_RECORD_REASON
    elif reason is not None and may_unmask(user) and reason.strip():
        action = audit.UNMASK
    elif reason is not None and not may_unmask(user):
        raise _refused()
    else:
        shown = {
            name: shown_field(entity, name, value, person=person, record_values=payloads)
            for name, value in values.items()
        }
        return Disclosure(Visibility.MASKED, shown)
    fields: set[str] = set()
    for payload in payloads:
        fields |= set(masking.personal_fields(entity, payload, person=person))
    if fields:
        audit.log_personal_data_access(
            actor=user,
            action=action,
            channel=channel,
            entity=entity,
            record=record,
            fields=fields,
            reason=reason or "",
            request=request,
        )
    shown = {
        name: masking.unmask_attributes(value) if name in PAYLOAD_FIELDS else plain(value)
        for name, value in values.items()
    }
    return Disclosure(Visibility.CLEAR, shown)


# --- values -------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A stored value in clear, in memory only (a ciphertext no key opens becomes ``***``)."""
    try:
        return crypto.decrypt(value)
    except crypto.DecryptionError:
        return ABSENT_TEXT


def plain_attributes(attributes: Any) -> Any:
    """A payload in clear, in memory only: to compare or classify values, never to show them
    (showing is :func:`disclose`'s or :func:`shown_attributes`'s decision)."""
    return masking.unmask_attributes(attributes)


def personal_fields(
    entity: str, attributes: Mapping[str, Any], *, person: bool | None = None
) -> list[str]:
    """The personal fields present in a payload: what a clear view of it shows (and audits)."""
    return masking.personal_fields(entity, attributes, person=person)


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
    personal: Mapping[str, PersonalElement] | None = None,
) -> Any:
    """A payload of element values as the caller may see it (``personal``: the entity's
    personal elements, when the caller has them at hand for many records)."""
    if not isinstance(attributes, Mapping):
        return scrub(attributes)
    if seen is Visibility.CLEAR:
        return masking.unmask_attributes(attributes)
    if person is None:
        person = is_person(entity, attributes)
    return scrub(masking.mask_attributes(entity, attributes, person=person, personal=personal))


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


def shown_event_payload(entity: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """An outbox payload as every reader sees it: its golden attributes masked (events are
    stored this way; masking again guards rows written before that)."""
    return masking.mask_event_payload(entity, payload)


def shown_source_raw(record: SourceRecord, seen: Visibility = Visibility.MASKED) -> Any:
    """A source record's payload as received, for its edit form: masked, or in clear for a
    view :func:`visibility` cleared."""
    if seen is Visibility.CLEAR:
        return masking.unmask_attributes(record.raw)
    return masking.mask_source_raw(record)


def restore_masked(record: SourceRecord, submitted: Any) -> Any:
    """A payload edited in a masked form, each value left masked replaced by the stored one."""
    return masking.restore_masked(record, submitted)


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
        scrubbed: str = scrub(value)
        return scrubbed
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
            if item.parameter_name:  # Django requires one of every SimpleListFilter
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


def personal_search(entity: str, term: str, *, user: Any) -> set[str] | None:
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
