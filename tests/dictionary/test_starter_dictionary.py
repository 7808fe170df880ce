"""The starter 核心数据元字典 (fixtures/dictionary.json) is well-formed and internally consistent."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from dictionary.regions import get_region
from dictionary.standardizers import STANDARDIZERS, map_to_domain
from dictionary.validators import VALIDATORS, check_params

PATH = Path(__file__).resolve().parents[2] / "fixtures" / "dictionary.json"

DATA_TYPES = {"string", "code", "integer", "decimal", "date", "boolean"}
SENSITIVITIES = {"public", "internal", "personal", "sensitive_personal"}
SURVIVORSHIP = {"most_recent", "source_priority", "most_complete", "most_frequent", "longest"}
ENTITIES = {"customers", "products", "materials"}
CJK = re.compile(r"[\u4e00-\u9fff]")
# Chinese terms the English definitions quote on purpose (a unit, an example value).
QUOTED_CHINESE = ("万元", "家用电器/空调")


@cache
def document() -> dict[str, Any]:
    return json.loads(PATH.read_text(encoding="utf-8"))


def elements() -> dict[str, dict[str, Any]]:
    return {e["code"]: e for e in document()["elements"]}


def domains() -> dict[str, dict[str, Any]]:
    return {d["code"]: d for d in document()["domains"]}


def bindings() -> dict[tuple[str, str], dict[str, Any]]:
    return {(b["entity"], b["element"]): b for b in document()["bindings"]}


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def test_top_level_shape() -> None:
    assert list(document()) == ["entities", "domains", "elements", "bindings"]


def test_entities() -> None:
    entities = document()["entities"]
    assert {e["code"]: e["code_prefix"] for e in entities} == {
        "customers": "CU",
        "products": "PR",
        "materials": "MA",
    }
    customers = next(e for e in entities if e["code"] == "customers")
    assert customers["name_zh"] == "客户"
    assert customers["definition_zh"] == "与企业发生交易或存在潜在交易意向的组织或个人"
    for entity in entities:
        assert set(entity) == {
            "code",
            "name_zh",
            "name_en",
            "definition_zh",
            "definition_en",
            "code_prefix",
            "code_width",
        }
        assert entity["code_width"] == 10
        assert CJK.search(entity["definition_zh"]) and entity["definition_en"]


def test_unique_codes() -> None:
    doc = document()
    for key in ("entities", "domains", "elements"):
        counts = Counter(item["code"] for item in doc[key])
        assert [code for code, n in counts.items() if n > 1] == [], key
    counts = Counter((b["entity"], b["element"]) for b in doc["bindings"])
    assert [pair for pair, n in counts.items() if n > 1] == []


def test_unique_names() -> None:
    for key in ("domains", "elements"):
        for field in ("name_zh", "name_en"):
            counts = Counter(item[field] for item in document()[key])
            assert [name for name, n in counts.items() if n > 1] == [], (key, field)


def test_at_least_30_elements() -> None:
    assert len(document()["elements"]) >= 30


ELEMENT_FIELDS = [
    "code",
    "name_zh",
    "name_en",
    "definition_zh",
    "definition_en",
    "data_type",
    "max_length",
    "precision",
    "scale",
    "value_domain",
    "validator",
    "validator_params",
    "standardizers",
    "sensitivity",
    "on_invalid",
    "owner_department",
    "status",
    "version",
    "example",
]


@pytest.mark.parametrize("code", [e["code"] for e in document()["elements"]])
def test_element_is_well_formed(code: str) -> None:
    element = elements()[code]
    assert list(element) == ELEMENT_FIELDS
    assert re.fullmatch(r"[a-z][a-z0-9_]*", code)
    assert element["data_type"] in DATA_TYPES
    assert element["sensitivity"] in SENSITIVITIES
    assert element["on_invalid"] in ("reject", "flag")
    assert element["status"] == "active"
    assert element["version"] == 1
    assert element["owner_department"]
    assert CJK.search(element["name_zh"]) and not CJK.search(element["name_en"])
    assert len(element["definition_zh"]) >= 15 and CJK.search(element["definition_zh"])
    english = element["definition_en"]
    for quoted in QUOTED_CHINESE:
        english = english.replace(quoted, "")
    assert len(english) >= 40 and not CJK.search(english)
    # Registries: every name exists; "" means no validator.
    assert element["validator"] == "" or element["validator"] in VALIDATORS
    assert all(name in STANDARDIZERS for name in element["standardizers"])
    if element["validator"]:
        assert check_params(element["validator"], element["validator_params"]) == []
    else:
        assert element["validator_params"] == {}
    # Type-specific attributes.
    if element["data_type"] == "code":
        assert element["value_domain"] in domains()
    else:
        assert element["value_domain"] is None
    if element["data_type"] == "decimal":
        assert isinstance(element["precision"], int) and isinstance(element["scale"], int)
        assert 0 <= element["scale"] <= element["precision"]
    else:
        assert element["precision"] is None and element["scale"] is None
    if element["data_type"] in ("string", "code"):
        assert isinstance(element["max_length"], int) and element["max_length"] > 0
    assert element["example"]


@pytest.mark.parametrize("code", [e["code"] for e in document()["elements"]])
def test_example_survives_standardization_and_validation(code: str) -> None:
    """Each element's printed example is what the pipeline would store, and it is valid."""
    element = elements()[code]
    value = element["example"]
    for name in element["standardizers"]:
        value = STANDARDIZERS[name](value)
    assert value == element["example"]
    if element["max_length"]:
        assert len(value) <= element["max_length"]
    if element["validator"]:
        assert VALIDATORS[element["validator"]](value, element["validator_params"]) is None
    if element["data_type"] == "decimal":
        params = {"precision": element["precision"], "scale": element["scale"]}
        assert VALIDATORS["decimal"](value, params) is None
    if element["data_type"] == "integer":
        assert VALIDATORS["integer"](value, {}) is None
    if element["data_type"] == "date":
        assert VALIDATORS["date"](value, {}) is None
    if element["value_domain"] == "region":
        region = get_region(value)
        assert region is not None and region.is_current
    elif element["value_domain"]:
        assert value in {v["code"] for v in domains()[element["value_domain"]]["values"]}


@pytest.mark.parametrize("code", [d["code"] for d in document()["domains"]])
def test_domain_is_well_formed(code: str) -> None:
    domain = domains()[code]
    assert list(domain) == [
        "code",
        "name_zh",
        "name_en",
        "description_zh",
        "description_en",
        "values",
    ]
    assert CJK.search(domain["description_zh"]) and domain["description_en"]
    for value in domain["values"]:
        assert list(value) == ["code", "name_zh", "name_en", "synonyms"]
        assert value["code"] and value["name_zh"] and value["name_en"]
        assert all(isinstance(s, str) and s.strip() for s in value["synonyms"])
    # A spelling must denote one value only, or mapping would depend on load order.
    owner: dict[str, str] = {}
    for value in domain["values"]:
        for spelling in [value["code"], *value["synonyms"]]:
            key = fold(spelling)
            assert owner.setdefault(key, value["code"]) == value["code"], (code, spelling)
    # The Chinese name is itself an accepted spelling.
    for value in domain["values"]:
        assert fold(value["name_zh"]) in {fold(s) for s in value["synonyms"]}, value["code"]


def test_every_domain_is_used() -> None:
    used = {e["value_domain"] for e in document()["elements"] if e["value_domain"]}
    assert used == set(domains())


def test_region_domain_is_declared_without_values() -> None:
    region = domains()["region"]
    assert region["values"] == []
    assert "python-stdnum" in region["description_en"] and "GB/T 2260" in region["description_zh"]


def test_unit_of_measure_domain() -> None:
    values = {v["code"]: v["synonyms"] for v in domains()["unit_of_measure"]["values"]}
    assert len(values) >= 30
    assert {
        "PCE",
        "SET",
        "BX",
        "KGM",
        "GRM",
        "TNE",
        "MTR",
        "CMT",
        "MMT",
        "LTR",
        "MLT",
        "MTK",
        "MTQ",
        "PR",
        "ROL",
        "SHT",
        "BG",
        "BO",
        "DZN",
    } <= set(values)
    for spelling in ("个", "PCS", "pcs", "EA", "件", "只"):
        assert map_to_domain(spelling, values) == "PCE"
    for spelling in ("kg", "KG", "公斤", "千克"):
        assert map_to_domain(spelling, values) == "KGM"
    assert map_to_domain("㎡", values) == "MTK"
    assert map_to_domain("吨", values) == "TNE"
    assert map_to_domain("双", values) == "PR"
    # A carry pack of smaller packs (一提纸巾, 一提饮料), as shops and ERPs sell them.
    assert map_to_domain("提", values) == "PK"


def test_industry_domain_is_gbt_4754_sections() -> None:
    values = {v["code"]: v["name_zh"] for v in domains()["industry"]["values"]}
    assert list(values) == [chr(c) for c in range(ord("A"), ord("T") + 1)]
    assert values["C"] == "制造业"
    assert values["I"] == "信息传输、软件和信息技术服务业"
    assert values["S"] == "公共管理、社会保障和社会组织"


def test_material_type_and_customer_type_domains() -> None:
    material_types = [v["code"] for v in domains()["material_type"]["values"]]
    assert material_types == ["ROH", "HALB", "FERT", "HAWA", "VERP", "HIBE", "ERSA"]
    customer_types = {v["code"]: v["synonyms"] for v in domains()["customer_type"]["values"]}
    assert set(customer_types) == {"org", "person"}
    assert map_to_domain("公司", customer_types) == "org"
    assert map_to_domain("B2B", customer_types) == "org"
    assert map_to_domain("自然人", customer_types) == "person"


def test_bindings_reference_known_elements_and_entities() -> None:
    for binding in document()["bindings"]:
        assert list(binding) == [
            "entity",
            "element",
            "required",
            "survivorship",
            "position",
            "is_identifier",
        ]
        assert binding["entity"] in ENTITIES
        assert binding["element"] in elements()
        assert binding["survivorship"] in SURVIVORSHIP
        assert isinstance(binding["position"], int) and binding["position"] > 0


def test_every_element_is_bound() -> None:
    bound = {element for _, element in bindings()}
    assert set(elements()) - bound == set()


def test_positions_are_unique_per_entity() -> None:
    for entity in ENTITIES:
        positions = [b["position"] for (e, _), b in bindings().items() if e == entity]
        assert len(positions) == len(set(positions)), entity


def test_required_elements() -> None:
    required = {key for key, b in bindings().items() if b["required"]}
    assert required == {
        ("customers", "name"),
        ("products", "name"),
        ("products", "uom"),
        ("materials", "name"),
        ("materials", "base_uom"),
    }


def test_required_bindings_of_the_brief() -> None:
    expected = {
        "customers": {
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
            "industry",
            "org_code",
            "legal_representative",
            "registered_capital",
            "established_date",
            "website",
        },
        "products": {
            "name",
            "model",
            "brand",
            "category",
            "uom",
            "gtin",
            "net_weight",
            "weight_unit",
            "hs_code",
            "shelf_life_days",
        },
        "materials": {
            "name",
            "spec",
            "material_group",
            "base_uom",
            "material_type",
            "net_weight",
            "gross_weight",
            "weight_unit",
        },
    }
    for entity, codes in expected.items():
        bound = {element for e, element in bindings() if e == entity}
        assert codes <= bound, codes - bound


def test_identifiers() -> None:
    identifiers = {key for key, b in bindings().items() if b["is_identifier"]}
    assert identifiers == {
        ("customers", "credit_code"),
        ("customers", "id_number"),
        ("customers", "org_code"),
        ("products", "gtin"),
    }


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("name", {"standardizers": ["nfkc", "collapse_space", "t2s"]}),
        ("customer_type", {"data_type": "code", "value_domain": "customer_type"}),
        (
            "credit_code",
            {
                "validator": "uscc",
                "on_invalid": "flag",
                "max_length": 18,
                "standardizers": ["nfkc", "strip_separators", "upper"],
            },
        ),
        (
            "id_number",
            {
                "validator": "cn_resident_id",
                "sensitivity": "sensitive_personal",
                "on_invalid": "reject",
                "standardizers": ["nfkc", "strip_separators", "upper", "resident_id_18"],
            },
        ),
        ("phone", {"validator": "phone", "sensitivity": "personal", "on_invalid": "flag"}),
        ("email", {"validator": "email", "sensitivity": "personal", "on_invalid": "flag"}),
        (
            "address",
            {"standardizers": ["nfkc", "collapse_space", "t2s"], "sensitivity": "personal"},
        ),
        ("region_code", {"data_type": "code", "value_domain": "region", "max_length": 6}),
        (
            "birth_date",
            {
                "data_type": "date",
                "validator": "date",
                "sensitivity": "personal",
                "on_invalid": "flag",
            },
        ),
        ("postal_code", {"validator": "postal_code"}),
        ("contact_name", {"sensitivity": "personal"}),
        ("industry", {"value_domain": "industry"}),
        ("org_code", {"validator": "cn_org_code"}),
        ("registered_capital", {"data_type": "decimal"}),
        ("uom", {"value_domain": "unit_of_measure"}),
        ("gtin", {"validator": "gtin", "on_invalid": "reject"}),
        ("net_weight", {"data_type": "decimal"}),
        ("gross_weight", {"data_type": "decimal"}),
        ("weight_unit", {"value_domain": "unit_of_measure"}),
        ("hs_code", {"validator": "regex"}),
        (
            "shelf_life_days",
            {
                "data_type": "integer",
                "validator": "range",
                "validator_params": {"min": 0, "max": 3650},
            },
        ),
        ("material_group", {"value_domain": "material_group"}),
        ("base_uom", {"value_domain": "unit_of_measure"}),
        ("material_type", {"value_domain": "material_type"}),
    ],
)
def test_element_settings_of_the_brief(code: str, expected: dict[str, Any]) -> None:
    element = elements()[code]
    assert {key: element[key] for key in expected} == expected


def test_specific_definitions() -> None:
    assert "91350100M0001TGQXM" in elements()["credit_code"]["definition_zh"]
    assert "91350100M0001TGQXM" in elements()["credit_code"]["definition_en"]
    assert "万元" in elements()["registered_capital"]["definition_zh"]
    assert elements()["birth_date"]["validator_params"]["not_in_future"] is True
    assert "date_iso" in elements()["birth_date"]["standardizers"]
    assert elements()["phone"]["standardizers"][-1] == "phone_e164"


def test_weights_and_their_unit_survive_together() -> None:
    """A weight must never be paired with another source's unit."""
    for entity in ("products", "materials"):
        rules = {
            bindings()[(entity, code)]["survivorship"]
            for code in ("net_weight", "gross_weight", "weight_unit")
        }
        assert len(rules) == 1, entity
    rules = {
        bindings()[("customers", c)]["survivorship"]
        for c in ("registered_capital", "registered_capital_currency")
    }
    assert len(rules) == 1


def test_hs_code_pattern() -> None:
    element = elements()["hs_code"]
    validate = VALIDATORS["regex"]
    assert validate("84151010", element["validator_params"]) is None
    assert validate("8415101000", element["validator_params"]) is None
    assert validate("841510100", element["validator_params"]) is not None
    assert validate("841510", element["validator_params"]) is not None
