"""Siblings: every pending pair between the same two golden records is one decision."""

from __future__ import annotations

import pytest

from matching.models import MatchCandidate
from mdm.linking.batch.match import run_batch_match
from mdm.models import SourceRecord

pytestmark = pytest.mark.django_db

QUEUE = "/admin/matching/matchcandidate/"


def compare_url(candidate) -> str:
    return f"{QUEUE}{candidate.pk}/compare/"


HOME = "上海市宝山区延安路411号世纪花城26栋2单元2101室"
PHONE = "13812345678"


def twin(name: str) -> dict[str, str]:
    return {
        "name": name,
        "customer_type": "person",
        "birth_date": "1965-04-02",
        "address": HOME,
        "phone": PHONE,
    }


@pytest.fixture
def twins(crm, shop) -> list[MatchCandidate]:
    """Twins held by the CRM and the shop: two golden records of two members each, and four
    pending candidates between them (the Chinese-name rule allows review only)."""
    crm.put("customers", "SH-C-00018", twin("金秀敏"))
    shop.put("customers", "WEB-1", twin("金秀敏"))
    crm.put("customers", "SH-C-00022", twin("金浩国"))
    shop.put("customers", "WEB-2", twin("金浩国"))
    run_batch_match(entity="customers")
    return list(MatchCandidate.objects.filter(status="pending").order_by("pk"))


def links() -> dict[str, str]:
    return dict(
        SourceRecord.objects.filter(entity="customers").values_list("local_code", "link_kind")
    )


def goldens() -> set[str]:
    return set(SourceRecord.objects.values_list("golden_code", flat=True))


def test_twins_are_queued_at_the_review_threshold_not_as_high(twins):
    assert [(c.score, c.status) for c in twins] == [(0.5, "pending")] * 4
    assert links()["SH-C-00022"] == "review"


def test_rejecting_one_twin_pair_rejects_its_siblings_and_settles_the_labels(steward, twins):
    response = steward.post(
        f"/api/v1/candidates/{twins[0].pk}/decision",
        {"decision": "reject", "reason": "twins, two persons"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert sorted(response.json()["siblings_decided"]) == [c.pk for c in twins[1:]]
    decided = MatchCandidate.objects.order_by("pk").values_list(
        "status", "reason", "decided_by__username"
    )
    assert list(decided) == [("rejected", "twins, two persons", "steward")] * 4
    assert steward.get("/api/v1/candidates/?entity=customers").json()["results"] == []
    assert links() == {
        "SH-C-00018": "new",
        "WEB-1": "auto",
        "SH-C-00022": "steward",
        "WEB-2": "auto",
    }
    assert len(goldens()) == 2


def test_accepting_one_pair_in_admin_merges_once_and_accepts_its_siblings(
    steward_browser, steward_user, twins
):
    page = steward_browser.post(
        compare_url(twins[2]), {"decision": "accept", "reason": "one person, two names"}
    )
    queue = steward_browser.get(QUEUE).content.decode()

    assert page.status_code == 302
    decided = MatchCandidate.objects.values_list("status", "decided_by", "reason")
    assert list(decided) == [("accepted", steward_user.pk, "one person, two names")] * 4
    assert len(goldens()) == 1
    assert "SH-C-00022" not in queue
    assert links() == {
        "SH-C-00018": "new",
        "WEB-1": "auto",
        "SH-C-00022": "steward",
        "WEB-2": "steward",
    }


def test_the_comparison_says_the_decision_covers_the_siblings_before_it_is_made(
    steward_browser, twins
):
    page = steward_browser.get(compare_url(twins[1])).content.decode()

    assert "此决定同时适用于同一对黄金记录之间的另外 3 个待审核候选对" in page


def test_the_admin_says_how_many_siblings_were_decided_with_the_pair(steward_browser, twins):
    page = steward_browser.post(
        compare_url(twins[0]), {"decision": "reject", "reason": "twins"}, follow=True
    )

    content = page.content.decode()
    assert "同一对黄金记录之间的另外 3 个候选对已一并处理" in content


def test_a_sibling_decided_with_another_cannot_be_decided_again(steward, twins):
    steward.post(
        f"/api/v1/candidates/{twins[0].pk}/decision",
        {"decision": "reject", "reason": "twins"},
        format="json",
    )

    again = steward.post(
        f"/api/v1/candidates/{twins[3].pk}/decision",
        {"decision": "accept", "reason": "changed my mind"},
        format="json",
    )

    assert again.status_code == 409
    assert len(goldens()) == 2
    assert MatchCandidate.objects.filter(status="rejected").count() == 4


def test_rejected_siblings_are_never_proposed_again_by_the_next_match(steward, twins):
    steward.post(
        f"/api/v1/candidates/{twins[0].pk}/decision",
        {"decision": "reject", "reason": "twins"},
        format="json",
    )

    report = run_batch_match(entity="customers")

    assert report.review_candidates == 0
    assert MatchCandidate.objects.filter(status="pending").count() == 0
    assert MatchCandidate.objects.count() == 4


def test_bulk_reject_counts_siblings_as_decided(steward_user, twins):
    from mdm.stewardship.actions import decide_candidates

    counts = decide_candidates(
        candidate_ids=[c.pk for c in twins], accept=False, actor=steward_user, reason="twins"
    )

    assert counts == {"decided": 4, "skipped": 0}
