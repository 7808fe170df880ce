"""The auto-link cut: the lowest probability at which a run's links still meet a precision target."""

from __future__ import annotations

import pytest

from matching.engine import choose_auto_cut, pair_probability, prepare
from matching.rules import DEFAULT_RULES, weight_to_probability

# What a rule fitted on RLdata10000 gives its candidate pairs (docs/benchmarks.md): the same
# name and birth date, and the same name with the birth date one digit off.
SAME = 0.9988
ONE_DIGIT_OFF = 0.9436
CLOSE_NAME_SAME_DATE = 0.5178


def test_a_large_set_of_sure_links_carries_the_band_just_below_the_fixed_threshold():
    probabilities = [SAME] * 592 + [ONE_DIGIT_OFF] * 365 + [CLOSE_NAME_SAME_DATE] * 3

    cut = choose_auto_cut(probabilities, target=0.97, floor=0.9, ceiling=0.99)

    assert cut.threshold == pytest.approx(ONE_DIGIT_OFF)
    assert cut.threshold < ONE_DIGIT_OFF  # the whole tie group links, not part of it
    assert cut.links == 957
    assert cut.expected_precision == pytest.approx(1 - (592 * 0.0012 + 365 * 0.0564) / 957)
    wrong = 592 * 0.0012 + 365 * 0.0564
    deviation = (592 * 0.9988 * 0.0012 + 365 * 0.9436 * 0.0564) ** 0.5
    assert cut.bound == pytest.approx(1 - (wrong + deviation) / 957)
    assert round(cut.bound, 4) == 0.9731


def test_a_stricter_target_keeps_the_fixed_threshold():
    probabilities = [SAME] * 592 + [ONE_DIGIT_OFF] * 365

    cut = choose_auto_cut(probabilities, target=0.99, floor=0.9, ceiling=0.99)

    assert (cut.threshold, cut.links) == (0.99, 592)


def test_nothing_below_the_floor_links_however_many_sure_links_there_are():
    probabilities = [1.0] * 5000 + [0.85] * 10

    cut = choose_auto_cut(probabilities, target=0.97, floor=0.9, ceiling=0.99)

    assert (cut.threshold, cut.links) == (0.99, 5000)


def test_the_walk_stops_at_the_first_group_that_fails():
    # 0.92 alone would fail the target; the 0.91 pairs after it must not be reached through it.
    probabilities = [0.999] * 20 + [0.92] * 30 + [0.91] * 1

    cut = choose_auto_cut(probabilities, target=0.97, floor=0.9, ceiling=0.99)

    assert (cut.threshold, cut.links) == (0.99, 20)


def test_a_small_set_pays_for_its_uncertainty():
    # Ten sure links and two at 0.95: 0.988 expected, but one standard deviation of the
    # number of wrong links is a third of a link on twelve.
    probabilities = [0.999] * 10 + [0.95] * 2

    strict = choose_auto_cut(probabilities, target=0.97, floor=0.9, ceiling=0.99)
    without_margin = choose_auto_cut(probabilities, target=0.97, floor=0.9, ceiling=0.99, margin=0)

    assert (strict.threshold, strict.links) == (0.99, 10)
    assert without_margin.links == 12


def test_no_pairs_keep_the_ceiling():
    cut = choose_auto_cut([], target=0.97, floor=0.9, ceiling=0.99)

    assert cut.as_dict() == {
        "threshold": 0.99,
        "links": 0,
        "expected_precision": 1.0,
        "bound": 1.0,
        "target": 0.97,
        "floor": 0.9,
        "ceiling": 0.99,
    }


@pytest.mark.parametrize(
    ("floor", "ceiling", "target"), [(0.0, 0.99, 0.97), (0.995, 0.99, 0.97), (0.9, 0.99, 0.0)]
)
def test_a_cut_outside_probabilities_is_refused(floor, ceiling, target):
    with pytest.raises(ValueError):
        choose_auto_cut([0.95], target=target, floor=floor, ceiling=ceiling)


# --------------------------------------------------------------------------- pair probability

RULE = DEFAULT_RULES["customers"]


def person(name: str, birth_date: str, **attrs: str):
    return prepare(
        "customers", {"name": name, "customer_type": "person", "birth_date": birth_date, **attrs}
    )


def test_a_pair_the_weights_decide_has_their_probability():
    a, b = person("FRANK LEHMANN", "1951-08-18"), person("FRANK LEHMANN", "1952-08-18")

    probability = pair_probability(RULE, a, b)

    assert probability == pytest.approx(weight_to_probability(-15.61 + 11.29 + 5.91), abs=1e-3)


def test_a_shared_resident_id_is_certain_and_a_different_one_is_no_link():
    a = person("张伟", "1980-01-02", id_number="110101198001020014")
    same = person("张伟", "1980-02-01", id_number="110101198001020014")
    other = person("张伟", "1980-01-02", id_number="11010119800102003X")

    assert pair_probability(RULE, a, same) == 1.0
    assert pair_probability(RULE, a, other) is None


def test_twins_capped_at_review_by_a_hard_rule_are_left_out():
    address = {"address": "北京市海淀区中关村大街27号", "phone": "13901234567"}
    a, b = person("王建国", "1990-05-06", **address), person("王丽华", "1990-05-06", **address)

    assert pair_probability(RULE, a, b) is None
