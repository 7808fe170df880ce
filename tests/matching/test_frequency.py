"""Term-frequency adjustment: an agreement on a value many records share weighs less (pure)."""

from __future__ import annotations

import importlib
import math

import pytest

from matching.engine import frequency, prepare, score_prepared
from matching.engine.scoring import (
    decide_outcome,
    decide_prepared,
    outcome_probability,
    pair_outcome,
    pair_probability,
    trace_prepared,
)
from matching.keys import block_keys, value_key
from matching.rules import DEFAULT_RULES, rule_from_dict, rule_to_dict

RULE = DEFAULT_RULES["customers"]


def person(name: str, birth: str, **extra: str) -> dict[str, str]:
    return {"customer_type": "person", "name": name, "birth_date": birth, **extra}


@pytest.mark.parametrize(
    ("attribute", "attrs", "family"),
    [
        ("name", person("王伟", "1980-01-02"), "pn:"),
        ("name", {"customer_type": "org", "name": "北京华信科技有限公司"}, "nm:"),
        ("phone", {"name": "北京华信科技有限公司", "phone": "010-62345678"}, "ph:"),
        ("email", person("Wang Wei", "1980-01-02", email="wang.wei@example.com"), "em:"),
    ],
)
def test_a_value_key_is_the_block_key_of_the_whole_value(attribute, attrs, family):
    key = value_key("customers", attribute, attrs)

    assert key is not None and key.startswith(family)
    assert key in block_keys("customers", attrs)


def test_the_core_name_not_its_trigrams_is_the_value():
    key = value_key("customers", "name", {"customer_type": "org", "name": "北京华信科技有限公司"})

    assert key == "nm:华信科技"


def test_a_short_core_is_not_counted_under_the_keys_other_names_share():
    # nm:万通 is also the two-character start of 万通医疗, 万通建设…: not the count of 万通.
    assert value_key("customers", "name", {"customer_type": "org", "name": "万通有限公司"}) is None
    assert "nm:万通" in block_keys(
        "customers", {"customer_type": "org", "name": "万通医疗有限公司"}
    )


def test_values_without_a_whole_value_key_have_none():
    assert value_key("customers", "address", {"address": "北京市海淀区中关村大街27号"}) is None
    assert value_key("customers", "email", person("王伟", "1980-01-02", email="nope")) is None
    assert value_key("products", "name", {"name": "空气炸锅 6L"}) is None
    assert value_key("customers", "phone", {"phone": "12345"}) is None  # too short to block


def test_the_penalty_grows_with_the_count_and_stops_at_the_cap():
    assert frequency.penalty(frequency.REFERENCE, 10.0) == 0.0
    assert frequency.penalty(2 * frequency.REFERENCE, 10.0) == pytest.approx(1.0)
    assert frequency.penalty(4 * frequency.REFERENCE, 10.0) == pytest.approx(2.0)
    capped = math.log2(frequency.CAP / frequency.REFERENCE)
    assert frequency.penalty(10_000, 10.0) == pytest.approx(capped)


def test_a_common_value_never_turns_an_agreement_into_counter_evidence():
    assert frequency.penalty(frequency.CAP, 1.5) == 1.5
    assert frequency.penalty(frequency.CAP, -2.0) == 0.0


def with_counts(attrs: dict[str, str], counts: dict[str, int]):
    features = prepare("customers", attrs)
    features.frequencies = counts
    return features


def test_the_same_common_name_and_mailbox_go_to_review_not_auto():
    # The same mailbox at another provider, and the same name: enough for one 欧阳修远, not
    # for one of fifty 王伟.
    left = {"customer_type": "person", "name": "王伟", "email": "wangwei1980@163.com"}
    right = {"customer_type": "person", "name": "王伟", "email": "wangwei1980@126.com"}
    key = value_key("customers", "name", left)
    assert key is not None

    rare = score_prepared(RULE, prepare("customers", left), prepare("customers", right))
    common = score_prepared(
        RULE, with_counts(left, {key: frequency.CAP}), with_counts(right, {key: frequency.CAP})
    )

    assert rare.decision == "auto"
    assert common.decision == "review"
    taken = math.log2(frequency.CAP / frequency.REFERENCE)
    assert common.match_weight == pytest.approx(rare.match_weight - taken)
    name = {e.field: e for e in common.explanation}["person_name"]
    assert name.weight == pytest.approx(
        {e.field: e for e in rare.explanation}["person_name"].weight - taken
    )
    assert "more than 50 records share" in name.note
    assert {e.field: e for e in common.explanation}["email"].weight == pytest.approx(
        {e.field: e for e in rare.explanation}["email"].weight
    )  # another address: its own count does not apply


def test_a_count_on_one_side_weighs_the_pair_and_the_note_says_how_many():
    left, right = person("王伟", "1980-01-02"), person("王伟", "1980-01-02")
    key = value_key("customers", "name", left)
    assert key is not None

    found = score_prepared(RULE, with_counts(left, {key: 12}), prepare("customers", right))

    name = {e.field: e for e in found.explanation}["person_name"]
    assert "a value 12 records share" in name.note


def test_a_name_that_only_nearly_agrees_is_not_weighed_by_the_count():
    left, right = person("王伟", "1980-01-02"), person("王玮", "1980-01-02")
    key = value_key("customers", "name", left)
    assert key is not None

    plain = score_prepared(RULE, prepare("customers", left), prepare("customers", right))
    counted = score_prepared(
        RULE, with_counts(left, {key: frequency.CAP}), prepare("customers", right)
    )

    assert counted.match_weight == plain.match_weight


def test_known_levels_are_weighed_as_a_comparison_weighs_them():
    left = with_counts(person("王伟", "1980-01-02", phone="13912345678"), {})
    right = person("王伟", "1980-01-02", phone="13912345678")
    keys = [value_key("customers", a, right) for a in ("name", "phone")]
    counts = {key: 20 for key in keys if key}
    left.frequencies = counts
    right_features = with_counts(right, counts)

    compared = decide_prepared(RULE, left, right_features)
    levels = trace_prepared(RULE, left, right_features).levels
    known = decide_prepared(RULE, left, right_features, levels)

    assert known == compared
    assert score_prepared(RULE, left, right_features).score == pytest.approx(compared[1])


def test_a_stored_rule_from_before_weighs_common_values_unless_it_says_not_to():
    migration = importlib.import_module("matching.migrations.0011_term_frequency")
    stored = rule_to_dict(RULE)
    for field in stored["fields"]:
        field.pop("term_frequency")
    stored["fields"][[f["name"] for f in stored["fields"]].index("email")]["term_frequency"] = False

    assert migration._weigh_common_values(stored)

    weighed = {f["name"] for f in stored["fields"] if f.get("term_frequency")}
    assert weighed == {"company_name", "person_name", "phone"}
    assert rule_from_dict(stored).fields[0].term_frequency is False  # credit_code
    assert not migration._weigh_common_values(stored)  # nothing left to do


def test_an_outcome_carries_its_penalty_so_a_cut_is_chosen_on_the_weights_scored():
    left = {"customer_type": "person", "name": "王伟", "email": "wangwei1980@163.com"}
    right = {"customer_type": "person", "name": "王伟", "email": "wangwei1980@126.com"}
    key = value_key("customers", "name", left)
    assert key is not None
    a, b = with_counts(left, {key: 30}), with_counts(right, {key: 30})
    levels = trace_prepared(RULE, a, b).levels

    outcome = pair_outcome(RULE, a, b, levels)

    assert outcome.penalty == pytest.approx(math.log2(30 / frequency.REFERENCE), abs=1e-3)
    # The same up to the rounding that lets near-equal outcomes count as one.
    assert outcome_probability(RULE, outcome) == pytest.approx(
        pair_probability(RULE, a, b), abs=1e-5
    )
    assert decide_outcome(RULE, outcome) == decide_prepared(RULE, a, b)[0] == "review"
