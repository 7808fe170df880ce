"""The auto-link cut of a fitted rule: the lowest match probability at which the links a run
makes are, by the model's own probabilities, still as precise as the hub is asked to be.

A fixed per-pair threshold (link at 0.99 or above) asks every single link to be 99 % sure. On
data where a frequent kind of duplicate carries a little less evidence than that — the same
name with a birth date one digit off scores about 0.94, and 96 % of such pairs are one person —
it leaves them all in review, although linking them would keep the links as a whole about as
precise as the steward wants. With calibrated probabilities (weights fitted on the hub's own
records), the number of wrong links among those at or above a cut ``t`` is expected to be
``sum(1 - p)`` over them: the cut is chosen so that the *set* meets a precision target.

Steps of :func:`choose_auto_cut`:
  1. keep the pair probabilities at or above ``floor`` (below it nothing links automatically,
     whatever the set's precision);
  2. walk them from the highest down, a group of equal probabilities at a time (pairs the model
     cannot tell apart are linked together or not at all);
  3. after each group, the expected wrong links ``F = sum(1 - p)`` and their standard deviation
     ``s = sqrt(sum p (1 - p))`` (the count of wrong links is a sum of independent Bernoulli
     trials); the set's precision is taken as ``1 - (F + margin * s) / n``, a pessimistic
     estimate that matters on small sets;
  4. the cut is the lowest group probability whose set still meets ``target``; it never rises
     above ``ceiling`` (pairs the fixed threshold links keep being linked) and stops at the
     first group that fails (the set stays a top slice of the ranking).

Hard rules stay above all this: the caller passes the probabilities of the pairs no veto
stopped and no cap kept in review (an identifier both records share counts as 1.0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["AutoCut", "choose_auto_cut"]

_TIE = 1e-9


@dataclass(frozen=True)
class AutoCut:
    """The chosen cut and what it was chosen from: ``threshold`` is the probability at or above
    which pairs link automatically (``ceiling`` when the set allows no lower one); ``links`` the
    pairs at or above it and ``expected_precision`` their mean probability; ``bound`` the
    pessimistic precision the target was checked against."""

    threshold: float
    links: int
    expected_precision: float
    bound: float
    target: float
    floor: float
    ceiling: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "threshold": self.threshold,
            "links": self.links,
            "expected_precision": round(self.expected_precision, 6),
            "bound": round(self.bound, 6),
            "target": self.target,
            "floor": self.floor,
            "ceiling": self.ceiling,
        }


def choose_auto_cut(
    probabilities: Iterable[float],
    *,
    target: float,
    floor: float,
    ceiling: float,
    margin: float = 1.0,
) -> AutoCut:
    """The lowest cut in ``[floor, ceiling]`` whose links meet ``target`` (see the module doc).

    ``probabilities``: one per candidate pair the rule would score (vetoed and capped pairs left
    out). ``margin``: standard deviations of the count of wrong links added to its expectation.
    """
    if not 0.0 < floor <= ceiling <= 1.0:
        raise ValueError("the cut needs 0 < floor <= ceiling <= 1")
    if not 0.0 < target <= 1.0:
        raise ValueError("the precision target must lie in (0, 1]")
    kept = sorted((p for p in probabilities if p >= floor), reverse=True)
    threshold = ceiling
    wrong = variance = 0.0
    chosen_links, chosen_wrong, chosen_variance = 0, 0.0, 0.0
    i = 0
    while i < len(kept):
        value = kept[i]
        while i < len(kept) and kept[i] == value:
            wrong += 1.0 - kept[i]
            variance += kept[i] * (1.0 - kept[i])
            i += 1
        bound = 1.0 - (wrong + margin * math.sqrt(variance)) / i
        if value >= ceiling:
            chosen_links, chosen_wrong, chosen_variance = i, wrong, variance
            continue
        if bound < target:
            break
        # A hair below the group's probability: the decision compares log-odds, and the round
        # trip probability -> log-odds must not leave the group itself out.
        threshold = value - _TIE
        chosen_links, chosen_wrong, chosen_variance = i, wrong, variance
    expected = 1.0 - chosen_wrong / chosen_links if chosen_links else 1.0
    bound = (
        1.0 - (chosen_wrong + margin * math.sqrt(chosen_variance)) / chosen_links
        if chosen_links
        else 1.0
    )
    return AutoCut(threshold, chosen_links, expected, bound, target, floor, ceiling)
