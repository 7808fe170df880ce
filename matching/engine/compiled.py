"""Rules compiled for scoring: comparators resolved, weights computed, once per rule object."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from matching.compare import COMPARATORS
from matching.engine.features import Features
from matching.rules import (
    MatchRule,
    probability_to_weight,
)


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    field: str
    comparator: str
    alternatives: tuple[str, ...]
    prepare: Callable[[str], Any]
    compare: Callable[[Any, Any], float | None]
    exact_key: Callable[[Any], Any] | None
    prepare_flagged: Callable[[str], Any] | None
    thresholds: tuple[float, ...]
    weights: tuple[float, ...]
    labels: tuple[str, ...]
    applies_to: str | None
    cache_key: tuple[Callable[[str], Any], str]
    term_frequency: bool


#: One field of ``_Compiled.hot``: (position, cache key, compare, thresholds but the last,
#: weights, field).
_HotEntry = tuple[int, Any, Callable[..., Any], tuple[float, ...], tuple[float, ...], _Field]


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
    attribute_veto: bool
    organization_name_review: bool
    # (position, field) of the fields whose first level is weighed by how common the value is.
    frequency_fields: tuple[tuple[int, _Field], ...]
    # The (mail domain, region) fields of organizations that ``scoring._group_companies_apart``
    # reads, or None when the rule lacks either: found once, not once per pair.
    group_fields: tuple[_Field, _Field] | None
    # Pair kind -> the fields that apply (the hot loop skips the rest), unpacked for it:
    # (position, cache key, compare, thresholds but the last, weights, field).
    hot: dict[str, tuple[_HotEntry, ...]]
    # Pair kind -> the hot entries in the order a pruned comparison takes them, cheapest
    # comparator first, each with the most its field can add (its best weight, or 0: a field
    # not compared adds nothing); and the most a pair of that kind can weigh (the prior and
    # every such most). See ``scoring._compare_fields``'s ``floor``.
    screen: dict[str, tuple[tuple[tuple[_HotEntry, float], ...], float]]


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
            prepare_flagged=COMPARATORS[f.comparator].prepare_flagged,
            thresholds=tuple(level.min_similarity for level in f.levels),
            weights=tuple(level.weight for level in f.levels),
            labels=tuple(level.label for level in f.levels),
            applies_to=f.applies_to,
            cache_key=(COMPARATORS[f.comparator].prepare, f.field),
            term_frequency=f.term_frequency,
        )
        for f in rule.fields
    )
    hot = {
        kind: tuple(
            (k, f.cache_key, f.compare, f.thresholds[:-1], f.weights, f)
            for k, f in enumerate(fields)
            if applies(f.applies_to, f.comparator, kind)
        )
        for kind in ("", "person", "organization", UNKNOWN_KIND)
    }
    prior_weight = probability_to_weight(rule.prior)
    compiled = _Compiled(
        rule=rule,
        fields=fields,
        prior_weight=prior_weight,
        auto_weight=probability_to_weight(rule.auto_threshold),
        review_weight=probability_to_weight(rule.review_threshold),
        auto_on_same=tuple(rule.hard.auto_on_same),
        veto_on_different=tuple(rule.hard.veto_on_different),
        branch_veto=rule.hard.branch_veto,
        type_veto=rule.hard.type_veto,
        chinese_name_review=rule.hard.chinese_name_review,
        attribute_veto=rule.hard.attribute_veto,
        organization_name_review=rule.hard.organization_name_review,
        frequency_fields=tuple((k, f) for k, f in enumerate(fields) if f.term_frequency),
        group_fields=_group_fields(fields),
        hot=hot,
        screen={kind: _screen(entries, prior_weight) for kind, entries in hot.items()},
    )
    _COMPILED[id(rule)] = (weakref.ref(rule), compiled)
    # The hub builds a rule object per request batch: forget each one when it is collected.
    weakref.finalize(rule, _COMPILED.pop, id(rule), None)
    return compiled


def _screen(
    entries: tuple[_HotEntry, ...], prior_weight: float
) -> tuple[tuple[tuple[_HotEntry, float], ...], float]:
    """``_Compiled.screen`` of one pair kind's hot entries."""
    ordered = sorted(entries, key=lambda e: (COMPARATORS[e[5].comparator].cost, e[0]))
    tops = [max(0.0, *e[4]) for e in ordered]
    return tuple(zip(ordered, tops, strict=True)), prior_weight + sum(tops)


def _group_fields(fields: tuple[_Field, ...]) -> tuple[_Field, _Field] | None:
    """The last organization field of each comparator ``email_domain`` and ``company_region``."""
    found: dict[str, _Field] = {}
    for spec in fields:
        if spec.applies_to in (None, "organization") and spec.comparator in (
            "email_domain",
            "company_region",
        ):
            found[spec.comparator] = spec
    if len(found) < 2:
        return None
    return found["email_domain"], found["company_region"]


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
        if value is None and spec.prepare_flagged and spec.field in features.flagged:
            # A value flagged invalid that its comparator still reads (digits of a phone or
            # a birth date): the comparator bounds what it may prove.
            raw = (features.raw.get(spec.field) or "").strip()
            prepared = spec.prepare_flagged(raw) if raw else None
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
    """Why a field with a value on either side was not compared (a flagged value that its
    comparator reads is compared, and has no note)."""
    return FLAGGED_NOTE if any(n in a.flagged or n in b.flagged for n in names) else MISSING_NOTE


#: Comparators of customers that a side must say is an organization: two mailboxes at one
#: domain are one company's, or two colleagues' (persons whose kind no field gave).
DECLARED_ORGANIZATION_ONLY = frozenset({"email_domain"})
#: Comparators that leave a pair uncompared on purpose (a public provider's domain, or one
#: address, which the e-mail field weighs): no explanation row says "missing" for them.
SILENT_WHEN_UNCOMPARED = frozenset({"email_domain"})
#: ``_Compiled.hot``'s key for two customers neither of which says what kind it is.
UNKNOWN_KIND = "unknown"


def hot_kind(a: Features, b: Features) -> str:
    """The key of ``_Compiled.hot`` for a pair: its ``pair_kind``, or ``UNKNOWN_KIND`` for two
    customers of unknown kind (compared as organizations, but not on
    ``DECLARED_ORGANIZATION_ONLY`` fields)."""
    kind = pair_kind(a, b)
    if kind == "organization" and not a.kind and not b.kind:
        return UNKNOWN_KIND
    return kind


def applies(spec_applies_to: str | None, comparator: str, kind: str) -> bool:
    """Whether a field rule is compared for a pair of ``hot_kind`` ``kind``."""
    if kind == UNKNOWN_KIND:
        return spec_applies_to in (None, "organization") and (
            comparator not in DECLARED_ORGANIZATION_ONLY
        )
    return spec_applies_to in (None, kind or None)


def pair_kind(a: Features, b: Features) -> str:
    """The pair's customer kind for ``applies_to``; unknown on both sides is compared as an
    organization (the company-name comparator degrades gracefully on any name, the person-name
    one does not), and non-customer entities have no kind."""
    if a.entity != "customers":
        return ""
    return a.kind or b.kind or "organization"
