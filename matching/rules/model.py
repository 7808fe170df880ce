"""Match rules as plain data: the dataclasses of a rule, its weights, and its JSON form.

A rule is stored as JSON in the database and edited by data stewards, so it is nothing but
dataclasses of strings and numbers (:func:`rule_to_dict` / :func:`rule_from_dict`). Why the
weights are Fellegi–Sunter log2 Bayes factors: see the :mod:`matching.rules` docstring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from matching.compare import COMPARATORS

# Floor for m and u in weights: keeps every weight finite (|w| <= ~30 bits) while letting an
# exact agreement on a rare value (u ~ 1e-8) count for what it is.
_MIN_PROBABILITY = 1e-9


@dataclass
class Level:
    """One comparison level: applies when similarity >= ``min_similarity`` (first match wins)."""

    min_similarity: float
    m: float
    u: float
    label: str = ""

    @property
    def weight(self) -> float:
        """log2 Bayes factor of observing this level."""
        return math.log2(max(self.m, _MIN_PROBABILITY) / max(self.u, _MIN_PROBABILITY))


@dataclass
class FieldRule:
    """How one attribute is compared: comparator name (see ``matching.compare.COMPARATORS``),
    levels sorted by decreasing ``min_similarity`` with the last one at 0.0 ("else"), and for
    customers the ``customer_type`` it applies to (``person``, ``organization`` or None = both).
    ``term_frequency``: an agreement at the first level on a value many records share counts
    for less (``matching.engine.frequency``; customers' name, phone and e-mail)."""

    name: str
    field: str
    comparator: str
    levels: list[Level]
    applies_to: str | None = None
    term_frequency: bool = False


@dataclass
class HardRules:
    """Deterministic decisions, applied before and over the weights.

    ``auto_on_same``: identifier fields whose equality (both valid, i.e. present and not flagged)
    means the same entity. ``veto_on_different``: identifier fields whose difference (both valid)
    means different entities (veto ``different_<field>``). ``branch_veto``: a branch never merges
    with its head office, nor with another branch. ``type_veto``: a person never merges with an
    organization. ``chinese_name_review``: two Chinese person names that differ beyond a
    homophone or a one-character typo are never linked automatically, only proposed for review —
    IMEs make homophone errors, not new given names, and twins share a birth date and address.
    ``attribute_veto`` (products, materials): two records whose parsed goods attributes conflict
    (6 L / 5 L, 镀锌 / 达克罗, 8.8级 / 10.9级, two model numbers; see
    ``matching.normalize.goods``) are never linked: veto ``conflicting_<dimension>``. Such a pair
    is not queued for review either: it is two items, like two different GTINs, and the
    explanation of the new golden record names the conflicting attribute.
    ``organization_name_review``: two organizations whose names each keep a distinctive word the
    other lacks (once shared, legal, industry and place words are set aside: ``ritz-carlton
    cafe`` / ``ritz-carlton dining room``, 万向钱潮 / 万向德农; or two trades, 华信科技 /
    华信电子), and that the company-name comparator does not find a short name, abbreviation or
    typo of one another, are never linked automatically by the other fields, only proposed for
    review — the businesses of one building share its address and its switchboard number (a
    hotel's restaurants), which says nothing of their being one. An identifier (credit code)
    both share still links them.
    """

    auto_on_same: list[str] = field(default_factory=list)
    veto_on_different: list[str] = field(default_factory=list)
    branch_veto: bool = False
    type_veto: bool = False
    chinese_name_review: bool = False
    attribute_veto: bool = False
    organization_name_review: bool = False


#: Entities whose records are goods: a stored rule written before ``attribute_veto`` existed
#: gets it switched on, as the defaults have it.
GOODS_ENTITIES = ("products", "materials")


@dataclass
class MatchRule:
    """The complete, storable match configuration of one entity (thresholds are probabilities)."""

    entity: str
    auto_threshold: float
    review_threshold: float
    prior: float
    fields: list[FieldRule]
    hard: HardRules = field(default_factory=HardRules)
    version: int = 1
    description: str = ""


def probability_to_weight(probability: float) -> float:
    """Match probability -> log2 odds."""
    probability = min(max(probability, 1e-12), 1 - 1e-12)
    return math.log2(probability / (1.0 - probability))


def weight_to_probability(weight: float) -> float:
    """log2 odds -> match probability."""
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds: float = 2.0**weight
    return odds / (1.0 + odds)


# --------------------------------------------------------------------------- (de)serialization


def rule_to_dict(rule: MatchRule) -> dict[str, Any]:
    """JSON-ready dict of a rule (weights are derived, not stored)."""
    return asdict(rule)


def rule_from_dict(data: Mapping[str, Any]) -> MatchRule:
    """Build and validate a rule from its dict form; raises ValueError on a malformed rule."""
    fields: list[FieldRule] = []
    for raw in data.get("fields", []):
        levels = [
            Level(
                min_similarity=float(level["min_similarity"]),
                m=float(level["m"]),
                u=float(level["u"]),
                label=str(level.get("label", "")),
            )
            for level in raw["levels"]
        ]
        if raw["comparator"] not in COMPARATORS:
            raise ValueError(f"unknown comparator {raw['comparator']!r} in field {raw['name']!r}")
        thresholds = [level.min_similarity for level in levels]
        if not levels or thresholds != sorted(thresholds, reverse=True) or thresholds[-1] != 0.0:
            raise ValueError(
                f"levels of {raw['name']!r} must decrease and end with min_similarity 0.0"
            )
        if any(not (0.0 < lv.m <= 1.0 and 0.0 < lv.u <= 1.0) for lv in levels):
            raise ValueError(f"m and u of {raw['name']!r} must lie in (0, 1]")
        fields.append(
            FieldRule(
                name=str(raw["name"]),
                field=str(raw["field"]),
                comparator=str(raw["comparator"]),
                levels=levels,
                applies_to=raw.get("applies_to"),
                term_frequency=bool(raw.get("term_frequency", False)),
            )
        )
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise ValueError("field rule names must be unique")
    hard = data.get("hard") or {}
    rule = MatchRule(
        entity=str(data["entity"]),
        auto_threshold=float(data["auto_threshold"]),
        review_threshold=float(data["review_threshold"]),
        prior=float(data["prior"]),
        fields=fields,
        hard=HardRules(
            auto_on_same=list(hard.get("auto_on_same", [])),
            veto_on_different=list(hard.get("veto_on_different", [])),
            branch_veto=bool(hard.get("branch_veto", False)),
            type_veto=bool(hard.get("type_veto", False)),
            chinese_name_review=bool(hard.get("chinese_name_review", False)),
            attribute_veto=bool(hard.get("attribute_veto", str(data["entity"]) in GOODS_ENTITIES)),
            organization_name_review=bool(hard.get("organization_name_review", False)),
        ),
        version=int(data.get("version", 1)),
        description=str(data.get("description", "")),
    )
    if not 0.0 < rule.prior < 1.0:
        raise ValueError("prior must lie in (0, 1)")
    if not 0.0 <= rule.review_threshold <= rule.auto_threshold <= 1.0:
        raise ValueError("thresholds must satisfy 0 <= review <= auto <= 1")
    return rule
