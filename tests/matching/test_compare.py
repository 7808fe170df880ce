"""Comparators: similarity in [0, 1], None when a side is missing (pure)."""

from __future__ import annotations

import pytest

from matching.compare import (
    COMPARATORS,
    compare_address,
    compare_birth_date,
    compare_company_name,
    compare_company_pinyin,
    compare_division,
    compare_email,
    compare_email_domain,
    compare_identifier,
    compare_person_name,
    compare_phone,
    compare_postal_code,
    compare_region,
    compare_spec,
    compare_text,
)
from matching.normalize import company_mail_domain

ALL = [
    compare_email_domain,
    compare_address,
    compare_birth_date,
    compare_company_name,
    compare_company_pinyin,
    compare_division,
    compare_email,
    compare_identifier,
    compare_person_name,
    compare_phone,
    compare_postal_code,
    compare_region,
    compare_spec,
    compare_text,
]


@pytest.mark.parametrize("compare", ALL)
def test_missing_side_is_no_evidence(compare):
    assert compare(None, "x") is None
    assert compare("", "x") is None
    assert compare("x", None) is None


def test_company_names_across_forms_and_scripts():
    assert compare_company_name("北京华信科技有限公司", "华信科技(北京)有限公司") == 1.0
    assert compare_company_name("北京华信科技有限公司", "华鑫科技有限公司") == 0.96
    assert (
        compare_company_name("北京华信科技有限公司", "Beijing Huaxin Technology Co., Ltd.") == 0.98
    )
    assert compare_company_name("华信科技", "华信电子") == 0.4  # another trade: another company
    assert compare_company_name("华信", "华信科技有限公司") == 0.87  # a two-character short name
    assert compare_company_name("华信科技", "达禾环保") == 0.0


def test_company_pinyin_agrees_for_homophones():
    assert compare_company_pinyin("华信科技", "华鑫科技") == 1.0


def test_region_agreement():
    assert compare_region("北京华信科技有限公司", "华信科技(北京)有限公司") == 1.0
    assert compare_region("广州华信科技有限公司", "北京华信科技有限公司") == 0.0
    assert compare_region("广东华信科技有限公司", "深圳华信科技有限公司") == 0.8
    assert compare_region("华信科技有限公司", "北京华信科技有限公司") is None


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("mitchell green", "mitchell green", 1.0),
        ("mitchell green", "green mitchell", 0.97),
        ("sienna richmond", "campbell richmond", 0.6),  # only the surname agrees
        # Only the given name agrees, though each part half resembles the other's other part
        # (jaden ~ mccarthy, jessup ~ jaden): Febrl4, one person under another surname.
        ("jaden jessup", "jaden mccarthy", 0.6),
        ("冯亭颖", "冯婷颖", 0.95),  # homophone typo
        ("王伟", "Wang Wei", 0.9),
        ("王伟", "wei wang", 0.9),
        ("王小红", "王小明", 0.8),
        ("张伟", "张强", 0.6),
        ("张伟", "李娜", 0.3),
    ],
)
def test_person_names(a, b, expected):
    assert compare_person_name(a, b) == pytest.approx(expected)


def test_person_name_typo_and_missing_token():
    assert compare_person_name("mitchell green", "mitchel green") > 0.95
    assert 0.85 < compare_person_name("thomas mcgregor", "mcgregor") < 0.95


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1956-02-08", "1956-02-08", 1.0),
        ("1956-02-08", "19560208", 1.0),
        ("1963/10/9", "1963-10-09", 1.0),
        ("1956-02-08", "1956-08-02", 0.9),  # day and month transposed
        ("1956-02-08", "1956-02-09", 0.8),  # one digit off
        ("1956-02-08", "1956-03-09", 0.5),  # two digits off, same year
        ("2008-04-07", "1959-04-07", 0.6),  # the same day of another year (RLdata500)
        ("1939-06-16", "1943-06-16", 0.6),
        ("1957-06-16", "1967-06-16", 0.8),  # the year one digit off: the closer level
        ("1959-01-01", "2008-01-01", 0.0),  # 1 January: written when only the year is known
        ("1956-02-08", "1975-11-30", 0.0),
        ("1995-02-01", "1992-02-29", 0.0),  # year and day both off
    ],
)
def test_birth_dates(a, b, expected):
    assert compare_birth_date(a, b) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Holger Koch", "Holger Kocn", 0.95),  # one letter wrong in the surname
        ("Smith John", "John Smith", 0.97),  # family name first in one system
        ("Zhang San", "Zhangsan", 0.95),  # pinyin written together
        ("张三", "San Zhang", 0.9),  # Chinese and pinyin, given name first
        ("张三丰", "Zhang Sanfeng", 0.9),
        ("张三丰", "San Feng Zhang", 0.9),  # given name in two words, surname last
        ("王伟", "Wang Wie", 0.8),  # the pinyin form one typo off
    ],
)
def test_person_name_swaps_and_typos(a, b, expected):
    assert compare_person_name(a, b) == pytest.approx(expected)


def test_a_typo_in_a_name_is_at_least_the_typo_level():
    assert compare_person_name("Andreas Meier", "Andyreas Meier") >= 0.95  # a letter too many
    assert 0.9 <= compare_person_name("Koch Holger", "Holger Kocn") < 0.95  # swapped, one typo
    # Short tokens: Li / Lu are two names, not a typo (below the 0.88 "close" level).
    assert compare_person_name("Jo Li", "Jo Lu") < 0.88


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1967-09-27", "1967-09-28", 0.8),  # day one digit off
        ("1967-09-27", "1957-09-27", 0.8),  # year one digit off
        ("1987-09-27", "1978-09-27", 0.8),  # two adjacent digits swapped
        ("1967-09-12", "1967-12-09", 0.9),  # day and month swapped
    ],
)
def test_birth_date_near_agreements(a, b, expected):
    assert compare_birth_date(a, b) == expected


def test_a_flagged_birth_date_agrees_only_partly_by_its_digits():
    # Month 13 is a typo of month 03: the digits agree but for one.
    assert compare_birth_date("1967-13-27", "1967-03-27", a_flagged=True) == 0.8
    # The same impossible date on both sides is no exact agreement.
    assert compare_birth_date("1967-13-27", "1967-13-27", a_flagged=True, b_flagged=True) == 0.8
    assert compare_birth_date("1028-05-01", "1975-11-30", a_flagged=True) == 0.0


def test_phones():
    assert compare_phone("+8613812345678", "013812345678") == 1.0
    assert compare_phone("+861058123456", "58123456") == 0.9  # without the area code
    assert compare_phone("+861058123456", "+862158123456") == 0.0  # another city's line
    assert compare_phone("+8613812345678", "+8613812345687") == 0.7  # swapped digits
    assert compare_phone("+8613812345678", "+8613812345679") == 0.7
    assert compare_phone("+8613812345678", "+8613999999999") == 0.0


def test_a_phone_field_holding_several_numbers_agrees_as_its_best_number():
    # The dictionary cannot read a list and flags it; the comparator reads each number.
    for listed in (
        "010-62345678;13912345678",
        "13912345678/010-62345678",
        "010-62345678，1391234567",
    ):
        assert compare_phone("+861062345678", listed, b_flagged=True) == 1.0
    assert compare_phone("+8613912345678", "010-62345678;13912345678", b_flagged=True) == 1.0
    assert compare_phone("+862187654321", "010-62345678;13912345678", b_flagged=True) == 0.0
    # The same number twice.
    assert compare_phone("+8613912345678", "13912345678/13912345678", b_flagged=True) == 1.0
    # An area code set off by a slash is one number, not a list.
    assert compare_phone("+861062345678", "010/62345678", b_flagged=True) == 1.0


def test_emails():
    assert compare_email("Wang.Wei@Huaxin.com", "wang.wei@huaxin.com") == 1.0
    assert compare_email("Sales@Huaxin.com", "sales@huaxin.com") == 0.85  # a role mailbox
    assert compare_email("taopinghui@163.com", "taopinghui@qq.com") == 0.7
    assert compare_email("office@ruifeng.cn", "office@ruifenghome.com") < 0.5
    assert compare_email("a@huaxin.com", "zzzzzz@other.org") < 0.5


def test_an_organizations_own_mail_domain_is_evidence_a_providers_is_not():
    assert company_mail_domain("Li.Ming@HuaXin.com.cn") == "huaxin.com.cn"
    assert company_mail_domain("taopinghui@163.com") == ""
    assert company_mail_domain("boss@vip.163.com") == ""  # a provider's paid mailboxes
    assert company_mail_domain("someone@Gmail.com") == ""
    assert company_mail_domain("not an address") == ""
    # finance@ and a clerk's mailbox at one company's domain
    assert compare_email_domain("finance@huaxin.com.cn", "li.ming@huaxin.com.cn") == 1.0
    assert compare_email_domain("finance@huaxin.com.cn", "finance@huaxin-tech.cn") == 0.0
    # one address: the e-mail field weighs it, not this one; a provider's: no evidence
    assert compare_email_domain("li.ming@huaxin.com.cn", "LI.MING@huaxin.com.cn") is None
    assert compare_email_domain("123456@qq.com", "654321@qq.com") is None


def test_identifiers():
    assert compare_identifier("91110108MA01ABCD1X", "91110108 ma01abcd1x") == 1.0
    assert compare_identifier("91110108MA01ABCD1X", "91110108MA01ABCE1X") == 0.8
    assert compare_identifier("91110108MA01ABCD1X", "91440101MA59XYZW2K") == 0.0


def test_postal_codes():
    assert compare_postal_code("4350", "4350") == 1.0
    assert compare_postal_code("4350", "4305") == 0.8  # adjacent digits swapped
    assert compare_postal_code("100080", "100086") == 0.8
    assert compare_postal_code("100080", "100011") == 0.5  # same district prefix
    assert compare_postal_code("100080", "510000") == 0.0


def test_addresses():
    assert compare_address("北京市海淀区中关村大街27号", "北京市海淀区中关村大街27号") == 1.0
    assert compare_address("8 stanley street miami", "8 stanleystreet miami") > 0.95
    assert compare_address("6 lhotsky street nunkeri", "6 nunkeri lhotsky street") == 1.0
    assert compare_address("8 stanley street miami", "51 totterdell street dalby") < 0.6


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("深圳市南山区科技园路1号", "深圳市南山区科技园路11号"),
        ("北京市海淀区中关村大街27号", "北京市海淀区中关村大街72号"),
        ("北京市海淀区中关村大街27号院3号楼", "北京市海淀区中关村大街28号"),
    ],
)
def test_two_numbers_on_one_road_are_two_buildings(left, right):
    # One character in a dozen: by its text "nearly the same"; by its number another building.
    assert compare_address(left, right) <= 0.6


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("北京市海淀区中关村大街1号", "北京海淀中关村大街一号"),  # Chinese numerals
        ("北京市海淀区中关村大街27号", "北京市海淀区中关村大街二十七号院三号楼"),
        ("北京市海淀区中关村大街1号院2号楼301室", "北京市海淀区中关村大街1号"),  # a unit in it
    ],
)
def test_one_number_on_one_road_is_one_building(left, right):
    assert compare_address(left, right) >= 0.8


ADDRESSES = (
    "北京市海淀区中关村大街27号",
    "北京海淀中关村大街27号院",
    "上海市浦东新区张江路88号3楼",
    "浦东新区张江路88号",
    "8 stanley street miami",
    "8 stanleystreet miami",
    "6 lhotsky street nunkeri",
    "6 nunkeri lhotsky street",
    "51 totterdell street dalby",
    "unit 4 51 totterdell st dalby",
    "winston hills",
    "dalby",
)


@pytest.mark.parametrize("left", ADDRESSES)
def test_address_similarity_is_the_best_of_its_three_measures(left):
    """The comparator builds its strings once per record and lets each measure stop below the
    best so far; the similarity stays the best of token-sort, 0.95 x token-set and the ratio
    without spaces, as the levels were fitted on."""
    from rapidfuzz import fuzz

    from matching.normalize import address_tokens, normalize_address

    for right in ADDRESSES:
        a, b = address_tokens(left), address_tokens(right)
        if normalize_address(left) == normalize_address(right):
            expected = 1.0
        elif len(a) > 1 and len(b) > 1:
            x, y = " ".join(a), " ".join(b)
            expected = (
                max(
                    fuzz.token_sort_ratio(x, y),
                    0.95 * fuzz.token_set_ratio(x, y),
                    fuzz.ratio(x.replace(" ", ""), y.replace(" ", "")),
                )
                / 100.0
            )
        else:
            expected = fuzz.ratio(normalize_address(left), normalize_address(right)) / 100.0
        assert compare_address(left, right) == expected, (left, right)


def test_divisions():
    assert compare_division("110108", "110108") == 1.0
    assert compare_division("320200", "320214") == 0.8
    assert compare_division("320200", "320500") == 0.5
    assert compare_division("320200", "440300") == 0.0


def test_specifications_need_the_same_numbers():
    assert compare_spec("M8x20", "M8×20") == 1.0
    assert compare_spec("M8x20", "M10x20") == 0.0
    assert compare_spec("SPCC 0.8*1000*2000", "spcc 0.8x1000x2000 mm") >= 0.8


def test_every_comparator_has_a_preparer():
    for name, comparator in COMPARATORS.items():
        assert comparator.name == name
        assert callable(comparator.prepare) and callable(comparator.compare)


def test_a_mail_domain_is_read_as_registered():
    assert company_mail_domain("a@mail.huaxin.com.cn") == "huaxin.com.cn"
    assert company_mail_domain("b@HUAXIN.com.cn.") == "huaxin.com.cn"
    assert company_mail_domain("c＠huaxin.com") == "huaxin.com"  # a full-width at sign
    assert company_mail_domain("d@qq.con") == ""  # a provider mistyped
    assert company_mail_domain("e@sina.com.cn") == ""
    assert company_mail_domain("f@example.com") == ""  # a placeholder
    assert compare_email_domain("a@mail.huaxin.com.cn", "b@huaxin.com.cn") == 1.0
