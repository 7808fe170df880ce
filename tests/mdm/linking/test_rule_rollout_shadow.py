"""The shadow of a rule rollout: its decisions recorded during real matching (the write path and
the batch match) beside the live rule's, nothing applied, and the report read from them."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from matching.models import (
    MatchCandidate,
    MatchRuleShadowDecision,
    MatchRuleShadowPass,
)
from matching.rules import DEFAULT_RULES, default_rule, rule_from_dict, rule_to_dict
from mdm.linking.batch.match import run_batch_match
from mdm.linking.rule_rollout import (
    enable_rollout,
    promote_rollout,
    propose_rollout,
    roll_back_rollout,
)
from mdm.linking.rule_rollout_shadow import shadow_report
from mdm.linking.rule_store import load_rule
from mdm.models import SourceRecord

pytestmark = pytest.mark.django_db

#: The same paper in the ERP and in the shop: 0.75 under the shipped rule, a review.
PAPER_ERP = {
    "name": "优品复印纸A4 70g 5包/箱",
    "model": "YP-1902",
    "brand": "优品",
    "category": "办公用品",
    "uom": "箱",
}
PAPER_SHOP = {
    "name": "优品复印纸 A4 70g 5包/箱",
    "brand": "优品",
    "category": "电脑办公>办公用品>打印纸",
    "uom": "件",
}
HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"}


def lenient_products_rule():
    rule = default_rule("products")
    rule.auto_threshold = 0.7
    return rule


def strict_customers_rule():
    return rule_from_dict(
        rule_to_dict(DEFAULT_RULES["customers"]) | {"auto_threshold": 0.999999999999}
    )


def propose(entity: str, rule, systems=("ECOM",)):
    return propose_rollout(
        entity=entity, rule=rule, systems=list(systems), reason="try it", origin="steward"
    )


def recorded() -> list[tuple]:
    return list(
        MatchRuleShadowDecision.objects.order_by("pk").values_list(
            "origin",
            "record__local_code",
            "live_decision",
            "rollout_decision",
            "live_golden",
            "rollout_golden",
            "applied",
        )
    )


def golden_of(local_code: str) -> str:
    return SourceRecord.objects.get(local_code=local_code).golden_code


def test_an_upsert_from_a_shadowed_system_records_both_decisions_and_applies_the_live_one(
    erp, shop
):
    erp.put("products", "PD03-000670", PAPER_ERP)
    rollout = propose("products", lenient_products_rule())

    reply = shop.put("products", "WEB01406042", PAPER_SHOP).json()
    erp.put("products", "PD03-000671", PAPER_ERP | {"model": "YP-1903", "name": "优品复印纸B5"})

    # Applied: the live rule's review; the rollout's link is only recorded.
    assert reply["link"] == "review"
    assert golden_of("WEB01406042") != golden_of("PD03-000670")
    assert MatchCandidate.objects.count() == 1
    erp_golden = golden_of("PD03-000670")
    assert recorded() == [
        ("realtime", "WEB01406042", "review", "auto", "", erp_golden, "live"),
    ]
    report = shadow_report(rollout.pk)
    assert report["origins"]["realtime"] == {
        "decisions": 1,
        "differing": 1,
        "would_merge": 1,
        "would_split": 0,
        "would_queue": 0,
        "would_unqueue": 1,
    }
    assert report["transitions"] == {"review->auto": 1}
    assert report["examples"]["would_merge"] == [
        f"ECOM:WEB01406042 review->auto (new / {erp_golden}, applied: live)"
    ]


def test_an_enabled_rollout_applies_its_decision_and_records_the_live_rules(erp, shop):
    erp.put("products", "PD03-000670", PAPER_ERP)
    rollout = propose("products", lenient_products_rule())
    enable_rollout(rollout_id=rollout.pk, reason="the shadow looks right")

    reply = shop.put("products", "WEB01406042", PAPER_SHOP).json()

    erp_golden = golden_of("PD03-000670")
    assert (reply["link"], reply["golden_code"]) == ("auto", erp_golden)
    assert recorded() == [
        ("realtime", "WEB01406042", "review", "auto", "", erp_golden, "rollout"),
    ]


def test_records_of_a_new_golden_record_in_the_same_batch_are_recorded_with_its_real_code(
    db, erp, shop
):
    """Two shop records in one bulk call: the second links (under the rollout's rule) to the
    first one's golden record, whose code is only allocated after both are decided."""
    rollout = propose("products", lenient_products_rule())
    enable_rollout(rollout_id=rollout.pk, reason="go")

    answer = shop.client.post(
        "/api/v1/sources/ECOM/products/bulk",
        [
            {"local_code": "WEB1", **PAPER_ERP},
            {"local_code": "WEB2", **PAPER_SHOP},
        ],
        format="json",
    )

    assert answer.status_code == 200, answer.content
    first = golden_of("WEB1")
    assert golden_of("WEB2") == first
    rows = recorded()
    assert rows[0] == ("realtime", "WEB1", "new", "new", "", "", "rollout")
    assert rows[1] == ("realtime", "WEB2", "review", "auto", "", first, "rollout")


def test_the_batch_match_records_the_pairs_the_rollout_would_decide_differently(erp, shop, crm):
    erp.put("products", "PD03-000670", PAPER_ERP)
    shop.put("products", "WEB01406042", PAPER_SHOP)
    crm.put("products", "CRM-1", PAPER_SHOP | {"name": "优品复印纸 A4 70g", "uom": "箱"})
    rollout = propose("products", lenient_products_rule())
    goldens = set(SourceRecord.objects.values_list("golden_code", flat=True))

    run_batch_match(entity="products", learn=False)

    # Nothing of the rollout applied: the same golden records, the pair still queued.
    assert set(SourceRecord.objects.values_list("golden_code", flat=True)) == goldens
    batch = [row for row in recorded() if row[0] == "batch"]
    assert ("batch", "PD03-000670", "review", "auto", "", "", "live") in batch
    compared = MatchRuleShadowPass.objects.get()
    assert compared.differing == len(batch) >= 1
    assert compared.pairs >= compared.differing
    # Pairs between ERP and CRM records alone are not the rollout's business.
    assert all(
        "ECOM" in {r.record.system.code, r.other.system.code}
        for r in MatchRuleShadowDecision.objects.filter(origin="batch")
    )
    report = shadow_report(rollout.pk)
    assert report["origins"]["batch"]["decisions"] == compared.pairs
    assert report["origins"]["batch"]["would_merge"] >= 1
    assert any(
        line.startswith("ERP:PD03-000670 ~ ECOM:WEB01406042 review->auto")
        for line in report["examples"]["would_merge"]
    )


def test_a_rollout_of_the_live_rule_finds_no_difference_in_the_batch(erp, shop, crm):
    # Pairs the batch decides by its name rules, not by the weights alone: an English name
    # that explains one company, an abbreviated short name (ShortNames.decide).
    erp.put("customers", "E1", {"name": "鲁泰纺织股份有限公司", "customer_type": "org"})
    erp.put("customers", "E2", {"name": "江西铜业股份有限公司", "customer_type": "org"})
    shop.put("customers", "S1", {"name": "Lu Thai Textile Co., Ltd.", "customer_type": "org"})
    crm.put("customers", "C1", {"name": "江铜", "customer_type": "org"})
    propose("customers", load_rule("customers"), systems=("ECOM", "CRM"))

    run_batch_match(entity="customers", learn=False)

    compared = MatchRuleShadowPass.objects.get()
    assert compared.pairs >= 2
    assert compared.differing == 0 and recorded() == []
    queued = {
        frozenset((c.left.local_code, c.right.local_code))
        for c in MatchCandidate.objects.select_related("left", "right")
    }
    assert {frozenset(("E1", "S1")), frozenset(("E2", "C1"))} <= queued


def test_the_batch_match_records_a_golden_record_the_rollout_would_split(erp, shop):
    erp.put("customers", "SD01-1", HUAXIN)
    shop.put("customers", "WEB1", HUAXIN | {"phone": "+86 10 62345678"})
    code = golden_of("SD01-1")
    assert golden_of("WEB1") == code  # linked in real time
    rollout = propose("customers", strict_customers_rule())

    run_batch_match(entity="customers", learn=False)

    assert golden_of("WEB1") == golden_of("SD01-1") == code
    row = MatchRuleShadowDecision.objects.get(origin="batch")
    assert (row.same_golden, row.live_decision, row.live_golden) == (True, "auto", code)
    assert row.rollout_decision != "auto"
    report = shadow_report(rollout.pk)
    assert (report["would_split"], report["would_merge"], report["would_queue"]) == (1, 0, 0)


def test_a_dry_run_and_a_closed_rollout_record_nothing(erp, shop):
    erp.put("products", "PD03-000670", PAPER_ERP)
    shop.put("products", "WEB01406042", PAPER_SHOP)
    rollout = propose("products", lenient_products_rule())

    run_batch_match(entity="products", learn=False, dry_run=True)
    roll_back_rollout(rollout_id=rollout.pk, reason="not now")
    run_batch_match(entity="products", learn=False)
    shop.put("products", "WEB2", PAPER_SHOP | {"name": "优品复印纸 A4 80g"})

    assert not MatchRuleShadowDecision.objects.exists()
    assert not MatchRuleShadowPass.objects.exists()


def test_a_promoted_rollout_stops_recording_and_keeps_what_it_recorded(erp, shop):
    erp.put("products", "PD03-000670", PAPER_ERP)
    rollout = propose("products", lenient_products_rule())
    shop.put("products", "WEB01406042", PAPER_SHOP)
    promote_rollout(rollout_id=rollout.pk, reason="good")

    shop.put("products", "WEB2", PAPER_SHOP | {"name": "优品复印纸 A4 80g"})

    assert [row[1] for row in recorded()] == ["WEB01406042"]
    assert shadow_report(rollout.pk)["decisions"] == 1


def test_the_comparison_report_reads_the_recorded_decisions(erp, shop):
    erp.put("products", "PD03-000670", PAPER_ERP)
    rollout = propose("products", lenient_products_rule())
    shop.put("products", "WEB01406042", PAPER_SHOP)
    out = io.StringIO()

    call_command("rollout_match_rule", "compare", str(rollout.pk), stdout=out)

    rollout.refresh_from_db()
    assert rollout.report["recorded"]["would_merge"] == 1
    lines = out.getvalue().splitlines()
    assert (
        "recorded during matching: realtime 1 of 1 differ; batch 0 of 0 differ; "
        "would_merge=1 would_split=0 would_queue=0 would_unqueue=1"
    ) in lines
    erp_golden = golden_of("PD03-000670")
    assert (
        f"  recorded would_merge: ECOM:WEB01406042 review->auto (new / {erp_golden}, applied: live)"
    ) in lines


def test_the_rollout_page_shows_the_recorded_decisions(erp, shop):
    erp.put("products", "PD03-000670", PAPER_ERP)
    rollout = propose("products", lenient_products_rule())
    shop.put("products", "WEB01406042", PAPER_SHOP)
    root = get_user_model().objects.create_superuser("root", password="correct horse battery")
    browser = Client()
    browser.force_login(root)

    page = browser.get(f"/admin/matching/matchrulerollout/{rollout.pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "would_merge: ECOM:WEB01406042 review-&gt;auto" in text
    assert "would_merge: 1" in text
