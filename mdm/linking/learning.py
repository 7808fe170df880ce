"""The hub learns: the batch match re-fits stale weights and recalibrates the thresholds from
steward decisions, with safeguards, and records every attempt (``MatchRuleChange``).

Re-fit (``refit_if_stale``). The stored weights are *stale* when
  - they were never fitted by this step (no ``refit`` row for the entity),
  - the shipped rule or the dictionary changed since (``rule_version``: the comparison
    signature, hard rules and version of the default rule and the versions of the entity's
    data elements), or
  - the number of active records moved by more than ``REFIT_CHANGE`` (25 %) since the last
    attempt, applied or refused.
A stale rule is re-estimated without labels (``fit_rule_on_records``: u from random pairs, m
and the prior by EM on the batch match's own candidate pairs when it passes them) and applied only when every safeguard passes:
  1. enough data: at least ``REFIT_MIN_RECORDS`` active records (EM on a few hundred records
     follows noise: on the demo's 189 materials it found a prior of 5 %); with fewer, but at
     least ``PRIOR_MIN_RECORDS``, only the prior is re-estimated (below);
  2. not degenerate: finite probabilities in [0, 1], a prior in (0, 0.5), at most
     ``MAX_DUPLICATES_PER_RECORD`` expected duplicates per record (prior x (records - 1)), and
     for every field agreement that is evidence for a match (top level m > u);
  3. no flood: on the pairs the fit compared, the fitted rule links or queues at most
     ``MAX_GROWTH`` times as many pairs as the current rule, plus ``GROWTH_SLACK``;
  4. not worse on what stewards decided: with at least ``MIN_DECIDED`` decided pairs, the
     fitted rule must not misclassify more of them than the current rule (a rejected pair
     linked automatically, an accepted pair left out of the queue);
  5. not worse on what identifiers say (``identifier_problems``, when the batch match gives
     its candidate pairs): among them, pairs whose two records hold two different valid credit
     codes or resident IDs are different entities. Decided by the weights alone, their
     identifiers left out, the fitted rule with its auto-link cut must not link more of them
     than the current rule, beyond a noise allowance. EM on blocked pairs can take "same
     district" for "same company": postal code, division and address agree together among
     the candidates, and it then links neighbours whose identifiers would have told them apart.
When the batch match gave its pairs and the full fit is refused, the prior alone is
re-estimated on them (EM with m and u fixed: ``fit_prior_only``) and applied if it passes
safeguards 2-5 in turn, the thresholds kept; with too few records for a full fit (safeguard
1) but at least ``PRIOR_MIN_RECORDS``, the prior alone is re-estimated the same way and its
auto-link cut chosen as for a full fit (RLdata500: 500 records, prior 2e-5 -> 3.9e-4, the true
share; recall 0.58 -> 0.94). The share of pairs that match falls as the records grow
(duplicates per record stay about the same while the pairs grow with the square): a prior
fixed for one size links too easily at ten times that size. Otherwise the current rule stays.
Either way a row says what was tried and why.

Auto-link cut (``auto_cut``), when a fit is applied: its probabilities are calibrated on the
hub's own records, so the auto threshold is set to the lowest probability at which the links of
the pairs the fit compared are, by those probabilities, ``MDM_AUTO_LINK_PRECISION`` precise
(``matching.engine.cut``), never below ``MDM_AUTO_LINK_FLOOR`` nor the review threshold, nor
within ``MARGIN`` bits of a pair a steward rejected, and never above the threshold the rule had
before the hub chose any cut (the ceiling: a steward's, or the shipped 0.99). The cut and what
it was chosen from are in the ``refit`` row's detail.

Thresholds (``recalibrate_thresholds``), when the number of steward decisions changed since the
last recalibration and at least ``MIN_SIDE`` of a kind exist, in log-odds (bits), each move
bounded by ``MAX_STEP`` bits:
  - auto: just above (``MARGIN`` bits) the strongest rejected pair the hard rules leave to the
    weights, so that no rejected pair would be linked automatically; it is lowered toward that
    point only when ``MIN_SIDE`` accepted pairs lie between it and the current threshold (work
    the stewards would be spared);
  - review: just below the weakest accepted pair, so that every accepted pair stays in the
    queue; it is raised (to ``2 * MARGIN`` bits below that pair) only when ``MIN_SIDE``
    rejected pairs lie below that point (noise the queue would be spared);
  - the review threshold stays at least ``MARGIN`` below the auto threshold.
Pairs decided by a hard rule (a veto, an equal identifier) are left out: no threshold moves them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from django.conf import settings

from matching.engine import (
    AutoCut,
    Features,
    PairOutcome,
    choose_auto_cut,
    decide_by_weights,
    decide_outcome,
    decide_prepared,
    outcome_probability,
    pair_outcome,
    prepare,
    score_prepared,
    trace_prepared,
)
from matching.models import (
    MatchCandidate,
    MatchCandidateStatusChoices,
    MatchRuleChange,
    MatchRuleChangeKindChoices,
)
from matching.rules import (
    MatchRule,
    estimate_m_u,
    probability_to_weight,
    weight_to_probability,
)
from mdm.linking.block_index import count_values
from mdm.linking.rule_store import (
    FitPairs,
    PreparedRecords,
    fit_rule_on_records,
    load_rule,
    rule_version,
    store_rule,
)
from mdm.models import SourceRecord
from mdm.privacy.crypto import matching_view

#: The reason stored on a pending candidate the batch match closes because its records were
#: joined (by the run's links or an earlier merge): no steward decided it, so nothing is learned
#: from it.
JOINED_REASON = "merged by the batch match"
REFIT_CHANGE = 0.25
REFIT_MIN_RECORDS = 1000
#: Fewer records than REFIT_MIN_RECORDS but at least these: the prior alone is re-estimated.
PRIOR_MIN_RECORDS = 300
MAX_DUPLICATES_PER_RECORD = 3.0
MAX_GROWTH = 2.0
GROWTH_SLACK = 50
MIN_DECIDED = 20
MIN_SIDE = 5
MARGIN = 1.0
MAX_STEP = 4.0
#: A fit may link wrongly one more of the pairs whose identifiers differ than the current rule,
#: or this share more of what the current rule links wrongly, or this share of the pairs.
IDENTIFIER_SLACK = 0.1
IDENTIFIER_RATE = 0.001
#: Thresholds stay inside these probabilities whatever the decisions say.
THRESHOLD_RANGE = (0.05, 1 - 1e-9)


@dataclass
class LearningStep:
    """What one learning step did: shown by ``match`` and kept in a ``MatchRuleChange`` row."""

    kind: str
    applied: bool
    message: str
    detail: dict = field(default_factory=dict)

    def line(self) -> str:
        state = "applied" if self.applied else "not applied"
        return f"learning {self.kind}: {state}: {self.message}"


def staleness(entity: str, records: int, version: str) -> str | None:
    """Why the entity's weights are stale (see the module doc), None when they are not."""
    last = (
        MatchRuleChange.objects.filter(entity=entity, kind=MatchRuleChangeKindChoices.REFIT)
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is None:
        return "never fitted"
    if last.rule_version != version:
        return "the shipped rule or the dictionary changed since the last fit"
    if abs(records - last.records) > REFIT_CHANGE * max(last.records, 1):
        return (
            f"active records {last.records} -> {records} "
            f"(more than {REFIT_CHANGE:.0%} since the last fit)"
        )
    return None


# --------------------------------------------------------------------------- decided pairs


@dataclass(frozen=True)
class DecidedPair:
    """A steward-decided pair as a rule scores it now."""

    accepted: bool
    weight: float
    hard: bool  # decided by a veto or an equal identifier: no threshold moves it
    capped: bool  # a hard rule allows review only


def _features_of(entity: str, ids: set[int], known: dict[int, Features]) -> dict[int, Features]:
    found = {pk: known[pk] for pk in ids if pk in known}
    missing = sorted(ids - set(found))
    for start in range(0, len(missing), 20_000):
        for pk, attributes, flagged, index in SourceRecord.objects.filter(
            pk__in=missing[start : start + 20_000], is_active=True
        ).values_list("pk", "attributes", "flagged", "blind_index"):
            found[pk] = prepare(entity, matching_view(attributes, index), flagged)
    # Weighed as the scorers weigh them (the fit's own records carry the run's counts already).
    count_values(entity, (found[pk] for pk in missing if pk in found))
    return found


def decided_pairs(
    entity: str, known: dict[int, Features] | None = None
) -> list[tuple[bool, Features, Features]]:
    """Every accepted or rejected pair of the entity whose two records are active:
    ``(accepted, left features, right features)``."""
    rows = list(
        MatchCandidate.objects.filter(
            entity=entity,
            status__in=[MatchCandidateStatusChoices.ACCEPTED, MatchCandidateStatusChoices.REJECTED],
        )
        .exclude(reason=JOINED_REASON)
        .order_by("pk")
        .values_list("left_id", "right_id", "status")
    )
    features = _features_of(entity, {pk for a, b, _ in rows for pk in (a, b)}, known or {})
    return [
        (status == MatchCandidateStatusChoices.ACCEPTED, features[a], features[b])
        for a, b, status in rows
        if a in features and b in features
    ]


def _scored(rule: MatchRule, pairs: Sequence[tuple[bool, Features, Features]]) -> list:
    scored = []
    for accepted, a, b in pairs:
        found = score_prepared(rule, a, b)
        notes = [e.note or "" for e in found.explanation]
        hard = found.veto is not None or any(n.startswith("hard rule: same valid") for n in notes)
        capped = any("review only" in n for n in notes)
        scored.append(DecidedPair(accepted, found.match_weight, hard, capped))
    return scored


def misclassified(rule: MatchRule, pairs: Sequence[tuple[bool, Features, Features]]) -> int:
    """Decided pairs the rule gets wrong: a rejected pair linked automatically, an accepted
    pair neither linked nor queued."""
    wrong = 0
    for accepted, a, b in pairs:
        decision, _score, _veto = decide_prepared(rule, a, b)
        if (accepted and decision == "new") or (not accepted and decision == "auto"):
            wrong += 1
    return wrong


# --------------------------------------------------------------------------- re-fit


def outcomes(rule: MatchRule, prepared: PreparedRecords) -> Counter[PairOutcome]:
    """The pairs the fit compared, counted by outcome (``matching.engine.PairOutcome``: what
    their decision depends on besides the weights), computed once per ``prepared`` and kept
    on it: the safeguards and the auto-link cut then decide each outcome once, not each pair."""
    if prepared.outcomes is None:
        features = prepared.features
        found: Counter[PairOutcome] = Counter()
        for code, levels in prepared.levels.items():
            a, b = features.get(code >> 32), features.get(code & 0xFFFFFFFF)
            if a is not None and b is not None:
                found[pair_outcome(rule, a, b, levels)] += 1
        prepared.outcomes = found
    return prepared.outcomes


def fit_problems(
    current: MatchRule,
    fitted: MatchRule,
    records: int,
    prepared: PreparedRecords,
    decided: Sequence[tuple[bool, Features, Features]],
) -> tuple[list[str], dict]:
    """The safeguards 2-4 of the module doc: what is wrong with ``fitted`` (empty: apply it),
    and the figures checked."""
    problems: list[str] = []
    detail: dict = {"prior": {"current": current.prior, "fitted": fitted.prior}}
    values = [fitted.prior] + [
        p for f in fitted.fields for level in f.levels for p in (level.m, level.u)
    ]
    if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
        problems.append("degenerate: a probability is not a number in [0, 1]")
    elif not 0.0 < fitted.prior < 0.5:
        problems.append(f"degenerate: prior {fitted.prior:.3g} outside (0, 0.5)")
    duplicates = fitted.prior * max(records - 1, 0)
    detail["expected_duplicates_per_record"] = round(duplicates, 3)
    if duplicates > MAX_DUPLICATES_PER_RECORD:
        problems.append(
            f"degenerate: prior {fitted.prior:.3g} means {duplicates:.1f} duplicates per record "
            f"(at most {MAX_DUPLICATES_PER_RECORD:g} expected)"
        )
    for f in fitted.fields:
        top = f.levels[0]
        if top.m <= top.u:
            problems.append(f"degenerate: agreement on {f.name} is not evidence of a match")
    counts = {"current": 0, "fitted": 0}
    for outcome, pairs in outcomes(current, prepared).items():
        for name, rule in (("current", current), ("fitted", fitted)):
            counts[name] += pairs * (decide_outcome(rule, outcome) != "new")
    detail["linked_or_queued"] = counts
    if counts["fitted"] > MAX_GROWTH * counts["current"] + GROWTH_SLACK:
        problems.append(
            f"it would link or queue {counts['fitted']} of the compared pairs "
            f"against {counts['current']} now"
        )
    detail["decided"] = len(decided)
    if len(decided) >= MIN_DECIDED:
        errors = {
            "current": misclassified(current, decided),
            "fitted": misclassified(fitted, decided),
        }
        detail["misclassified"] = errors
        if errors["fitted"] > errors["current"]:
            problems.append(
                f"it misclassifies {errors['fitted']} of {len(decided)} steward decisions "
                f"against {errors['current']} now"
            )
    return problems, detail


#: A pair whose identifiers answer for it: (same identifier, left, right, comparison levels).
LabelledPair = tuple[bool, Features, Features, tuple[int, ...]]


def labelled_pairs(
    rule: MatchRule, given: FitPairs, prepared: PreparedRecords
) -> list[LabelledPair]:
    """The fit's pairs whose identifiers answer for them, compared once under ``rule``."""
    features = prepared.features
    found = []
    for code, same in zip(given.labelled.tolist(), given.same.tolist(), strict=True):
        a, b = features.get(code >> 32), features.get(code & 0xFFFFFFFF)
        if a is not None and b is not None:
            found.append((bool(same), a, b, trace_prepared(rule, a, b).levels))
    return found


def identifier_problems(
    current: MatchRule,
    fitted: MatchRule,
    labelled: Sequence[LabelledPair],
    detail: dict,
) -> list[str]:
    """Safeguard 5 of the module doc: decided by their weights alone (their identifiers left
    out, no hard rule but the names cap), the pairs whose identifiers answer for them must not
    be linked wrongly more often under the fitted rule (its auto-link cut chosen) than under
    the current one, beyond a noise allowance (``IDENTIFIER_SLACK``, ``IDENTIFIER_RATE``)."""
    leave_out = set(current.hard.veto_on_different) | set(current.hard.auto_on_same)
    wrong = {"current": 0, "fitted": 0}
    missed = {"current": 0, "fitted": 0}
    different = 0
    for same, a, b, levels in labelled:
        different += not same
        for name, rule in (("current", current), ("fitted", fitted)):
            decision = decide_by_weights(rule, a, b, levels, leave_out)
            wrong[name] += not same and decision == "auto"
            missed[name] += same and decision == "new"
    detail["identifier_pairs"] = {
        "same": len(labelled) - different,
        "different": different,
        "linked_though_different": wrong,
        "left_out_though_same": missed,
    }
    allowed = wrong["current"] + max(
        1, IDENTIFIER_SLACK * wrong["current"], IDENTIFIER_RATE * different
    )
    if wrong["fitted"] > allowed:
        return [
            f"without their identifiers it would link {wrong['fitted']} pairs of different "
            f"credit codes or IDs against {wrong['current']} now"
        ]
    return []


def fit_prior_only(
    entity: str,
    current: MatchRule,
    records: int,
    prepared: PreparedRecords,
    decided: Sequence[tuple[bool, Features, Features]],
    labelled: Sequence[LabelledPair],
    *,
    cut: bool,
) -> tuple[MatchRule, list[str]]:
    """The fallback of a refused full fit (module doc): the current rule with only its prior
    re-estimated on the compared pairs (EM with m and u fixed), and what the safeguards find
    wrong with it. ``cut``: its auto-link threshold chosen as for a full fit (when the records
    were too few to try one), else kept (a full fit was tried and refused: the weights may not
    fit this data either, and the cut trusts their probabilities)."""
    fitted = estimate_m_u(
        current,
        list(prepared.levels.values()),
        fix_u=True,
        fix_m=True,
        total_pairs=prepared.total_pairs or None,
    )
    problems, _detail = fit_problems(current, fitted, records, prepared, decided)
    if not problems:
        if cut:
            fitted, _cut = auto_cut(entity, current, fitted, prepared, decided)
        problems = identifier_problems(current, fitted, labelled, {"ignored": True})
    return fitted, problems


def refit_if_stale(
    entity: str,
    *,
    dry_run: bool = False,
    prepared: PreparedRecords | None = None,
    processes: int = 1,
    min_records: int | None = None,
    fit: Callable[..., MatchRule] = fit_rule_on_records,
    pairs: Callable[[], FitPairs] | None = None,
) -> tuple[MatchRule, LearningStep | None]:
    """The rule the batch match should score with, re-fitted when stale and safe (module doc).

    Returns the rule and the step taken (None: not stale). ``dry_run``: the fit is computed
    and checked, but neither stored nor recorded. ``prepared``: filled by the fit, for the
    match that follows (emptied again when the fit is refused). ``fit``: the estimator
    (``fit_rule_on_records``; tests give one that returns a chosen rule). ``pairs``: gives the
    candidate pairs to fit on (the batch match's own: ``fit_rule_on_records(pairs=…)``), asked
    only when a fit is attempted.
    """
    current = load_rule(entity)
    records = SourceRecord.objects.filter(entity=entity, is_active=True).count()
    version = rule_version(entity)
    why = staleness(entity, records, version)
    if why is None:
        return current, None
    if min_records is None:
        min_records = REFIT_MIN_RECORDS
    few = records < min_records
    if few and (pairs is None or records < PRIOR_MIN_RECORDS):
        step = LearningStep(
            MatchRuleChangeKindChoices.REFIT,
            False,
            f"{why}; too few active records to estimate weights ({records} < {min_records}): "
            "the current rule stays",
            {"stale": why, "records": records},
        )
        return current, _record(entity, step, records, version, dry_run)
    scratch = prepared if prepared is not None else PreparedRecords()
    given = pairs() if pairs is not None else None
    fitted = fit(
        entity,
        base=current,
        prepared=scratch,
        processes=processes,
        **({"pairs": given} if given is not None else {}),
    )
    decided = decided_pairs(entity, scratch.features)
    labelled: list[LabelledPair] | None = None  # compared once, when a check needs them
    if few:
        # Too few records for m and u; enough for the prior alone (tried below).
        problems = [f"too few active records to estimate weights ({records} < {min_records})"]
        detail: dict = {}
    else:
        problems, detail = fit_problems(current, fitted, records, scratch, decided)
    detail |= {"stale": why, "records": records}
    if not problems:
        fitted, cut = auto_cut(entity, current, fitted, scratch, decided)
        detail["auto_cut"] = cut.as_dict()
        if given is not None:
            labelled = labelled_pairs(current, given, scratch)
            problems = identifier_problems(current, fitted, labelled, detail)
    if problems and given is not None:
        if labelled is None:
            labelled = labelled_pairs(current, given, scratch)
        prior_only, prior_problems = fit_prior_only(
            entity, current, records, scratch, decided, labelled, cut=few
        )
        detail["prior_only"] = {"prior": prior_only.prior, "problems": prior_problems}
        if not prior_problems:
            message = (
                f"{why}; full fit refused: " + "; ".join(problems) + "; the prior alone "
                f"re-estimated on {records} records ({current.prior:.3g} -> "
                f"{prior_only.prior:.3g}; auto-link threshold {current.auto_threshold:.6f} -> "
                f"{prior_only.auto_threshold:.6f}), weights kept"
            )
            step = LearningStep(MatchRuleChangeKindChoices.REFIT, True, message, detail)
            if not dry_run:
                store_rule(entity, prior_only, reason="prior re-estimated by the batch match")
            return prior_only, _record(entity, step, records, version, dry_run)
        problems = problems + [f"the prior alone: {p}" for p in prior_problems]
    if problems:
        scratch.features, scratch.levels, scratch.signature = {}, {}, ()
        scratch.outcomes = None
        step = LearningStep(
            MatchRuleChangeKindChoices.REFIT,
            False,
            f"{why}; fit refused: " + "; ".join(problems) + "; the current rule stays",
            detail,
        )
        return current, _record(entity, step, records, version, dry_run)
    message = (
        f"{why}; weights re-fitted on {records} records "
        f"(prior {current.prior:.3g} -> {fitted.prior:.3g})"
    )
    if abs(fitted.auto_threshold - current.auto_threshold) > 1e-12:
        message += (
            f"; auto-link threshold {current.auto_threshold:.6f} -> {fitted.auto_threshold:.6f} "
            f"({cut.links} of the compared pairs at or above it, expected precision "
            f"{cut.expected_precision:.4f})"
        )
    step = LearningStep(MatchRuleChangeKindChoices.REFIT, True, message, detail)
    if not dry_run:
        store_rule(entity, fitted, reason="re-fitted by the batch match")
    return fitted, _record(entity, step, records, version, dry_run)


def cut_ceiling(entity: str, current: MatchRule) -> float:
    """The auto threshold the rule had before the hub chose a cut: the last applied re-fit's
    ceiling while the threshold is still the cut it chose, else the current threshold (a
    steward, or a recalibration from steward decisions, set it since)."""
    last = (
        MatchRuleChange.objects.filter(
            entity=entity, kind=MatchRuleChangeKindChoices.REFIT, applied=True
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    chosen = (last.detail or {}).get("auto_cut") if last is not None else None
    if chosen and abs(chosen.get("threshold", -1.0) - current.auto_threshold) < 1e-12:
        return float(chosen["ceiling"])
    return current.auto_threshold


def auto_cut(
    entity: str,
    current: MatchRule,
    fitted: MatchRule,
    prepared: PreparedRecords,
    decided: Sequence[tuple[bool, Features, Features]],
) -> tuple[MatchRule, AutoCut]:
    """``fitted`` with the auto threshold chosen on the pairs the fit compared (module doc)."""
    ceiling = cut_ceiling(entity, current)
    rule = replace(fitted, auto_threshold=ceiling)
    floor = max(settings.MDM_AUTO_LINK_FLOOR, rule.review_threshold)
    rejected = [
        p.weight for p in _scored(rule, decided) if not p.accepted and not p.hard and not p.capped
    ]
    if rejected:
        floor = max(floor, weight_to_probability(max(rejected) + MARGIN))
    floor = min(floor, ceiling)
    probabilities = []
    for outcome, pairs in outcomes(rule, prepared).items():
        probability = outcome_probability(rule, outcome)
        if probability is not None and probability >= floor:
            probabilities.extend([probability] * pairs)
    cut = choose_auto_cut(
        probabilities, target=settings.MDM_AUTO_LINK_PRECISION, floor=floor, ceiling=ceiling
    )
    return replace(rule, auto_threshold=cut.threshold), cut


def _record(
    entity: str,
    step: LearningStep,
    records: int,
    version: str,
    dry_run: bool,
    decisions: int = 0,
) -> LearningStep:
    if not dry_run:
        MatchRuleChange.objects.create(
            entity=entity,
            kind=step.kind,
            applied=step.applied,
            records=records,
            decisions=decisions,
            rule_version=version,
            message=step.message,
            detail=step.detail,
        )
    return step


# --------------------------------------------------------------------------- thresholds


def _bounded(current: float, target: float) -> float:
    return min(max(target, current - MAX_STEP), current + MAX_STEP)


def propose_thresholds(
    rule: MatchRule, scored: Sequence[DecidedPair]
) -> tuple[float, float, list[str]]:
    """New (auto, review) thresholds from the decided pairs (see the module doc) and why."""
    auto_w = probability_to_weight(rule.auto_threshold)
    review_w = probability_to_weight(rule.review_threshold)
    free = [p for p in scored if not p.hard]
    rejected = sorted(p.weight for p in free if not p.accepted and not p.capped)
    accepted = sorted(p.weight for p in free if p.accepted)
    reasons: list[str] = []
    new_auto, new_review = auto_w, review_w
    if len(rejected) >= MIN_SIDE:
        target = rejected[-1] + MARGIN
        if target > auto_w:
            new_auto = _bounded(auto_w, target)
            above = sum(1 for w in rejected if w >= auto_w)
            reasons.append(
                f"auto raised: {above} rejected pair(s) at or above it, the strongest at "
                f"{weight_to_probability(rejected[-1]):.6f} (auto set {MARGIN:g} bit above it)"
            )
        else:
            spared = sum(1 for w in accepted if target <= w < auto_w)
            if spared >= MIN_SIDE:
                new_auto = _bounded(auto_w, target)
                reasons.append(
                    f"auto lowered: {spared} accepted pair(s) lie above every rejected one"
                )
    if len(accepted) >= MIN_SIDE:
        weakest = weight_to_probability(accepted[0])
        target = accepted[0] - MARGIN
        if target < review_w:
            new_review = _bounded(review_w, target)
            below = sum(1 for w in accepted if w < review_w)
            reasons.append(
                f"review lowered: {below} accepted pair(s) below it, the weakest at "
                f"{weakest:.4f} (review set {MARGIN:g} bit below it)"
            )
        # Raised with twice the margin: the weakest accepted pair of a sample is an optimistic
        # estimate of the weakest true duplicate still to come.
        elif (target := accepted[0] - 2 * MARGIN) > review_w:
            spared = sum(1 for w in rejected if w < target)
            if spared >= MIN_SIDE:
                new_review = _bounded(review_w, target)
                reasons.append(
                    f"review raised: {spared} rejected pair(s) below every accepted one, the "
                    f"weakest accepted at {weakest:.4f} (review set {2 * MARGIN:g} bits below it)"
                )
    low, high = (probability_to_weight(p) for p in THRESHOLD_RANGE)
    new_auto = min(max(new_auto, low + MARGIN), high)
    new_review = min(max(new_review, low), new_auto - MARGIN)
    return weight_to_probability(new_auto), weight_to_probability(new_review), reasons


def recalibrate_thresholds(
    entity: str, rule: MatchRule, *, dry_run: bool = False, refitted: bool = False
) -> tuple[MatchRule, LearningStep | None]:
    """``rule`` with thresholds recalibrated from the steward decisions (module doc), stored
    unless ``dry_run``; None as the step when there is nothing new to learn from.
    ``refitted``: the weights (and the auto-link cut) were just re-fitted, so the decided pairs
    weigh differently now: recalibrate even without new decisions."""
    # Counted in the database first: the records of the decided pairs are read and prepared
    # only when there is something new to learn from.
    count = (
        MatchCandidate.objects.filter(
            entity=entity,
            status__in=[MatchCandidateStatusChoices.ACCEPTED, MatchCandidateStatusChoices.REJECTED],
        )
        .exclude(reason=JOINED_REASON)
        .count()
    )
    last = (
        MatchRuleChange.objects.filter(entity=entity, kind=MatchRuleChangeKindChoices.THRESHOLDS)
        .order_by("-created_at", "-pk")
        .first()
    )
    if count == 0 or (not refitted and last is not None and last.decisions == count):
        return rule, None
    decided = decided_pairs(entity)
    scored = _scored(rule, decided)
    auto, review, reasons = propose_thresholds(rule, scored)
    before = {"auto": rule.auto_threshold, "review": rule.review_threshold}
    after = {"auto": auto, "review": review}
    detail = {
        "before": before,
        "after": after,
        "accepted": sum(p.accepted for p in scored),
        "rejected": sum(not p.accepted for p in scored),
        "decided_by_hard_rules": sum(p.hard for p in scored),
    }
    moved = abs(auto - rule.auto_threshold) > 1e-12 or abs(review - rule.review_threshold) > 1e-12
    if not moved:
        message = (
            f"{count} steward decisions: thresholds kept (auto {rule.auto_threshold:.6f}, "
            f"review {rule.review_threshold:.4f})" + (f": {'; '.join(reasons)}" if reasons else "")
        )
        step = LearningStep(MatchRuleChangeKindChoices.THRESHOLDS, False, message, detail)
        return rule, _record(entity, step, 0, "", dry_run, decisions=count)
    message = (
        f"{count} steward decisions: auto {rule.auto_threshold:.6f} -> {auto:.6f}, "
        f"review {rule.review_threshold:.4f} -> {review:.4f}: " + "; ".join(reasons)
    )
    recalibrated = replace(rule, auto_threshold=auto, review_threshold=review)
    if not dry_run:
        store_rule(entity, recalibrated, reason="thresholds recalibrated from decisions")
    step = LearningStep(MatchRuleChangeKindChoices.THRESHOLDS, True, message, detail)
    return recalibrated, _record(entity, step, 0, "", dry_run, decisions=count)
