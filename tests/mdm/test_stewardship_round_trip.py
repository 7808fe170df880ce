"""Merge then unmerge loses nothing: values, lineage, codes and crosswalk come back as before,
and the unmerge rejects the merged pair, not the record's former siblings (issue 29, item 5)."""

from __future__ import annotations

import random

import pytest
from stdnum.cn import uscc

from matching.models import MatchCandidate
from mdm.linking.batch.match import run_batch_match
from mdm.models import Customer, SourceRecord
from mdm.privacy.masking import unmask_attributes
from mdm.stewardship.actions import merge_by_steward
from mdm.stewardship.unmerge import unmerge_source_record

pytestmark = pytest.mark.django_db


def credit_code(n: int) -> str:
    base = f"91110108MA01{n:05d}"
    return base + uscc.calc_check_digit(base)


def snapshot() -> dict:
    """Everything a round trip must give back, for every golden record: status, survivor,
    values (in clear), lineage, and the crosswalk with each member's link."""
    state = {}
    for golden in Customer.objects.order_by("code"):
        members = sorted(
            SourceRecord.objects.filter(golden_code=golden.code, is_active=True).values_list(
                "system__code", "local_code", "link_kind", "link_score", "updated_at"
            )
        )
        state[golden.code] = {
            "status": golden.status,
            "merged_into": golden.merged_into_id,
            "values": unmask_attributes(golden.attributes()),
            "lineage": golden.lineage,
            "members": members,
        }
    return state


def company(n: int, **extra) -> dict:
    return {
        "name": f"北京第{n}号测试科技有限公司",
        "customer_type": "org",
        "credit_code": credit_code(n),
        **extra,
    }


@pytest.fixture
def two_companies(erp, crm, shop):
    """Golden A: the ERP's and the CRM's record of one company; golden B: the CRM's and the
    shop's record of another (linked by its credit code), the shop's address the newer one."""
    erp.put("customers", "E-1", company(1, address="北京市海淀区中关村大街1号"))
    crm.put("customers", "C-1", company(1, address="北京市海淀区中关村大街2号"))
    crm.put("customers", "C-2", company(2, address="上海市浦东新区世纪大道8号"))
    shop.put("customers", "S-2", company(2, address="上海市浦东新区世纪大道9号"))
    a = SourceRecord.objects.get(local_code="E-1").golden_code
    b = SourceRecord.objects.get(local_code="C-2").golden_code
    assert SourceRecord.objects.get(local_code="C-1").golden_code == a
    assert SourceRecord.objects.get(local_code="S-2").golden_code == b
    return a, b


def test_merge_then_unmerge_gives_back_values_lineage_codes_and_crosswalk(steward, two_companies):
    a, b = two_companies
    before = snapshot()

    merged = steward.post(
        f"/api/v1/golden/customers/{a}/merge", {"other": b, "reason": "same"}, format="json"
    )
    during = snapshot()
    unmerged = steward.post(
        "/api/v1/sources/ECOM/customers/S-2/unmerge", {"reason": "not the same"}, format="json"
    )

    assert merged.status_code == 200
    # The merge was real: B's newer address took over A's (most_recent), B resolved to A.
    assert during[a]["values"]["address"] == "上海市浦东新区世纪大道9号"
    assert during[b]["status"] == "merged"
    assert unmerged.status_code == 200
    assert unmerged.json()["golden_code"] == b
    assert snapshot() == before


def test_the_crosswalk_answers_as_before_after_the_round_trip(erp, steward, two_companies):
    a, b = two_companies
    url = "/api/v1/crosswalk/customers/ECOM/S-2"
    before = erp.client.get(url).json()

    merged = steward.post(
        f"/api/v1/golden/customers/{a}/merge", {"other": b, "reason": "same"}, format="json"
    )
    unmerged = steward.post(
        "/api/v1/sources/CRM/customers/C-2/unmerge", {"reason": "not the same"}, format="json"
    )

    assert (merged.status_code, unmerged.status_code) == (200, 200)
    assert (
        erp.client.get(url).json()
        == before
        == {
            "golden_code": b,
            "members": [
                {"system": "CRM", "local_code": "C-2"},
                {"system": "ECOM", "local_code": "S-2"},
            ],
        }
    )


def test_the_unmerge_rejects_the_merged_pair_not_the_former_siblings(steward, two_companies):
    a, b = two_companies
    steward.post(
        f"/api/v1/golden/customers/{a}/merge", {"other": b, "reason": "same"}, format="json"
    )

    steward.post(
        "/api/v1/sources/ECOM/customers/S-2/unmerge", {"reason": "two companies"}, format="json"
    )
    run_batch_match(entity="customers")

    ids = dict(SourceRecord.objects.values_list("local_code", "pk"))
    rejected = {
        frozenset((left, right))
        for left, right in MatchCandidate.objects.filter(status="rejected").values_list(
            "left_id", "right_id"
        )
    }
    pairs = {frozenset((ids[x], ids[y])) for x in ("C-2", "S-2") for y in ("E-1", "C-1")}
    assert rejected == pairs
    assert frozenset((ids["C-2"], ids["S-2"])) not in rejected
    # The batch match leaves the two golden records apart.
    assert SourceRecord.objects.get(local_code="S-2").golden_code == b
    assert SourceRecord.objects.get(local_code="E-1").golden_code == a


def test_an_auto_linked_record_unmerged_gets_a_new_golden_record_alone(steward, erp, crm):
    erp.put("customers", "E-1", company(1))
    crm.put("customers", "C-1", company(1))
    golden = SourceRecord.objects.get(local_code="E-1").golden_code

    response = steward.post(
        "/api/v1/sources/CRM/customers/C-1/unmerge", {"reason": "a namesake"}, format="json"
    )

    new_code = response.json()["golden_code"]
    assert new_code != golden
    assert SourceRecord.objects.get(local_code="C-1").link_kind == "steward"
    assert list(MatchCandidate.objects.values_list("status", flat=True)) == ["rejected"]


def test_merge_then_unmerge_is_exact_on_every_pair_of_a_random_sample(erp, crm, shop):
    # Given: eight companies, each known to one to three systems with addresses and phones
    # that differ between them (so that survivorship has choices to make).
    systems = [erp, crm, shop]
    rng = random.Random(29)
    for n in range(8):
        for system in rng.sample(systems, rng.randint(1, 3)):
            system.put(
                "customers",
                f"{system.code}-{n}",
                company(
                    n,
                    address=f"北京市朝阳区建国路{rng.randint(1, 99)}号",
                    phone=f"010-6{rng.randint(1000000, 9999999)}",
                ),
            )
    codes = sorted(set(SourceRecord.objects.values_list("golden_code", flat=True)))
    assert len(codes) == 8
    steward = crm.system.service_user  # any user: the services record it as the actor

    # When / then: every sampled pair merged, then one of the merged record's members
    # unmerged, gives back exactly the state of before.
    for survivor, other in rng.sample([(x, y) for x in codes for y in codes if x != y], 12):
        before = snapshot()
        members = list(
            SourceRecord.objects.filter(golden_code=other, is_active=True)
            .order_by("pk")
            .values_list("system__code", "local_code")
        )
        merge_by_steward(
            entity="customers",
            survivor_code=survivor,
            other_code=other,
            actor=steward,
            reason="sample",
        )
        system_code, local_code = rng.choice(members)
        unmerge_source_record(
            entity="customers",
            system_code=system_code,
            local_code=local_code,
            actor=steward,
            reason="sample",
        )
        after = snapshot()
        assert after == before, [
            (code, key, before[code][key], after[code][key])
            for code in before
            for key in before[code]
            if before[code][key] != after[code][key]
        ]


def test_records_an_earlier_unmerge_moved_back_stay_when_a_later_merge_is_undone(
    steward, two_companies
):
    a, b = two_companies
    user = steward.user
    merge_by_steward(entity="customers", survivor_code=a, other_code=b, actor=user, reason="1")
    unmerge_source_record(
        entity="customers", system_code="ECOM", local_code="S-2", actor=user, reason="1"
    )
    before = snapshot()

    merge_by_steward(entity="customers", survivor_code=b, other_code=a, actor=user, reason="2")
    unmerge_source_record(
        entity="customers", system_code="ERP", local_code="E-1", actor=user, reason="2"
    )

    # Only A's own records left B: C-2 and S-2, which came back to B by the first unmerge,
    # stayed where they belong.
    assert snapshot() == before
