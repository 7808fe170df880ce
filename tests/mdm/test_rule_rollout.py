"""Grey release of a match rule: shadow on some systems, enabled for them, promoted, rolled back."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from matching.models import MatchRuleConfig, MatchRuleRollout
from matching.rules import default_rule, rule_to_dict
from mdm.errors import Conflict, ServiceError
from mdm.linking.rule_rollout import (
    compare_rollout,
    enable_rollout,
    promote_rollout,
    propose_rollout,
    roll_back_rollout,
)
from mdm.linking.rule_store import load_rule, load_rule_for
from mdm.models import SourceRecord

pytestmark = pytest.mark.django_db

#: The same paper in the ERP (sold by the carton) and in the shop (by the item, a category
#: path): 0.75 under the shipped rule, a review.
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


def lower_auto_threshold():
    rule = default_rule("products")
    rule.auto_threshold = 0.7
    return rule


@pytest.fixture
def steward_user(db):
    return get_user_model().objects.create_user("li.steward", is_staff=True)


@pytest.fixture
def rollout(erp, shop, steward_user):
    return propose_rollout(
        entity="products",
        rule=lower_auto_threshold(),
        systems=["ecom"],
        reason="link shop titles at 0.7",
        actor=steward_user,
        origin="steward",
    )


def test_a_proposed_rule_runs_in_shadow_and_reports_what_it_would_do_differently(erp, shop):
    erp.put("products", "PD03-000670", PAPER_ERP)
    shop.put("products", "WEB01406042", PAPER_SHOP)
    rollout = propose_rollout(
        entity="products",
        rule=lower_auto_threshold(),
        systems=["ECOM"],
        reason="link shop titles at 0.7",
        origin="steward",
    )

    report = compare_rollout(rollout_id=rollout.pk)

    assert (report["pairs"], report["changed"], report["would_merge"]) == (1, 1, 1)
    assert report["would_unqueue"] == 1 and report["would_split"] == 0
    assert report["transitions"] == {"review->auto": 1}
    assert report["examples"]["would_merge"] == [
        "ERP:PD03-000670 ~ ECOM:WEB01406042 review->auto 0.7489"
    ]
    # Nothing applied: two golden records, the shipped rule, the report kept on the rollout.
    assert SourceRecord.objects.values("golden_code").distinct().count() == 2
    assert not MatchRuleConfig.objects.exists()
    rollout.refresh_from_db()
    assert (rollout.stage, rollout.report["changed"]) == ("shadow", 1)


def test_an_enabled_rollout_links_records_of_its_systems_only(erp, shop, crm, rollout):
    enable_rollout(rollout_id=rollout.pk, reason="the shadow report is right")

    erp.put("products", "PD03-000670", PAPER_ERP)
    from_crm = crm.put("products", "CRM-77", PAPER_SHOP).json()
    from_shop = shop.put("products", "WEB01406042", PAPER_SHOP | {"uom": "箱"}).json()

    assert from_shop["link"] == "auto"
    assert from_crm["link"] == "review"
    assert load_rule_for("products", "ECOM").auto_threshold == 0.7
    assert load_rule_for("products", "CRM").auto_threshold == 0.99
    assert load_rule("products").auto_threshold == 0.99


def test_promotion_makes_it_every_systems_rule_and_a_roll_back_restores_the_old_one(
    rollout, steward_user
):
    promote_rollout(rollout_id=rollout.pk, reason="good on the shop", actor=steward_user)

    assert load_rule("products").auto_threshold == 0.7
    assert load_rule_for("products", "CRM").auto_threshold == 0.7

    roll_back_rollout(rollout_id=rollout.pk, reason="too many shop merges", actor=steward_user)

    rollout.refresh_from_db()
    assert rollout.stage == "rolled_back"
    assert load_rule("products").auto_threshold == 0.99
    steps = [
        (h.stage, h.history_change_reason, h.history_user)
        for h in rollout.history.order_by("history_date", "history_id")
    ]
    assert steps == [
        ("shadow", "proposed: link shop titles at 0.7", steward_user),
        ("promoted", "promoted to all systems: good on the shop", steward_user),
        ("rolled_back", "rolled back: too many shop merges", steward_user),
    ]


def test_a_roll_back_restores_a_stored_rule_with_its_thresholds(erp, shop):
    from mdm.linking.rule_store import store_rule

    stored = default_rule("products")
    stored.review_threshold = 0.6
    store_rule("products", stored, reason="a steward's thresholds")
    first = propose_rollout(
        entity="products", rule=lower_auto_threshold(), systems=["ERP"], reason="a", origin="x"
    )
    promote_rollout(rollout_id=first.pk, reason="b")
    assert (load_rule("products").auto_threshold, load_rule("products").review_threshold) == (
        0.7,
        0.5,
    )

    roll_back_rollout(rollout_id=first.pk, reason="c")

    assert (load_rule("products").auto_threshold, load_rule("products").review_threshold) == (
        0.99,
        0.6,
    )


def test_steps_out_of_order_are_refused_and_change_nothing(erp, shop, rollout):
    with pytest.raises(Conflict):
        propose_rollout(
            entity="products",
            rule=lower_auto_threshold(),
            systems=["ERP"],
            reason="again",
            origin="steward",
        )
    roll_back_rollout(rollout_id=rollout.pk, reason="not now")
    with pytest.raises(Conflict):
        enable_rollout(rollout_id=rollout.pk, reason="too late")
    with pytest.raises(Conflict):
        promote_rollout(rollout_id=rollout.pk, reason="too late")

    rollout.refresh_from_db()
    assert rollout.stage == "rolled_back"
    assert not MatchRuleConfig.objects.exists()


def test_an_older_promotion_cannot_be_rolled_back_over_a_newer_one(erp, shop):
    first = propose_rollout(
        entity="products", rule=lower_auto_threshold(), systems=["ERP"], reason="a", origin="x"
    )
    promote_rollout(rollout_id=first.pk, reason="a")
    second = propose_rollout(
        entity="products", rule=default_rule("products"), systems=["ERP"], reason="b", origin="x"
    )
    promote_rollout(rollout_id=second.pk, reason="b")

    with pytest.raises(Conflict):
        roll_back_rollout(rollout_id=first.pk, reason="c")

    assert load_rule("products").auto_threshold == 0.99


@pytest.mark.parametrize(
    ("systems", "reason", "code"),
    [
        (["NOPE"], "try", "unknown_system"),
        ([], "try", "unknown_system"),
        (["ERP"], " ", "reason_required"),
    ],
)
def test_a_proposal_needs_known_systems_and_a_reason(erp, systems, reason, code):
    with pytest.raises(ServiceError) as failure:
        propose_rollout(
            entity="products",
            rule=lower_auto_threshold(),
            systems=systems,
            reason=reason,
            origin="steward",
        )

    assert failure.value.code == code
    assert not MatchRuleRollout.objects.exists()


def test_the_command_walks_a_rule_from_shadow_to_all(erp, shop, tmp_path):
    erp.put("products", "PD03-000670", PAPER_ERP)
    shop.put("products", "WEB01406042", PAPER_SHOP)
    path = tmp_path / "rule.json"
    path.write_text(json.dumps(rule_to_dict(lower_auto_threshold())), encoding="utf-8")
    out = io.StringIO()

    call_command(
        "rollout_match_rule",
        "propose",
        "--entity",
        "products",
        "--systems",
        "ECOM",
        "--rule",
        str(path),
        "--reason",
        "shop titles",
        stdout=out,
    )
    pk = MatchRuleRollout.objects.get().pk
    call_command("rollout_match_rule", "enable", str(pk), "--reason", "ok", stdout=out)
    call_command("rollout_match_rule", "promote", str(pk), "--reason", "ok", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == f"rollout #{pk} products: shadow on ECOM"
    assert lines[1].startswith("compared 1 pairs touching 1 records of ECOM: 1 decided differently")
    assert "  would_merge: ERP:PD03-000670 ~ ECOM:WEB01406042 review->auto 0.7489" in lines
    assert lines[-2:] == [f"rollout #{pk} products: partial", f"rollout #{pk} products: promoted"]
    with pytest.raises(CommandError, match="cannot be enabled"):
        call_command("rollout_match_rule", "enable", str(pk), "--reason", "x", stdout=out)


def test_the_admin_lists_rollouts_and_promotes_one_with_the_reason_typed(rollout):
    root = get_user_model().objects.create_superuser("root", password="correct horse battery")
    browser = Client()
    browser.force_login(root)

    page = browser.get("/admin/matching/matchrulerollout/")
    done = browser.post(
        "/admin/matching/matchrulerollout/",
        {"action": "promote_selected", "_selected_action": [rollout.pk], "reason": "shop is fine"},
        follow=True,
    )

    assert page.status_code == 200 and "link shop titles at 0.7" in page.content.decode()
    assert f"#{rollout.pk} promoted" in done.content.decode()
    rollout.refresh_from_db()
    assert rollout.stage == "promoted"
    assert rollout.history.first().history_change_reason == "promoted to all systems: shop is fine"
    assert rollout.history.first().history_user == root


def test_the_admin_proposes_a_rollout_through_the_service(erp):
    root = get_user_model().objects.create_superuser("root", password="correct horse battery")
    browser = Client()
    browser.force_login(root)
    form = browser.get("/admin/matching/matchrulerollout/add/?entity=products")

    answer = browser.post(
        "/admin/matching/matchrulerollout/add/",
        {
            "entity": "products",
            "systems_text": "erp",
            "config": json.dumps(rule_to_dict(lower_auto_threshold())),
            "reason": "from the admin",
        },
    )
    refused = browser.post(
        "/admin/matching/matchrulerollout/add/",
        {"entity": "products", "systems_text": "NOPE", "config": "{}", "reason": "x"},
    )

    assert form.status_code == 200
    assert answer.status_code == 302
    created = MatchRuleRollout.objects.get()
    assert (created.stage, created.systems, created.created_by) == ("shadow", ["ERP"], root)
    assert refused.status_code == 200 and "NOPE" in refused.content.decode()
    assert MatchRuleRollout.objects.count() == 1
