"""A review queue a steward can trust: scores after the hard rules, the most likely first,
hard rules stated, what tells goods apart shown, the queue exported as CSV."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from stdnum.cn import uscc

from matching.models import MatchCandidate
from mdm.linking.batch.match import run_batch_match
from mdm.models import SourceRecord

pytestmark = pytest.mark.django_db

QUEUE = "/admin/matching/matchcandidate/"
HOME = "上海市宝山区延安路411号世纪花城26栋2单元2101室"


def twin(name: str) -> dict[str, str]:
    return {
        "name": name,
        "customer_type": "person",
        "birth_date": "1965-04-02",
        "address": HOME,
        "phone": "13812345678",
    }


def pair_of(left: str, right: str) -> MatchCandidate:
    ids = sorted(
        SourceRecord.objects.filter(local_code__in=[left, right]).values_list("pk", flat=True)
    )
    return MatchCandidate.objects.get(left_id=ids[0], right_id=ids[1])


@pytest.fixture
def queue(erp, crm):
    """Twins (capped by the Chinese-name rule) and a company under its short name."""
    crm.put("customers", "SH-C-00018", twin("金秀敏"))
    crm.put("customers", "SH-C-00022", twin("金浩国"))
    erp.put(
        "customers",
        "SD01-000123",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    crm.put("customers", "BJ-B-00042", {"name": "华信科技", "customer_type": "org"})
    return pair_of("SH-C-00018", "SH-C-00022"), pair_of("SD01-000123", "BJ-B-00042")


def test_twins_are_not_high_but_last_with_the_hard_rule_stated(steward_browser, queue):
    twins, company = queue

    page = steward_browser.get(QUEUE).content.decode()

    assert twins.score == 0.5 < company.score
    assert page.index("SD01-000123") < page.index("SH-C-00018")
    twins_row = page[page.index(f"{twins.pk}/compare/") - 200 :]
    assert 'class="mdm-score mdm-score-capped"' in twins_row[:400]
    assert "硬性规则：仅人工审核" in page
    assert page.count('class="mdm-score mdm-score-high"') == 1  # the company only


def test_twins_with_phones_of_their_own_are_not_queued_as_duplicates(crm):
    crm.put("customers", "SH-C-00031", twin("邓丽君") | {"phone": "13512345425"})
    crm.put("customers", "SH-C-00035", twin("邓军") | {"phone": "15687655532"})

    run_batch_match(entity="customers")

    records = SourceRecord.objects.filter(local_code__in=["SH-C-00031", "SH-C-00035"])
    assert MatchCandidate.objects.filter(entity="customers").count() == 0
    assert len({r.golden_code for r in records}) == 2
    assert {r.link_kind for r in records} == {"new"}


def test_the_api_lists_the_queue_in_the_same_order(steward, queue):
    twins, company = queue

    results = steward.get("/api/v1/candidates/?entity=customers").json()["results"]

    assert [r["id"] for r in results] == [company.pk, twins.pk]


def test_a_pending_pair_queued_with_an_old_score_is_rescored_by_the_batch_match(queue):
    twins, company = queue
    MatchCandidate.objects.filter(pk=twins.pk).update(score=0.99999)  # as an old release stored it

    report = run_batch_match(entity="customers")

    twins.refresh_from_db()
    assert report.rescored == 1
    assert twins.score == 0.5
    assert twins.history.first().history_change_reason == "rescored by the batch match"


def cc(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def test_a_pending_pair_a_hard_rule_now_vetoes_stays_at_zero_with_the_veto_stated(
    steward_browser, erp, crm
):
    company = {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"}
    erp.put("customers", "A-1", company | {"credit_code": cc("91110108MA01A2B3C")})
    crm.put("customers", "B-1", company | {"credit_code": cc("91110108MA01A2B3D")})
    left, right = sorted(SourceRecord.objects.values_list("pk", flat=True))
    stale = MatchCandidate.objects.create(
        entity="customers", left_id=left, right_id=right, score=0.97, explanation=[]
    )

    run_batch_match(entity="customers")
    page = steward_browser.get(QUEUE).content.decode()

    stale.refresh_from_db()
    assert (stale.score, stale.status) == (0.0, "pending")
    assert stale.explanation[0]["note"] == "veto: different_credit_code"
    assert "mdm-score-veto" in page and "硬性规则否决" in page


PRODUCT = {"name": "清泉绿茶饮料500ml*15瓶", "brand": "清泉", "category": "食品饮料", "uom": "CT"}


def test_the_comparison_shows_what_tells_goods_apart_and_highlights_the_difference(
    steward_browser, erp, shop
):
    erp.put("products", "PD04-000504", PRODUCT | {"model": "QQ-7001"})
    shop.put("products", "WEB01406092", PRODUCT | {"model": "QQ8302", "gtin": "6929619021692"})
    # Two model numbers are two items: the match vetoes the pair, so it is queued here as one
    # from an older rule would still be (rescored to 0 with its veto until a steward decides).
    left, right = sorted(
        SourceRecord.objects.filter(local_code__in=["PD04-000504", "WEB01406092"]),
        key=lambda r: r.pk,
    )
    candidate = MatchCandidate.objects.create(
        entity="products", left=left, right=right, score=0.0, explanation=[]
    )

    page = steward_browser.get(f"{QUEUE}{candidate.pk}/compare/").content.decode()

    rows = [r for r in page.split("<tr ") if "data-attribute=" in r]
    attributes = [r.split('data-attribute="')[1].split('"')[0] for r in rows]
    assert attributes[:3] == ["model", "uom", "gtin"]
    assert 'class="mdm-diff-different mdm-key mdm-key-differs"' in rows[0]
    assert 'class="mdm-diff-same mdm-key"' in rows[1]
    assert 'class="mdm-diff-right_only mdm-key mdm-key-differs"' in rows[2]
    summary = page[page.index('id="key-differences"') :].split("</p>")[0]
    assert "不同 型号, 商品条码" in summary


def test_export_candidates_writes_the_queue_as_csv_in_queue_order_masked(queue):
    out = io.StringIO()

    call_command("export_candidates", entity="customers", stdout=out)

    twins, company = queue
    lines = out.getvalue().splitlines()
    assert lines[0] == "left_system,left_local_code,right_system,right_local_code,score,reason"
    assert lines[1].startswith(f"ERP,SD01-000123,CRM,BJ-B-00042,{company.score:.4f},")
    assert lines[2] == (
        "CRM,SH-C-00018,CRM,SH-C-00022,0.5000,"
        '"hard rule: Chinese names differ, review only; phone: same number; same address; '
        'birth_date: same date; person_name: one part agrees (金** / 金**)"'
    )
    assert len(lines) == 3
    assert "金秀敏" not in out.getvalue() and "13812345678" not in out.getvalue()


class ClosedPipe(io.StringIO):
    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


def test_export_candidates_ends_quietly_when_the_reader_goes_away(queue):
    call_command("export_candidates", entity="customers", stdout=ClosedPipe())


def test_export_candidates_of_an_empty_queue_is_the_header_only(db):
    out = io.StringIO()

    call_command("export_candidates", entity="materials", stdout=out)

    assert out.getvalue() == (
        "left_system,left_local_code,right_system,right_local_code,score,reason\n"
    )


def test_a_pending_pair_the_batch_match_joins_leaves_the_queue(erp, crm):
    from tests.support.matching import set_thresholds

    set_thresholds(auto=0.999999999999, review=0.5)  # linking off: the pair is queued
    company = {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"}
    erp.put("customers", "SD01-1", company)
    crm.put("customers", "BJ-1", company)
    candidate = pair_of("SD01-1", "BJ-1")
    assert SourceRecord.objects.get(local_code="BJ-1").link_kind == "review"
    set_thresholds(auto=0.99)

    report = run_batch_match(entity="customers")

    candidate.refresh_from_db()
    assert (report.golden_merged, report.closed) == (1, 1)
    assert (candidate.status, candidate.reason, candidate.decided_by) == (
        "accepted",
        "merged by the batch match",
        None,
    )
    assert MatchCandidate.objects.filter(status="pending").count() == 0
    assert "review" not in set(SourceRecord.objects.values_list("link_kind", flat=True))
