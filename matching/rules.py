"""Match rules as plain data: what to compare, how much each outcome counts, and the hard rules.

A rule is stored as JSON in the database and edited by data stewards, so it is nothing but
dataclasses of strings and numbers (:func:`rule_to_dict` / :func:`rule_from_dict`).

Why Fellegi–Sunter weights, not hand-set "agree/disagree" points
-----------------------------------------------------------------
Each field rule maps the comparator's similarity to a *level* (exact, ≥0.9, …, else) and each
level carries two probabilities: ``m`` = P(level | same entity) and ``u`` = P(level | two
different records picked at random). Its weight is the log2 Bayes factor ``log2(m/u)``; a pair's
match weight is ``log2(prior/(1-prior))`` plus the weights of the fields present on both sides,
and its score is the match probability ``2^w / (1 + 2^w)``. We chose this over hand-weighted
evidence because:

* every number has a meaning a steward can check ("1 in 25,000 random customers share a birth
  date; 90% of true duplicates do"), and an explanation reads "+14.5 bits: same birth date";
* the parameters can be *estimated* from unlabeled data — u from random pairs, m and the prior
  by EM on the candidate pairs (:func:`estimate_m_u`, ``engine.fit_rule``), as Splink does — or
  counted from steward decisions, instead of tuned by hand per source system;
* a missing value contributes exactly 0 (no evidence), which hand weights tend to get wrong;
* thresholds are probabilities, comparable across entities and rule versions.

``prior`` is the probability that two records of the entity picked at random are the same
thing: about (records per real thing - 1) / N. It therefore shrinks as the hub grows, and with
it the posterior of a given amount of evidence — correctly so, since coincidences multiply with
N. The defaults assume some 10^5 records with each thing in two or three systems (2e-5);
``engine.fit_rule`` re-estimates it, with m and u, from the hub's own records.

Hard rules are deterministic and beat the weights: equal valid identifiers decide "auto",
different valid identifiers (or person vs organization, or a branch vs its head office) veto.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from matching.compare import COMPARATORS

__all__ = [
    "DEFAULT_RULES",
    "GOODS_ENTITIES",
    "FieldRule",
    "HardRules",
    "Level",
    "MatchRule",
    "default_rule",
    "estimate_m_u",
    "monotone",
    "with_probabilities",
    "probability_to_weight",
    "rule_from_dict",
    "rule_to_dict",
    "weight_to_probability",
]

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


# --------------------------------------------------------------------------- parameter fitting


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
    """
    import numpy as np

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
        for j in range(n_fields):
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
            (1.0, 0.95, 1e-8, "same code"),
            (0.8, 0.03, 1e-7, "one typo"),
            (0.0, 0.02, 1.0, "different code"),
        ),
    )


def _phone_field() -> FieldRule:
    # Systems often hold different numbers of the same customer: "else" is only mildly negative.
    return FieldRule(
        name="phone",
        field="phone",
        comparator="phone",
        levels=_levels(
            (1.0, 0.55, 1e-7, "same number"),
            (0.9, 0.05, 1e-6, "same last 8 digits"),
            (0.7, 0.05, 1e-5, "one typo"),
            (0.0, 0.35, 1.0, "different number"),
        ),
    )


def _email_field() -> FieldRule:
    return FieldRule(
        name="email",
        field="email",
        comparator="email",
        levels=_levels(
            (1.0, 0.5, 1e-7, "same address"),
            (0.85, 0.1, 1e-4, "same role mailbox (admin@, office@…)"),
            (0.7, 0.05, 1e-5, "same mailbox, other domain"),
            (0.0, 0.35, 0.9999, "different address"),
        ),
    )


def _address_field() -> FieldRule:
    # Fuzzy address levels stay modest: in a city, neighbours differ by a room number only.
    return FieldRule(
        name="address",
        field="address",
        comparator="address",
        levels=_levels(
            (0.97, 0.5, 1e-5, "same address"),
            (0.9, 0.2, 5e-5, "nearly the same"),
            (0.8, 0.12, 2e-4, "similar"),
            (0.7, 0.08, 1e-3, "rather similar"),
            (0.6, 0.05, 0.01, "somewhat similar"),
            (0.0, 0.05, 0.98875, "different"),
        ),
    )


def _postal_field() -> FieldRule:
    return FieldRule(
        name="postal_code",
        field="postal_code",
        comparator="postal_code",
        levels=_levels(
            (1.0, 0.8, 0.002, "same"),
            (0.8, 0.08, 0.005, "one typo"),
            (0.5, 0.05, 0.01, "same district"),
            (0.0, 0.07, 0.983, "different"),
        ),
    )


# Default prior: two random records are the same thing with probability ~2e-5 (some 10^5
# records, each real thing held by two or three systems). Refit with engine.fit_rule.
_DEFAULT_PRIOR = 2e-5


def _customers() -> MatchRule:
    return MatchRule(
        entity="customers",
        description="Customers: organizations by credit code and core name, persons by "
        "resident ID, name and birth date; contact details as supporting evidence.",
        auto_threshold=0.99,
        review_threshold=0.5,
        prior=_DEFAULT_PRIOR,
        hard=HardRules(
            auto_on_same=["credit_code", "org_code", "id_number"],
            veto_on_different=["credit_code", "org_code", "id_number"],
            branch_veto=True,
            type_veto=True,
            chinese_name_review=True,
            organization_name_review=True,
        ),
        fields=[
            _identifier_field("credit_code", "organization"),
            _identifier_field("org_code", "organization"),
            _identifier_field("id_number", "person"),
            FieldRule(
                name="company_name",
                # The English or former name of one record may meet the name of another.
                field="name|english_name|former_name",
                comparator="company_name",
                applies_to="organization",
                # A registered name is unique within its registration region: the same core
                # by chance is rare, and region disagreement below takes care of other cities.
                # A short name alone (short form of the other, no region) reaches review, not
                # an automatic link: that takes corroboration (phone, e-mail, address, code).
                levels=_levels(
                    (1.0, 0.75, 1e-6, "same core name"),
                    (0.97, 0.1, 2e-6, "same pinyin / other script"),
                    # Homophones and the 0.86 level reach review only with a region that agrees:
                    # among real listed companies, 165 homophones without a region were one
                    # company once, 2,177 English names sharing a transliterated trade name
                    # with a Chinese name, without a region, half of the time.
                    (0.95, 0.02, 1.7e-6, "homophone (same pinyin)"),
                    (0.88, 0.05, 5e-7, "short name / abbreviation of the other"),
                    (0.86, 0.02, 1.7e-6, "transliterated or two-character short name"),
                    (0.8, 0.03, 1e-4, "nearly the same"),
                    (0.6, 0.015, 0.002, "similar"),
                    (0.0, 0.015, 0.9978931, "different"),
                ),
            ),
            FieldRule(
                name="region",
                field="name|english_name|former_name",
                comparator="company_region",
                applies_to="organization",
                # Same core in another city is, in China, usually another registered company.
                levels=_levels(
                    (1.0, 0.94, 0.08, "same region"),
                    (0.8, 0.05, 0.02, "one region contains the other"),
                    (0.0, 0.01, 0.9, "different region"),
                ),
            ),
            FieldRule(
                name="person_name",
                field="name",
                comparator="person_name",
                applies_to="person",
                levels=_levels(
                    (1.0, 0.5, 2e-4, "same name"),
                    (0.95, 0.25, 2e-4, "same tokens / one typo"),
                    (0.88, 0.08, 5e-4, "close"),
                    (0.7, 0.1, 0.01, "similar"),
                    (0.6, 0.04, 0.06, "one part agrees"),
                    (0.0, 0.03, 0.9293, "different"),
                ),
            ),
            FieldRule(
                name="birth_date",
                field="birth_date",
                comparator="birth_date",
                applies_to="person",
                # u: two random dates of birth over some 80 years are the same day 1 in 25,000
                # times, transposed (same year, both parts <= 12) 1 in 50,000, one digit off
                # 1 in 1,000 (each date has some 35 such neighbours). A typo is partial
                # agreement: with the same name it is review-strength evidence on its own.
                levels=_levels(
                    (1.0, 0.87, 4e-5, "same date"),
                    (0.9, 0.02, 2e-5, "day and month transposed"),
                    (0.8, 0.06, 1e-3, "one digit off / two digits swapped"),
                    (0.5, 0.01, 0.003, "two digits off, same year"),
                    (0.0, 0.04, 0.99594, "different"),
                ),
            ),
            FieldRule(
                name="region_code",
                field="region_code",
                comparator="division",
                levels=_levels(
                    (1.0, 0.75, 0.01, "same division"),
                    (0.8, 0.15, 0.02, "one contains the other"),
                    (0.5, 0.05, 0.05, "same province"),
                    (0.0, 0.05, 0.92, "other province"),
                ),
            ),
            FieldRule(
                name="contact_name",
                field="contact_name",
                comparator="person_name",
                applies_to="organization",
                # Sales contacts change; a shared contact is support, a different one little.
                levels=_levels(
                    (0.95, 0.6, 1e-4, "same contact"),
                    (0.8, 0.05, 1e-3, "similar contact"),
                    (0.0, 0.35, 0.9989, "other contact"),
                ),
            ),
            _phone_field(),
            _email_field(),
            _address_field(),
            _postal_field(),
        ],
    )


def _goods_spec_field(
    *, rich: float, two: float, same: float, numbers: float, m: tuple[float, ...]
) -> FieldRule:
    """The specification compared by its parsed attributes: agreement on three or more of
    them (thread, class and finish; size, ply and colour) pins an item down far better than a
    generic text agreement. Arguments: u of each agreeing level, m of every level."""
    return FieldRule(
        name="spec",
        field="spec",
        comparator="goods_spec",
        levels=_levels(
            (1.0, m[0], rich, "same specification, 3 or more attributes"),
            (0.95, m[1], two, "same specification, 2 attributes"),
            (0.9, m[2], same, "same specification"),
            (0.8, m[3], numbers, "same numbers"),
            (0.0, m[4], 1.0 - rich - two - same - numbers, "different numbers"),
        ),
    )


def _goods_name_field(*, same: float, nearly: float, words: float, similar: float) -> FieldRule:
    """Names of goods: an ERP name and a shop title say the same words in other company (美厨
    空气炸锅6L / 美厨/MEICHU 空气炸锅 MC8601 6L 无油), and ERP names leave words out (冷轧板 /
    冷轧钢板): "same words" is its own level, weaker than the same name. Arguments: u."""
    return FieldRule(
        name="name",
        field="name",
        comparator="goods_name",
        levels=_levels(
            (1.0, 0.4, same, "same name"),
            (0.9, 0.15, nearly, "nearly the same"),
            (0.85, 0.3, words, "same words, attributes aside / one name contains the other"),
            (0.7, 0.1, similar, "similar"),
            (0.0, 0.05, 1.0 - same - nearly - words - similar, "different"),
        ),
    )


def _uom_field(name: str) -> FieldRule:
    return FieldRule(
        name=name,
        field=name,
        comparator="uom",
        levels=_levels((1.0, 0.9, 0.4, "same unit"), (0.0, 0.1, 0.6, "other unit")),
    )


def _products() -> MatchRule:
    return MatchRule(
        entity="products",
        description="Products: GTIN decides; otherwise brand + model + name + specification; "
        "goods whose attributes conflict (6 L / 5 L, two model numbers) are never linked.",
        auto_threshold=0.99,
        review_threshold=0.5,
        prior=_DEFAULT_PRIOR,
        hard=HardRules(auto_on_same=["gtin"], veto_on_different=["gtin"], attribute_veto=True),
        fields=[
            _identifier_field("gtin"),
            FieldRule(
                name="model",
                # A shop title carries the model number in its name (… 空气炸锅 MC8601 6L).
                field="model|name",
                comparator="goods_codes",
                # iPhone 14 / iPhone 15: a model one character off is usually another product.
                levels=_levels(
                    (1.0, 0.85, 1e-5, "same model"),
                    (0.8, 0.08, 1e-4, "one typo"),
                    (0.0, 0.07, 0.99989, "different model"),
                ),
            ),
            FieldRule(
                name="brand",
                field="brand",
                comparator="brand",
                levels=_levels(
                    (1.0, 0.85, 0.02, "same brand"),
                    (0.85, 0.1, 0.005, "nearly the same"),
                    (0.0, 0.05, 0.975, "different"),
                ),
            ),
            _goods_name_field(same=1e-5, nearly=1e-4, words=1e-3, similar=0.005),
            _goods_spec_field(
                rich=1e-5, two=1e-4, same=0.01, numbers=0.02, m=(0.4, 0.2, 0.1, 0.25, 0.05)
            ),
            FieldRule(
                name="category",
                field="category",
                comparator="text",
                # Shops write whole category paths (手机数码>手机配件>移动电源): weak evidence.
                levels=_levels(
                    (0.9, 0.5, 0.05, "same category"),
                    (0.0, 0.5, 0.95, "other category"),
                ),
            ),
            _uom_field("uom"),
        ],
    )


def _materials() -> MatchRule:
    return MatchRule(
        entity="materials",
        description="Materials: name + specification must both agree; goods whose attributes "
        "conflict (M12 / M10, 镀锌 / 达克罗, 8.8级 / 10.9级) are never linked.",
        auto_threshold=0.99,
        review_threshold=0.5,
        prior=_DEFAULT_PRIOR,
        hard=HardRules(attribute_veto=True),
        fields=[
            _goods_name_field(same=1e-4, nearly=5e-4, words=0.003, similar=0.01),
            # M8x20 vs M10x20 are different materials however alike the names are.
            _goods_spec_field(
                rich=2e-6, two=2e-5, same=3e-4, numbers=0.003, m=(0.3, 0.2, 0.3, 0.17, 0.03)
            ),
            FieldRule(
                name="material_type",
                field="material_type",
                comparator="exact",
                levels=_levels((1.0, 0.9, 0.3, "same type"), (0.0, 0.1, 0.7, "other type")),
            ),
            FieldRule(
                name="material_group",
                field="material_group",
                comparator="text",
                levels=_levels((0.9, 0.7, 0.1, "same group"), (0.0, 0.3, 0.9, "other group")),
            ),
            _uom_field("base_uom"),
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
