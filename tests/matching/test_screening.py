"""The batch match stops comparing a pair once its other fields could not lift it to review
(``screened``): the decisions stay those of the full comparison, on the demo's customers."""

from __future__ import annotations

import csv
import dataclasses
import itertools
import random
from collections import defaultdict
from pathlib import Path

import pytest

from matching.compare import COMPARATORS
from matching.engine import decide_and_trace, decide_prepared, prepare
from matching.engine.compiled import _compile
from matching.engine.scoring import _compare_fields, _screen_fields
from matching.rules import DEFAULT_RULES

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
RULE = DEFAULT_RULES["customers"]
# The shipped rule, a re-fit's lower prior (most look-alikes ruled out early), and a rule that
# reviews nearly everything (hardly any pair can be ruled out).
RULES = [RULE, dataclasses.replace(RULE, prior=1e-6), dataclasses.replace(RULE, prior=0.3)]


def _demo_customers():
    rows = []
    for name in ("erp_customers.csv", "crm_customers.csv", "ecom_customers.csv"):
        with (DEMO / name).open(encoding="utf-8") as handle:
            rows += [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]
    return rows


def _candidate_pairs(records):
    """Pairs that share a block key, as the batch match finds them, and random ones."""
    by_key = defaultdict(list)
    for position, features in enumerate(records):
        for key in features.keys:
            by_key[key].append(position)
    pairs = set()
    for members in by_key.values():
        if len(members) <= 30:
            pairs.update(itertools.combinations(members, 2))
    rng = random.Random(7)
    pairs.update(tuple(sorted(rng.sample(range(len(records)), 2))) for _ in range(3000))
    return sorted(pairs)


@pytest.fixture(scope="module")
def demo():
    rows = _demo_customers()
    return [prepare("customers", row) for row in rows], rows


@pytest.mark.parametrize("rule", range(len(RULES)))
def test_screened_pairs_are_decided_as_compared_in_full(demo, rule):
    records, _rows = demo
    chosen = RULES[rule]
    c = _compile(chosen)
    stopped = 0
    decisions = defaultdict(int)
    for i, j in _candidate_pairs(records):
        a, b = records[i], records[j]
        full = decide_prepared(chosen, a, b)
        screened = decide_and_trace(chosen, a, b, screened=True)
        assert screened[0] == full[0], (i, j)
        assert screened[2] == full[2]
        decisions[full[0]] += 1
        if screened[0] != "new" or full[2] is not None:
            assert screened[1] == full[1]
            continue
        compared = _screen_fields(c, a, b, c.review_weight)
        if compared is None:
            stopped += 1
            # Stopped early only where the full weight is below review.
            assert _compare_fields(c, a, b)[1] < c.review_weight
        else:
            assert compared == _compare_fields(c, a, b)
            assert screened[1] == full[1]
    assert decisions["auto"] and decisions["new"]
    if rule == 2:
        assert decisions["review"]
    else:
        # Many look-alikes are ruled out before every field is compared.
        assert stopped > decisions["new"] // 4


def test_cheap_fields_rule_out_a_look_alike_before_its_name_is_compared():
    """Two companies of one trade name in two cities, nothing else shared: their addresses,
    postal codes and divisions rule the pair out before the names, which agree, are
    compared."""
    rule = RULES[1]
    c = _compile(rule)
    left = prepare(
        "customers",
        {
            "name": "北京华信科技有限公司",
            "customer_type": "org",
            "address": "北京市海淀区中关村大街27号",
            "postal_code": "100080",
            "region_code": "110108",
            "phone": "13901234567",
        },
    )
    right = prepare(
        "customers",
        {
            "name": "广州华信科技有限公司",
            "customer_type": "org",
            "address": "广州市天河区体育西路103号",
            "postal_code": "510620",
            "region_code": "440106",
            "phone": "13822223333",
        },
    )
    decision, score, veto, trace = decide_and_trace(rule, left, right, screened=True)
    assert (decision, score, veto, trace) == ("new", 0.0, None, None)
    assert _screen_fields(c, left, right, c.review_weight) is None
    # Compared in full, the same pair is new too, though its trade names agree.
    assert decide_prepared(rule, left, right)[0] == "new"
    levels, weight, similarities = _compare_fields(c, left, right)
    position = next(k for k, f in enumerate(c.fields) if f.comparator == "company_name")
    assert similarities[position] is not None and similarities[position] >= 0.6
    assert weight < c.review_weight


def test_the_costliest_comparators_come_last():
    entries, most = _compile(RULE).screen["organization"]
    costs = [COMPARATORS[entry[5].comparator].cost for entry, _top in entries]
    assert costs == sorted(costs)
    assert entries[-1][0][5].comparator == "company_name"
    assert most == pytest.approx(
        _compile(RULE).prior_weight + sum(max(0.0, *entry[4]) for entry, _top in entries)
    )
