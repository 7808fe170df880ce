"""Whether a customer record is a person or an organization."""

from __future__ import annotations

from matching.normalize.company import company_name_parts
from matching.normalize.contacts import person_name
from matching.normalize.text import has_cjk, normalize_text

# CRMs in China often type customers "B" (business, B端) or "C" (consumer, C端).
_PERSON_TYPES = {"person", "individual", "natural_person", "p", "c", "to_c", "个人", "自然人"}
_ORGANIZATION_TYPES = {
    "organization",
    "organisation",
    "org",
    "b",
    "to_b",
    "company",
    "enterprise",
    "legal_person",
    "o",
    "企业",
    "单位",
    "公司",
    "组织",
}


def customer_kind(
    customer_type: str, name: str, *, has_credit_code: bool, has_id_number: bool
) -> str:
    """``person``, ``organization`` or ``""`` (unknown) for a customer record.

    The declared ``customer_type`` wins. Otherwise a valid credit code or a legal form, branch or
    industry word in the name means an organization, an ID number a person; a bare two-to-four
    character Chinese name is taken for a person. Unknown stays unknown rather than guessed.
    """
    declared = normalize_text(customer_type).replace(" ", "_")
    if declared in _PERSON_TYPES:
        return "person"
    if declared in _ORGANIZATION_TYPES:
        return "organization"
    if has_credit_code:
        return "organization"
    if has_id_number:
        return "person"
    if name:
        parts = company_name_parts(name)
        # A region in front (宁波富邦, a short company name) is no person's name either.
        if parts.legal_form or parts.branch or parts.industry or parts.region:
            return "organization"
        compact = person_name(name)
        if has_cjk(compact) and 2 <= len(compact) <= 4:
            return "person"
    return ""


def is_person_customer(
    customer_type: str, name: str, *, has_credit_code: bool, has_id_number: bool
) -> bool:
    """Whether :func:`customer_kind` answers ``person``, without taking apart a name that
    cannot be a person's.

    Without a declared type or an identifier, only a two-to-four character Chinese name makes a
    person, so the company-name parser (the costly step, for a name seen the first time) is
    asked only of those. Masking asks this of every golden record an event or a page shows.
    """
    declared = normalize_text(customer_type).replace(" ", "_")
    if declared in _PERSON_TYPES:
        return True
    if declared in _ORGANIZATION_TYPES or has_credit_code:
        return False
    if has_id_number:
        return True
    if not name:
        return False
    compact = person_name(name)
    if not (has_cjk(compact) and 2 <= len(compact) <= 4):
        return False
    parts = company_name_parts(name)
    return not (parts.legal_form or parts.branch or parts.industry or parts.region)
