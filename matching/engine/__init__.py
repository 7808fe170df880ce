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

from matching.engine import frequency
from matching.engine.batch import (
    BatchResult,
    comparison_signature,
    dedupe,
    estimate_u,
    fit_rule,
    link,
    prepare_all,
)
from matching.engine.candidates import candidate_pairs
from matching.engine.clustering import cluster
from matching.engine.compiled import (
    FLAGGED_NOTE,
    MISSING_NOTE,
    SILENT_WHEN_UNCOMPARED,
    applies,
    hot_kind,
    pair_kind,
    shown_value,
    unused_note,
)
from matching.engine.cut import AutoCut, choose_auto_cut
from matching.engine.features import (
    NO_FREQUENCIES,
    Decision,
    Features,
    FieldEvidence,
    PairScore,
    Record,
    RecordId,
    prepare,
)
from matching.engine.scoring import (
    ATTRIBUTE_VETO,
    Compared,
    PairOutcome,
    PairTrace,
    attribute_conflicts,
    decide_and_trace,
    decide_by_weights,
    decide_compared,
    decide_outcome,
    decide_prepared,
    explain_compared,
    explain_trace,
    outcome_probability,
    pair_outcome,
    pair_probability,
    score_pair,
    score_prepared,
    trace_prepared,
    warm_up,
)

__all__ = [
    "ATTRIBUTE_VETO",
    "AutoCut",
    "FLAGGED_NOTE",
    "MISSING_NOTE",
    "NO_FREQUENCIES",
    "BatchResult",
    "Compared",
    "Decision",
    "Features",
    "FieldEvidence",
    "PairOutcome",
    "PairScore",
    "PairTrace",
    "Record",
    "RecordId",
    "candidate_pairs",
    "frequency",
    "choose_auto_cut",
    "cluster",
    "comparison_signature",
    "dedupe",
    "estimate_u",
    "fit_rule",
    "link",
    "decide_by_weights",
    "decide_outcome",
    "outcome_probability",
    "pair_outcome",
    "pair_probability",
    "prepare",
    "prepare_all",
    "score_pair",
    "decide_and_trace",
    "decide_compared",
    "decide_prepared",
    "explain_compared",
    "explain_trace",
    "attribute_conflicts",
    "pair_kind",
    "hot_kind",
    "applies",
    "SILENT_WHEN_UNCOMPARED",
    "score_prepared",
    "shown_value",
    "trace_prepared",
    "unused_note",
    "warm_up",
]
