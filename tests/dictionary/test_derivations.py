"""Derivations: facts from valid identifiers only; regions from stdnum's GB/T 2260 table."""

from __future__ import annotations

from stdnum.cn import ric, uscc

from dictionary.derivations import derive_from_resident_id, derive_from_uscc
from dictionary.regions import Region, get_region, load_regions, region_name


def with_uscc_check(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def with_ric_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


# --- credit code -------------------------------------------------------------------------------


def test_uscc_region() -> None:
    assert derive_from_uscc("914403001922038216") == {"region_code": "440300"}
    assert derive_from_uscc("91110000600037341L") == {"region_code": "110000"}
    assert derive_from_uscc("91110108MA01ABCD2H") == {"region_code": "110108"}


def test_uscc_without_facts() -> None:
    assert derive_from_uscc("91350100M0001TGQXM") == {}  # pilot code: fails the check character
    assert derive_from_uscc("91110108MA01ABCD2X") == {}  # mistyped check character
    assert derive_from_uscc("9111010") == {}
    assert derive_from_uscc("") == {}
    # National registration authorities use 100000, which is not an administrative division.
    assert derive_from_uscc(with_uscc_check("91100000MA01ABCD2")) == {}
    # 110103 崇文区 was abolished in 2010: not a value of the region domain any more.
    assert derive_from_uscc(with_uscc_check("91110103MA01ABCD2")) == {}


# --- resident ID -------------------------------------------------------------------------------


def test_resident_id_facts() -> None:
    assert derive_from_resident_id("11010519491231002X") == {
        "region_code": "110105",
        "birth_date": "1949-12-31",
    }
    # stdnum's compact form: separators, blanks and a lower-case x are tolerated.
    assert derive_from_resident_id(" 110105 19491231 002x ") == {
        "region_code": "110105",
        "birth_date": "1949-12-31",
    }


def test_resident_id_with_unknown_or_abolished_region_gives_the_birth_date_only() -> None:
    assert derive_from_resident_id(with_ric_check("11010319800101001")) == {
        "birth_date": "1980-01-01"
    }
    assert derive_from_resident_id(with_ric_check("11019919800101001")) == {
        "birth_date": "1980-01-01"
    }


def test_invalid_resident_id_gives_nothing() -> None:
    assert derive_from_resident_id("110105194912310021") == {}  # wrong check character
    assert derive_from_resident_id("110105491231002") == {}  # 15 digits: standardize first
    assert derive_from_resident_id(with_ric_check("11010519490230001")) == {}  # 30 February
    assert derive_from_resident_id(with_ric_check("11010529990101001")) == {}  # born in 2999
    assert derive_from_resident_id("") == {}


# --- regions -----------------------------------------------------------------------------------


def test_region_names() -> None:
    assert region_name("110000") == "北京市"
    assert region_name("110105") == "北京市朝阳区"
    assert region_name("130000") == "河北省"
    assert region_name("130100") == "河北省石家庄市"
    assert region_name("130102") == "河北省石家庄市长安区"
    assert region_name("440305") == "广东省深圳市南山区"
    assert region_name("429004") == "湖北省仙桃市"  # under 省直辖县级行政单位
    assert region_name("810000") == "香港特别行政区"
    assert region_name("100000") is None
    assert region_name("999999") is None


def test_historic_regions() -> None:
    assert get_region("110103") == Region("110103", "北京市崇文区", "北京市", False)
    # Renamed in place: the current name is shown.
    assert get_region("120110") == Region("120110", "天津市东丽区", "天津市", True)
    assert get_region("110105") == Region("110105", "北京市朝阳区", "北京市", True)


def test_load_regions() -> None:
    regions = load_regions()
    assert isinstance(regions, list)
    assert len(regions) == len({r.code for r in regions})
    assert all(len(r.code) == 6 and r.code.isdigit() for r in regions)
    assert all("[" not in r.name and "]" not in r.name for r in regions)
    assert [r.code for r in regions] == sorted(r.code for r in regions)
    assert (
        len({r.province for r in regions}) == 34
    )  # provinces, municipalities, regions, HK, Macao, Taiwan
    # Each call returns a fresh list over the same cached table.
    regions.clear()
    assert len(load_regions()) > 3000


def test_the_warm_up_builds_the_tables_the_first_record_would_build():
    from dictionary import regions, standardizers
    from dictionary.warm_up import warm_up_dictionary

    for table in (regions._regions, regions._by_code, standardizers._t2s_converter):
        table.cache_clear()
    standardizers.to_simplified.cache_clear()  # values converted by earlier tests

    warm_up_dictionary()

    for table in (regions._regions, regions._by_code, standardizers._t2s_converter):
        assert table.cache_info().currsize == 1, table


def test_a_credit_code_is_checked_once_for_its_validator_and_its_region():
    from stdnum.cn import uscc

    from dictionary import identifiers, validators
    from dictionary.derivations import derive_from_uscc

    code = "91110108MA01ABCD2" + uscc.calc_check_digit("91110108MA01ABCD2")
    identifiers._uscc_error.cache_clear()

    assert validators.VALIDATORS["uscc"](code, {}) is None
    assert derive_from_uscc(code) == {"region_code": "110108"}
    # Separators and lower case are compacted first, as stdnum does.
    assert derive_from_uscc(code[:8].lower() + " " + code[8:].lower()) == {"region_code": "110108"}
    assert identifiers._uscc_error.cache_info().misses == 1
