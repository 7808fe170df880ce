"""Scoring a pair of prepared records: hard rules, field levels, decision, explanation."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matching.compare import COMPARATORS
from matching.engine.compiled import (
    SILENT_WHEN_UNCOMPARED,
    _compile,
    _Compiled,
    _feature,
    _Field,
    hot_kind,
    pair_kind,
    shown_value,
    unused_note,
)
from matching.engine.features import Decision, Features, FieldEvidence, PairScore, prepare
from matching.engine.frequency import (
    common_value_note,
    field_counts,
    frequency_penalty,
    penalty,
    shared_count,
)
from matching.normalize import (
    CompanyName,
    address_tokens,
    has_legal_form,
    names_another_business,
)
from matching.normalize.goods import GoodsConflict, goods_conflicts
from matching.rules import (
    MatchRule,
    weight_to_probability,
)

#: Prefix of the veto of two goods whose attributes conflict (``conflicting_volume``).
ATTRIBUTE_VETO = "conflicting_"


def attribute_conflicts(a: Features, b: Features) -> list[GoodsConflict]:
    """Where two products or materials disagree on a parsed attribute (none for customers)."""
    if a.entity == "customers":
        return []
    return goods_conflicts(a.goods, b.goods)


def _hard(c: _Compiled, a: Features, b: Features) -> tuple[str | None, str | None]:
    """(veto, auto-deciding identifier field) of a pair; a veto beats an equal identifier."""
    if c.type_veto and a.kind and b.kind and a.kind != b.kind:
        return "person_vs_organization", None
    for name in c.veto_on_different:
        left, right = a.identifier(name), b.identifier(name)
        if left and right and left != right:
            return f"different_{name}", None
    if c.attribute_veto and a.entity != "customers":
        conflicts = goods_conflicts(a.goods, b.goods)
        if conflicts:
            return ATTRIBUTE_VETO + conflicts[0].dimension, None
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
    if _other_person(c, a, b):
        return OTHER_PERSON_VETO, None
    return None, None


_MISSING = object()


def _compare_fields(
    c: _Compiled, a: Features, b: Features
) -> tuple[list[int], float, list[float | None]]:
    """Level index per field (-1 missing / not applicable), the summed weight with prior, and
    each field's similarity (None where not compared). The hot loop of every path."""
    compared = _screen_fields(c, a, b, None)
    assert compared is not None  # without a floor every field is compared
    return compared


#: How far below the floor a pair's most possible weight must be for the comparison to stop:
#: that bound is summed in another order than the weight, whose last bits may differ.
_FLOOR_MARGIN = 1e-6


def _screen_fields(
    c: _Compiled, a: Features, b: Features, floor: float | None
) -> tuple[list[int], float, list[float | None]] | None:
    """``_compare_fields``, cheapest comparator first; with a ``floor`` (a weight), None as
    soon as the fields still to compare could not lift the pair to it even if they all agreed
    fully: the pair is below the floor whatever they say (common values only take weight off).
    Most candidate pairs of a batch are look-alikes that a cheap field already rules out, and
    the costly comparators (company names, addresses) are then never asked."""
    kind = hot_kind(a, b)
    levels = [-1] * len(c.fields)
    similarities: list[float | None] = [None] * len(c.fields)
    a_cache, b_cache = a.cache, b.cache
    entries, most = c.screen[kind]
    if floor is not None:
        floor -= _FLOOR_MARGIN
    for (position, key, compare, thresholds, weights, spec), top in entries:
        most -= top
        left = a_cache.get(key, _MISSING)
        if left is _MISSING:
            left = _feature(a, spec)
        if left is not None:
            right = b_cache.get(key, _MISSING)
            if right is _MISSING:
                right = _feature(b, spec)
            if right is not None:
                similarity = compare(left, right)
                if similarity is not None:
                    index = 0
                    for threshold in thresholds:
                        if similarity >= threshold:
                            break
                        index += 1
                    levels[position] = index
                    similarities[position] = similarity
                    most += weights[index]
        if floor is not None and most < floor:
            return None
    # Summed in the rule's order, as ``_weight_of_levels`` sums known levels: the same float.
    weight = c.prior_weight
    for position, _key, _compare, _thresholds, weights, _spec in c.hot[kind]:
        level = levels[position]
        if level >= 0:
            weight += weights[level]
    if a.frequencies or b.frequencies:
        weight -= frequency_penalty(c, a, b, levels)
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


#: Veto of two persons of one household: names that really differ, own contacts that differ.
OTHER_PERSON_VETO = "different_persons"
#: Comparators of what a person keeps for themself: a household shares its address, often its
#: surname and, with twins, a birth date, but each member has a phone and a mailbox of their own.
_OWN_CONTACTS = ("phone", "email")
#: From this similarity up (the phone and e-mail rules' lowest agreeing level) a contact is shared.
_SHARED_CONTACT = 0.7


def _other_person(c: _Compiled, a: Features, b: Features) -> bool:
    """Two persons whose Chinese names differ beyond a homophone or a typo (the review cap) and
    whose own contacts disagree: a phone or e-mail address on both sides, none of them shared.

    Twins, a couple, a parent and a child share an address, a surname and sometimes a birth
    date: that evidence would put them high in the review queue, above true duplicates, with
    nothing a steward could use to tell them apart. Their names and their own phones and
    mailboxes already say they are two people. Without a contact on both sides the pair stays
    capped at review; a shared valid identifier links it before this rule is asked."""
    if not c.chinese_name_review or a.kind != "person" or b.kind != "person":
        return False
    compared = False
    for spec in c.fields:
        if spec.comparator not in _OWN_CONTACTS or spec.applies_to not in (None, "person"):
            continue
        left, right = _feature(a, spec), _feature(b, spec)
        if left is None or right is None:
            continue
        similarity = spec.compare(left, right)
        if similarity is None:
            continue
        if similarity >= _SHARED_CONTACT:
            return False
        compared = True
    return compared and _chinese_names_differ(c, a, b)


# From the company-name rule's "transliterated or two-character short name" level up, the names
# themselves say one business (a short name, an abbreviation, a homophone, a typo).
_SAME_ORGANIZATION_NAME = 0.86


def _organization_names_differ(c: _Compiled, a: Features, b: Features) -> bool:
    """Both are organizations whose names (any of name / English / former name against any of
    the other's) each keep a distinctive word the other lacks (``normalize.
    names_another_business``; the words of both addresses are the place, not the business),
    and the name comparator finds no short form, abbreviation or typo between them. The
    businesses of one building share its address and its switchboard number (a hotel's
    restaurants), the companies of one group its offices: none of that says they are one."""
    if not c.organization_name_review or pair_kind(a, b) != "organization":
        return False
    found = _company_names(c, a, b)
    if found is None:
        return False
    spec, left, right = found
    similarity = spec.compare(left, right)
    if similarity is None or similarity >= _SAME_ORGANIZATION_NAME:
        return False
    place = _place_words(a) | _place_words(b)
    pairs = ((x, y) for x in _alternatives(left) for y in _alternatives(right))
    return all(names_another_business(x, y, place) for x, y in pairs)


def _company_names(c: _Compiled, a: Features, b: Features) -> tuple[_Field, Any, Any] | None:
    """The organizations' company-name field and each side's prepared names (a name or the
    tuple of its name, English and former name), or None when the rule has no such field or
    a side has no name."""
    for spec in c.fields:
        if spec.comparator == "company_name" and spec.applies_to in (None, "organization"):
            left, right = _feature(a, spec), _feature(b, spec)
            return None if left is None or right is None else (spec, left, right)
    return None


def _place_words(features: Features) -> frozenset[str]:
    key = (address_tokens, "address")
    if key not in features.cache:
        address = features.attrs.get("address")
        features.cache[key] = frozenset(address_tokens(address)) if address else frozenset()
    words: frozenset[str] = features.cache[key]
    return words


def _alternatives(prepared: Any) -> tuple[CompanyName, ...]:
    return prepared if isinstance(prepared, tuple) else (prepared,)


def _names_differ(c: _Compiled, a: Features, b: Features) -> bool:
    """The review cap: names that differ too much for the other fields to link the pair, or
    two companies of one group (see ``_group_companies_apart``), or registered in two regions
    (``_registered_in_other_regions``)."""
    return (
        _chinese_names_differ(c, a, b)
        or _organization_names_differ(c, a, b)
        or _group_companies_apart(c, a, b)
        or _registered_in_other_regions(c, a, b)
    )


#: The explanation of a pair capped by ``_registered_in_other_regions``.
REGIONS_NOTE = "hard rule: registered in other regions, review only"


def _registered_in_other_regions(c: _Compiled, a: Features, b: Features) -> bool:
    """Two organizations whose names both carry a legal form (a bare 公司 too) and whose
    every name says a region that does not nest in the other's (北京华信科技有限公司 /
    上海华信科技有限公司, 华信科技(香港)有限公司 / 北京华信科技有限公司): a registered name is
    unique within its registration region only, so these are two companies, whatever
    switchboard or mailbox they share. A former name in the other's region lifts the cap (a
    company that moved)."""
    if not c.organization_name_review or pair_kind(a, b) != "organization":
        return False
    names = (a.company_name, b.company_name)
    if not all(has_legal_form(name) for name in names):  # 北京华信公司 / 上海华信公司 too
        return False
    found = _company_names(c, a, b)
    if found is None:
        return False
    _spec, left, right = found
    return all(
        x.region_code and y.region_code and not x.region_nests(y)
        for x in _alternatives(left)
        for y in _alternatives(right)
    )


#: The explanation of a pair capped by ``_group_companies_apart``.
GROUP_NOTE = "hard rule: one mail domain, other regions, review only"


def _group_companies_apart(c: _Compiled, a: Features, b: Features) -> bool:
    """Two organizations whose mailboxes share one organization's mail domain but whose names
    say different regions (北京华信科技 / 上海华信科技, both at huaxin.com): a group's companies
    share its domain, and in China the same core name in another city is another registered
    company. The domain may lift such a pair to review, never link it (with the
    organization-name rule: another business or a branch is capped or vetoed already)."""
    if c.group_fields is None or not c.organization_name_review:
        return False
    if pair_kind(a, b) != "organization":
        return False
    domain, region = c.group_fields
    left, right = _feature(a, domain), _feature(b, domain)
    # One domain, one mailbox or two (the comparator leaves one address to the e-mail field).
    if left is None or right is None or left[0] != right[0]:
        return False
    left, right = _feature(a, region), _feature(b, region)
    regions = region.compare(left, right) if left is not None and right is not None else None
    # The regions below their lowest agreeing level.
    return regions is not None and regions < region.thresholds[-2]


def _decide(
    c: _Compiled, weight: float, veto: str | None, auto_field: str | None, capped: bool = False
) -> tuple[float, Decision]:
    """Score and decision; ``capped`` (a hard rule allows review only) turns an "auto" by weight
    into "review" and scores the pair at the review threshold.

    The score is the probability AFTER the hard rules, because it is what a steward reads and
    what the review queue is ordered by: a capped pair (two Chinese person names that really
    differ: twins, a father and his son at one address) may score 0.9999 by its other fields,
    but the hard rule says those fields cannot tell it apart, so it is shown at the bottom of the
    review band, never as a "high" candidate above true duplicates.
    """
    if veto is not None:
        return 0.0, "new"
    if auto_field is not None:
        return 1.0, "auto"
    probability = weight_to_probability(weight)
    if weight >= c.review_weight and capped:
        return min(probability, c.rule.review_threshold), "review"
    if weight >= c.auto_weight:
        return probability, "auto"
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
    #: Per field, the count of a common value its agreement was weighed down for (0 where
    #: none; empty when no value was): ``frequency.field_counts``.
    counts: tuple[int, ...] = ()


def trace_prepared(rule: MatchRule, a: Features, b: Features) -> PairTrace:
    """Compare two prepared records: hard rules, every field, the cap (see :class:`PairTrace`)."""
    c = _compile(rule)
    veto, auto_field = _hard(c, a, b)
    levels, _, similarities = _compare_fields(c, a, b)
    capped = veto is None and auto_field is None and _names_differ(c, a, b)
    counts = field_counts(c, a, b, levels)
    return PairTrace(veto, auto_field, tuple(levels), tuple(similarities), capped, counts)


def _weight_of_levels(
    c: _Compiled,
    kind: str,
    levels: Sequence[int],
    leave_out: Collection[str] = (),
    pair: tuple[Features, Features] | None = None,
) -> float:
    """The summed weight with prior of known levels, in the order _compare_fields sums (the
    same float); the fields ``leave_out`` (by ``field``) not counted. ``pair``: the two records,
    whose common values weigh less (``frequency``), as _compare_fields weighs them."""
    weight = c.prior_weight
    for position, _key, _compare, _thresholds, weights, spec in c.hot[kind]:
        level = levels[position]
        if level >= 0 and spec.field not in leave_out:
            weight += weights[level]
    if pair is not None and (pair[0].frequencies or pair[1].frequencies):
        kept = [-1 if c.fields[p].field in leave_out else lv for p, lv in enumerate(levels)]
        weight -= frequency_penalty(c, pair[0], pair[1], kept)
    return weight


def explain_trace(rule: MatchRule, a: Features, b: Features, trace: PairTrace) -> PairScore:
    """Score and per-field explanation of a compared pair, ``a`` on the left. The values shown
    are the records' own (``a.raw``, ``b.raw``); the levels and similarities are the trace's."""
    c = _compile(rule)
    if len(trace.levels) != len(c.fields) or len(trace.similarities) != len(c.fields):
        raise ValueError("the trace was compared under a rule with other fields")
    kind = hot_kind(a, b)
    weight = _weight_of_levels(c, kind, trace.levels, pair=(a, b))
    score, decision = _decide(c, weight, trace.veto, trace.auto_field, trace.capped)
    evidence: list[FieldEvidence] = []
    if trace.veto is not None:
        evidence.append(FieldEvidence("hard rule", None, None, None, 0.0, f"veto: {trace.veto}"))
        if trace.veto.startswith(ATTRIBUTE_VETO):
            # Which attribute, and what each record says: the steward sees why these are two.
            for conflict in attribute_conflicts(a, b):
                evidence.append(
                    FieldEvidence(
                        conflict.name, conflict.left, conflict.right, None, 0.0, conflict.note
                    )
                )
        elif trace.veto == OTHER_PERSON_VETO:
            note = "hard rule: Chinese names differ, no phone or e-mail shared"
            evidence.append(
                FieldEvidence("name", a.raw.get("name"), b.raw.get("name"), None, 0.0, note)
            )
    elif trace.capped:
        if kind == "person":
            note = "hard rule: Chinese names differ, review only"
        elif _organization_names_differ(c, a, b):
            note = "hard rule: names differ, review only"
        elif _group_companies_apart(c, a, b):
            note = GROUP_NOTE
        elif _registered_in_other_regions(c, a, b):
            note = REGIONS_NOTE
        else:
            note = "hard rule: names differ, review only"
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
            if (left or right) and spec.comparator not in SILENT_WHEN_UNCOMPARED:
                note = unused_note(a, b, spec.alternatives)
                evidence.append(FieldEvidence(spec.name, left, right, None, 0.0, note))
            continue
        field_weight, note = spec.weights[level], spec.labels[level]
        if level == 0 and spec.term_frequency:
            count = shared_count(spec, a, b)
            taken = penalty(count, field_weight)
            if taken:
                field_weight -= taken
                note = common_value_note(note, count)
        evidence.append(FieldEvidence(spec.name, left, right, similarity, field_weight, note))
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
    rule: MatchRule,
    a: Features,
    b: Features,
    levels: Sequence[int] | None = None,
    *,
    screened: bool = False,
) -> tuple[Decision, float, str | None, PairTrace | None]:
    """:func:`decide_prepared` with the :class:`PairTrace` of an ``auto`` pair (None for the
    others): the batch match keeps it to explain the merge. The levels and similarities the
    decision compared are taken as they are; a pair decided without comparing its fields (a
    shared identifier, known levels) is compared for its trace.

    ``screened``: stop comparing a pair as soon as its other fields could no longer lift it to
    review (``_screen_fields``): the same decision, but the score of a pair stopped early is
    0.0 (it is "new" and not compared to the end); for callers that keep no score of a new pair.
    """
    floor = _compile(rule).review_weight if screened else None
    decision, score, veto, levels, similarities = _decide_prepared(rule, a, b, levels, floor)
    if decision != "auto":
        return decision, score, veto, None
    if similarities is None:
        return decision, score, veto, trace_prepared(rule, a, b)
    assert levels is not None  # compared here, so the levels are known
    counts = field_counts(_compile(rule), a, b, levels)
    trace = PairTrace(None, None, tuple(levels), tuple(similarities), False, counts)
    return decision, score, veto, trace


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
    assert isinstance(levels, list)  # compared here (no levels were given), as a list
    return decision, score, veto, (levels, similarities)


def explain_compared(
    rule: MatchRule, a: Features, b: Features, compared: Compared | None
) -> PairScore:
    """:func:`score_prepared` of a pair :func:`decide_compared` decided, from its comparison."""
    if compared is None:
        return score_prepared(rule, a, b)
    levels, similarities = compared
    # As trace_prepared for a pair no hard rule decided: the cap is asked of every such pair.
    # explain_trace weighs common values from the two records themselves: no counts needed.
    capped = _names_differ(_compile(rule), a, b)
    trace = PairTrace(None, None, tuple(levels), tuple(similarities), capped)
    return explain_trace(rule, a, b, trace)


def _decide_prepared(
    rule: MatchRule,
    a: Features,
    b: Features,
    levels: Sequence[int] | None,
    floor: float | None = None,
) -> tuple[Decision, float, str | None, Sequence[int] | None, list[float | None] | None]:
    """(decision, score, veto, levels, similarities): the levels and similarities are None
    where a hard rule decided or the comparison stopped below ``floor`` (a weight: see
    ``_screen_fields``; such a pair is "new" at 0.0), the similarities None where the levels
    were given."""
    c = _compile(rule)
    veto, auto_field = _hard(c, a, b)
    if veto is not None:
        return "new", 0.0, veto, None, None
    if auto_field is not None:
        return "auto", 1.0, None, None, None
    similarities = None
    if levels is None:
        compared = _screen_fields(c, a, b, floor)
        if compared is None:
            return "new", 0.0, None, None, None
        levels, weight, similarities = compared
    else:
        weight = _weight_of_levels(c, pair_kind(a, b), levels, pair=(a, b))
    # Asked of the review band too: a capped pair scores at the review threshold (see _decide).
    capped = weight >= c.review_weight and _names_differ(c, a, b)
    score, decision = _decide(c, weight, None, None, capped)
    return decision, score, None, levels, similarities


def pair_probability(
    rule: MatchRule, a: Features, b: Features, levels: Sequence[int] | None = None
) -> float | None:
    """The match probability the weights give a pair, for choosing an auto-link cut
    (``matching.engine.cut``): None when a hard rule decides against linking it automatically
    (a veto, or the names-differ cap), 1.0 for an identifier both share. ``levels``: the pair's
    comparison levels when already known (as :func:`decide_prepared`)."""
    c = _compile(rule)
    veto, auto_field = _hard(c, a, b)
    if veto is not None:
        return None
    if auto_field is not None:
        return 1.0
    if levels is None:
        _, weight, _ = _compare_fields(c, a, b)
    else:
        weight = _weight_of_levels(c, pair_kind(a, b), levels, pair=(a, b))
    if weight >= c.review_weight and _names_differ(c, a, b):
        return None
    return weight_to_probability(weight)


@dataclass(frozen=True, slots=True)
class PairOutcome:
    """What a compared pair's decision depends on besides the rule's weights: whether a hard
    rule vetoed it or an identifier both share decided it, its kind, its comparison levels and
    whether the names-differ cap applies. Two rules of the same hard rules and
    ``comparison_signature`` (a re-fit and the rule it started from) give a pair the same
    outcome, so a re-fit's checks decide each distinct outcome once, not each pair.
    ``penalty``: the bits its common values take off (``frequency``; rounded, so that pairs
    differing by a hair count as one outcome)."""

    vetoed: bool
    identified: bool
    kind: str
    levels: tuple[int, ...]
    names_differ: bool
    penalty: float = 0.0


def pair_outcome(rule: MatchRule, a: Features, b: Features, levels: Sequence[int]) -> PairOutcome:
    """The :class:`PairOutcome` of two prepared records whose comparison ``levels`` are known."""
    c = _compile(rule)
    return _outcome(c, a, b, *_hard(c, a, b), levels)


def _outcome(
    c: _Compiled,
    a: Features,
    b: Features,
    veto: str | None,
    auto_field: str | None,
    levels: Sequence[int],
) -> PairOutcome:
    """:func:`pair_outcome` once the hard rules are known (the batch fit has them already)."""
    if veto is not None or auto_field is not None:
        return PairOutcome(veto is not None, auto_field is not None, "", (), False)
    taken = round(frequency_penalty(c, a, b, levels), 3) if a.frequencies or b.frequencies else 0.0
    return PairOutcome(False, False, pair_kind(a, b), tuple(levels), _names_differ(c, a, b), taken)


def decide_outcome(rule: MatchRule, outcome: PairOutcome) -> Decision:
    """The decision :func:`decide_prepared` takes for a pair of this outcome under ``rule``."""
    if outcome.vetoed:
        return "new"
    if outcome.identified:
        return "auto"
    c = _compile(rule)
    weight = _weight_of_levels(c, outcome.kind, outcome.levels) - outcome.penalty
    capped = weight >= c.review_weight and outcome.names_differ
    return _decide(c, weight, None, None, capped)[1]


def outcome_probability(rule: MatchRule, outcome: PairOutcome) -> float | None:
    """:func:`pair_probability` of a pair of this outcome under ``rule``."""
    if outcome.vetoed:
        return None
    if outcome.identified:
        return 1.0
    c = _compile(rule)
    weight = _weight_of_levels(c, outcome.kind, outcome.levels) - outcome.penalty
    if weight >= c.review_weight and outcome.names_differ:
        return None
    return weight_to_probability(weight)


def decide_by_weights(
    rule: MatchRule, a: Features, b: Features, levels: Sequence[int], leave_out: Collection[str]
) -> Decision:
    """The decision the weights alone give two prepared records whose comparison ``levels``
    are known, the fields ``leave_out`` (by ``field``) not counted and no hard rule but the
    names-differ cap applied: how a rule would decide a pair without its identifiers. A
    re-fit is checked with it on pairs whose identifiers say what they are (same or different
    valid credit code)."""
    c = _compile(rule)
    weight = _weight_of_levels(c, pair_kind(a, b), levels, leave_out, pair=(a, b))
    capped = weight >= c.review_weight and _names_differ(c, a, b)
    return _decide(c, weight, None, None, capped)[1]


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
