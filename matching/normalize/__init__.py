"""Pure normalizers that turn standardized attribute values into comparable matching features.

Attributes reach the matcher already standardized by the dictionary (NFKC width folding, trimmed,
traditional -> simplified for names, codes upper-cased, phones E.164, dates ISO). These helpers go
one step further, to the *matching* form of a value: the distinctive core of a company name
without its region and legal form, the pinyin of that core so that 华信/华鑫 and the English
``Huaxin`` meet, a phone's national number, address tokens. They never raise and they are
deterministic, so the same value always yields the same blocking keys.

Region names come from python-stdnum's administrative-division table (``stdnum/cn/loc.dat``, the
file ``stdnum.cn.ric`` uses to decode the birth place of a resident ID) rather than from a typed
list, so the 3,000-odd provinces, prefectures and counties stay complete and current.
"""

from __future__ import annotations

from matching.normalize.addresses import (
    address_key,
    address_tokens,
    address_words,
    house_number,
    normalize_address,
)
from matching.normalize.company import CompanyName, branch_key, company_name_parts
from matching.normalize.company_relations import (
    abbreviates,
    abbreviation_key,
    has_legal_form,
    initial_abbreviations,
    is_abbreviation,
    is_registered,
    is_short_form,
    names_another_business,
    regional_short_form,
    short_forms,
    short_name_block,
    short_name_of,
    transliterates_trade_name,
)
from matching.normalize.contacts import (
    PUBLIC_MAIL_DOMAINS,
    company_mail_domain,
    email_key,
    person_name,
    person_name_tokens,
    phone_key,
    phone_keys,
)
from matching.normalize.kinds import customer_kind, is_person_customer
from matching.normalize.pinyin import is_pinyin, pinyin_initials, pinyin_of, split_pinyin
from matching.normalize.regions import Region, region_lookup
from matching.normalize.text import digits, has_cjk, identifier, normalize_text

__all__ = [
    "CompanyName",
    "Region",
    "abbreviates",
    "abbreviation_key",
    "initial_abbreviations",
    "address_key",
    "address_words",
    "house_number",
    "address_tokens",
    "branch_key",
    "company_name_parts",
    "customer_kind",
    "digits",
    "email_key",
    "company_mail_domain",
    "PUBLIC_MAIL_DOMAINS",
    "has_cjk",
    "identifier",
    "is_abbreviation",
    "is_person_customer",
    "is_short_form",
    "has_legal_form",
    "is_registered",
    "names_another_business",
    "is_pinyin",
    "normalize_address",
    "normalize_text",
    "person_name",
    "person_name_tokens",
    "phone_key",
    "phone_keys",
    "pinyin_initials",
    "pinyin_of",
    "region_lookup",
    "regional_short_form",
    "short_forms",
    "short_name_block",
    "short_name_of",
    "split_pinyin",
    "transliterates_trade_name",
]
