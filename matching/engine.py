"""The matching engine's pure core: features -> candidate pairs -> scores -> decisions -> clusters.

No Django here: records are plain :class:`Record` objects so that the same code serves the
real-time upsert path (one record against the 1–50 candidates the database returned for its
blocking keys, in a few milliseconds), the nightly batch (millions of pairs) and benchmarks.

Speed comes from doing per-record work once: :func:`prepare` turns a record into
:class:`Features` that cache every comparator's prepared value (parsed company name, name tokens,
national phone …) on first use, and :func:`score_prepared` only compares prepared values. The
batch path computes, per candidate pair, the *level* each field falls in; weights are then a
table look-up, which is what lets :func:`dedupe` / :func:`link` refit m/u by EM on the same pairs
without comparing anything twice.

Score: the match probability of the Fellegi–Sunter model of the rule (see ``matching.rules``),
except that a hard rule overrides it — 1.0 for a pair decided by an equal valid identifier, 0.0 for
a vetoed pair. ``match_weight`` keeps the model's log2 odds either way.
"""

from __future__ import annotations

import bisect
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from matching.compare import COMPARATORS
from matching.keys import block_keys
from matching.normalize import branch_key, company_name_parts, customer_kind, identifier
from matching.rules import MatchRule, estimate_m_u, probability_to_weight, weight_to_probability

__all__ = [
    "BatchResult",
    "Decision",
    "Features",
    "FieldEvidence",
    "PairScore",
    "Record",
    "candidate_pairs",
    "cluster",
    "dedupe",
    "fit_rule",
    "link",
    "prepare",
    "score_pair",
    "score_prepared",
]

Decision = Literal["auto", "review", "new"]
RecordId = int | str


@dataclass(frozen=True, slots=True)
class Record:
    """A source record as the matcher sees it: standardized attributes and the flagged ones."""

    id: RecordId
    attrs: Mapping[str, str]
    flagged: frozenset[str] = frozenset()


@dataclass(slots=True)
class Features:
    """Everything about one record that scoring needs, computed once.

    ``attrs`` are the usable attributes (present and not flagged). ``kind`` is ``person``,
    ``organization`` or ``""`` for customers, ``""`` for other entities. ``branch`` is the branch
    key of an organization's name (``""`` for a head office). ``cache`` holds comparator-prepared
    values keyed by preparer and field.
    """

    entity: str
    attrs: dict[str, str]
    raw: Mapping[str, str]
    flagged: frozenset[str]
    kind: str
    branch: str
    cache: dict[tuple[Callable[[str], Any], str], Any] = field(default_factory=dict)
    _keys: tuple[str, ...] | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """Blocking keys (computed on first use: the real-time path gets them from the DB)."""
        if self._keys is None:
            self._keys = tuple(block_keys(self.entity, self.raw, self.flagged))
        return self._keys

    def identifier(self, name: str) -> str:
        """Canonical value of a valid identifier attribute, or ""."""
        value = self.attrs.get(name)
        return identifier(value) if value else ""


def prepare(entity: str, attrs: Mapping[str, str], flagged: Collection[str] = ()) -> Features:
    """Per-record features; flagged attributes are dropped here, so no comparator sees them."""
    flagged_set = frozenset(flagged)
    usable = {k: v.strip() for k, v in attrs.items() if v and k not in flagged_set and v.strip()}
    kind = ""
    branch = ""
    if entity == "customers":
        kind = customer_kind(
            usable.get("customer_type", ""),
            usable.get("name", ""),
            has_credit_code="credit_code" in usable,
            has_resident_id="resident_id" in usable,
        )
        if kind != "person" and "name" in usable:
            branch = branch_key(company_name_parts(usable["name"]).branch)
    return Features(entity, usable, attrs, flagged_set, kind, branch)


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    """One line of a match explanation, in the terms a data steward reads.

    ``weight`` is in bits (log2 Bayes factor): +6.6 means the observation is 2^6.6 ≈ 100 times
    likelier for the same entity than for different ones. Hard rules appear with weight 0 and a
    note, missing or flagged values with similarity None.
    """

    field: str
    left: str | None
    right: str | None
    similarity: float | None
    weight: float
    note: str


@dataclass(frozen=True, slots=True)
class PairScore:
    """Score of one pair: match probability (or the hard rule's 1.0 / 0.0), decision, veto,
    model log2 odds, and the evidence behind it."""

    score: float
    decision: Decision
    veto: str | None
    match_weight: float
    explanation: tuple[FieldEvidence, ...]


# --------------------------------------------------------------------------- compiled rules


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    field: str
    comparator: str
    prepare: Callable[[str], Any]
    compare: Callable[[Any, Any], float | None]
    thresholds: tuple[float, ...]
    weights: tuple[float, ...]
    labels: tuple[str, ...]
    applies_to: str | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: MatchRule
    fields: tuple[_Field, ...]
    prior_weight: float
    auto_weight: float
    review_weight: float
    auto_on_same: tuple[str, ...]
    veto_on_different: tuple[str, ...]
    branch_veto: bool
    type_veto: bool


_COMPILED: dict[int, tuple[weakref.ref[MatchRule], _Compiled]] = {}


def _compile(rule: MatchRule) -> _Compiled:
    """Resolve comparator names and precompute weights once per rule object.

    Rules are treated as immutable once used (the cache is keyed by object identity): build a new
    rule — ``rule_from_dict`` or ``dataclasses.replace`` — to change one.
    """
    cached = _COMPILED.get(id(rule))
    if cached is not None and cached[0]() is rule:
        return cached[1]
    fields = tuple(
        _Field(
            name=f.name,
            field=f.field,
            comparator=f.comparator,
            prepare=COMPARATORS[f.comparator].prepare,
            compare=COMPARATORS[f.comparator].compare,
            thresholds=tuple(level.min_similarity for level in f.levels),
            weights=tuple(level.weight for level in f.levels),
            labels=tuple(level.label for level in f.levels),
            applies_to=f.applies_to,
        )
        for f in rule.fields
    )
    compiled = _Compiled(
        rule=rule,
        fields=fields,
        prior_weight=probability_to_weight(rule.prior),
        auto_weight=probability_to_weight(rule.auto_threshold),
        review_weight=probability_to_weight(rule.review_threshold),
        auto_on_same=tuple(rule.hard.auto_on_same),
        veto_on_different=tuple(rule.hard.veto_on_different),
        branch_veto=rule.hard.branch_veto,
        type_veto=rule.hard.type_veto,
    )
    _COMPILED[id(rule)] = (weakref.ref(rule), compiled)
    return compiled


def _feature(features: Features, spec: _Field) -> Any:
    cache = features.cache
    key = (spec.prepare, spec.field)
    try:
        return cache[key]
    except KeyError:
        value = features.attrs.get(spec.field)
        prepared = spec.prepare(value) if value else None
        cache[key] = prepared
        return prepared


def _pair_kind(a: Features, b: Features) -> str:
    """The pair's customer kind for ``applies_to``; unknown on both sides is compared as an
    organization (the company-name comparator degrades gracefully on any name, the person-name
    one does not), and non-customer entities have no kind."""
    if a.entity != "customers":
        return ""
    return a.kind or b.kind or "organization"


def _hard(c: _Compiled, a: Features, b: Features) -> tuple[str | None, str | None]:
    """(veto, auto-deciding identifier field) of a pair; a veto beats an equal identifier."""
    if c.type_veto and a.kind and b.kind and a.kind != b.kind:
        return "person_vs_organization", None
    for name in c.veto_on_different:
        left, right = a.identifier(name), b.identifier(name)
        if left and right and left != right:
            return f"different_{name}", None
    if c.branch_veto and a.entity == "customers" and "person" not in (a.kind, b.kind):
        if a.branch != b.branch:
            return ("branch_vs_head_office" if not (a.branch and b.branch) else "different_branch"), None
    for name in c.auto_on_same:
        left = a.identifier(name)
        if left and left == b.identifier(name):
            return None, name
    return None, None


def _levels(c: _Compiled, a: Features, b: Features) -> tuple[list[int], float]:
    """Level index per field (-1 missing / not applicable) and the summed weight with prior."""
    kind = _pair_kind(a, b)
    weight = c.prior_weight
    levels: list[int] = []
    append = levels.append
    for spec in c.fields:
        if spec.applies_to is not None and spec.applies_to != kind:
            append(-1)
            continue
        left = _feature(a, spec)
        right = _feature(b, spec) if left is not None else None
        if right is None:
            append(-1)
            continue
        similarity = spec.compare(left, right)
        if similarity is None:
            append(-1)
            continue
        index = 0
        for threshold in spec.thresholds:
            if similarity >= threshold:
                break
            index += 1
        if index == len(spec.thresholds):
            index -= 1
        append(index)
        weight += spec.weights[index]
    return levels, weight


def _decide(c: _Compiled, weight: float, veto: str | None, auto_field: str | None) -> tuple[float, Decision]:
    if veto is not None:
        return 0.0, "new"
    if auto_field is not None:
        return 1.0, "auto"
    probability = weight_to_probability(weight)
    if weight >= c.auto_weight:
        return probability, "auto"
    if weight >= c.review_weight:
        return probability, "review"
    return probability, "new"


def score_prepared(rule: MatchRule, a: Features, b: Features) -> PairScore:
    """Score two prepared records with their full explanation (the real-time path)."""
    c = _compile(rule)
    veto, auto_field = _hard(c, a, b)
    levels, weight = _levels(c, a, b)
    score, decision = _decide(c, weight, veto, auto_field)
    evidence: list[FieldEvidence] = []
    if veto is not None:
        evidence.append(FieldEvidence("hard rule", None, None, None, 0.0, f"veto: {veto}"))
    elif auto_field is not None:
        value = a.identifier(auto_field)
        evidence.append(
            FieldEvidence(auto_field, value, value, 1.0, 0.0, f"hard rule: same valid {auto_field}")
        )
    kind = _pair_kind(a, b)
    for spec, level in zip(c.fields, levels, strict=True):
        if spec.applies_to is not None and spec.applies_to != kind:
            continue
        left, right = a.raw.get(spec.field), b.raw.get(spec.field)
        if level < 0:
            flagged = spec.field in a.flagged or spec.field in b.flagged
            if left or right:
                note = "flagged invalid: not used" if flagged else "missing on one side"
                evidence.append(FieldEvidence(spec.name, left, right, None, 0.0, note))
            continue
        similarity = spec.compare(_feature(a, spec), _feature(b, spec))
        evidence.append(
            FieldEvidence(
                spec.name, left, right, similarity, spec.weights[level], spec.labels[level]
            )
        )
    return PairScore(score, decision, veto, weight, tuple(evidence))


def score_pair(
    rule: MatchRule,
    a: Mapping[str, str],
    b: Mapping[str, str],
    *,
    a_flagged: Collection[str] = (),
    b_flagged: Collection[str] = (),
) -> PairScore:
    """Score two records given as attribute dicts (prepares both; see :func:`score_prepared`)."""
    return score_prepared(
        rule, prepare(rule.entity, a, a_flagged), prepare(rule.entity, b, b_flagged)
    )


# --------------------------------------------------------------------------- candidates


def _block_index(
    keys: Sequence[Sequence[str]], max_block_size: int, skipped: dict[str, int] | None
) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for position, record_keys in enumerate(keys):
        for key in record_keys:
            index.setdefault(key, []).append(position)
    for key in [k for k, members in index.items() if len(members) > max_block_size]:
        if skipped is not None:
            skipped[key] = len(index[key])
        del index[key]
    return index


def candidate_pairs(
    records: Sequence[Record] | Sequence[Features],
    entity: str,
    max_block_size: int = 200,
    *,
    skipped: dict[str, int] | None = None,
) -> Iterator[tuple[int, int]]:
    """Pairs of positions ``(i, j)``, ``i < j``, of records sharing at least one blocking key.

    Each pair is produced once, in increasing order. A key shared by more than
    ``max_block_size`` records is too common to discriminate (``nm:科技``): it is skipped, and
    counted in ``skipped`` (key -> block size) when a dict is given, so that operators see it.
    """
    features = [_as_features(entity, r) for r in records]
    index = _block_index([f.keys for f in features], max_block_size, skipped)
    for i, f in enumerate(features):
        partners: set[int] = set()
        for key in f.keys:
            members = index.get(key)
            if members is None:
                continue
            start = bisect.bisect_right(members, i)
            partners.update(members[start:])
        for j in sorted(partners):
            yield i, j


def _cross_pairs(
    left: Sequence[Features],
    right: Sequence[Features],
    max_block_size: int,
    skipped: dict[str, int] | None,
) -> Iterator[tuple[int, int]]:
    index = _block_index([f.keys for f in right], max_block_size, skipped)
    left_sizes: dict[str, int] = {}
    for f in left:
        for key in f.keys:
            left_sizes[key] = left_sizes.get(key, 0) + 1
    for i, f in enumerate(left):
        partners: set[int] = set()
        for key in f.keys:
            members = index.get(key)
            # A block is as costly as left x right: skip it when either side is too common.
            if members is None or left_sizes[key] > max_block_size:
                continue
            partners.update(members)
        for j in sorted(partners):
            yield i, j


def _as_features(entity: str, record: Record | Features) -> Features:
    if isinstance(record, Features):
        return record
    return prepare(entity, record.attrs, record.flagged)


# --------------------------------------------------------------------------- clustering


def cluster(
    n: int,
    auto_pairs: Iterable[tuple[int, int, float]],
    conflict: Callable[[set[int], set[int]], bool],
) -> list[list[int]]:
    """Group ``n`` records by union–find over auto pairs, strongest pairs first.

    A union is refused when ``conflict(members_a, members_b)`` says the two groups must not meet
    (two different valid credit codes, a vetoed pair across them …): transitivity would otherwise
    merge A–B–C although A and C were vetoed. Returns every group (singletons included), members
    sorted, groups ordered by their first member.
    """
    parent = list(range(n))
    members: dict[int, set[int]] = {}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for i, j, _score in sorted(auto_pairs, key=lambda pair: -pair[2]):
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        group_i = members.get(ri) or {ri}
        group_j = members.get(rj) or {rj}
        if conflict(group_i, group_j):
            continue
        if len(group_i) < len(group_j):
            ri, rj, group_i, group_j = rj, ri, group_j, group_i
        parent[rj] = ri
        group_i |= group_j
        members[ri] = group_i
        members.pop(rj, None)
    groups: dict[int, list[int]] = {}
    for x in range(n):
        groups.setdefault(find(x), []).append(x)
    return sorted(groups.values(), key=lambda group: group[0])


def _conflict_checker(
    c: _Compiled, features: Sequence[Features], vetoed: set[tuple[int, int]]
) -> Callable[[set[int], set[int]], bool]:
    """Conflict between two groups: different valid veto identifiers, person vs organization,
    different branches, or any vetoed pair across them."""

    def identities(group: set[int], name: str) -> set[str]:
        return {value for x in group if (value := features[x].identifier(name))}

    def conflict(group_a: set[int], group_b: set[int]) -> bool:
        for name in c.veto_on_different:
            left, right = identities(group_a, name), identities(group_b, name)
            if left and right and left != right:
                return True
        if c.type_veto:
            kinds = {features[x].kind for x in group_a | group_b} - {""}
            if len(kinds) > 1:
                return True
        if c.branch_veto:
            branches = {features[x].branch for x in group_a | group_b if features[x].kind != "person"}
            if len(branches) > 1:
                return True
        if vetoed:
            small, large = (group_a, group_b) if len(group_a) <= len(group_b) else (group_b, group_a)
            for x in small:
                for y in large:
                    if (min(x, y), max(x, y)) in vetoed:
                        return True
        return False

    return conflict


# --------------------------------------------------------------------------- batch


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


def _score_all(
    c: _Compiled, left: Sequence[Features], right: Sequence[Features], pairs: Iterable[tuple[int, int]]
) -> _Scored:
    scored = _Scored([], [], [], [], [])
    for i, j in pairs:
        a, b = left[i], right[j]
        veto, auto_field = _hard(c, a, b)
        levels, weight = _levels(c, a, b)
        scored.pairs.append((i, j))
        scored.levels.append(levels)
        scored.weights.append(weight)
        scored.vetoes.append(veto)
        scored.autos.append(auto_field)
    return scored


def _refit(rule: MatchRule, scored: _Scored, fix_u: bool) -> tuple[MatchRule, _Compiled]:
    fitted = estimate_m_u(rule, scored.levels, fix_u=fix_u)
    c = _compile(fitted)
    weight_tables = [spec.weights for spec in c.fields]
    scored.weights = [
        c.prior_weight
        + sum(table[level] for table, level in zip(weight_tables, row, strict=True) if level >= 0)
        for row in scored.levels
    ]
    return fitted, c


def _run(
    rule: MatchRule,
    left: Sequence[Features],
    right: Sequence[Features],
    pairs: Iterable[tuple[int, int]],
    *,
    fit: bool,
    fix_u: bool,
    timings: dict[str, float],
) -> tuple[MatchRule, _Compiled, _Scored]:
    started = time.perf_counter()
    c = _compile(rule)
    scored = _score_all(c, left, right, pairs)
    timings["block_and_compare"] = time.perf_counter() - started
    if fit:
        started = time.perf_counter()
        rule, c = _refit(rule, scored, fix_u)
        timings["fit"] = time.perf_counter() - started
    return rule, c, scored


def _split(
    c: _Compiled, scored: _Scored
) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, float]], set[tuple[int, int]]]:
    auto: list[tuple[int, int, float]] = []
    review: list[tuple[int, int, float]] = []
    vetoed: set[tuple[int, int]] = set()
    for (i, j), weight, veto, auto_field in zip(
        scored.pairs, scored.weights, scored.vetoes, scored.autos, strict=True
    ):
        score, decision = _decide(c, weight, veto, auto_field)
        if veto is not None:
            vetoed.add((i, j))
        elif decision == "auto":
            auto.append((i, j, score))
        elif decision == "review":
            review.append((i, j, score))
    return auto, review, vetoed


def dedupe(
    records: Sequence[Record],
    rule: MatchRule,
    *,
    max_block_size: int = 200,
    fit: bool = False,
    fix_u: bool = False,
) -> BatchResult:
    """Find duplicates within one set of records and cluster them.

    1. prepare features and blocking keys once per record;
    2. candidate pairs from shared keys (too common keys skipped and reported);
    3. hard rules and comparison levels per pair; with ``fit`` the rule's m/u/prior are first
       re-estimated by EM on these unlabeled pairs (no ground truth involved);
    4. auto / review / vetoed by the thresholds;
    5. union–find over auto pairs, strongest first, refusing conflicting merges.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    features = [prepare(rule.entity, r.attrs, r.flagged) for r in records]
    for f in features:
        _ = f.keys
    timings["prepare"] = time.perf_counter() - started
    skipped: dict[str, int] = {}
    pairs = candidate_pairs(features, rule.entity, max_block_size, skipped=skipped)
    used, c, scored = _run(
        rule, features, features, pairs, fit=fit, fix_u=fix_u, timings=timings
    )
    started = time.perf_counter()
    auto, review, vetoed = _split(c, scored)
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
    fix_u: bool = False,
) -> BatchResult:
    """Link two files: pairs (a, b) across them only, scored as in :func:`dedupe`, no clustering."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    left = [prepare(rule.entity, r.attrs, r.flagged) for r in records_a]
    right = [prepare(rule.entity, r.attrs, r.flagged) for r in records_b]
    for f in (*left, *right):
        _ = f.keys
    timings["prepare"] = time.perf_counter() - started
    skipped: dict[str, int] = {}
    pairs = _cross_pairs(left, right, max_block_size, skipped)
    used, c, scored = _run(rule, left, right, pairs, fit=fit, fix_u=fix_u, timings=timings)
    auto, review, vetoed = _split(c, scored)
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
    fix_u: bool = False,
) -> MatchRule:
    """Re-estimate a rule's m/u/prior by EM on the candidate pairs of ``records`` (unsupervised)."""
    features = [prepare(rule.entity, r.attrs, r.flagged) for r in records]
    pairs = candidate_pairs(features, rule.entity, max_block_size)
    scored = _score_all(_compile(rule), features, features, pairs)
    return estimate_m_u(rule, scored.levels, fix_u=fix_u)
