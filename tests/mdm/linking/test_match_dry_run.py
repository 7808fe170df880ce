"""`match --dry-run`: what a run (or a changed rule) would merge, split and queue, unwritten."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from matching.models import MatchCandidate, MatchRuleChange, MatchRuleConfig
from matching.rules import DEFAULT_RULES, rule_to_dict
from mdm.models import Customer, Event, SourceRecord
from tests.support.matching import set_thresholds

pytestmark = pytest.mark.django_db


def org(name: str, **attrs: str) -> dict[str, str]:
    return {"name": name, "customer_type": "org", **attrs}


@pytest.fixture
def unmatched(erp, crm, shop):
    """One company in three systems and a look-alike, stored while auto-linking was off."""
    set_thresholds(auto=0.999999999999, review=0.999999999)
    erp.put("customers", "SD01-1", org("北京华信科技有限公司", phone="010-62345678"))
    crm.put("customers", "BJ-B-1", org("华信科技（北京）有限公司", phone="(010)62345678"))
    shop.put("customers", "WEB1", org("北京华信科技有限公司", phone="+86 10 62345678"))
    erp.put("customers", "SD01-2", org("广州华信科技有限公司", phone="020-87654321"))
    crm.put("customers", "GZ-1", org("华信科技", email="gz@huaxin.example"))
    set_thresholds(auto=0.99)


def snapshot() -> dict:
    """Everything a run may write."""
    return {
        "records": list(
            SourceRecord.objects.order_by("pk").values_list("pk", "golden_code", "link_kind")
        ),
        "record_history": SourceRecord.history.count(),
        "goldens": list(Customer.objects.order_by("pk").values_list("code", "status")),
        "candidates": list(
            MatchCandidate.objects.order_by("pk").values_list("pk", "score", "status")
        ),
        "candidate_history": MatchCandidate.history.count(),
        "events": Event.objects.count(),
        "rules": list(MatchRuleConfig.objects.values_list("pk", "auto_threshold", "config")),
        "rule_history": MatchRuleConfig.history.count(),
        "learning": MatchRuleChange.objects.count(),
    }


def figures(text: str, *names: str) -> dict[str, int]:
    found = {}
    for word in text.replace(",", " ").split():
        name, _, value = word.partition("=")
        if name in names and value.isdigit():
            found[name] = int(value)
    return found


def test_a_dry_run_writes_nothing_and_reports_what_the_run_then_does(unmatched):
    before = snapshot()
    dry = io.StringIO()

    call_command("match", entity="customers", dry_run=True, no_progress=True, stdout=dry)

    assert snapshot() == before
    out = io.StringIO()
    call_command("match", entity="customers", no_progress=True, processes=1, stdout=out)
    planned = figures(dry.getvalue(), "would_merge", "would_queue", "would_split")
    done = figures(out.getvalue(), "golden_merged", "review_candidates")
    assert planned == {
        "would_merge": done["golden_merged"],
        "would_queue": done["review_candidates"],
        "would_split": 0,
    }
    assert (done["golden_merged"], done["review_candidates"]) == (2, 4)
    assert "dry run customers (nothing written)" in dry.getvalue()
    assert "  merge: [" in dry.getvalue()
    assert Customer.objects.filter(status="active").count() == 5 - 2


def test_a_dry_run_of_a_stricter_rule_reports_the_golden_records_it_would_split(
    erp, shop, tmp_path
):
    erp.put("customers", "SD01-1", org("北京华信科技有限公司", phone="010-62345678"))
    shop.put("customers", "WEB1", org("北京华信科技有限公司", phone="+86 10 62345678"))
    assert Customer.objects.filter(status="active").count() == 1  # linked in real time
    strict = rule_to_dict(DEFAULT_RULES["customers"]) | {"auto_threshold": 0.999999999999}
    path = tmp_path / "strict.json"
    path.write_text(json.dumps(strict))
    before = snapshot()
    out = io.StringIO()

    call_command(
        "match", entity="customers", dry_run=True, rule=str(path), no_progress=True, stdout=out
    )

    assert snapshot() == before
    assert "would_split=1 golden records (1 records leaving)" in out.getvalue()
    code = SourceRecord.objects.get(local_code="SD01-1").golden_code
    assert f"  split: {code}" in out.getvalue()


def test_a_rule_file_without_a_dry_run_is_refused(db, tmp_path):
    path = tmp_path / "rule.json"
    path.write_text(json.dumps(rule_to_dict(DEFAULT_RULES["customers"])))

    with pytest.raises(CommandError, match="--rule is only for --dry-run"):
        call_command("match", entity="customers", rule=str(path), no_progress=True)


def test_a_rule_for_another_entity_is_refused(db, tmp_path):
    path = tmp_path / "rule.json"
    path.write_text(json.dumps(rule_to_dict(DEFAULT_RULES["products"])))

    with pytest.raises(CommandError, match="is for products, not customers"):
        call_command("match", entity="customers", rule=str(path), dry_run=True, no_progress=True)
