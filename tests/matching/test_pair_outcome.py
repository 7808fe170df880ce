"""A pair's outcome (hard rules, kind, levels, the names cap) decides it as the pair itself does,
under the rule it was found with and under a re-fit of it."""

from __future__ import annotations

import dataclasses

import pytest

from matching.engine import (
    decide_outcome,
    decide_prepared,
    outcome_probability,
    pair_outcome,
    pair_probability,
    prepare,
    trace_prepared,
)
from matching.rules import DEFAULT_RULES

RULE = DEFAULT_RULES["customers"]


def person(name: str, birth_date: str, **attrs: str):
    return prepare(
        "customers", {"name": name, "customer_type": "person", "birth_date": birth_date, **attrs}
    )


def org(name: str, **attrs: str):
    return prepare("customers", {"name": name, "customer_type": "org", **attrs})


ADDRESS = {"address": "北京市海淀区中关村大街27号", "phone": "13901234567"}
PAIRS = {
    "birth year one digit off": (
        person("FRANK LEHMANN", "1951-08-18"),
        person("FRANK LEHMANN", "1952-08-18"),
    ),
    "same resident ID": (
        person("张伟", "1980-01-02", id_number="110101198001020014"),
        person("张伟", "1980-02-01", id_number="110101198001020014"),
    ),
    "different resident ID": (
        person("张伟", "1980-01-02", id_number="110101198001020014"),
        person("张伟", "1980-01-02", id_number="11010119800102003X"),
    ),
    "twins capped at review": (
        person("王建国", "1990-05-06", **ADDRESS),
        person("王丽华", "1990-05-06", **ADDRESS),
    ),
    "short name and phone": (
        org("北京华信科技有限公司", phone="010-62345678"),
        org("华信科技", phone="(010)62345678"),
    ),
    "two companies at one switchboard": (
        org("北京华信科技有限公司", phone="010-62345678"),
        org("北京长城饭店有限公司", phone="010-62345678"),
    ),
}
# The shipped rule and two re-fits of it: a prior that links far more, and one that links less.
RULES = [RULE, dataclasses.replace(RULE, prior=0.2), dataclasses.replace(RULE, prior=1e-9)]


@pytest.mark.parametrize("case", sorted(PAIRS))
@pytest.mark.parametrize("rule", range(len(RULES)))
def test_an_outcome_decides_as_its_pair(case, rule):
    a, b = PAIRS[case]
    levels = trace_prepared(RULE, a, b).levels

    outcome = pair_outcome(RULE, a, b, levels)

    assert decide_outcome(RULES[rule], outcome) == decide_prepared(RULES[rule], a, b, levels)[0]
    assert outcome_probability(RULES[rule], outcome) == pair_probability(RULES[rule], a, b, levels)


def test_the_outcomes_tell_the_hard_rules_and_the_cap():
    outcomes = {
        case: pair_outcome(RULE, a, b, trace_prepared(RULE, a, b).levels)
        for case, (a, b) in PAIRS.items()
    }

    assert outcomes["same resident ID"].identified
    assert outcomes["different resident ID"].vetoed
    assert outcomes["twins capped at review"].names_differ
    assert decide_outcome(RULES[1], outcomes["twins capped at review"]) == "review"
    assert outcome_probability(RULES[1], outcomes["twins capped at review"]) is None
    plain = outcomes["birth year one digit off"]
    assert not (plain.vetoed or plain.identified or plain.names_differ)
    assert plain.kind == "person"
