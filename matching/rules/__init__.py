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

This package is the public API of ``matching.rules``: it exports exactly the names the single
module ``matching/rules.py`` exported before it was split (issue 31, the 500-line rule) into
:mod:`~matching.rules.model` (the dataclasses, weights and JSON form),
:mod:`~matching.rules.fitting` (estimating m, u and the prior) and
:mod:`~matching.rules.defaults` (the built-in rules). Import from ``matching.rules``.
"""

from __future__ import annotations

from matching.rules.defaults import DEFAULT_RULES, default_rule
from matching.rules.fitting import estimate_m_u, monotone, with_probabilities
from matching.rules.model import (
    GOODS_ENTITIES,
    FieldRule,
    HardRules,
    Level,
    MatchRule,
    probability_to_weight,
    rule_from_dict,
    rule_to_dict,
    weight_to_probability,
)

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
