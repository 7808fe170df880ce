"""Parameter fitting of a rule: set, estimate (EM) and make monotone its m and u probabilities."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from matching.rules.model import _MIN_PROBABILITY, MatchRule


def with_probabilities(
    rule: MatchRule,
    *,
    m: Sequence[Sequence[float]] | None = None,
    u: Sequence[Sequence[float]] | None = None,
    prior: float | None = None,
) -> MatchRule:
    """A copy of ``rule`` with new m and/or u per field level (in rule order) and/or prior."""
    fields = []
    for j, f in enumerate(rule.fields):
        levels = [
            replace(
                level,
                m=float(m[j][k]) if m is not None else level.m,
                u=float(u[j][k]) if u is not None else level.u,
            )
            for k, level in enumerate(f.levels)
        ]
        fields.append(replace(f, levels=levels))
    return replace(rule, fields=fields, prior=rule.prior if prior is None else float(prior))


def estimate_m_u(
    rule: MatchRule,
    levels: Sequence[Sequence[int]],
    *,
    fix_u: bool = False,
    fix_m: bool = False,
    total_pairs: int | None = None,
    pseudo_count: float = 2.0,
    min_m: float = 1e-3,
    max_iterations: int = 100,
    tolerance: float = 1e-6,
) -> MatchRule:
    """Fit m (and u unless ``fix_u``) and the prior by expectation–maximisation on *unlabeled*
    candidate pairs.

    ``levels`` holds one row per candidate pair and one column per field rule (in rule order):
    the index of the level the pair fell in, or -1 when the field is missing or does not apply.
    The current parameters are the starting point, which keeps EM in the intended basin (the
    "match" class stays the one with high agreement).

    Two set-ups, as in Splink: with ``fix_u`` the u probabilities are taken as already estimated
    on *random* pairs (``engine.estimate_u``) and ``total_pairs`` is the number of all possible
    pairs, so the prior is the probability that two random records match (all matches are
    assumed to be among the candidates). Without ``fix_u`` everything is fitted on the candidates
    themselves and the prior is per candidate pair — simpler, but blocking makes the non-matching
    candidates agree on the blocked fields more than independent fields would, so weights are
    then too modest.

    Steps: (1) E: posterior match probability of every pair under current m, u, prior;
    (2) M: m[level] = expected share of matches in that level among matches where the field is
    present (u likewise for non-matches), smoothed by ``pseudo_count`` observations drawn from
    the starting values so that a level unseen in this sample keeps a finite weight;
    prior = sum of posteriors / number of pairs; (3) repeat until the largest parameter change
    is below ``tolerance``; (4) floor every m at ``min_m`` (no level is impossible for a match)
    and cap fuzzy levels' weights by the levels above (:func:`monotone`).

    ``fix_m`` (with ``fix_u``): only the prior is estimated, m and u are kept as they are —
    how many of the pairs match under the rule's own weights, a one-parameter fit that cannot
    wander off to another latent class the way a full fit can.
    """
    import numpy as np

    if fix_m and not fix_u:
        raise ValueError("fix_m needs fix_u: the prior alone is estimated with m and u fixed")
    matrix = np.asarray(levels, dtype=np.int64)
    if matrix.size == 0:
        return rule
    n_fields = len(rule.fields)
    if matrix.ndim != 2 or matrix.shape[1] != n_fields:
        raise ValueError(f"levels must have {n_fields} columns")
    denominator = float(total_pairs if total_pairs else len(matrix))
    m0 = [np.array([lv.m for lv in f.levels], dtype=float) for f in rule.fields]
    u0 = [np.array([lv.u for lv in f.levels], dtype=float) for f in rule.fields]
    m0 = [x / x.sum() for x in m0]
    u0 = [x / x.sum() for x in u0]
    m = list(m0)
    u = list(u0)
    present = [matrix[:, j] >= 0 for j in range(n_fields)]
    index = [np.where(present[j], matrix[:, j], 0) for j in range(n_fields)]
    # One-hot masks per field once: the iterations are then pure array arithmetic.
    masks = [
        [matrix[:, j] == k for k in range(len(rule.fields[j].levels))] for j in range(n_fields)
    ]
    prior = rule.prior
    for _ in range(max_iterations):
        logit = np.full(len(matrix), math.log(prior) - math.log1p(-prior))
        for j in range(n_fields):
            ratio = np.log(np.maximum(m[j], _MIN_PROBABILITY)) - np.log(
                np.maximum(u[j], _MIN_PROBABILITY)
            )
            logit += np.where(present[j], ratio[index[j]], 0.0)
        posterior = 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))
        change = 0.0
        for j in range(0 if fix_m else n_fields):
            weights = posterior[present[j]]
            counts = np.array([float(posterior[mask].sum()) for mask in masks[j]])
            new_m = (counts + pseudo_count * m0[j]) / (float(weights.sum()) + pseudo_count)
            change = max(change, float(np.abs(new_m - m[j]).max()))
            m[j] = new_m
            if not fix_u:
                others = np.array([float((1 - posterior)[mask].sum()) for mask in masks[j]])
                total = float((1 - weights).sum())
                new_u = (others + pseudo_count * u0[j]) / (total + pseudo_count)
                change = max(change, float(np.abs(new_u - u[j]).max()))
                u[j] = new_u
        new_prior = float(min(max(posterior.sum() / denominator, 1e-12), 0.5))
        change = max(change, abs(new_prior - prior) / max(prior, 1e-12) * 1e-3)
        prior = new_prior
        if change < tolerance:
            break
    if fix_m and fix_u:
        return with_probabilities(rule, prior=prior)
    # No level is impossible for a true match: data entry finds a way. Without a floor, a level
    # that this sample's matches never showed would veto every future pair that shows it.
    m = [np.maximum(x, min_m) / np.maximum(x, min_m).sum() for x in m]
    fitted = with_probabilities(
        rule, m=[x.tolist() for x in m], u=None if fix_u else [x.tolist() for x in u], prior=prior
    )
    return monotone(fitted, unseen_m=min_m)


def monotone(rule: MatchRule, *, unseen_m: float = 0.0) -> MatchRule:
    """Cap the positive weight of every level at the weight of the levels above it.

    A closer agreement is never weaker evidence than a looser one; a fitted rule says otherwise
    only through sampling noise (a rare fuzzy level that a random sample never hit gets a tiny
    u). Such a level's u is raised until its weight equals the level above it (or 0).

    A level whose m is at most ``unseen_m`` (the floor EM gives a level the matches never
    showed) sets no ceiling: its weight is the floor's, not evidence. Without this, birth dates
    with day and month transposed, absent from a data set, capped "one digit off" — the most
    common typo — at the weight of the floor.
    """
    fields = []
    for f in rule.fields:
        levels = list(f.levels)
        ceiling: float | None = None
        for k, level in enumerate(levels):
            if ceiling is not None and level.weight > max(ceiling, 0.0):
                cap = max(ceiling, 0.0)
                levels[k] = replace(level, u=max(level.m, _MIN_PROBABILITY) / 2.0**cap)
            # A level that (almost) never occurs, among matches or not, says nothing about how
            # strong the levels below it may be.
            if level.m > unseen_m and (level.m >= 1e-4 or level.u >= 1e-4):
                ceiling = levels[k].weight
        fields.append(replace(f, levels=levels))
    return replace(rule, fields=fields)
