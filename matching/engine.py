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
a vetoed pair. ``match_weight`` keeps the model's log2 odds either way. Decision: ``auto`` at or
above the rule's auto threshold (unless a hard rule caps it at review: two Chinese person names
that really differ), ``review`` at or above the review threshold, else ``new``.

Rules are compiled once per rule *object* (comparators resolved, weights computed) and treated as
immutable afterwards: to change one, build a new object (``rule_from_dict``,
``dataclasses.replace``).
"""

from __future__ import annotations

import bisect
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from matching.compare import COMPARATORS
from matching.forked import map_forked
from matching.keys import block_keys
from matching.normalize import branch_key, company_name_parts, customer_kind, identifier
from matching.rules import (
    MatchRule,
    estimate_m_u,
    probability_to_weight,
    weight_to_probability,
    with_probabilities,
)

__all__ = [
    "BatchResult",
    "Decision",
    "Features",
    "FieldEvidence",
    "PairScore",
    "Record",
    "candidate_pairs",
    "cluster",
    "comparison_signature",
    "dedupe",
    "estimate_u",
    "fit_rule",
    "link",
    "prepare",
    "prepare_all",
    "score_pair",
    "decide_compared",
    "decide_prepared",
    "explain_compared",
    "score_prepared",
    "warm_up",
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
    key of an organization's name (``""`` for a head office), parsed from the name when first
    asked: a pair vetoed by its identifiers never needs it. ``cache`` holds comparator-prepared
    values keyed by preparer and field.
    """

    entity: str
    attrs: dict[str, str]
    raw: Mapping[str, str]
    flagged: frozenset[str]
    kind: str
    cache: dict[tuple[Callable[[str], Any], str], Any] = field(default_factory=dict)
    _keys: tuple[str, ...] | None = None
    _identifiers: dict[str, str] = field(default_factory=dict)
    _branch: str | None = None

    @property
    def branch(self) -> str:
        if self._branch is None:
            name = self.attrs.get("name", "")
            has_branch = self.entity == "customers" and self.kind != "person" and name
            self._branch = branch_key(company_name_parts(name).branch) if has_branch else ""
        return self._branch

    @property
    def keys(self) -> tuple[str, ...]:
        """Blocking keys (computed on first use: the real-time path gets them from the DB)."""
        if self._keys is None:
            self._keys = tuple(block_keys(self.entity, self.raw, self.flagged))
        return self._keys

    def identifier(self, name: str) -> str:
        """Canonical value of a valid identifier attribute, or "" (memoized)."""
        try:
            return self._identifiers[name]
        except KeyError:
            value = self.attrs.get(name)
            found = self._identifiers[name] = identifier(value) if value else ""
            return found


def prepare(entity: str, attrs: Mapping[str, str], flagged: Collection[str] = ()) -> Features:
    """Per-record features; flagged attributes are dropped here, so no comparator sees them."""
    flagged_set = frozenset(flagged)
    usable = {
        k: stripped
        for k, v in attrs.items()
        if v and k not in flagged_set and (stripped := v.strip())
    }
    kind = ""
    if entity == "customers":
        kind = customer_kind(
            usable.get("customer_type", ""),
            usable.get("name", ""),
            has_credit_code="credit_code" in usable,
            has_id_number="id_number" in usable,
        )
    return Features(entity, usable, attrs, flagged_set, kind)


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
    alternatives: tuple[str, ...]
    prepare: Callable[[str], Any]
    compare: Callable[[Any, Any], float | None]
    exact_key: Callable[[Any], Any] | None
    thresholds: tuple[float, ...]
    weights: tuple[float, ...]
    labels: tuple[str, ...]
    applies_to: str | None
    cache_key: tuple[Callable[[str], Any], str]


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
    chinese_name_review: bool
    # Pair kind -> the fields that apply (the hot loop skips the rest), unpacked for it:
    # (position, cache key, compare, thresholds but the last, weights, field).
    hot: dict[
        str, tuple[tuple[int, Any, Callable, tuple[float, ...], tuple[float, ...], _Field], ...]
    ]


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
            alternatives=tuple(f.field.split("|")),
            prepare=COMPARATORS[f.comparator].prepare,
            compare=(
                _best_of(COMPARATORS[f.comparator].compare)
                if "|" in f.field
                else COMPARATORS[f.comparator].compare
            ),
            exact_key=None if "|" in f.field else COMPARATORS[f.comparator].exact_key,
            thresholds=tuple(level.min_similarity for level in f.levels),
            weights=tuple(level.weight for level in f.levels),
            labels=tuple(level.label for level in f.levels),
            applies_to=f.applies_to,
            cache_key=(COMPARATORS[f.comparator].prepare, f.field),
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
        chinese_name_review=rule.hard.chinese_name_review,
        hot={
            kind: tuple(
                (k, f.cache_key, f.compare, f.thresholds[:-1], f.weights, f)
                for k, f in enumerate(fields)
                if f.applies_to in (None, kind or None)
            )
            for kind in ("", "person", "organization")
        },
    )
    _COMPILED[id(rule)] = (weakref.ref(rule), compiled)
    # The hub builds a rule object per request batch: forget each one when it is collected.
    weakref.finalize(rule, _COMPILED.pop, id(rule), None)
    return compiled


def _best_of(compare: Callable[[Any, Any], float | None]) -> Callable[[Any, Any], float | None]:
    """Compare every alternative of one side with every one of the other; keep the best."""

    def best(left: tuple[Any, ...], right: tuple[Any, ...]) -> float | None:
        if len(left) == 1 and len(right) == 1:
            return compare(left[0], right[0])
        scores = [s for x in left for y in right if (s := compare(x, y)) is not None]
        return max(scores) if scores else None

    return best


def _feature(features: Features, spec: _Field) -> Any:
    """The prepared value of a field (memoized per record); for ``name|english_name`` the tuple
    of the prepared values present, or None."""
    cache = features.cache
    key = spec.cache_key
    try:
        return cache[key]
    except KeyError:
        pass
    if len(spec.alternatives) == 1:
        value = features.attrs.get(spec.field)
        prepared = spec.prepare(value) if value else None
    else:
        values = (features.attrs.get(name) for name in spec.alternatives)
        found = tuple(p for v in values if v and (p := spec.prepare(v)) is not None)
        prepared = found or None
    cache[key] = prepared
    return prepared


def shown_value(features: Features, names: Sequence[str]) -> str | None:
    """A field's value as an explanation shows it: the record's values of the field's
    attributes (``name|english_name``: both), joined; None when it has none."""
    if len(names) == 1:
        return features.raw.get(names[0]) or None
    values = [v for name in names if (v := features.raw.get(name))]
    return " | ".join(values) if values else None


MISSING_NOTE = "missing on one side"
FLAGGED_NOTE = "flagged invalid: not used"


def unused_note(a: Features, b: Features, names: Sequence[str]) -> str:
    """Why a field with a value on either side was not compared."""
    return FLAGGED_NOTE if any(n in a.flagged or n in b.flagged for n in names) else MISSING_NOTE


def pair_kind(a: Features, b: Features) -> str:
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
    if (
        c.branch_veto
        and a.entity == "customers"
        and "person" not in (a.kind, b.kind)
        and a.branch != b.branch
    ):
        # One side a branch and the other not: never its head office; two branches: two places.
        veto = "branch_vs_head_office" if not (a.branch and b.branch) else "different_branch"
        return veto, None
    for name in c.auto_on_same:
        left = a.identifier(name)
        if left and left == b.identifier(name):
            return None, name
    return None, None


_MISSING = object()


def _compare_fields(
    c: _Compiled, a: Features, b: Features
) -> tuple[list[int], float, list[float | None]]:
    """Level index per field (-1 missing / not applicable), the summed weight with prior, and
    each field's similarity (None where not compared). The hot loop of every path."""
    weight = c.prior_weight
    levels = [-1] * len(c.fields)
    similarities: list[float | None] = [None] * len(c.fields)
    a_cache, b_cache = a.cache, b.cache
    for position, key, compare, thresholds, weights, spec in c.hot[pair_kind(a, b)]:
        left = a_cache.get(key, _MISSING)
        if left is _MISSING:
            left = _feature(a, spec)
        if left is None:
            continue
        right = b_cache.get(key, _MISSING)
        if right is _MISSING:
            right = _feature(b, spec)
        if right is None:
            continue
        similarity = compare(left, right)
        if similarity is None:
            continue
        index = 0
        for threshold in thresholds:
            if similarity >= threshold:
                break
            index += 1
        levels[position] = index
        similarities[position] = similarity
        weight += weights[index]
    return levels, weight, similarities


_PERSON_NAME = COMPARATORS["person_name"]


def _chinese_names_differ(c: _Compiled, a: Features, b: Features) -> bool:
    """Both persons have Chinese names that differ beyond a homophone or one-character typo."""
    if not c.chinese_name_review or pair_kind(a, b) != "person":
        return False
    names = []
    for features in (a, b):
        key = (_PERSON_NAME.prepare, "name")
        if key not in features.cache:
            value = features.attrs.get("name")
            features.cache[key] = _PERSON_NAME.prepare(value) if value else None
        names.append(features.cache[key])
    left, right = names
    if left is None or right is None or not (left[1] and right[1]):
        return False
    similarity = _PERSON_NAME.compare(left, right)
    return similarity is not None and similarity < 0.8


def _decide(
    c: _Compiled, weight: float, veto: str | None, auto_field: str | None, capped: bool = False
) -> tuple[float, Decision]:
    """Score and decision; ``capped`` turns an "auto" by weight into "review"."""
    if veto is not None:
        return 0.0, "new"
    if auto_field is not None:
        return 1.0, "auto"
    probability = weight_to_probability(weight)
    if weight >= c.auto_weight:
        return probability, "review" if capped else "auto"
    if weight >= c.review_weight:
        return probability, "review"
    return probability, "new"


@dataclass(frozen=True, slots=True)
class PairTrace:
    """What comparing two prepared records found, without their values: the hard rule that
    decided (a veto, or the identifier both share), the level and the similarity of every field
    (-1 / None where not compared), and whether the Chinese-name cap applied. Small enough for
    the batch match to keep for each auto pair, and with the two records enough to explain the
    decision later (:func:`explain_trace`)."""

    veto: str | None
    auto_field: str | None
    levels: tuple[int, ...]
    similarities: tuple[float | None, ...]
    capped: bool


def trace_prepared(rule: MatchRule, a: Features, b: Features) -> PairTrace:
    """Compare two prepared records: hard rules, every field, the cap (see :class:`PairTrace`)."""
    c = _compile(rule)
    veto, auto_field = _hard(c, a, b)
    levels, _, similarities = _compare_fields(c, a, b)
    capped = veto is None and auto_field is None and _chinese_names_differ(c, a, b)
    return PairTrace(veto, auto_field, tuple(levels), tuple(similarities), capped)


def _weight_of_levels(c: _Compiled, kind: str, levels: Sequence[int]) -> float:
    """The summed weight with prior of known levels, in the order _compare_fields sums (the
    same float)."""
    weight = c.prior_weight
    for position, _key, _compare, _thresholds, weights, _spec in c.hot[kind]:
        level = levels[position]
        if level >= 0:
            weight += weights[level]
    return weight


def explain_trace(rule: MatchRule, a: Features, b: Features, trace: PairTrace) -> PairScore:
    """Score and per-field explanation of a compared pair, ``a`` on the left. The values shown
    are the records' own (``a.raw``, ``b.raw``); the levels and similarities are the trace's."""
    c = _compile(rule)
    if len(trace.levels) != len(c.fields) or len(trace.similarities) != len(c.fields):
        raise ValueError("the trace was compared under a rule with other fields")
    kind = pair_kind(a, b)
    weight = _weight_of_levels(c, kind, trace.levels)
    score, decision = _decide(c, weight, trace.veto, trace.auto_field, trace.capped)
    evidence: list[FieldEvidence] = []
    if trace.veto is not None:
        evidence.append(FieldEvidence("hard rule", None, None, None, 0.0, f"veto: {trace.veto}"))
    elif trace.capped:
        note = "hard rule: Chinese names differ, review only"
        evidence.append(
            FieldEvidence("name", a.raw.get("name"), b.raw.get("name"), None, 0.0, note)
        )
    elif trace.auto_field is not None:
        value = a.identifier(trace.auto_field) or b.identifier(trace.auto_field)
        note = f"hard rule: same valid {trace.auto_field}"
        evidence.append(FieldEvidence(trace.auto_field, value, value, 1.0, 0.0, note))
    levels, similarities = trace.levels, trace.similarities
    for position, _key, _compare, _thresholds, _weights, spec in c.hot[kind]:
        level, similarity = levels[position], similarities[position]
        left, right = shown_value(a, spec.alternatives), shown_value(b, spec.alternatives)
        if level < 0:
            if left or right:
                note = unused_note(a, b, spec.alternatives)
                evidence.append(FieldEvidence(spec.name, left, right, None, 0.0, note))
            continue
        evidence.append(
            FieldEvidence(
                spec.name, left, right, similarity, spec.weights[level], spec.labels[level]
            )
        )
    return PairScore(score, decision, trace.veto, weight, tuple(evidence))


def score_prepared(rule: MatchRule, a: Features, b: Features) -> PairScore:
    """Score two prepared records with their full explanation (the real-time path)."""
    return explain_trace(rule, a, b, trace_prepared(rule, a, b))


def decide_prepared(
    rule: MatchRule, a: Features, b: Features, levels: Sequence[int] | None = None
) -> tuple[Decision, float, str | None]:
    """(decision, score, veto) of two prepared records without building the explanation.

    The batch path's hot loop: the hard rules first (a vetoed pair is not compared at all), the
    comparison levels next, the Chinese-name cap only for pairs the weights would link. Same
    answer as :func:`score_prepared`, which the batch calls for the few pairs it queues for review.
    ``levels``: the pair's comparison levels when already known (compared by a re-fit under a
    rule of the same ``comparison_signature``): only the weights are added up.
    """
    decision, score, veto, _, _ = _decide_prepared(rule, a, b, levels)
    return decision, score, veto


def decide_and_trace(
    rule: MatchRule, a: Features, b: Features, levels: Sequence[int] | None = None
) -> tuple[Decision, float, str | None, PairTrace | None]:
    """:func:`decide_prepared` with the :class:`PairTrace` of an ``auto`` pair (None for the
    others): the batch match keeps it to explain the merge. The levels and similarities the
    decision compared are taken as they are; a pair decided without comparing its fields (a
    shared identifier, known levels) is compared for its trace."""
    decision, score, veto, levels, similarities = _decide_prepared(rule, a, b, levels)
    if decision != "auto":
        return decision, score, veto, None
    if similarities is None:
        return decision, score, veto, trace_prepared(rule, a, b)
    return decision, score, veto, PairTrace(None, None, tuple(levels), tuple(similarities), False)


#: What :func:`decide_compared` found comparing a pair's fields: (levels, similarities).
Compared = tuple[list[int], list[float | None]]


def decide_compared(
    rule: MatchRule, a: Features, b: Features
) -> tuple[Decision, float, str | None, Compared | None]:
    """:func:`decide_prepared` with what comparing the fields found (None when a hard rule
    decided without comparing them): the real-time path explains the pairs it reports with it
    (:func:`explain_compared`) instead of comparing them again."""
    decision, score, veto, levels, similarities = _decide_prepared(rule, a, b, None)
    if similarities is None:
        return decision, score, veto, None
    return decision, score, veto, (levels, similarities)


def explain_compared(
    rule: MatchRule, a: Features, b: Features, compared: Compared | None
) -> PairScore:
    """:func:`score_prepared` of a pair :func:`decide_compared` decided, from its comparison."""
    if compared is None:
        return score_prepared(rule, a, b)
    levels, similarities = compared
    # As trace_prepared for a pair no hard rule decided: the cap is asked of every such pair.
    capped = _chinese_names_differ(_compile(rule), a, b)
    trace = PairTrace(None, None, tuple(levels), tuple(similarities), capped)
    return explain_trace(rule, a, b, trace)


def _decide_prepared(
    rule: MatchRule, a: Features, b: Features, levels: Sequence[int] | None
) -> tuple[Decision, float, str | None, Sequence[int] | None, list[float | None] | None]:
    """(decision, score, veto, levels, similarities): the levels and similarities are None
    where a hard rule decided, the similarities None where the levels were given."""
    c = _compile(rule)
    veto, auto_field = _hard(c, a, b)
    if veto is not None:
        return "new", 0.0, veto, None, None
    if auto_field is not None:
        return "auto", 1.0, None, None, None
    similarities = None
    if levels is None:
        levels, weight, similarities = _compare_fields(c, a, b)
    else:
        weight = _weight_of_levels(c, pair_kind(a, b), levels)
    capped = weight >= c.auto_weight and _chinese_names_differ(c, a, b)
    score, decision = _decide(c, weight, None, None, capped)
    return decision, score, None, levels, similarities


#: Records that touch every lazily built table: pinyin (with and without phrases), regions,
#: legal forms, branches, English names, person names, phones and addresses.
_WARM_UP_RECORDS = (
    {
        "name": "北京华信科技有限公司上海分公司",
        "phone": "010-58123456",
        "address": "上海市浦东新区",
    },
    {"name": "Beijing Huaxin Technology Co., Ltd.", "email": "info@huaxin.example"},
    {
        "name": "张三",
        "customer_type": "person",
        "birth_date": "1980-01-02",
        "postal_code": "100000",
    },
)


def warm_up(rule: MatchRule) -> None:
    """Build the tables matching loads on first use (pinyin, regions, the compiled rule) now.

    A process that forks workers calls this first: the workers share what it built instead of
    each building it again (about 0.4 s each)."""
    prepared = [prepare(rule.entity, attrs) for attrs in _WARM_UP_RECORDS]
    for features in prepared:
        features.keys  # noqa: B018 - computed for its side effect (tables loaded)
        score_prepared(rule, features, prepared[0])


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
    too_common = {k: n for k, n in left_sizes.items() if n > max_block_size}
    if skipped is not None:
        for key, size in too_common.items():
            skipped[key] = max(size, skipped.get(key, 0))
    for i, f in enumerate(left):
        partners: set[int] = set()
        for key in f.keys:
            members = index.get(key)
            # A block is as costly as left x right: skip it when either side is too common.
            if members is None or key in too_common:
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
            branches = {
                features[x].branch for x in group_a | group_b if features[x].kind != "person"
            }
            if len(branches) > 1:
                return True
        if vetoed:
            small, large = (
                (group_a, group_b) if len(group_a) <= len(group_b) else (group_b, group_a)
            )
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
    c: _Compiled,
    left: Sequence[Features],
    right: Sequence[Features],
    pairs: Iterable[tuple[int, int]],
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
    import random

    c = _compile(rule)
    rng = random.Random(seed)
    counts = [[0.0] * len(spec.thresholds) for spec in c.fields]
    if len(left) > 1 and len(right) > 0:
        for _ in range(samples):
            i, j = rng.randrange(len(left)), rng.randrange(len(right))
            if same and i == j:
                continue
            levels, _weight, _ = _compare_fields(c, left[i], right[j])
            for position, level in enumerate(levels):
                if level >= 0:
                    counts[position][level] += 1.0
    u: list[list[float]] = []
    counted: list[bool] = []
    for spec, field_counts in zip(c.fields, counts, strict=True):
        # Add-one smoothing: a level the sample never hit is "rarer than 1 in ``samples``", not
        # impossible — a fuzzy level with an unmeasurably small u would outweigh real evidence.
        smoothed = [n + pseudo_count for n in field_counts]
        exact = _exact_agreement(spec, left, right, same=same) if spec.exact_key else None
        counted.append(exact is not None and spec.thresholds[0] >= 1.0)
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
            kind = f.kind or "organization"
            if f.entity == "customers" and spec.applies_to not in (None, kind):
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
            weight >= c.auto_weight
            and auto_field is None
            and _chinese_names_differ(c, left[i], right[j])
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
    """
    if features is None:
        features = prepare_all(rule, records)
    c = _compile(rule)
    pairs = list(candidate_pairs(features, rule.entity, max_block_size))
    if processes > 1 and len(pairs) >= PARALLEL_FIT_PAIRS:
        size = -(-len(pairs) // processes)
        chunks = [pairs[start : start + size] for start in range(0, len(pairs), size)]
        parts, estimated = map_forked(
            lambda chunk: _score_all(c, features, features, chunk),
            chunks,
            processes,
            lambda: _estimate_u(rule, features, features, same=True, samples=u_samples, seed=seed),
        )
        scored = _Scored([], [], [], [], [])
        for part in parts:
            for name in ("pairs", "levels", "weights", "vetoes", "autos"):
                getattr(scored, name).extend(getattr(part, name))
    else:
        scored, estimated = _score_all(c, features, features, pairs), None
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
    )
    return fitted


def comparison_signature(rule: MatchRule) -> tuple:
    """What the comparison levels of a pair depend on: the fields, their comparators and level
    thresholds. Two rules with the same signature give every pair the same levels."""
    return tuple(
        (f.field, f.comparator, f.applies_to, tuple(level.min_similarity for level in f.levels))
        for f in rule.fields
    )


#: Fewer candidate pairs than this are compared in one process: forking costs more.
PARALLEL_FIT_PAIRS = 5_000
