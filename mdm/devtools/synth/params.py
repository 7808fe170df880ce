"""What the generated data is and how noisy it is: the record, the systems and their keys,
the base rate of each variation (``Noise``) and each system's sloppiness, presence, missing values
and look-alike rates.

``NOISE`` is replaced on the package (``mdm.devtools.synth.NOISE = ...``, as the tests do), which
writes it here too; the modules that vary values read ``params.NOISE`` when they run, never a copy
bound at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SynthRecord:
    """One row of one source system's export."""

    system: str  # "ERP" | "CRM" | "ECOM"
    entity: str  # "customers" | "products" | "materials"
    local_code: str
    attributes: dict[str, str]  # dictionary element code -> value as exported ("" = missing)
    truth_id: str  # same truth_id == same real-world thing


SYSTEMS: tuple[str, ...] = ("ERP", "CRM", "ECOM")

CUSTOMER_KEYS: tuple[str, ...] = (
    "name",
    "customer_type",
    "credit_code",
    "id_number",
    "phone",
    "email",
    "address",
    "region_code",
    "birth_date",
    "postal_code",
    "contact_name",
    "english_name",
)
PRODUCT_KEYS: tuple[str, ...] = ("name", "model", "brand", "category", "uom", "gtin")
MATERIAL_KEYS: tuple[str, ...] = ("name", "spec", "material_group", "base_uom", "material_type")


def _sorted_records(records: list[SynthRecord], systems: Sequence[str]) -> list[SynthRecord]:
    order = {s: i for i, s in enumerate(systems)}
    return sorted(records, key=lambda r: (order[r.system], r.local_code))


# ---------------------------------------------------------------------------------------------
# Noise: how often each kind of variation happens
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Noise:
    """Base probability of each variation for one copy of a record.

    Each system multiplies these by its SYSTEM_SLOPPINESS: the ERP is maintained by finance
    and fairly clean, the CRM is typed by sales people, the shop by the customers themselves.
    Tests replace NOISE (``dataclasses.replace``) to switch single variations off.
    """

    legal_form: float = 0.15  # 有限公司 -> 有限责任公司 / dropped
    name_region: float = 0.15  # 深圳市 -> 深圳 / 广东省深圳市 / dropped
    half_width_brackets: float = 0.30  # （上海） -> (上海)
    traditional: float = 0.03  # 华信 -> 華信
    homophone: float = 0.05  # 华信 -> 华鑫
    short_name: float = 0.06  # CRM and shop only: 华信科技 instead of the registered name
    extra_space: float = 0.06
    english_in_shop: float = 0.25  # shop uses the English name (if the company has one)
    pinyin_name: float = 0.04  # shop: a person signs up as "Wang Wei"
    credit_code_typo: float = 0.03  # one character changed: the check character fails
    credit_code_lower: float = 0.03
    credit_code_spaced: float = 0.03
    full_width: float = 0.03  # full-width digits and letters (ＡＢ１２)
    phone_format: float = 0.35  # a format other than the system's usual one
    other_phone: float = 0.15  # persons: their other mobile (companies: see _render_company)
    other_contact: float = 0.15
    address_province: float = 0.30  # province omitted
    address_city: float = 0.10  # city written without 市, or omitted
    address_abbrev: float = 0.10  # 号 / 号楼, 楼 / 层 / F, 大厦 / 大楼 ...
    address_spaces: float = 0.08


NOISE = Noise()

SYSTEM_SLOPPINESS: dict[str, float] = {"ERP": 0.6, "CRM": 1.0, "ECOM": 1.6}

# Probability that a system holds a given real thing at all, and that it holds it twice
# (two records created independently, e.g. by two sales reps).
COMPANY_PRESENCE: dict[str, float] = {"ERP": 0.80, "CRM": 0.70, "ECOM": 0.40}
PERSON_PRESENCE: dict[str, float] = {"ERP": 0.30, "CRM": 0.65, "ECOM": 0.75}
SAME_SYSTEM_DUPLICATE: dict[str, float] = {"ERP": 0.03, "CRM": 0.06, "ECOM": 0.05}

# Share of missing values per system (a credit code is rarely asked for in the shop).
CREDIT_CODE_MISSING: dict[str, float] = {"ERP": 0.08, "CRM": 0.35, "ECOM": 0.65}
ID_NUMBER_MISSING: dict[str, float] = {"ERP": 0.15, "CRM": 0.40, "ECOM": 0.70}
POSTAL_CODE_MISSING: dict[str, float] = {"ERP": 0.15, "CRM": 0.45, "ECOM": 0.55}
EMAIL_MISSING: dict[str, float] = {"ERP": 0.30, "CRM": 0.20, "ECOM": 0.05}

# Hard negatives: different real things that look alike.
SAME_CORE_OTHER_CITY_RATE = 0.08  # 北京华信科技 vs 广州华信科技
BRANCH_RATE = 0.05  # 北京华信科技有限公司上海分公司
ONE_CHAR_NEIGHBOUR_RATE = 0.03  # 华信科技 vs 华兴科技, same city
NAMESAKE_RATE = 0.12  # two persons called 王伟 with different birth dates
TWIN_RATE = 0.05  # same birth date and address, different given names

FAST_VARIANT_SHARE = 0.30  # iter_customers_fast: share of records re-describing an earlier entity
FAST_POOL_SIZE = 20_000  # earlier entities kept for that (bounded memory)
