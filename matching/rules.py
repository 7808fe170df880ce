"""Match rules as plain data: what to compare, how much each outcome counts, and the hard rules.

A rule is stored as JSON in the database and edited by data stewards, so it is nothing but
dataclasses of strings and numbers (:func:`rule_to_dict` / :func:`rule_from_dict`).

Why Fellegi–Sunter weights, not hand-set "agree/disagree" points
-----------------------------------------------------------------
Each field rule maps the comparator's similarity to a *level* (exact, ≥0.9, …, else) and each
level carries two probabilities: ``m`` = P(level | same entity) and ``u`` = P(level | different
entities). Its weight is the log2 Bayes factor ``log2(m/u)``; a record pair's match weight is
``log2(prior/(1-prior))`` plus the weights of the fields present, and its score is the match
probability ``2^w / (1 + 2^w)``. We chose this over hand-weighted evidence because:

* every number has a meaning a steward can check against data ("this level occurs for 2% of
  true duplicates and 0.01% of other pairs"), and an explanation reads as "+6.6 bits: same
  birth date";
* the parameters can be *estimated* — by EM on unlabeled candidate pairs (:func:`estimate_m_u`)
  or counted from steward decisions — instead of tuned by hand per data source;
* missing values contribute exactly 0 (no evidence), which hand weights tend to get wrong;
* thresholds are probabilities, comparable across entities and rule versions.

``prior`` is the probability that two *candidate* records (records that share a blocking key)
are the same entity — not two random records — because the engine only ever scores candidates.

Hard rules are deterministic and beat the weights: equal valid identifiers decide "auto",
different valid identifiers (or person vs organization, or a branch vs its head office) veto.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = [
    "DEFAULT_RULES",
    "FieldRule",
    "HardRules",
    "Level",
    "MatchRule",
    "default_rule",
    "estimate_m_u",
    "probability_to_weight",
    "rule_from_dict",
    "rule_to_dict",
    "weight_to_probability",
]

_MIN_PROBABILITY = 1e-6


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
    customers the ``customer_type`` it applies to (``person``, ``organization`` or None = both)."""

    name: str
    field: str
    comparator: str
    levels: list[Level]
    applies_to: str | None = None


@dataclass
class HardRules:
    """Deterministic decisions, applied before and over the weights.

    ``auto_on_same``: identifier fields whose equality (both valid, i.e. present and not flagged)
    means the same entity. ``veto_on_different``: identifier fields whose difference (both valid)
    means different entities (veto ``different_<field>``). ``branch_veto``: a branch never merges
    with its head office, nor with another branch. ``type_veto``: a person never merges with an
    organization.
    """

    auto_on_same: list[str] = field(default_factory=list)
    veto_on_different: list[str] = field(default_factory=list)
    branch_veto: bool = False
    type_veto: bool = False


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
    odds = 2.0**weight
    return odds / (1.0 + odds)


# --------------------------------------------------------------------------- (de)serialization


def rule_to_dict(rule: MatchRule) -> dict[str, Any]:
    """JSON-ready dict of a rule (weights are derived, not stored)."""
    return asdict(rule)


def rule_from_dict(data: Mapping[str, Any]) -> MatchRule:
    """Build and validate a rule from its dict form; raises ValueError on a malformed rule."""
    from matching.compare import COMPARATORS

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
        ),
        version=int(data.get("version", 1)),
        description=str(data.get("description", "")),
    )
    if not 0.0 < rule.prior < 1.0:
        raise ValueError("prior must lie in (0, 1)")
    if not 0.0 <= rule.review_threshold <= rule.auto_threshold <= 1.0:
        raise ValueError("thresholds must satisfy 0 <= review <= auto <= 1")
    return rule


# --------------------------------------------------------------------------- parameter fitting


def estimate_m_u(
    rule: MatchRule,
    levels: Sequence[Sequence[int]],
    *,
    fix_u: bool = False,
    max_iterations: int = 60,
    tolerance: float = 1e-5,
) -> MatchRule:
    """Fit m, u and the prior by expectation–maximisation on *unlabeled* candidate pairs.

    ``levels`` holds one row per candidate pair and one column per field rule (in rule order):
    the index of the level the pair fell in, or -1 when the field is missing or does not apply.
    The current parameters are the starting point, which keeps EM in the intended basin (the
    "match" class stays the one with high agreement). With ``fix_u`` only m and the prior move —
    useful when u was counted on random pairs. Returns a new rule; thresholds are unchanged.

    Steps: (1) E: posterior match probability of every pair under current m, u, prior;
    (2) M: m[level] = expected share of matches in that level among matches where the field is
    present, u likewise for non-matches, prior = mean posterior; (3) repeat until the largest
    parameter change is below ``tolerance``. Probabilities are floored so that no level gets a
    weight of ±infinity from a sample that happened not to contain it.
    """
    import numpy as np

    matrix = np.asarray(levels, dtype=np.int64)
    if matrix.size == 0:
        return rule
    n_fields = len(rule.fields)
    if matrix.ndim != 2 or matrix.shape[1] != n_fields:
        raise ValueError(f"levels must have {n_fields} columns")
    floor = 1e-5
    m = [np.array([lv.m for lv in f.levels], dtype=float) for f in rule.fields]
    u = [np.array([lv.u for lv in f.levels], dtype=float) for f in rule.fields]
    # One-hot masks per field once: the iterations are then pure array arithmetic.
    masks = [
        [matrix[:, j] == k for k in range(len(rule.fields[j].levels))] for j in range(n_fields)
    ]
    prior = rule.prior
    for _ in range(max_iterations):
        log_m = np.zeros(len(matrix))
        log_u = np.zeros(len(matrix))
        for j in range(n_fields):
            column = matrix[:, j]
            present = column >= 0
            index = np.where(present, column, 0)
            log_m += np.where(present, np.log(m[j][index]), 0.0)
            log_u += np.where(present, np.log(u[j][index]), 0.0)
        logit = math.log(prior) - math.log(1 - prior) + log_m - log_u
        posterior = 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))
        change = 0.0
        for j in range(n_fields):
            present = matrix[:, j] >= 0
            match_total = float(posterior[present].sum())
            other_total = float((1 - posterior)[present].sum())
            if match_total <= 0 or other_total <= 0:
                continue
            new_m = np.array([float(posterior[mask].sum()) for mask in masks[j]]) / match_total
            new_m = np.maximum(new_m, floor)
            new_m /= new_m.sum()
            change = max(change, float(np.abs(new_m - m[j]).max()))
            m[j] = new_m
            if not fix_u:
                new_u = (
                    np.array([float((1 - posterior)[mask].sum()) for mask in masks[j]])
                    / other_total
                )
                new_u = np.maximum(new_u, floor)
                new_u /= new_u.sum()
                change = max(change, float(np.abs(new_u - u[j]).max()))
                u[j] = new_u
        new_prior = float(min(max(posterior.mean(), 1e-6), 1 - 1e-6))
        change = max(change, abs(new_prior - prior))
        prior = new_prior
        if change < tolerance:
            break
    fitted = [
        replace(
            f,
            levels=[
                replace(lv, m=float(m[j][k]), u=float(u[j][k])) for k, lv in enumerate(f.levels)
            ],
        )
        for j, f in enumerate(rule.fields)
    ]
    return replace(rule, fields=fitted, prior=prior)


# --------------------------------------------------------------------------- defaults


def _levels(*rows: tuple[float, float, float, str]) -> list[Level]:
    return [Level(min_similarity=t, m=m, u=u, label=label) for t, m, u, label in rows]


def _identifier_field(name: str, applies_to: str | None = None) -> FieldRule:
    # A one-character difference between two *valid* codes is rare (check characters catch
    # most typos), so the typo level is weak evidence and "else" is strong counter-evidence.
    return FieldRule(
        name=name,
        field=name,
        comparator="identifier",
        applies_to=applies_to,
        levels=_levels(
            (1.0, 0.95, 1e-5, "same code"),
            (0.8, 0.03, 1e-3, "one character off"),
            (0.0, 0.02, 0.999, "different code"),
        ),
    )


def _phone_field() -> FieldRule:
    # Systems often hold different numbers of the same customer: "else" is only mildly negative.
    return FieldRule(
        name="phone",
        field="phone",
        comparator="phone",
        levels=_levels(
            (1.0, 0.55, 0.002, "same number"),
            (0.9, 0.05, 0.001, "same last 8 digits"),
            (0.7, 0.05, 0.003, "one digit off"),
            (0.0, 0.35, 0.994, "different number"),
        ),
    )


def _email_field() -> FieldRule:
    return FieldRule(
        name="email",
        field="email",
        comparator="email",
        levels=_levels(
            (1.0, 0.6, 0.001, "same address"),
            (0.7, 0.05, 0.002, "same mailbox, other domain"),
            (0.0, 0.35, 0.997, "different address"),
        ),
    )


def _address_field() -> FieldRule:
    return FieldRule(
        name="address",
        field="address",
        comparator="address",
        levels=_levels(
            (0.97, 0.55, 0.005, "same address"),
            (0.88, 0.2, 0.01, "nearly the same"),
            (0.75, 0.12, 0.04, "similar"),
            (0.55, 0.07, 0.2, "somewhat similar"),
            (0.0, 0.06, 0.745, "different"),
        ),
    )


def _postal_field() -> FieldRule:
    return FieldRule(
        name="postal_code",
        field="postal_code",
        comparator="postal_code",
        levels=_levels(
            (1.0, 0.85, 0.03, "same"),
            (0.8, 0.06, 0.01, "one character off"),
            (0.5, 0.03, 0.06, "same district"),
            (0.0, 0.06, 0.9, "different"),
        ),
    )


def _customers() -> MatchRule:
    return MatchRule(
        entity="customers",
        description="Customers: organizations by credit code and core name, persons by "
        "resident ID, name and birth date; contact details as supporting evidence.",
        auto_threshold=0.99,
        review_threshold=0.5,
        prior=0.1,
        hard=HardRules(
            auto_on_same=["credit_code", "resident_id"],
            veto_on_different=["credit_code", "resident_id"],
            branch_veto=True,
            type_veto=True,
        ),
        fields=[
            _identifier_field("credit_code", "organization"),
            _identifier_field("resident_id", "person"),
            FieldRule(
                name="company_name",
                field="name",
                comparator="company_name",
                applies_to="organization",
                levels=_levels(
                    (1.0, 0.75, 0.004, "same core name"),
                    (0.95, 0.1, 0.002, "same pinyin / script"),
                    (0.8, 0.07, 0.01, "nearly the same"),
                    (0.6, 0.05, 0.05, "similar"),
                    (0.0, 0.03, 0.934, "different"),
                ),
            ),
            FieldRule(
                name="region",
                field="name",
                comparator="company_region",
                applies_to="organization",
                # Same name in another city is, in China, usually another registered company.
                levels=_levels(
                    (1.0, 0.93, 0.3, "same region"),
                    (0.8, 0.05, 0.05, "region contains the other"),
                    (0.0, 0.02, 0.65, "different region"),
                ),
            ),
            FieldRule(
                name="person_name",
                field="name",
                comparator="person_name",
                applies_to="person",
                levels=_levels(
                    (1.0, 0.7, 0.01, "same name"),
                    (0.95, 0.12, 0.004, "same tokens / one typo"),
                    (0.88, 0.09, 0.02, "close"),
                    (0.7, 0.06, 0.15, "similar"),
                    (0.0, 0.03, 0.816, "different"),
                ),
            ),
            FieldRule(
                name="birth_date",
                field="birth_date",
                comparator="birth_date",
                applies_to="person",
                levels=_levels(
                    (1.0, 0.85, 0.004, "same date"),
                    (0.9, 0.02, 0.0003, "day and month transposed"),
                    (0.8, 0.08, 0.004, "one digit off"),
                    (0.5, 0.03, 0.02, "two digits off, same year"),
                    (0.0, 0.02, 0.9717, "different"),
                ),
            ),
            _phone_field(),
            _email_field(),
            _address_field(),
            _postal_field(),
        ],
    )


def _products() -> MatchRule:
    return MatchRule(
        entity="products",
        description="Products: GTIN decides; otherwise brand + model + name + specification.",
        auto_threshold=0.99,
        review_threshold=0.5,
        prior=0.1,
        hard=HardRules(auto_on_same=["gtin"], veto_on_different=["gtin"]),
        fields=[
            _identifier_field("gtin"),
            FieldRule(
                name="model",
                field="model",
                comparator="identifier",
                # iPhone 14 / iPhone 15: a model one character off is usually another product.
                levels=_levels(
                    (1.0, 0.85, 0.005, "same model"),
                    (0.8, 0.08, 0.02, "one character off"),
                    (0.0, 0.07, 0.975, "different model"),
                ),
            ),
            FieldRule(
                name="brand",
                field="brand",
                comparator="text",
                levels=_levels(
                    (1.0, 0.85, 0.05, "same brand"),
                    (0.85, 0.1, 0.02, "nearly the same"),
                    (0.0, 0.05, 0.93, "different"),
                ),
            ),
            FieldRule(
                name="name",
                field="name",
                comparator="text",
                levels=_levels(
                    (1.0, 0.5, 0.002, "same name"),
                    (0.9, 0.25, 0.01, "nearly the same"),
                    (0.75, 0.15, 0.05, "similar"),
                    (0.0, 0.1, 0.938, "different"),
                ),
            ),
            FieldRule(
                name="spec",
                field="spec",
                comparator="spec",
                levels=_levels(
                    (1.0, 0.7, 0.05, "same specification"),
                    (0.8, 0.25, 0.05, "same numbers"),
                    (0.0, 0.05, 0.9, "different numbers"),
                ),
            ),
            FieldRule(
                name="unit",
                field="unit",
                comparator="exact",
                levels=_levels((1.0, 0.95, 0.5, "same unit"), (0.0, 0.05, 0.5, "other unit")),
            ),
        ],
    )


def _materials() -> MatchRule:
    return MatchRule(
        entity="materials",
        description="Materials: name + specification must both agree; part number supports.",
        auto_threshold=0.99,
        review_threshold=0.5,
        prior=0.1,
        hard=HardRules(),
        fields=[
            FieldRule(
                name="part_number",
                field="part_number",
                comparator="identifier",
                levels=_levels(
                    (1.0, 0.9, 0.001, "same part number"),
                    (0.8, 0.04, 0.005, "one character off"),
                    (0.0, 0.06, 0.994, "different part number"),
                ),
            ),
            FieldRule(
                name="name",
                field="name",
                comparator="text",
                levels=_levels(
                    (1.0, 0.6, 0.01, "same name"),
                    (0.9, 0.2, 0.02, "nearly the same"),
                    (0.75, 0.12, 0.1, "similar"),
                    (0.0, 0.08, 0.87, "different"),
                ),
            ),
            FieldRule(
                name="spec",
                field="spec",
                comparator="spec",
                # M8x20 vs M10x20 are different materials however alike the names are.
                levels=_levels(
                    (1.0, 0.75, 0.02, "same specification"),
                    (0.8, 0.22, 0.03, "same numbers"),
                    (0.0, 0.03, 0.95, "different numbers"),
                ),
            ),
            FieldRule(
                name="manufacturer",
                field="manufacturer",
                comparator="company_name",
                levels=_levels(
                    (0.95, 0.85, 0.1, "same manufacturer"),
                    (0.0, 0.15, 0.9, "other manufacturer"),
                ),
            ),
            FieldRule(
                name="unit",
                field="unit",
                comparator="exact",
                levels=_levels((1.0, 0.95, 0.5, "same unit"), (0.0, 0.05, 0.5, "other unit")),
            ),
        ],
    )


def default_rule(entity: str) -> MatchRule:
    """A fresh copy of the built-in rule of an entity (safe to modify)."""
    factories = {"customers": _customers, "products": _products, "materials": _materials}
    try:
        return factories[entity]()
    except KeyError:
        raise ValueError(f"no default match rule for entity {entity!r}") from None


DEFAULT_RULES: dict[str, MatchRule] = {
    entity: default_rule(entity) for entity in ("customers", "products", "materials")
}
