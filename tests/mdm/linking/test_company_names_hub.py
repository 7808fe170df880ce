"""Company names as real systems hold them, through the API: short names (简称), English and
former names, steward-confirmed aliases, branches holding their head office's credit code.

The companies are real listed companies under their registered, short and English names.
"""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from matching.engine import decide_prepared, prepare
from matching.models import BlockKey, MatchCandidate
from matching.normalize import company_name_parts
from mdm.errors import ServiceError
from mdm.linking.batch.match import run_batch_match
from mdm.linking.batch.short_names import _one_company
from mdm.linking.rule_store import load_rule
from mdm.models import GoldenAlias, QualityIssue, SourceRecord
from mdm.privacy.crypto import matching_view
from mdm.quality.issues import reconcile_quality_issues
from mdm.records.aliases import add_alias, alias_key, known_names
from tests.support.matching import set_thresholds

pytestmark = pytest.mark.django_db

ORG = {"customer_type": "organization"}
HANS_LASER = "大族激光科技产业集团股份有限公司"
HANS_LASER_EN = "Han's Laser Technology Industry Group Co., Ltd."
SHENZHEN = "深圳市南山区深南大道9988号"


def cc(body: str) -> str:
    return body + uscc.calc_check_digit(body)


HANS_CC = cc("91440300279402017")


def put(system, local_code: str, payload: dict) -> dict:
    response = system.put("customers", local_code, ORG | payload)
    assert response.status_code in (200, 201), response.content
    return response.json()


def golden_of(local_code: str) -> str:
    return SourceRecord.objects.get(local_code=local_code).golden_code


def pending_pairs() -> set[tuple[str, str]]:
    return {
        tuple(sorted((c.left.local_code, c.right.local_code)))
        for c in MatchCandidate.objects.filter(status="pending").select_related("left", "right")
    }


def decide(steward, local_codes: tuple[str, str], decision: str):
    pair = tuple(sorted(local_codes))
    candidate = next(
        c
        for c in MatchCandidate.objects.select_related("left", "right")
        if tuple(sorted((c.left.local_code, c.right.local_code))) == pair
    )
    response = steward.post(
        f"/api/v1/candidates/{candidate.pk}/decision",
        {"decision": decision, "reason": "checked the registry"},
        format="json",
    )
    assert response.status_code == 200, response.content
    return candidate


# --------------------------------------------------------------------------- short names


def test_a_short_name_that_only_one_company_in_the_hub_can_bear_links(erp, crm):
    fubang = put(erp, "E1", {"name": "宁波富邦精业集团股份有限公司"})["golden_code"]
    hans = put(erp, "E2", {"name": HANS_LASER})["golden_code"]
    saixiang = put(erp, "E3", {"name": "天津赛象科技股份有限公司"})["golden_code"]

    short = put(crm, "C1", {"name": "宁波富邦"})
    brand = put(crm, "C2", {"name": "大族激光"})
    # The registered name body without its region: other cities hold it too.
    body = put(crm, "C3", {"name": "赛象科技"})

    assert (short["golden_code"], short["link"]) == (fubang, "auto")
    assert (brand["golden_code"], brand["link"]) == (hans, "auto")
    assert body["link"] == "review" and body["golden_code"] != saixiang
    assert pending_pairs() == {("C3", "E3")}
    record = SourceRecord.objects.get(local_code="C1")
    assert record.link_explanation[0]["note"] == (
        "hard rule: the only company in the hub this name can stand for"
    )


def test_a_name_approved_for_the_whole_country_links_without_its_legal_form(erp, crm):
    bank = put(erp, "E1", {"name": "交通银行股份有限公司"})["golden_code"]
    tianjin = put(erp, "E2", {"name": "天津赛象科技股份有限公司"})["golden_code"]

    short = put(crm, "C1", {"name": "交通银行"})
    # A registered name of its own, without region: another city's company of that body.
    other = put(crm, "C2", {"name": "赛象科技有限公司"})

    assert (short["golden_code"], short["link"]) == (bank, "auto")
    assert other["link"] == "review" and other["golden_code"] != tianjin


def test_a_short_name_two_companies_could_bear_is_queued(erp, crm):
    put(erp, "E1", {"name": "宁波富邦精业集团股份有限公司"})
    put(erp, "E2", {"name": "宁波富邦家具有限公司"})

    short = put(crm, "C1", {"name": "宁波富邦"})

    assert short["link"] == "review"
    assert pending_pairs() == {("C1", "E1"), ("C1", "E2")}


def test_a_short_name_two_companies_can_bear_is_queued_not_linked(erp, crm):
    put(erp, "E1", {"name": "北京华信科技有限公司", "phone": "010-62345678"})
    put(erp, "E2", {"name": "上海华信科技有限公司", "phone": "021-58123456"})

    short = put(crm, "C1", {"name": "华信科技"})

    assert short["link"] == "review"
    assert short["golden_code"] not in {golden_of("E1"), golden_of("E2")}
    assert ("C1", "E1") in pending_pairs() or ("C1", "E2") in pending_pairs()


def test_a_short_name_corroborated_by_the_phone_links(erp, crm):
    put(erp, "E1", {"name": "北京华信科技有限公司", "phone": "010-62345678"})
    shanghai = put(erp, "E2", {"name": "上海华信科技有限公司", "phone": "021-58123456"})

    short = put(crm, "C1", {"name": "华信科技", "phone": "021 5812 3456"})

    assert (short["golden_code"], short["link"]) == (shanghai["golden_code"], "auto")


def test_the_same_trade_name_in_another_city_and_a_homophone_are_not_merged(erp, crm):
    beijing = put(erp, "E1", {"name": "北京华信科技有限公司", "phone": "010-62345678"})

    shanghai = put(crm, "C1", {"name": "上海华信科技有限公司", "phone": "021-58123456"})
    homophone = put(crm, "C2", {"name": "北京华鑫科技有限公司"})

    assert shanghai["link"] == "new" and shanghai["golden_code"] != beijing["golden_code"]
    assert homophone["link"] == "review"
    assert homophone["golden_code"] != beijing["golden_code"]


def test_a_legal_name_finds_the_short_name_held_before_it(crm, erp):
    short = put(crm, "C1", {"name": "大族激光", "phone": "0755-86161340"})

    legal = put(erp, "E1", {"name": HANS_LASER, "phone": "0755 8616 1340"})

    assert (legal["golden_code"], legal["link"]) == (short["golden_code"], "auto")


def stored(system, local_code: str, name: str) -> None:
    """A record stored while linking is off: the batch match is what links it."""
    put(system, local_code, {"name": name})


@pytest.fixture
def no_linking():
    """Records are stored unlinked; the test switches linking back on for the batch match."""
    set_thresholds(auto=0.999999999999, review=0.999999999)


def test_the_batch_match_links_a_short_name_only_one_company_can_bear(erp, crm, no_linking):
    stored(erp, "E1", "沈阳蓝英工业自动化装备股份有限公司")
    stored(erp, "E2", "交通银行股份有限公司")
    stored(erp, "E3", "宁波富邦精业集团股份有限公司")
    stored(erp, "E4", "宁波富邦家具有限公司")
    stored(crm, "C1", "蓝英装备")
    stored(crm, "C2", "交通银行")
    stored(crm, "C3", "宁波富邦")

    set_thresholds(auto=0.99, review=0.5)
    run_batch_match(entity="customers")

    assert golden_of("C1") == golden_of("E1")
    assert golden_of("C2") == golden_of("E2")
    # Two 宁波富邦 companies: the short name stays a question for a steward.
    assert golden_of("C3") not in {golden_of("E3"), golden_of("E4")}
    assert {("C3", "E3"), ("C3", "E4")} <= pending_pairs()


def test_a_short_name_linked_by_the_batch_keeps_the_score_its_fields_give(erp, crm, no_linking):
    # The fields put the pair far below review (another city's address, a phone on one side
    # only), so the batch stops comparing it early; the short-name rule links it, and the
    # merge keeps the score the whole comparison gives, not the early stop's 0.
    legal = {"name": "大族激光科技产业集团股份有限公司", "phone": "010-62345678"}
    put(erp, "E1", legal | {"address": "北京市海淀区中关村大街27号"})
    put(crm, "C1", {"name": "大族激光", "address": "深圳市南山区深南大道9988号"})

    set_thresholds(auto=0.99, review=0.5)
    run_batch_match(entity="customers")

    assert golden_of("C1") == golden_of("E1")
    rule = load_rule("customers")
    records = {r.local_code: r for r in SourceRecord.objects.all()}
    features = [
        prepare("customers", matching_view(r.attributes, r.blind_index), r.flagged)
        for r in (records["E1"], records["C1"])
    ]
    decision, score, _veto = decide_prepared(rule, *features)
    assert decision == "new" and 0.0 < score < 0.5
    moved = next(r for r in records.values() if r.link_kind == "auto")
    assert moved.link_score == pytest.approx(score, abs=1e-5)


# --------------------------------------------------------------------------- English names


def test_an_english_name_held_by_one_system_meets_the_name_in_another(erp, shop):
    put(erp, "E1", {"name": HANS_LASER, "english_name": HANS_LASER_EN})

    alone = put(shop, "S1", {"name": "Han's Laser Technology Industry Group Co Ltd"})

    assert alone["link"] == "review"
    assert pending_pairs() == {("E1", "S1")}
    explanation = MatchCandidate.objects.get().explanation
    name = next(e for e in explanation if e["field"] == "company_name")
    assert (name["note"], name["similarity"]) == ("same core name", 1.0)


def test_an_english_name_with_the_same_phone_links(erp, shop):
    erp_golden = put(
        erp, "E1", {"name": HANS_LASER, "english_name": HANS_LASER_EN, "phone": "0755-86161340"}
    )

    shop_record = put(shop, "S1", {"name": HANS_LASER_EN, "phone": "+86 755 8616 1340"})

    assert (shop_record["golden_code"], shop_record["link"]) == (erp_golden["golden_code"], "auto")


def test_a_transliterated_english_name_needs_corroboration(erp, shop):
    put(erp, "E1", {"name": HANS_LASER, "phone": "0755-86161340"})

    # Shenzhen is in the English name only: a transliterated name alone is not queued.
    alone = put(shop, "S1", {"name": "Shenzhen Dazu Laser Technology Co., Ltd."})
    phone = put(
        shop, "S2", {"name": "Shenzhen Dazu Laser Technology Co., Ltd.", "phone": "0755 8616 1340"}
    )

    assert alone["link"] == "new"
    assert (phone["golden_code"], phone["link"]) == (golden_of("E1"), "auto")


def test_the_batch_match_queues_an_english_name_for_its_one_trade_name(erp, shop, no_linking):
    stored(erp, "E1", "广州市浩云安防科技股份有限公司")
    stored(erp, "E2", "北京华联综合超市股份有限公司")
    stored(erp, "E3", "北京华联商厦股份有限公司")
    stored(shop, "S1", "Haoyun Technologies Co.,Ltd.")
    # 华联 names two companies of one city; the transliteration alone does not say which,
    # its translated words do (Department Store is 商厦, not 综合超市).
    stored(shop, "S2", "Hualian Department Store Co., Ltd")
    stored(shop, "S3", "Hualian Co., Ltd")

    set_thresholds(auto=0.99, review=0.5)
    run_batch_match(entity="customers")

    pending = pending_pairs()
    assert ("E1", "S1") in pending and golden_of("S1") != golden_of("E1")
    assert {pair for pair in pending if "S2" in pair} == {("E3", "S2")}
    assert not {pair for pair in pending if "S3" in pair}


def test_the_batch_match_queues_an_english_name_that_explains_one_company(erp, shop, no_linking):
    stored(erp, "E1", "鲁泰纺织股份有限公司")
    stored(erp, "E2", "上海新阳半导体材料股份有限公司")
    stored(shop, "S1", "Lu Thai Textile Co., Ltd.")  # another romanization: 鲁泰 is lutai
    stored(shop, "S2", "Sinyang Semiconductor Materials Co., Ltd.")

    set_thresholds(auto=0.99, review=0.5)
    run_batch_match(entity="customers")

    pending = pending_pairs()
    assert pending == {("E1", "S1"), ("E2", "S2")}
    # Evidence for a steward, not a merge: the English names stay in their own golden records.
    assert golden_of("S1") != golden_of("E1") and golden_of("S2") != golden_of("E2")


def test_the_batch_match_queues_a_former_short_name_that_abbreviates_one_company(
    erp, crm, no_linking
):
    stored(erp, "E1", "江西铜业股份有限公司")
    stored(erp, "E2", "创元科技股份有限公司")
    stored(erp, "E3", "北京华联综合超市股份有限公司")
    stored(erp, "E4", "北京华联商厦股份有限公司")
    stored(crm, "C1", "江铜")  # region initial + core initial, the old stock short name
    stored(crm, "C2", "创元")
    stored(crm, "C3", "华联")  # two companies start so: not proposed

    set_thresholds(auto=0.99, review=0.5)
    run_batch_match(entity="customers")

    pending = pending_pairs()
    assert {("C1", "E1"), ("C2", "E2")} <= pending
    assert not {pair for pair in pending if "C3" in pair}
    assert golden_of("C1") != golden_of("E1")


def test_the_batch_match_queues_the_initials_of_one_company(erp, crm, no_linking):
    stored(erp, "E1", "长江电力股份有限公司")
    stored(erp, "E2", "招商银行股份有限公司")
    stored(erp, "E3", "长城电工股份有限公司")
    stored(erp, "E4", "长春电子科技有限公司")
    stored(crm, "C1", "招行")  # 招商 + 银行's last character: one company fits
    stored(crm, "C2", "长电")  # 长江电力, 长城电工 and 长春电子 all fit: not proposed

    set_thresholds(auto=0.99, review=0.5)
    run_batch_match(entity="customers")

    pending = pending_pairs()
    assert ("C1", "E2") in pending
    assert not {pair for pair in pending if "C2" in pair}
    assert golden_of("C1") != golden_of("E2")


def test_a_short_name_that_starts_the_only_legal_name_counts_as_its_company(
    erp, crm, shop, no_linking
):
    # 正虹科技 is the start of 湖南正虹科技发展's core, trade word and all: not a short name that
    # may stand for the company alone, but with no other registered 正虹 it is the same
    # company's name, so the old short name 正虹 abbreviates one company.
    stored(erp, "E1", "湖南正虹科技发展股份有限公司")
    stored(crm, "C1", "正虹科技")
    stored(shop, "S1", "正虹")

    set_thresholds(auto=0.99, review=0.5)
    run_batch_match(entity="customers")

    assert ("C1", "S1") in pending_pairs()
    assert golden_of("C1") != golden_of("S1")


@pytest.mark.parametrize(
    ("legal", "other", "one"),
    [
        ("湖南正虹科技发展股份有限公司", "正虹科技", True),  # a start, trade word and all
        ("湖南正虹科技发展股份有限公司", "正虹", True),  # the whole trade name
        ("湖南正虹科技发展股份有限公司", "岳阳正虹科技", True),  # in the name's province
        ("北京华信科技有限公司", "华信科技", True),  # the body of a name with a region
        ("湖南正虹科技发展股份有限公司", "广州正虹科技", False),  # in another province
        ("湖南正虹科技发展股份有限公司", "正虹科技分公司", False),  # a branch: a place of its own
        ("深圳市天源迪科信息技术股份有限公司", "天源", False),  # a part of the trade name
        ("深圳市天源迪科信息技术股份有限公司", "天源迪", False),
    ],
)
def test_which_starts_of_the_only_legal_name_count_as_its_company(legal, other, one):
    names = [company_name_parts(legal), company_name_parts(other)]
    assert _one_company(names) is one
    # Two registered names under the key are two companies, whatever the start.
    assert not _one_company([*names, company_name_parts("广州正虹华信科技有限公司")])


def test_a_short_name_with_two_registered_companies_under_it_is_not_proposed(
    erp, crm, shop, no_linking
):
    stored(erp, "E1", "湖南正虹科技发展股份有限公司")
    stored(erp, "E2", "广州正虹科技有限公司")
    stored(crm, "C1", "正虹科技")
    stored(shop, "S1", "正虹")

    set_thresholds(auto=0.99, review=0.5)
    run_batch_match(entity="customers")

    assert not {pair for pair in pending_pairs() if "S1" in pair}


# --------------------------------------------------------------------------- former names


def test_a_record_under_the_former_name_finds_the_renamed_company(erp, crm):
    renamed = put(
        erp,
        "E1",
        {"name": "招商局蛇口工业区控股股份有限公司", "former_name": "招商局地产控股股份有限公司"},
    )

    old = put(crm, "C1", {"name": "招商局地产控股股份有限公司"})

    assert old["link"] == "review" and old["golden_code"] != renamed["golden_code"]
    assert pending_pairs() == {("C1", "E1")}
    name = next(e for e in MatchCandidate.objects.get().explanation if e["field"] == "company_name")
    assert (name["note"], name["similarity"]) == ("same core name", 1.0)


def test_a_record_under_the_former_name_with_the_same_phone_links(erp, crm):
    renamed = put(
        erp,
        "E1",
        {
            "name": "招商局蛇口工业区控股股份有限公司",
            "former_name": "招商局地产控股股份有限公司",
            "phone": "0755-26819600",
        },
    )

    old = put(crm, "C1", {"name": "招商局地产控股股份有限公司", "phone": "0755 2681 9600"})

    assert (old["golden_code"], old["link"]) == (renamed["golden_code"], "auto")


def test_a_former_name_noted_in_brackets_is_read_as_the_former_name(erp, crm):
    # A CRM keeps a renamed company with a note of its old name; the ERP still has the old one.
    old = put(erp, "E1", {"name": "招商局地产控股股份有限公司"})

    renamed = put(
        crm, "C1", {"name": "招商局蛇口工业区控股股份有限公司(原招商局地产控股股份有限公司)"}
    )

    # As a record with that former name of its own (see the test above): review, same core.
    assert renamed["link"] == "review" and renamed["golden_code"] != old["golden_code"]
    assert pending_pairs() == {("C1", "E1")}
    name = next(e for e in MatchCandidate.objects.get().explanation if e["field"] == "company_name")
    assert (name["note"], name["similarity"]) == ("same core name", 1.0)
    # The note is no part of the stored value: the record keeps what the CRM sent.
    record = SourceRecord.objects.get(local_code="C1")
    assert "原招商局地产" in record.attributes["name"]


def test_an_english_name_written_after_the_chinese_one_meets_an_english_record(erp, shop):
    # The ERP writes both names into one field; the shop holds the English name only.
    both = put(erp, "E1", {"name": f"{HANS_LASER} {HANS_LASER_EN}", "phone": "0755-86161888"})

    english = put(shop, "S1", {"name": HANS_LASER_EN, "phone": "+86 755 8616 1888"})

    assert (english["golden_code"], english["link"]) == (both["golden_code"], "auto")


def test_a_record_an_erp_marked_obsolete_in_its_name_meets_its_company(erp, crm):
    live = put(erp, "E1", {"name": "北京华信科技有限公司", "phone": "010-62345678"})

    for code, name in (("C1", "北京华信科技有限公司(停用)"), ("C2", "作废-北京华信科技有限公司")):
        marked = put(crm, code, {"name": name, "phone": "010 6234 5678"})
        assert (marked["golden_code"], marked["link"]) == (live["golden_code"], "auto")


def test_a_steward_alias_links_a_name_no_record_holds(erp, shop, steward):
    vanke = put(erp, "E1", {"name": "万科企业股份有限公司"})["golden_code"]
    alias = add_alias(
        entity="customers",
        golden_code=vanke,
        name="China Vanke Co., Ltd.",
        actor=steward.user,
        reason="annual report",
    )

    english = put(shop, "S1", {"name": "CHINA VANKE CO LTD"})

    assert (alias.origin, alias.key) == ("steward", alias_key("China Vanke"))
    assert (english["golden_code"], english["link"]) == (vanke, "auto")
    assert SourceRecord.objects.get(local_code="S1").link_explanation[0]["note"] == (
        "hard rule: a name the golden record is known by (steward-confirmed alias)"
    )
    assert known_names("customers", vanke) == [
        ("China Vanke Co., Ltd.", "steward"),
        ("万科企业股份有限公司", "source"),
    ]


# --------------------------------------------------------------------------- the hub learns


def test_an_accepted_pair_makes_the_next_variant_link_automatically(erp, shop, crm, steward):
    legal = put(erp, "E1", {"name": HANS_LASER, "address": SHENZHEN})["golden_code"]
    first = put(shop, "S1", {"name": HANS_LASER_EN, "address": SHENZHEN})
    assert first["link"] == "review"  # a translated name and an address: for a steward

    decide(steward, ("E1", "S1"), "accept")
    again = put(crm, "C1", {"name": "HAN'S LASER TECHNOLOGY INDUSTRY GROUP CO., LTD"})

    assert golden_of("S1") == legal
    assert (again["golden_code"], again["link"]) == (legal, "auto")
    assert sorted(GoldenAlias.objects.values_list("name", "origin")) == [
        (HANS_LASER_EN, "learned"),
        (HANS_LASER, "learned"),
    ]
    assert pending_pairs() == set()


def test_a_learned_alias_does_not_override_a_different_credit_code(erp, shop, steward):
    put(erp, "E1", {"name": HANS_LASER, "address": SHENZHEN, "credit_code": HANS_CC})
    put(shop, "S1", {"name": HANS_LASER_EN, "address": SHENZHEN})
    decide(steward, ("E1", "S1"), "accept")

    other = put(shop, "S2", {"name": HANS_LASER_EN, "credit_code": cc("91110000100000000")})

    assert other["link"] != "auto"
    assert other["golden_code"] != golden_of("E1")


def test_a_rejected_pair_is_never_proposed_again(erp, crm, steward):
    put(erp, "E1", {"name": "北京华信科技有限公司", "phone": "010-62345678"})
    put(erp, "E2", {"name": "上海华信科技有限公司", "phone": "021-58123456"})
    put(crm, "C1", {"name": "华信科技"})
    pairs = pending_pairs()
    assert pairs == {("C1", "E1"), ("C1", "E2")}
    for pair in pairs:
        decide(steward, pair, "reject")

    put(crm, "C1", {"name": "华信科技", "contact_name": "李四"})
    run_batch_match(entity="customers")
    run_batch_match(entity="customers")

    assert pending_pairs() == set()
    assert sorted(MatchCandidate.objects.values_list("status", flat=True)) == ["rejected"] * 2
    assert len({golden_of("C1"), golden_of("E1"), golden_of("E2")}) == 3


# --------------------------------------------------------------------------- branches


GREE_CC = cc("91440400192548256")


def test_a_branch_holding_its_head_office_code_is_flagged_and_not_merged(erp, crm, shop):
    head = put(erp, "E1", {"name": "珠海格力电器股份有限公司", "credit_code": GREE_CC})
    branch = put(
        crm,
        "C1",
        {
            "name": "珠海格力电器股份有限公司上海分公司",
            "credit_code": GREE_CC,
            "phone": "021-64321234",
        },
    )
    # The same branch in the shop, under its own credit code: linked on its other evidence,
    # not kept apart by the head office's code in the CRM.
    same_branch = put(
        shop,
        "S1",
        {
            "name": "格力电器上海分公司",
            "credit_code": cc("91310000MA1FL0001"),
            "phone": "021 6432 1234",
        },
    )
    reconcile_quality_issues()

    assert branch["golden_code"] != head["golden_code"]
    assert [w["code"] for w in branch["warnings"]] == ["branch_hq_code"]
    assert SourceRecord.objects.get(local_code="C1").flagged == ["credit_code"]
    assert (same_branch["golden_code"], same_branch["link"]) == (branch["golden_code"], "auto")
    assert list(
        QualityIssue.objects.filter(kind="branch_hq_code").values_list(
            "element", "system__code", "value"
        )
    ) == [("credit_code", "CRM", GREE_CC)]
    assert not QualityIssue.objects.filter(kind="invalid", element="credit_code").exists()


def test_a_branch_with_its_own_code_keeps_it(erp, crm):
    put(erp, "E1", {"name": "珠海格力电器股份有限公司", "credit_code": GREE_CC})

    branch = put(
        crm,
        "C1",
        {"name": "珠海格力电器股份有限公司上海分公司", "credit_code": cc("91310000MA1FL0001")},
    )

    assert branch["warnings"] == []
    assert SourceRecord.objects.get(local_code="C1").flagged == []


def test_a_branch_update_keeps_its_head_office_code_flagged(erp, crm):
    put(erp, "E1", {"name": "珠海格力电器股份有限公司", "credit_code": GREE_CC})
    branch = {"name": "珠海格力电器股份有限公司上海分公司", "credit_code": GREE_CC}
    first = put(crm, "C1", branch)

    again = put(crm, "C1", branch | {"contact_name": "王五"})

    assert again["golden_code"] == first["golden_code"]
    assert [w["code"] for w in again["warnings"]] == ["branch_hq_code"]
    assert SourceRecord.objects.get(local_code="C1").flagged == ["credit_code"]
    assert not BlockKey.objects.filter(key="cc:" + GREE_CC, record__local_code="C1").exists()


def test_an_alias_of_a_merged_golden_record_leads_to_the_survivor(erp, crm, shop, steward):
    survivor = put(erp, "E1", {"name": "万科企业股份有限公司", "phone": "0755-25606666"})
    other = put(crm, "C1", {"name": "万科地产", "email": "ir@vanke.com"})["golden_code"]
    add_alias(
        entity="customers",
        golden_code=other,
        name="China Vanke Co., Ltd.",
        actor=steward.user,
        reason="annual report",
    )
    merged = steward.post(
        f"/api/v1/golden/customers/{survivor['golden_code']}/merge",
        {"other": other, "reason": "same company"},
        format="json",
    )

    english = put(shop, "S1", {"name": "China Vanke Co Ltd"})

    assert merged.status_code == 200
    assert (english["golden_code"], english["link"]) == (survivor["golden_code"], "auto")


def test_an_alias_needs_an_active_golden_record_and_a_reason(erp, steward):
    code = put(erp, "E1", {"name": "万科企业股份有限公司"})["golden_code"]

    with pytest.raises(ServiceError) as no_reason:
        add_alias(entity="customers", golden_code=code, name="Vanke", actor=None, reason=" ")
    with pytest.raises(ServiceError) as unknown:
        add_alias(entity="customers", golden_code="CU404", name="Vanke", actor=None, reason="x")

    assert (no_reason.value.code, unknown.value.code) == ("reason_required", "not_active")
    assert not GoldenAlias.objects.exists()
