"""The stored rule is parsed once per version of its row, and every change is seen at once.

Every upsert asks for the match rule; ``load_rule`` reads the row's version and parses the
stored rule again only when the row changed, by any path: ``store_rule``, a queryset update
that leaves ``updated_at`` alone, two changes in one transaction, a change rolled back.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from matching.models import MatchRuleConfig
from matching.rules import DEFAULT_RULES, default_rule, rule_to_dict
from mdm.linking.rule_store import load_rule, store_rule

pytestmark = pytest.mark.django_db


def stored(threshold: float) -> None:
    rule = default_rule("customers")
    rule.auto_threshold = threshold
    store_rule("customers", rule, reason="test")


def test_an_unchanged_rule_is_the_same_object_and_a_changed_one_is_new():
    stored(0.93)
    first = load_rule("customers")
    assert first.auto_threshold == 0.93
    if connection.vendor == "postgresql":  # the embedded SQLite parses on every read
        assert load_rule("customers") is first  # parsed once, compiled once
    stored(0.91)
    second = load_rule("customers")
    assert second is not first
    assert second.auto_threshold == 0.91


def test_a_queryset_update_that_keeps_updated_at_is_seen():
    stored(0.93)
    assert load_rule("customers").auto_threshold == 0.93
    config = rule_to_dict(default_rule("customers"))
    config["prior"] = 0.123
    updated_at = MatchRuleConfig.objects.get(entity="customers").updated_at
    MatchRuleConfig.objects.filter(entity="customers").update(
        config=config, auto_threshold=0.8, updated_at=updated_at
    )
    rule = load_rule("customers")
    assert (rule.auto_threshold, rule.prior) == (0.8, 0.123)


def test_two_changes_in_one_transaction_are_both_seen_and_a_rollback_too():
    stored(0.93)
    assert load_rule("customers").auto_threshold == 0.93
    with pytest.raises(RuntimeError), transaction.atomic():
        stored(0.92)
        assert load_rule("customers").auto_threshold == 0.92
        stored(0.91)
        assert load_rule("customers").auto_threshold == 0.91
        raise RuntimeError("rolled back")
    assert load_rule("customers").auto_threshold == 0.93


def test_no_active_rule_is_the_shipped_one():
    stored(0.93)
    assert load_rule("customers").auto_threshold == 0.93
    MatchRuleConfig.objects.filter(entity="customers").update(is_active=False)
    assert load_rule("customers") is DEFAULT_RULES["customers"]


def test_the_rule_is_read_in_one_query_while_it_does_not_change(django_assert_num_queries):
    stored(0.93)
    load_rule("customers")
    with django_assert_num_queries(1):
        load_rule("customers")


def test_a_deleted_rule_is_the_shipped_one_again():
    stored(0.93)
    assert load_rule("customers").auto_threshold == 0.93
    MatchRuleConfig.objects.filter(entity="customers").delete()
    assert load_rule("customers") is DEFAULT_RULES["customers"]
