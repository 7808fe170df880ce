"""Standardizers: exact outputs for the formats sources actually send, unchanged when unparseable."""

from __future__ import annotations

import pytest

from dictionary.standardizers import REGIONAL_STANDARDIZERS, STANDARDIZERS, map_to_domain


def run(name: str, value: str) -> str:
    return STANDARDIZERS[name](value)


def test_registry_names() -> None:
    assert set(STANDARDIZERS) == {
        "nfkc",
        "collapse_space",
        "t2s",
        "upper",
        "lower",
        "strip_separators",
        "phone_e164",
        "date_iso",
        "decimal",
        "resident_id_18",
        "postal_code",
    }


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("nfkc", "（上海）ＡＢＣ１２３", "(上海)ABC123"),
        ("collapse_space", "  华信\u3000 科技\t有限公司 ", "华信 科技 有限公司"),
        ("t2s", "華信科技有限公司", "华信科技有限公司"),
        ("upper", "91110105ma01abcd2x", "91110105MA01ABCD2X"),
        ("lower", "Zhang.San@Example.COM", "zhang.san@example.com"),
    ],
)
def test_simple_text_standardizers(name: str, value: str, expected: str) -> None:
    assert run(name, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9111 0105-MA01ABCD2X", "91110105MA01ABCD2X"),
        ("9111.0105/MA01_ABCD 2X", "91110105MA01ABCD2X"),
        ("60003734-1", "600037341"),
        ("6901234\u3000567892", "6901234567892"),
        ("8415.10.1000", "8415101000"),
    ],
)
def test_strip_separators(value: str, expected: str) -> None:
    assert run("strip_separators", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("138 1234 5678", "+8613812345678"),
        ("+86-138-1234-5678", "+8613812345678"),
        ("0086 13812345678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),
        ("(010)12345678", "+861012345678"),
        ("010-1234 5678", "+861012345678"),
        ("0755-12345678", "+8675512345678"),
        # Extensions are dropped: E.164 has no room for them.
        ("021-87654321-8001", "+862187654321"),
        ("021-87654321转8001", "+862187654321"),
        ("021 8765 4321 ext. 8001", "+862187654321"),
    ],
)
def test_phone_e164(value: str, expected: str) -> None:
    assert run("phone_e164", value) == expected


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        # A US system's number is read as a US number, never as a Chinese one (+863102461501).
        ("310/246-1501", "US", "+13102461501"),
        ("(212) 505-0005", "US", "+12125050005"),
        ("13800138000", "CN", "+8613800138000"),
        # Written with its international prefix, a number keeps its country whatever the
        # system's: a CN system's British number stays British.
        ("+44 20 7946 0958", "CN", "+442079460958"),
        ("0044 20 7946 0958", "CN", "+442079460958"),
        ("+86 138 0013 8000", "US", "+8613800138000"),
        ("020 7946 0958", "GB", "+442079460958"),
    ],
)
def test_phone_e164_reads_a_number_in_the_sending_systems_country(value, country, expected):
    assert REGIONAL_STANDARDIZERS["phone_e164"](value, country) == expected


@pytest.mark.parametrize("value", ["12345", "abc", "", "138 1234 567"])
def test_phone_e164_leaves_unparseable_unchanged(value: str) -> None:
    assert run("phone_e164", value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025年1月3日", "2025-01-03"),
        ("2025 年 1 月 3 日", "2025-01-03"),
        ("２０２５年１月３日", "2025-01-03"),
        ("2025/1/3", "2025-01-03"),
        ("2025-1-3", "2025-01-03"),
        ("2025.01.03", "2025-01-03"),
        ("20250103", "2025-01-03"),
        ("2025-01-03T10:00:00", "2025-01-03"),
        ("2025-01-03T10:00:00+08:00", "2025-01-03"),
        ("2025-01-03 10:00", "2025-01-03"),
        ("2024-02-29", "2024-02-29"),
    ],
)
def test_date_iso(value: str, expected: str) -> None:
    assert run("date_iso", value) == expected


@pytest.mark.parametrize(
    "value", ["2025-02-30", "2025-13-01", "2023-02-29", "2025-1/3", "3 Jan 2025", ""]
)
def test_date_iso_leaves_invalid_unchanged(value: str) -> None:
    assert run("date_iso", value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,234,567.50", "1234567.50"),
        ("１，２３４.5", "1234.5"),
        ("¥1,000", "1000"),
        ("￥1,000.00元", "1000.00"),
        ("1 000", "1000"),
        ("-1,000", "-1000"),
        ("007", "7"),
        (".5", "0.5"),
        ("-0.00", "0.00"),
        ("1234567.50", "1234567.50"),
    ],
)
def test_decimal(value: str, expected: str) -> None:
    assert run("decimal", value) == expected


@pytest.mark.parametrize("value", ["abc", "1,23", "1.2.3", "12,34,567", "", "5."])
def test_decimal_leaves_unparseable_unchanged(value: str) -> None:
    assert run("decimal", value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # GB 11643-1999's own example 11010519491231002X, in its first-generation 15-digit form.
        ("110105491231002", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("11010519491231002X", "11010519491231002X"),
        ("440524188001010014", "440524188001010014"),
    ],
)
def test_resident_id_18(value: str, expected: str) -> None:
    assert run("resident_id_18", value) == expected


@pytest.mark.parametrize("value", ["1101054912310", "abc", "11010519491231002Y", "11010549123100A"])
def test_resident_id_18_leaves_others_unchanged(value: str) -> None:
    assert run("resident_id_18", value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [("100080", "100080"), ("邮编：100 080", "100080"), ("１０００８０", "100080"), ("abc", "abc")],
)
def test_postal_code(value: str, expected: str) -> None:
    assert run("postal_code", value) == expected


@pytest.mark.parametrize(
    "value",
    ["(上海)", "  9111 0105-MA01  ", "+86 138", "not a date", "１，２３４", "", "\u3000"],
)
def test_every_standardizer_returns_a_string_and_never_raises(value: str) -> None:
    for standardize in STANDARDIZERS.values():
        assert isinstance(standardize(value), str)


UOM = {"PCE": ["个", "件", "PCS", "EA"], "KGM": ["千克", "公斤", "kg"], "PR": ["双", "对"]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("个", "PCE"),
        ("PCS", "PCE"),
        ("pcs", "PCE"),
        (" ＰＣＳ ", "PCE"),
        ("pce", "PCE"),
        ("KG", "KGM"),
        ("公斤", "KGM"),
        ("对", "PR"),
        ("箱", None),
        ("", None),
    ],
)
def test_map_to_domain(value: str, expected: str | None) -> None:
    assert map_to_domain(value, UOM) == expected


def test_map_to_domain_prefers_a_code_and_refuses_an_ambiguous_synonym() -> None:
    values = {"A": ["b"], "B": ["x"], "C": ["x"]}
    assert map_to_domain("b", values) == "B"
    assert map_to_domain("x", values) is None


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("邮编：100020", "CN", "100020"),
        ("sw1a  1aa", "GB", "SW1A 1AA"),
        ("２０００", "AU", "2000"),
    ],
)
def test_postal_code_in_the_senders_country(value, country, expected) -> None:
    assert REGIONAL_STANDARDIZERS["postal_code"](value, country) == expected


@pytest.mark.parametrize(
    "value", ["010-62345678;13912345678", "010-62345678；13912345678", "010-62345678，13912345678"]
)
def test_phone_e164_keeps_a_list_of_numbers_whole(value: str) -> None:
    # phonenumbers would read the first number and drop the other: the value stays as received
    # (the validator flags it; matching compares each number).
    assert run("phone_e164", value) == value
    assert run("phone_e164", "021-87654321,8001") == "+862187654321"  # an extension
