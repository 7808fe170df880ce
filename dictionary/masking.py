"""Masking of personal values for people who may not see them (PIPL: data minimisation).

Pure functions, no Django: the hub decides *whether* to mask (dictionary sensitivity, the
caller's permission); this module only decides *how*. Every function takes the value as stored or
as received (standardized or not), never raises, and is idempotent: a value that already holds a
mask character is returned as it is, so masking twice is harmless.

Kinds and examples: ``phone`` ``+8613812345678`` -> ``138****5678``; ``resident_id``
``11010519491231002X`` -> ``110105********002X``; ``email`` ``zhang.san@example.com`` ->
``z***@example.com``; ``name`` ``张三`` -> ``张*``; ``address`` ``北京市朝阳区建国路88号`` ->
``北京市****``; ``date`` ``1949-12-31`` -> ``****-**-**``; ``generic`` ``anything`` -> ``a***``.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "*"
KINDS = ("phone", "resident_id", "email", "name", "address", "date", "generic")

_NON_DIGIT = re.compile(r"\D")
#: Element codes whose values are names of people wherever they appear.
PERSON_NAME_CODES = frozenset({"contact_name", "legal_representative"})


def _is_masked(value: str) -> bool:
    return MASK in value


def mask_phone(value: str) -> str:
    """National number with the middle hidden: ``+8613812345678`` -> ``138****5678``."""
    text = value.strip()
    if not text or _is_masked(text):
        return text
    digits = _NON_DIGIT.sub("", text)
    if text.startswith("+86") or (text.startswith("0086") and len(digits) > 11):
        digits = digits[2:] if text.startswith("+") else digits[4:]
    if len(digits) >= 7:
        return digits[:3] + MASK * 4 + digits[-4:]
    if len(digits) > 2:
        return MASK * (len(digits) - 2) + digits[-2:]
    return MASK * 2


def mask_resident_id(value: str) -> str:
    """Region of issue and the last four kept: ``110105********002X``."""
    text = value.strip()
    if not text or _is_masked(text):
        return text
    if len(text) >= 10:
        return text[:6] + MASK * (len(text) - 10) + text[-4:]
    return MASK * max(len(text) - 2, 2) + text[-2:] if len(text) > 2 else MASK * 2


def mask_email(value: str) -> str:
    """First letter of the mailbox and the domain: ``z***@example.com``."""
    text = value.strip()
    if not text or _is_masked(text):
        return text
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return mask_generic(text)
    return local[0] + MASK * 3 + "@" + domain


def mask_name(value: str) -> str:
    """A person's name: first character kept, one mask per other character (``张三`` -> ``张*``)."""
    text = value.strip()
    if not text or _is_masked(text):
        return text
    rest = len(text.replace(" ", "")) - 1
    return text[0] + MASK * max(rest, 1)


def mask_address(value: str) -> str:
    """Province and city kept (the first third, at most six characters), the rest hidden."""
    text = value.strip()
    if not text or _is_masked(text):
        return text
    keep = min(6, len(text) // 3)
    return text[:keep] + MASK * 4


def mask_date(value: str) -> str:
    text = value.strip()
    if not text or _is_masked(text):
        return text
    return "****-**-**"


def mask_generic(value: str) -> str:
    text = value.strip()
    if not text or _is_masked(text):
        return text
    return text[0] + MASK * 3


_MASKERS = {
    "phone": mask_phone,
    "resident_id": mask_resident_id,
    "email": mask_email,
    "name": mask_name,
    "address": mask_address,
    "date": mask_date,
    "generic": mask_generic,
}


def mask_kind(code: str, *, validator: str = "", data_type: str = "") -> str:
    """How an element's values are masked, from its validator, type and code."""
    if validator in ("cn_phone", "phone") or code.endswith("phone") or code == "mobile":
        return "phone"
    if validator == "cn_resident_id" or code == "id_number":
        return "resident_id"
    if validator == "email" or code.endswith("email"):
        return "email"
    if data_type == "date" or validator == "date" or code.endswith("_date"):
        return "date"
    if code in PERSON_NAME_CODES or code.endswith("_person") or code == "name":
        return "name"
    if "address" in code:
        return "address"
    return "generic"


def mask_value(kind: str, value: Any) -> Any:
    """The masked form of ``value`` (None and empty values stay as they are)."""
    if value is None or value == "":
        return value
    if isinstance(value, dict | list):
        return MASK * 3
    masker = _MASKERS.get(kind, mask_generic)
    return masker(value if isinstance(value, str) else str(value))


def mask_text(text: str, secret: Any, kind: str) -> str:
    """``text`` with every occurrence of ``secret`` replaced by its mask (e.g. in a message)."""
    if not isinstance(text, str) or secret in (None, ""):
        return text
    secret_text = str(secret).strip()
    if len(secret_text) < 2 or secret_text not in text:
        return text
    return text.replace(secret_text, mask_value(kind, secret_text))
