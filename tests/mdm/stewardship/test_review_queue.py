"""The review queue in admin: list, filters, side-by-side comparison, decisions, bulk actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from matching.models import MatchCandidate
from mdm.models import Customer, SourceRecord

pytestmark = pytest.mark.django_db

QUEUE = "/admin/matching/matchcandidate/"


def compare_url(candidate) -> str:
    return f"{QUEUE}{candidate.pk}/compare/"


def golden_of(local_code: str) -> str:
    return SourceRecord.objects.get(local_code=local_code).golden_code


def test_queue_lists_pending_pairs_with_both_sides_and_the_score(steward_browser, huaxin_pair):
    page = steward_browser.get(QUEUE)

    content = page.content.decode()
    assert page.status_code == 200
    assert "匹配候选审核队列" in content
    assert "北京华信科技有限公司" in content and "华信科技" in content
    assert "SD01-000123" in content and "BJ-B-00042" in content
    assert "ERP" in content and "CRM" in content
    assert f"{huaxin_pair.score:.3f}" in content
    assert compare_url(huaxin_pair) in content


def test_queue_hides_decided_pairs_unless_asked(steward_browser, steward_user, huaxin_pair):
    MatchCandidate.objects.filter(pk=huaxin_pair.pk).update(
        status="rejected", reason="no", decided_by=steward_user, decided_at=timezone.now()
    )

    pending = steward_browser.get(QUEUE).content.decode()
    rejected = steward_browser.get(QUEUE, {"status": "rejected"}).content.decode()
    everything = steward_browser.get(QUEUE, {"status": "all"}).content.decode()

    assert "SD01-000123" not in pending
    assert "SD01-000123" in rejected and "SD01-000123" in everything
    assert "决定" in rejected  # who decided, when and why
    assert "wang.fang" in rejected and "<small>no</small>" in rejected


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"band": "90"}, True),
        ({"band": "70"}, False),
        ({"band": "50"}, False),
        ({"entity__exact": "customers"}, True),
        ({"entity__exact": "products"}, False),
        ({"age": "today"}, True),
        ({"age": "week"}, True),
        ({"age": "older"}, False),
    ],
)
def test_queue_filters_by_score_band_entity_and_age(steward_browser, huaxin_pair, params, shown):
    MatchCandidate.objects.filter(pk=huaxin_pair.pk).update(score=0.93)

    content = steward_browser.get(QUEUE, params).content.decode()

    assert ("SD01-000123" in content) is shown


def test_queue_filters_by_the_system_of_either_side(steward_browser, huaxin_pair, shop):
    erp_id = huaxin_pair.left.system_id
    crm_id = huaxin_pair.right.system_id

    by_erp = steward_browser.get(QUEUE, {"system": erp_id}).content.decode()
    by_crm = steward_browser.get(QUEUE, {"system": crm_id}).content.decode()
    by_shop = steward_browser.get(QUEUE, {"system": shop.system.pk}).content.decode()

    assert "SD01-000123" in by_erp and "SD01-000123" in by_crm
    assert "SD01-000123" not in by_shop


def test_old_candidates_show_under_older_than_7_days(steward_browser, huaxin_pair):
    MatchCandidate.objects.filter(pk=huaxin_pair.pk).update(
        created_at=timezone.now() - timedelta(days=9)
    )

    older = steward_browser.get(QUEUE, {"age": "older"}).content.decode()
    week = steward_browser.get(QUEUE, {"age": "week"}).content.decode()

    assert "SD01-000123" in older and "SD01-000123" not in week


def test_comparison_page_shows_both_records_the_differences_and_the_explanation(
    steward_browser, huaxin_pair
):
    page = steward_browser.get(compare_url(huaxin_pair))

    content = page.content.decode()
    assert page.status_code == 200
    assert golden_of("SD01-000123") in content and golden_of("BJ-B-00042") in content
    # the names differ and the phone is on one side only: both highlighted
    assert 'class="mdm-diff-different" data-attribute="name"' in content
    assert 'class="mdm-diff-left_only" data-attribute="phone"' in content
    assert 'class="mdm-diff-same" data-attribute="customer_type"' in content
    assert "名称 name" in content or "名称" in content
    # explanation: the company-name evidence with its similarity, weight and note
    assert "企业名称" in content
    assert "核心名称相同" in content  # the note "same core name", in Chinese
    assert "19.52" in content
    assert 'id="decide-accept"' in content and 'id="decide-reject"' in content


def test_explanation_is_shown_on_the_candidates_sides(steward_browser, huaxin_pair):
    content = steward_browser.get(compare_url(huaxin_pair)).content.decode()

    explanation = content[content.index('id="explanation"') :]
    row = explanation[explanation.index("企业名称") :]
    # left is the ERP record (lower id): its full name comes first in the row
    assert row.index("北京华信科技有限公司") < row.index("华信科技</td>")


def test_accepting_merges_the_pair_and_links_to_the_merged_record(
    steward_browser, steward_user, huaxin_pair
):
    erp_golden = golden_of("SD01-000123")

    response = steward_browser.post(
        compare_url(huaxin_pair), {"decision": "accept", "reason": "同一家公司"}, follow=True
    )

    huaxin_pair.refresh_from_db()
    content = response.content.decode()
    survivor = Customer.objects.get(code=erp_golden)
    assert huaxin_pair.status == "accepted"
    assert huaxin_pair.decided_by == steward_user
    assert huaxin_pair.reason == "同一家公司"
    assert golden_of("BJ-B-00042") == erp_golden
    assert f"/admin/mdm/customer/{survivor.pk}/change/" in content
    assert 'id="merged-golden-link"' in content
    assert "wang.fang" in content and "同一家公司" in content


def test_a_decision_without_a_reason_is_refused_and_changes_nothing(steward_browser, huaxin_pair):
    before = (golden_of("SD01-000123"), golden_of("BJ-B-00042"))

    response = steward_browser.post(compare_url(huaxin_pair), {"decision": "accept", "reason": " "})

    huaxin_pair.refresh_from_db()
    assert response.status_code == 200
    assert "请填写理由" in response.content.decode()
    assert huaxin_pair.status == "pending"
    assert (golden_of("SD01-000123"), golden_of("BJ-B-00042")) == before


def test_rejecting_keeps_both_golden_records_and_records_why(steward_browser, huaxin_pair):
    before = (golden_of("SD01-000123"), golden_of("BJ-B-00042"))

    response = steward_browser.post(
        compare_url(huaxin_pair), {"decision": "reject", "reason": "不同公司 different"}
    )

    huaxin_pair.refresh_from_db()
    assert response.status_code == 302
    assert huaxin_pair.status == "rejected"
    assert huaxin_pair.reason == "不同公司 different"
    assert (golden_of("SD01-000123"), golden_of("BJ-B-00042")) == before


def test_a_decided_pair_cannot_be_decided_twice(steward_browser, huaxin_pair):
    steward_browser.post(compare_url(huaxin_pair), {"decision": "reject", "reason": "no"})

    response = steward_browser.post(compare_url(huaxin_pair), {"decision": "accept", "reason": "y"})

    huaxin_pair.refresh_from_db()
    assert response.status_code == 200
    assert huaxin_pair.status == "rejected"
    assert 'id="decision-form"' not in response.content.decode()


def test_skip_moves_to_the_next_pending_candidate_in_the_filtered_queue(
    steward_browser, huaxin_pair, erp, crm
):
    erp.put("customers", "SD01-000200", {"name": "上海浦江物流有限公司", "customer_type": "org"})
    crm.put("customers", "SH-00077", {"name": "浦江物流", "customer_type": "org"})
    second = MatchCandidate.objects.exclude(pk=huaxin_pair.pk).get()
    MatchCandidate.objects.filter(pk=huaxin_pair.pk).update(score=0.95)
    MatchCandidate.objects.filter(pk=second.pk).update(score=0.85)

    skipped = steward_browser.post(
        compare_url(huaxin_pair) + "?_changelist_filters=entity__exact%3Dcustomers",
        {"decision": "skip"},
    )
    wrapped = steward_browser.post(compare_url(second), {"decision": "skip"})

    huaxin_pair.refresh_from_db()
    assert skipped.status_code == 302
    assert skipped["Location"].startswith(compare_url(second))
    assert "_changelist_filters=entity__exact%3Dcustomers" in skipped["Location"]
    assert wrapped["Location"].startswith(compare_url(huaxin_pair))
    assert huaxin_pair.status == "pending"


def test_skip_in_a_queue_filtered_to_one_band_stays_in_that_band(
    steward_browser, huaxin_pair, erp, crm
):
    erp.put("customers", "SD01-000200", {"name": "上海浦江物流有限公司", "customer_type": "org"})
    crm.put("customers", "SH-00077", {"name": "浦江物流", "customer_type": "org"})
    MatchCandidate.objects.filter(pk=huaxin_pair.pk).update(score=0.95)
    MatchCandidate.objects.exclude(pk=huaxin_pair.pk).update(score=0.6)

    response = steward_browser.post(
        compare_url(huaxin_pair) + "?_changelist_filters=band%3D90", {"decision": "skip"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(QUEUE + "?band=90")


def test_bulk_accept_asks_for_a_reason_then_decides_every_selected_pair(
    steward_browser, huaxin_pair, erp, crm
):
    erp.put("customers", "SD01-000200", {"name": "上海浦江物流有限公司", "customer_type": "org"})
    crm.put("customers", "SH-00077", {"name": "浦江物流", "customer_type": "org"})
    ids = [str(pk) for pk in MatchCandidate.objects.values_list("pk", flat=True)]
    selection = {"action": "accept_selected", "_selected_action": ids, "index": "0"}

    confirmation = steward_browser.post(QUEUE, selection)
    without_reason = steward_browser.post(
        QUEUE, {"action": "accept_selected", "_selected_action": ids, "apply": "yes"}
    )
    status_before = sorted(MatchCandidate.objects.values_list("status", flat=True))
    done = steward_browser.post(
        QUEUE,
        {
            "action": "accept_selected",
            "_selected_action": ids,
            "apply": "yes",
            "reason": "批量确认",
        },
    )

    assert confirmation.status_code == 200
    assert 'id="bulk-decision-form"' in confirmation.content.decode()
    assert "北京华信科技有限公司" in confirmation.content.decode()
    assert "请填写理由" in without_reason.content.decode()
    assert status_before == ["pending", "pending"]
    assert done.status_code == 302
    assert sorted(MatchCandidate.objects.values_list("status", "reason")) == [
        ("accepted", "批量确认"),
        ("accepted", "批量确认"),
    ]
    assert golden_of("SD01-000123") == golden_of("BJ-B-00042")
    assert golden_of("SD01-000200") == golden_of("SH-00077")


def test_bulk_reject_of_the_whole_filtered_list(steward_browser, huaxin_pair):
    response = steward_browser.post(
        QUEUE + "?entity__exact=customers",
        {
            "action": "reject_selected",
            "_selected_action": [str(huaxin_pair.pk)],
            "select_across": "1",
            "apply": "yes",
            "reason": "都不是重复",
        },
    )

    huaxin_pair.refresh_from_db()
    assert response.status_code == 302
    assert (huaxin_pair.status, huaxin_pair.reason) == ("rejected", "都不是重复")


def test_viewer_sees_the_queue_but_cannot_decide(viewer_browser, huaxin_pair):
    queue = viewer_browser.get(QUEUE)
    compare = viewer_browser.get(compare_url(huaxin_pair))
    post = viewer_browser.post(compare_url(huaxin_pair), {"decision": "accept", "reason": "x"})
    bulk = viewer_browser.post(
        QUEUE,
        {
            "action": "accept_selected",
            "_selected_action": [huaxin_pair.pk],
            "apply": "yes",
            "reason": "x",
        },
    )

    huaxin_pair.refresh_from_db()
    assert queue.status_code == 200 and "SD01-000123" in queue.content.decode()
    assert "accept_selected" not in queue.content.decode()
    assert compare.status_code == 200
    assert 'id="decision-form"' not in compare.content.decode()
    assert post.status_code == 403
    assert bulk.status_code in (200, 302)
    assert huaxin_pair.status == "pending"


def test_the_queue_is_on_the_admin_index_for_stewards(steward_browser):
    content = steward_browser.get("/admin/").content.decode()

    assert "/admin/matching/matchcandidate/" in content


def test_comparison_page_speaks_english_on_request(steward_browser, huaxin_pair):
    content = steward_browser.get(
        compare_url(huaxin_pair), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert 'lang="en"' in content
    assert "Accept (merge)" in content and "Attributes side by side" in content


def test_candidate_change_url_leads_to_the_comparison(steward_browser, huaxin_pair):
    response = steward_browser.get(f"{QUEUE}{huaxin_pair.pk}/change/")

    assert response.status_code == 302
    assert response["Location"].startswith(compare_url(huaxin_pair))


def test_skip_from_a_page_that_no_longer_exists_keeps_the_filters(steward_browser, huaxin_pair):
    response = steward_browser.post(
        compare_url(huaxin_pair) + "?_changelist_filters=band%3D90%26p%3D7", {"decision": "skip"}
    )

    assert response.status_code == 302
    assert response["Location"] == QUEUE + "?band=90"


def test_an_unknown_candidate_is_not_found(steward_browser, db):
    assert steward_browser.get(f"{QUEUE}999999/compare/").status_code == 404
    assert steward_browser.get(f"{QUEUE}abc/compare/").status_code == 404
