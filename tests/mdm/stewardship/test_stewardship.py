"""Stewardship through the API: merge, unmerge, candidate decisions, locks, retire, survivorship."""

from __future__ import annotations

import pytest

from dictionary.models import ElementBinding
from matching.models import MatchCandidate, MatchRuleConfig
from matching.rules import DEFAULT_RULES, rule_to_dict
from mdm.linking.batch.match import run_batch_match
from mdm.models import Customer, Event, SourceRecord

pytestmark = pytest.mark.django_db


def golden_state(codes):
    """Everything a merge + unmerge must restore: status, members and values of each code."""
    state = {}
    for golden in Customer.objects.filter(code__in=codes).order_by("code"):
        members = sorted(
            SourceRecord.objects.filter(golden_code=golden.code, is_active=True).values_list(
                "local_code", flat=True
            )
        )
        state[golden.code] = (golden.status, golden.merged_into_id, members, golden.attributes())
    return state


@pytest.fixture
def two_goldens(erp, crm):
    a = erp.put(
        "customers",
        "SD01-1",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    ).json()["golden_code"]
    b = crm.put(
        "customers",
        "BJ-B-1",
        {"name": "上海浦江物流有限公司", "customer_type": "org", "email": "info@pujiang.example"},
    ).json()["golden_code"]
    return a, b


def test_merge_then_unmerge_restores_exactly_the_previous_state(steward, two_goldens):
    a, b = two_goldens
    before = golden_state([a, b])

    merged = steward.post(
        f"/api/v1/golden/customers/{a}/merge", {"other": b, "reason": "same company"}, format="json"
    )
    during = golden_state([a, b])
    unmerged = steward.post(
        "/api/v1/sources/CRM/customers/BJ-B-1/unmerge", {"reason": "not the same"}, format="json"
    )

    assert merged.status_code == 200
    assert during[b][0] == "merged" and during[a][2] == ["BJ-B-1", "SD01-1"]
    assert unmerged.status_code == 200
    assert unmerged.json()["golden_code"] == b
    assert golden_state([a, b]) == before


def test_merge_records_the_steward_and_the_reason(steward, two_goldens):
    a, b = two_goldens

    steward.post(
        f"/api/v1/golden/customers/{a}/merge", {"other": b, "reason": "same company"}, format="json"
    )

    row = SourceRecord.history.filter(local_code="BJ-B-1").order_by("-history_date").first()
    assert (row.history_user.username, row.history_change_reason, row.golden_code) == (
        "steward",
        "same company",
        a,
    )
    assert SourceRecord.objects.get(local_code="BJ-B-1").link_kind == "steward"
    assert Event.objects.filter(kind="merged", golden_code=b).exists()


def test_a_merged_code_resolves_to_its_survivor(steward, erp, two_goldens):
    a, b = two_goldens
    steward.post(
        f"/api/v1/golden/customers/{a}/merge", {"other": b, "reason": "same"}, format="json"
    )

    body = erp.client.get(f"/api/v1/golden/customers/{b}").json()

    assert (body["golden_code"], body["merged_into"]) == (a, a)


def test_unmerge_is_remembered_so_matching_never_merges_back(steward, erp, crm):
    a = erp.put(
        "customers",
        "SD01-1",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    ).json()["golden_code"]
    crm.put(
        "customers",
        "BJ-B-1",
        {"name": "华信科技(北京)有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    assert SourceRecord.objects.get(local_code="BJ-B-1").golden_code == a  # auto-linked

    response = steward.post(
        "/api/v1/sources/CRM/customers/BJ-B-1/unmerge", {"reason": "a namesake"}, format="json"
    )
    run_batch_match(entity="customers")

    new_code = response.json()["golden_code"]
    assert new_code != a
    assert SourceRecord.objects.get(local_code="BJ-B-1").golden_code == new_code
    assert MatchCandidate.objects.get().status == "rejected"
    assert Event.objects.filter(kind="unmerged", golden_code=new_code).exists()


def test_unmerge_of_the_only_member_is_refused(steward, two_goldens):
    response = steward.post(
        "/api/v1/sources/ERP/customers/SD01-1/unmerge", {"reason": "x"}, format="json"
    )

    assert response.status_code == 409


def test_accepting_a_candidate_merges_and_rejecting_one_remembers_it(steward, erp, crm):
    erp.put(
        "customers",
        "A",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    crm.put("customers", "B", {"name": "华信科技", "customer_type": "org"})
    crm.put(
        "customers", "C", {"name": "华信科技", "customer_type": "org", "email": "x@huaxin.example"}
    )
    queue = steward.get("/api/v1/candidates/?entity=customers").json()["results"]
    assert len(queue) >= 1
    first = queue[0]

    accepted = steward.post(
        f"/api/v1/candidates/{first['id']}/decision",
        {"decision": "accept", "reason": "same"},
        format="json",
    )
    again = steward.post(
        f"/api/v1/candidates/{first['id']}/decision",
        {"decision": "reject", "reason": "oops"},
        format="json",
    )

    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["decided_by"] == "steward"
    left, right = first["left"]["local_code"], first["right"]["local_code"]
    assert (
        SourceRecord.objects.get(local_code=left).golden_code
        == SourceRecord.objects.get(local_code=right).golden_code
    )
    assert again.status_code == 409


def test_a_decision_needs_a_reason(steward, erp, crm):
    erp.put(
        "customers",
        "A",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    crm.put("customers", "B", {"name": "华信科技", "customer_type": "org"})
    candidate = MatchCandidate.objects.get()

    response = steward.post(
        f"/api/v1/candidates/{candidate.pk}/decision",
        {"decision": "reject", "reason": ""},
        format="json",
    )

    assert response.status_code == 400
    candidate.refresh_from_db()
    assert candidate.status == "pending"


def test_a_locked_value_wins_until_unlocked(steward, erp, two_goldens):
    a, _ = two_goldens

    locked = steward.post(
        f"/api/v1/golden/customers/{a}/lock",
        {"attribute": "phone", "value": "010 8888 9999", "reason": "confirmed by phone call"},
        format="json",
    )
    erp.put(
        "customers",
        "SD01-1",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-11112222"},
    )

    golden = Customer.objects.get(code=a)
    assert locked.status_code == 200, locked.json()
    assert golden.phone == "+861088889999"
    assert golden.lineage["phone"]["rule"] == "steward_locked"

    steward.post(
        f"/api/v1/golden/customers/{a}/unlock",
        {"attribute": "phone", "reason": "stale"},
        format="json",
    )

    assert Customer.objects.get(code=a).phone == "+861011112222"


def test_an_invalid_locked_value_is_rejected(steward, two_goldens):
    a, _ = two_goldens

    response = steward.post(
        f"/api/v1/golden/customers/{a}/lock",
        {"attribute": "birth_date", "value": "2025-02-30", "reason": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert Customer.objects.get(code=a).locked == {}


def test_retiring_a_golden_record_retires_its_members(steward, two_goldens):
    a, _ = two_goldens

    response = steward.post(
        f"/api/v1/golden/customers/{a}/retire", {"reason": "company dissolved"}, format="json"
    )

    assert response.json()["status"] == "retired"
    assert SourceRecord.objects.get(local_code="SD01-1").is_active is False
    assert Event.objects.filter(kind="retired", golden_code=a).exists()


@pytest.mark.parametrize("who", ["viewer", "erp"])
def test_only_stewards_may_merge(request, who, two_goldens):
    a, b = two_goldens
    client = request.getfixturevalue(who)
    client = getattr(client, "client", client)

    response = client.post(
        f"/api/v1/golden/customers/{a}/merge", {"other": b, "reason": "x"}, format="json"
    )

    assert response.status_code == 403
    assert Customer.objects.get(code=b).status == "active"


def test_survivorship_follows_the_configured_rule_chain(erp, crm, shop):
    binding = ElementBinding.objects.get(entity="customers", element__code="address")
    binding.survivorship, binding.tie_breakers = "most_frequent", ["longest"]
    binding.save()
    MatchRuleConfig.objects.create(
        entity="customers",
        auto_threshold=0.99,
        review_threshold=0.5,
        config=rule_to_dict(DEFAULT_RULES["customers"]),
    )
    base = {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"}
    code = erp.put("customers", "A", dict(base, address="北京市海淀区中关村大街27号")).json()[
        "golden_code"
    ]
    crm.put("customers", "B", dict(base, address="北京市海淀区中关村大街27号院")).json()
    shop.put("customers", "C", dict(base, address="中关村大街27号")).json()

    golden = Customer.objects.get(code=code)

    # No value is more frequent than another: the longest wins.
    assert golden.address == "北京市海淀区中关村大街27号院"
    assert golden.lineage["address"]["rule"] == "most_frequent"


def test_a_locked_value_must_pass_its_validator_even_where_sources_are_only_flagged(
    steward, two_goldens
):
    a, _ = two_goldens

    response = steward.post(
        f"/api/v1/golden/customers/{a}/lock",
        {"attribute": "email", "value": "not an email", "reason": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["email"][0]["code"] == "invalid_email"


def test_a_review_explanation_is_stored_on_the_candidates_own_sides(erp, crm):
    erp.put(
        "customers",
        "A",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    crm.put("customers", "B", {"name": "华信科技", "customer_type": "org"})

    candidate = MatchCandidate.objects.select_related("left", "right").get()
    name = next(e for e in candidate.explanation if e["field"] == "company_name")

    assert (name["left"], name["right"]) == (
        candidate.left.attributes["name"],
        candidate.right.attributes["name"],
    )
