"""Whole-set matching on plain records: score all pairs, refit m/u by EM, dedupe and link."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from matching.engine.candidates import _cross_pairs, candidate_pairs
from matching.engine.clustering import _conflict_checker, cluster
from matching.engine.compiled import (
    UNKNOWN_KIND,
    _compile,
    _Compiled,
    _feature,
    _Field,
    applies,
)
from matching.engine.features import Features, Record, RecordId, prepare
from matching.engine.scoring import (
    PairOutcome,
    _compare_fields,
    _decide,
    _hard,
    _names_differ,
    _outcome,
)
from matching.forked import map_forked
from matching.rules import (
    MatchRule,
    estimate_m_u,
    with_probabilities,
)


@dataclass
class BatchResult:
    """Outcome of a batch run. Pairs are ``(left id, right id, score)``; ``clusters`` (dedupe only)
    are lists of record ids, singletons included; ``rule`` is the rule actually used (refitted
    when ``fit=True``); ``timings`` in seconds per stage."""

    pairs_scored: int
    auto_pairs: list[tuple[RecordId, RecordId, float]]
    review_pairs: list[tuple[RecordId, RecordId, float]]
    vetoed: int
    clusters: list[list[RecordId]]
    skipped_keys: dict[str, int]
    rule: MatchRule
    timings: dict[str, float]


@dataclass
class _Scored:
    pairs: list[tuple[int, int]]
    levels: list[list[int]]
    weights: list[float]
    vetoes: list[str | None]
    autos: list[str | None]
    #: Filled when asked (``outcomes=True``): each pair's ``PairOutcome``.
    outcomes: list[PairOutcome] = field(default_factory=list)


def _score_all(
    c: _Compiled,
    left: Sequence[Features],
    right: Sequence[Features],
    pairs: Iterable[tuple[int, int]],
    outcomes: bool = False,
) -> _Scored:
    scored = _Scored([], [], [], [], [])
    for i, j in pairs:
        a, b = left[i], right[j]
        veto, auto_field = _hard(c, a, b)
        levels, weight, _ = _compare_fields(c, a, b)
        scored.pairs.append((i, j))
        scored.levels.append(levels)
        scored.weights.append(weight)
        scored.vetoes.append(veto)
        scored.autos.append(auto_field)
        if outcomes:
            scored.outcomes.append(_outcome(c, a, b, veto, auto_field, levels))
    return scored


def _refit(
    rule: MatchRule,
    left: Sequence[Features],
    right: Sequence[Features],
    scored: _Scored,
    *,
    same: bool,
    samples: int,
    seed: int,
    estimated: tuple[MatchRule, list[bool]] | None = None,
    total_pairs: int | None = None,
) -> tuple[MatchRule, _Compiled]:
    """u from random pairs, then m and the prior by EM on the candidates; re-weight the pairs.

    Random pairs include the true matches, in proportion ``prior``: an exact agreement on a rare
    value (an address) is seen among random pairs mostly *because of* the duplicates. Once EM has
    estimated m and the prior, that share is taken out of u — P(level) = prior * m + (1 - prior)
    * u — and EM runs again from there. ``estimated``: u as ``_estimate_u`` returns it, when the
    caller sampled it already.
    """
    if estimated is None:
        estimated = _estimate_u(rule, left, right, same=same, samples=samples, seed=seed)
    agreement, counted = estimated
    total = len(left) * (len(left) - 1) // 2 if same else len(left) * len(right)
    fitted = estimate_m_u(agreement, scored.levels, fix_u=True, total_pairs=total)
    # Only the counted exact levels are precise enough to subtract from; a sampled fuzzy level
    # that the sample hardly hit would be driven to an absurd weight.
    corrected = [
        [
            max(observed.u - fitted.prior * level.m, observed.u * 1e-3) / (1.0 - fitted.prior)
            if k == 0 and exact
            else observed.u
            for k, (observed, level) in enumerate(zip(raw.levels, fit.levels, strict=True))
        ]
        for raw, fit, exact in zip(agreement.fields, fitted.fields, counted, strict=True)
    ]
    fitted = estimate_m_u(
        with_probabilities(fitted, u=corrected), scored.levels, fix_u=True, total_pairs=total
    )
    c = _compile(fitted)
    weight_tables = [spec.weights for spec in c.fields]
    scored.weights = [
        c.prior_weight
        + sum(table[level] for table, level in zip(weight_tables, row, strict=True) if level >= 0)
        for row in scored.levels
    ]
    return fitted, c


def _estimate_u(
    rule: MatchRule,
    left: Sequence[Features],
    right: Sequence[Features],
    *,
    same: bool,
    samples: int,
    seed: int,
    pseudo_count: float = 1.0,
) -> tuple[MatchRule, list[bool]]:
    """u per level from random pairs; also which fields' exact level was counted exactly."""
    c = _compile(rule)
    pairs = _random_pairs(len(left), len(right), same=same, samples=samples, seed=seed)
    counts = _level_counts(c, left, right, pairs)
    exacts = _exact_agreements(c, left, right, same=same)
    return _u_from_counts(rule, c, counts, exacts, pseudo_count=pseudo_count)


def _random_pairs(
    n_left: int, n_right: int, *, same: bool, samples: int, seed: int
) -> list[tuple[int, int]]:
    """``samples`` random pairs of positions drawn with ``seed`` (a record with itself left out)."""
    import random

    rng = random.Random(seed)
    pairs = []
    if n_left > 1 and n_right > 0:
        for _ in range(samples):
            i, j = rng.randrange(n_left), rng.randrange(n_right)
            if not (same and i == j):
                pairs.append((i, j))
    return pairs


def _level_counts(
    c: _Compiled,
    left: Sequence[Features],
    right: Sequence[Features],
    pairs: Iterable[tuple[int, int]],
) -> list[list[float]]:
    """How many of ``pairs`` fell in each level of each field."""
    counts = [[0.0] * len(spec.thresholds) for spec in c.fields]
    for i, j in pairs:
        levels, _weight, _ = _compare_fields(c, left[i], right[j])
        for position, level in enumerate(levels):
            if level >= 0:
                counts[position][level] += 1.0
    return counts


def _exact_agreements(
    c: _Compiled, left: Sequence[Features], right: Sequence[Features], *, same: bool
) -> list[float | None]:
    """Per field, P(two random records agree exactly) from value frequencies (None: no exact
    key, or too few values)."""
    return [
        _exact_agreement(spec, left, right, same=same) if spec.exact_key else None
        for spec in c.fields
    ]


#: Random pairs compared on a field, fewest, for its u to be re-estimated from them.
MIN_COMPARED_FOR_U = 50


def _u_from_counts(
    rule: MatchRule,
    c: _Compiled,
    counts: Sequence[Sequence[float]],
    exacts: Sequence[float | None],
    pseudo_count: float = 1.0,
) -> tuple[MatchRule, list[bool]]:
    """u per level from the random pairs' level counts and, for exact levels, the exact
    agreement of ``_exact_agreements``."""
    u: list[list[float]] = []
    counted: list[bool] = []
    for stored, spec, field_counts, exact in zip(
        rule.fields, c.fields, counts, exacts, strict=True
    ):
        # Add-one smoothing: a level the sample never hit is "rarer than 1 in ``samples``", not
        # impossible — a fuzzy level with an unmeasurably small u would outweigh real evidence.
        smoothed = [n + pseudo_count for n in field_counts]
        counted.append(exact is not None and spec.thresholds[0] >= 1.0)
        if not counted[-1] and sum(field_counts) < MIN_COMPARED_FOR_U:
            # Too few random pairs had the field on both sides (the data lacks it, or nearly):
            # nothing to re-estimate it from; smoothing would make its levels about equally
            # likely. It keeps the u of the rule being fitted.
            u.append([level.u for level in stored.levels])
            continue
        if not counted[-1]:
            total = sum(smoothed)
            u.append([n / total for n in smoothed])
            continue
        # Exact agreement from value frequencies, the other levels share the rest as sampled.
        rest = sum(smoothed[1:])
        u.append([exact or 0.0] + [(1.0 - (exact or 0.0)) * n / rest for n in smoothed[1:]])
    return with_probabilities(rule, u=u), counted


def _exact_agreement(
    spec: _Field, left: Sequence[Features], right: Sequence[Features], *, same: bool
) -> float | None:
    """P(two random records agree exactly on a field), from the frequencies of its values."""
    from collections import Counter

    def keys(features: Sequence[Features]) -> Counter[Any]:
        counter: Counter[Any] = Counter()
        assert spec.exact_key is not None
        for f in features:
            # As the pairs are compared (``compiled.applies``): a record of unknown kind
            # counts as an organization's, but not for a field a side must declare.
            if f.entity == "customers" and not applies(
                spec.applies_to, spec.comparator, f.kind or UNKNOWN_KIND
            ):
                continue
            value = _feature(f, spec)
            if value is not None and (key := spec.exact_key(value)) is not None:
                counter[key] += 1
        return counter

    left_keys = keys(left)
    n_left = sum(left_keys.values())
    if same:
        if n_left < 2:
            return None
        agreeing = sum(n * (n - 1) for n in left_keys.values())
        return max(agreeing / (n_left * (n_left - 1)), 1e-9)
    right_keys = keys(right)
    n_right = sum(right_keys.values())
    if not n_left or not n_right:
        return None
    agreeing = sum(n * right_keys.get(key, 0) for key, n in left_keys.items())
    return max(agreeing / (n_left * n_right), 1e-9)


def estimate_u(
    rule: MatchRule,
    records: Sequence[Record],
    other: Sequence[Record] | None = None,
    *,
    samples: int = 20_000,
    seed: int = 0,
) -> MatchRule:
    """Re-estimate u — the chance of each level for two *different* records — on random pairs.

    Random pairs are almost all non-matches, so no labels are needed. Exact agreement is counted
    from value frequencies (a random sample would rarely see two equal birth dates); the other
    levels from ``samples`` random pairs drawn with ``seed``. ``other`` given: pairs across the
    two sets (linking), else within ``records``.
    """
    left = [prepare(rule.entity, r.attrs, r.flagged) for r in records]
    right = [prepare(rule.entity, r.attrs, r.flagged) for r in other] if other else left
    return _estimate_u(rule, left, right, same=other is None, samples=samples, seed=seed)[0]


def _split(
    c: _Compiled, scored: _Scored, left: Sequence[Features], right: Sequence[Features]
) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, float]], set[tuple[int, int]]]:
    auto: list[tuple[int, int, float]] = []
    review: list[tuple[int, int, float]] = []
    vetoed: set[tuple[int, int]] = set()
    for (i, j), weight, veto, auto_field in zip(
        scored.pairs, scored.weights, scored.vetoes, scored.autos, strict=True
    ):
        # The review cap matters only for pairs the weights would link: test those alone.
        capped = (
            weight >= c.auto_weight and auto_field is None and _names_differ(c, left[i], right[j])
        )
        score, decision = _decide(c, weight, veto, auto_field, capped)
        if veto is not None:
            vetoed.add((i, j))
        elif decision == "auto":
            auto.append((i, j, score))
        elif decision == "review":
            review.append((i, j, score))
    return auto, review, vetoed


def _run(
    rule: MatchRule,
    left: Sequence[Features],
    right: Sequence[Features],
    pairs: Iterable[tuple[int, int]],
    *,
    same: bool,
    fit: bool,
    samples: int,
    seed: int,
    timings: dict[str, float],
) -> tuple[MatchRule, _Compiled, _Scored]:
    started = time.perf_counter()
    c = _compile(rule)
    scored = _score_all(c, left, right, pairs)
    timings["block_and_compare"] = time.perf_counter() - started
    if fit:
        started = time.perf_counter()
        rule, c = _refit(rule, left, right, scored, same=same, samples=samples, seed=seed)
        timings["fit"] = time.perf_counter() - started
    return rule, c, scored


def prepare_all(rule: MatchRule, records: Sequence[Record]) -> list[Features]:
    """Features and blocking keys of each record, in order."""
    features = [prepare(rule.entity, r.attrs, r.flagged) for r in records]
    for f in features:
        _ = f.keys
    return features


def dedupe(
    records: Sequence[Record],
    rule: MatchRule,
    *,
    max_block_size: int = 200,
    fit: bool = False,
    u_samples: int = 20_000,
    seed: int = 0,
) -> BatchResult:
    """Find duplicates within one set of records and cluster them.

    1. prepare features and blocking keys once per record;
    2. candidate pairs from shared keys (too common keys skipped and reported);
    3. hard rules and comparison levels per pair;
    4. with ``fit``, re-estimate the rule on this data without any labels: u from random pairs
       (:func:`estimate_u`, seeded), then m and the prior by EM on the candidate pairs, and
       re-weight the pairs (a table look-up: levels are not recomputed);
    5. auto / review / vetoed by the thresholds;
    6. union–find over auto pairs, strongest first, refusing conflicting merges.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    features = prepare_all(rule, records)
    timings["prepare"] = time.perf_counter() - started
    skipped: dict[str, int] = {}
    pairs = candidate_pairs(features, rule.entity, max_block_size, skipped=skipped)
    used, c, scored = _run(
        rule,
        features,
        features,
        pairs,
        same=True,
        fit=fit,
        samples=u_samples,
        seed=seed,
        timings=timings,
    )
    started = time.perf_counter()
    auto, review, vetoed = _split(c, scored, features, features)
    groups = cluster(len(records), auto, _conflict_checker(c, features, vetoed))
    timings["cluster"] = time.perf_counter() - started
    ids = [r.id for r in records]
    return BatchResult(
        pairs_scored=len(scored.pairs),
        auto_pairs=[(ids[i], ids[j], s) for i, j, s in auto],
        review_pairs=[(ids[i], ids[j], s) for i, j, s in review],
        vetoed=len(vetoed),
        clusters=[[ids[x] for x in group] for group in groups],
        skipped_keys=skipped,
        rule=used,
        timings=timings,
    )


def link(
    records_a: Sequence[Record],
    records_b: Sequence[Record],
    rule: MatchRule,
    *,
    max_block_size: int = 200,
    fit: bool = False,
    u_samples: int = 20_000,
    seed: int = 0,
) -> BatchResult:
    """Link two files: pairs (a, b) across them only, scored as in :func:`dedupe`, no clustering."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    left = prepare_all(rule, records_a)
    right = prepare_all(rule, records_b)
    timings["prepare"] = time.perf_counter() - started
    skipped: dict[str, int] = {}
    pairs = _cross_pairs(left, right, max_block_size, skipped)
    used, c, scored = _run(
        rule,
        left,
        right,
        pairs,
        same=False,
        fit=fit,
        samples=u_samples,
        seed=seed,
        timings=timings,
    )
    auto, review, vetoed = _split(c, scored, left, right)
    ids_a = [r.id for r in records_a]
    ids_b = [r.id for r in records_b]
    return BatchResult(
        pairs_scored=len(scored.pairs),
        auto_pairs=[(ids_a[i], ids_b[j], s) for i, j, s in auto],
        review_pairs=[(ids_a[i], ids_b[j], s) for i, j, s in review],
        vetoed=len(vetoed),
        clusters=[],
        skipped_keys=skipped,
        rule=used,
        timings=timings,
    )


def fit_rule(
    rule: MatchRule,
    records: Sequence[Record],
    *,
    max_block_size: int = 200,
    u_samples: int = 20_000,
    seed: int = 0,
    features: Sequence[Features] | None = None,
    processes: int = 1,
    compared: dict[tuple[RecordId, RecordId], tuple[int, ...]] | None = None,
    pairs: Sequence[tuple[int, int]] | None = None,
    u_features: Sequence[Features] | None = None,
    total_pairs: int | None = None,
    outcomes: Counter[PairOutcome] | None = None,
) -> MatchRule:
    """Re-estimate a rule on ``records`` without labels: u from random pairs, then m and the
    prior by EM on the candidate pairs (what ``dedupe(fit=True)`` does, returned for storage).

    ``features``: the records already prepared (``prepare_all``), in the same order; the
    comparisons fill their caches, so a caller that scores the same records next (the batch
    match after a re-fit) finds them ready. ``processes`` > 1: the candidate pairs are compared
    in that many forked children while this process samples the random pairs (the same rule
    comes out; see ``matching.forked`` for what the caller must not hold open). ``compared``:
    filled with the comparison levels of each candidate pair, ``(id, id) -> levels``, valid for
    any rule of the same ``comparison_signature`` (a re-fit changes weights, not levels).
    ``pairs``: the candidate pairs to fit on, as positions in ``records`` (default: the pairs
    sharing a blocking key of ``features``, blocks past ``max_block_size`` skipped).
    ``u_features``: the records whose random pairs and value frequencies give u (default
    ``features``: a caller fitting on a sample of pairs passes a random sample of all records).
    ``total_pairs``: the number of pairs the prior is a share of (default: all pairs of
    ``records``; a caller fitting on a sample of the candidate pairs scales it by that share).
    ``outcomes``: filled with the candidate pairs counted by ``PairOutcome`` (for checking
    the fit: ``mdm.linking.learning``).
    """
    if features is None:
        features = (
            prepare_all(rule, records)
            if pairs is None
            else [prepare(rule.entity, r.attrs, r.flagged) for r in records]
        )
    c = _compile(rule)
    if pairs is None:
        pairs = list(candidate_pairs(features, rule.entity, max_block_size))
    u_left = features if u_features is None else u_features
    random_pairs = _random_pairs(len(u_left), len(u_left), same=True, samples=u_samples, seed=seed)
    with_outcomes = outcomes is not None
    if processes > 1 and len(pairs) + len(random_pairs) >= PARALLEL_FIT_PAIRS:
        # The candidate pairs and the random pairs, each split between the children; the
        # value frequencies of the exact levels are counted here meanwhile.
        chunks: list[tuple[bool, Sequence[tuple[int, int]]]] = [
            (random, part)
            for random, some in ((False, pairs), (True, random_pairs))
            for part in _slices(some, processes)
        ]

        def work(chunk: tuple[bool, Sequence[tuple[int, int]]]) -> Any:
            random, part = chunk
            if random:
                return _level_counts(c, u_left, u_left, part)
            return _score_all(c, features, features, part, with_outcomes)

        parts, exacts = map_forked(
            work, chunks, processes, lambda: _exact_agreements(c, u_left, u_left, same=True)
        )
        scored = _Scored([], [], [], [], [])
        counts = [[0.0] * len(spec.thresholds) for spec in c.fields]
        for (random, _part), part_result in zip(chunks, parts, strict=True):
            if random:
                for total, found in zip(counts, part_result, strict=True):
                    total[:] = [x + y for x, y in zip(total, found, strict=True)]
                continue
            for name in ("pairs", "levels", "weights", "vetoes", "autos", "outcomes"):
                getattr(scored, name).extend(getattr(part_result, name))
    else:
        scored = _score_all(c, features, features, pairs, with_outcomes)
        counts = _level_counts(c, u_left, u_left, random_pairs)
        exacts = _exact_agreements(c, u_left, u_left, same=True)
    estimated = _u_from_counts(rule, c, counts, exacts)
    if outcomes is not None:
        outcomes.update(scored.outcomes)
    if compared is not None:
        ids = [r.id for r in records]
        for (i, j), levels in zip(scored.pairs, scored.levels, strict=True):
            compared[ids[i], ids[j]] = tuple(levels)
    fitted, _ = _refit(
        rule,
        features,
        features,
        scored,
        same=True,
        samples=u_samples,
        seed=seed,
        estimated=estimated,
        total_pairs=total_pairs,
    )
    return fitted


def _slices(items: Sequence[Any], count: int) -> list[Sequence[Any]]:
    """``items`` in at most ``count`` consecutive slices of about the same size."""
    size = max(1, -(-len(items) // count))
    return [items[start : start + size] for start in range(0, len(items), size)]


def comparison_signature(rule: MatchRule) -> tuple[Any, ...]:
    """What the comparison levels of a pair depend on: the fields, their comparators and level
    thresholds. Two rules with the same signature give every pair the same levels."""
    return tuple(
        (f.field, f.comparator, f.applies_to, tuple(level.min_similarity for level in f.levels))
        for f in rule.fields
    )


#: Fewer candidate pairs than this are compared in one process: forking costs more.
PARALLEL_FIT_PAIRS = 5_000
