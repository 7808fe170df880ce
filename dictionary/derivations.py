"""Facts that valid identifiers prove, never guesses.

A derivation returns a fact only when the identifier passes its full check (a mistyped code
proves nothing) and, for region codes, only when the code is a current GB/T 2260 division:
the fact is used to fill the region_code element, whose value domain holds the current codes
only, so an abolished code (110103 崇文区) is left out rather than filled in as an invalid value.

Read the facts for what they are:
* a credit code's region is the region of the authority that registered the organisation.
  The code is kept for life, so an organisation that has since moved keeps its old region in
  the code;
* a resident ID's region is where the number was first issued (household registration at
  the time), not where the person lives now.
So a current address elsewhere does not contradict the identifier; only the identifier's own
fields (e.g. a recorded birth date) can.
"""

from __future__ import annotations

from dictionary.identifiers import cn_resident_id, uscc_is_valid
from dictionary.regions import get_region
from dictionary.standardizers import strip_separators

#: The elements each identifier proves (what the derivations below may return): an agreement on
#: one of them says no more than the identifier's own agreement.
DERIVED_ELEMENTS: dict[str, tuple[str, ...]] = {
    "credit_code": ("region_code",),
    "id_number": ("region_code", "birth_date"),
}


def derive_from_uscc(code: str) -> dict[str, str]:
    """{"region_code": characters 3-8} for a valid credit code whose region is current, else {}.

    Codes registered by national authorities carry 100000, which is not a division and yields
    nothing; so do 2015 pilot codes that fail the check character.
    """
    from stdnum.cn import uscc

    compact = code if uscc_is_valid(code) else uscc.compact(code)
    if not uscc_is_valid(compact):
        return {}
    region_code = compact[2:8]
    return {"region_code": region_code} if _is_current_region(region_code) else {}


def derive_from_resident_id(number: str) -> dict[str, str]:
    """{"region_code": first 6 digits, "birth_date": "YYYY-MM-DD"} for a valid 18-digit ID.

    region_code is left out when the 6 digits are not a current division. Separators and a
    lower-case x are tolerated (they do not change what the number proves); any other problem,
    including a 15-digit number that has not been through the resident_id_18 standardizer,
    makes the result empty.
    """
    compact = strip_separators(number).upper()
    if cn_resident_id(compact, {}) is not None:
        return {}
    facts = {"birth_date": f"{compact[6:10]}-{compact[10:12]}-{compact[12:14]}"}
    if _is_current_region(compact[:6]):
        facts = {"region_code": compact[:6], **facts}
    return facts


def _is_current_region(code: str) -> bool:
    region = get_region(code)
    return region is not None and region.is_current
