"""The shadow of a rule rollout: its decisions recorded during real matching, beside the live
rule's, and the report read from them (``mdm.linking.rule_rollout`` walks the stages).

While a rollout is open (``shadow`` or ``partial``) for some source systems:

1. **Real time.** Each record of those systems that the write path decides (a new record, or
   one that is not a member of a live golden record) is decided under both rules with the same
   candidates (``mdm.linking.realtime.MatchingLinker.decide``); one ``MatchRuleShadowDecision``
   row per record holds both decisions, written in the upsert's own transaction. In ``shadow``
   the live rule's decision is applied, in ``partial`` the rollout's.
2. **Batch.** The batch match (``mdm.linking.batch.scoring.score_pairs``, in one process, in
   forked ones or in a job's chunks alike) decides every candidate pair touching those
   systems' records under the rollout's rule too; the pairs on which the rules disagree are
   rows, every pass adds a ``MatchRuleShadowPass`` with how many pairs it compared. Pairs of
   one golden record, which the batch does not score, are decided under both rules too: one the
   live rule links and the rollout's would not is a split. The batch applies the live rule
   until the rollout is promoted. A dry run records nothing.
3. **Report.** ``shadow_report`` counts the recorded rows: what the rollout's rule would merge
   (link where the live rule does not), split (not link where the live rule does), queue and
   take out of the queue, per origin, with examples.

Recording changes nothing the hub shows or does; a rollout that is rolled back or promoted stops
recording (its rows are kept with it).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from django.db import connection

from matching.engine import decide_prepared
from matching.models import (
    OPEN_ROLLOUT_STAGES,
    MatchRuleRollout,
    MatchRuleRolloutStageChoices,
    MatchRuleShadowDecision,
    MatchRuleShadowPass,
)
from matching.rules import MatchRule, rule_from_dict
from mdm.models import SourceRecord

__all__ = [
    "BatchShadow",
    "RealtimeShadow",
    "batch_shadow",
    "open_rollout_for",
    "shadow_report",
]

#: Examples kept per kind of difference in a report.
EXAMPLES = 5
#: Kinds of difference, in the order a report shows them.
KINDS = ("would_merge", "would_split", "would_queue", "would_unqueue")
LIVE, ROLLOUT = "live", "rollout"


@dataclass(frozen=True)
class OpenRollout:
    """The open rollout of an entity as the matching reads it."""

    pk: int
    stage: str
    systems: frozenset[str]
    rule: MatchRule


_OPEN_ROLLOUT_SQL = (
    f"SELECT id, stage, systems, config FROM {MatchRuleRollout._meta.db_table} "  # noqa: S608
    f"WHERE entity = %s AND stage IN ({', '.join(['%s'] * len(OPEN_ROLLOUT_STAGES))}) "
    "ORDER BY created_at DESC, id DESC LIMIT 1"
)


def open_rollout_for(entity: str, system: str | None = None) -> OpenRollout | None:
    """The entity's open rollout (one at most), when it covers ``system`` (any system when
    None); one query."""
    # Hand-written: every upsert asks, and the ORM's building of it cost more than the answer.
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_ROLLOUT_SQL, [entity, *(s.value for s in OPEN_ROLLOUT_STAGES)])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, stage, systems, config = (
        json.loads(v) if isinstance(v, str) and k >= 2 else v for k, v in enumerate(row)
    )
    if system is not None and system not in systems:
        return None
    return OpenRollout(pk, stage, frozenset(systems), rule_from_dict(config))


def is_enabled(rollout: OpenRollout) -> bool:
    return rollout.stage == MatchRuleRolloutStageChoices.PARTIAL


class LinkDecision(Protocol):
    """What a shadow reads of ``mdm.linking.realtime.LinkDecision`` (a module that imports
    this one)."""

    golden_code: str | None
    kind: str
    score: float | None


@dataclass
class RealtimeShadow:
    """The decisions of one batch of upserts under both rules, until the records are stored.

    ``other_rule`` is the rule whose decision is NOT applied: the rollout's in ``shadow``, the
    live rule when the rollout is enabled for the system (``applied`` says which was)."""

    rollout: OpenRollout
    other_rule: MatchRule
    applied: str
    noted: list[tuple[SourceRecord, LinkDecision, LinkDecision]] = field(default_factory=list)

    def note(self, record: SourceRecord, applied: LinkDecision, other: LinkDecision) -> None:
        """``applied`` and ``other`` are the two ``LinkDecision``s of ``record``."""
        self.noted.append((record, applied, other))

    def resolve(self, codes: Mapping[str, str]) -> None:
        """Placeholder golden codes of the batch's new golden records became real ones."""
        for _record, applied, other in self.noted:
            for decision in (applied, other):
                code = codes.get(decision.golden_code or "")
                if code is not None:
                    decision.golden_code = code

    def write(self) -> None:
        """One row per decided record, in the caller's transaction (after the records are
        stored: they need their ids)."""
        rows = []
        for record, applied, other in self.noted:
            if not record.pk:
                continue
            live, rollout = (applied, other) if self.applied == LIVE else (other, applied)
            rows.append(
                MatchRuleShadowDecision(
                    rollout_id=self.rollout.pk,
                    origin="realtime",
                    record_id=record.pk,
                    live_decision=live.kind,
                    live_golden=_golden(live.golden_code),
                    live_score=live.score,
                    rollout_decision=rollout.kind,
                    rollout_golden=_golden(rollout.golden_code),
                    rollout_score=rollout.score,
                    applied=self.applied,
                )
            )
        MatchRuleShadowDecision.objects.bulk_create(rows, batch_size=1000)
        self.noted.clear()


def _golden(code: str | None) -> str:
    """A golden code as recorded: none for a new golden record (a placeholder never stays)."""
    return "" if not code or code.startswith("new:") else code


class BatchShadow:
    """A scoring pass of the batch match under an open rollout (see the module docstring).

    The caller (``score_pairs``) says which pairs of a window it will look at (``window``),
    then hands over each scored pair with the live decision (``scored``) and each pair it skips
    because both records share a golden record (``same_golden``); ``flush`` writes what the
    window found, ``close`` the pass."""

    def __init__(self, rollout: OpenRollout, live: MatchRule, scoped: Iterable[int], short_names):
        self.rollout, self.live, self.short_names = rollout, live, short_names
        self.scoped = frozenset(scoped)
        self.pairs = self.differing = 0
        self.rows: list[MatchRuleShadowDecision] = []

    def covers(self, a: int, b: int) -> bool:
        return a in self.scoped or b in self.scoped

    def _decide(self, left, right) -> tuple[str, float]:
        """The rollout's decision of a pair, with the batch's name rules applied as the live
        decision has them (``ShortNames.decide``, as ``score_pairs`` does)."""
        decision, score, veto = decide_prepared(self.rollout.rule, left.features, right.features)
        if veto is not None:
            return "new", score
        return self.short_names.decide(decision, left, right), score

    def scored(self, a: int, b: int, left, right, decision: str, score: float) -> None:
        """A pair the batch decided (``decision``: ``new`` for a vetoed one)."""
        self.pairs += 1
        theirs, their_score = self._decide(left, right)
        if theirs != decision:
            self._row(a, b, left, right, (decision, score), (theirs, their_score), False)

    def same_golden(self, a: int, b: int, left, right) -> None:
        """A pair of one golden record: only a split (the live rule links it, the rollout's
        would not) is a difference."""
        self.pairs += 1
        live, live_score, veto = decide_prepared(self.live, left.features, right.features)
        if veto is not None or self.short_names.decide(live, left, right) != "auto":
            return
        theirs, their_score = self._decide(left, right)
        if theirs != "auto":
            self._row(a, b, left, right, (live, live_score), (theirs, their_score), True)

    def _row(self, a, b, left, right, live, rollout, same_golden: bool) -> None:
        self.differing += 1
        golden = left.golden_code if same_golden else ""
        self.rows.append(
            MatchRuleShadowDecision(
                rollout_id=self.rollout.pk,
                origin="batch",
                record_id=a,
                other_id=b,
                same_golden=same_golden,
                live_decision=live[0],
                live_golden=golden if live[0] == "auto" else "",
                live_score=round(live[1], 6),
                rollout_decision=rollout[0],
                rollout_golden=golden if rollout[0] == "auto" else "",
                rollout_score=round(rollout[1], 6),
                applied=LIVE,
            )
        )

    def flush(self) -> None:
        if self.rows:
            MatchRuleShadowDecision.objects.bulk_create(self.rows, batch_size=2000)
            self.rows = []

    def close(self) -> None:
        self.flush()
        if self.pairs:
            MatchRuleShadowPass.objects.create(
                rollout_id=self.rollout.pk, pairs=self.pairs, differing=self.differing
            )


def batch_shadow(entity: str, live: MatchRule, short_names) -> BatchShadow | None:
    """The shadow of a batch scoring pass when the entity has an open rollout, else None; the
    ids of the active records of its systems are read once per pass."""
    rollout = open_rollout_for(entity)
    if rollout is None:
        return None
    scoped = SourceRecord.objects.filter(
        entity=entity, is_active=True, system__code__in=sorted(rollout.systems)
    ).values_list("pk", flat=True)
    return BatchShadow(rollout, live, scoped.iterator(chunk_size=20_000), short_names)


def difference_kinds(row: MatchRuleShadowDecision) -> list[str]:
    """What a recorded decision says the rollout's rule would do differently.

    would_merge: it links where the live rule does not link, or links elsewhere (a realtime
    record to another golden record); would_split: the live rule links (or holds together, a
    pair of one golden record) what it would not; would_queue / would_unqueue: a review under
    one rule only (not for a pair already in one golden record: the batch queues none)."""
    live, rollout = row.live_decision, row.rollout_decision
    kinds = []
    elsewhere = row.live_golden != row.rollout_golden
    if rollout == "auto" and (live != "auto" or elsewhere) and not row.same_golden:
        kinds.append("would_merge")
    if live == "auto" and (rollout != "auto" or elsewhere):
        kinds.append("would_split")
    if not row.same_golden:
        if rollout == "review" and live != "review":
            kinds.append("would_queue")
        if live == "review" and rollout != "review":
            kinds.append("would_unqueue")
    return kinds


def shadow_report(rollout_id: int) -> dict:
    """What the recorded decisions of a rollout say, per origin and together: decisions
    (realtime: records decided; batch: pairs compared), how many differ, each kind of
    difference, the transitions (``live->rollout``) and a few examples per kind. The rows are
    read once, in batches; only the examples' records are looked up by name."""
    counts: dict[str, Counter[str]] = {"realtime": Counter(), "batch": Counter()}
    shown: dict[str, list[MatchRuleShadowDecision]] = {}
    transitions: Counter[str] = Counter()
    rows = (
        MatchRuleShadowDecision.objects.filter(rollout_id=rollout_id)
        .order_by("pk")
        .iterator(chunk_size=5000)
    )
    for row in rows:
        found = counts.setdefault(row.origin, Counter())
        if row.origin == "realtime":
            found["decisions"] += 1
        kinds = difference_kinds(row)
        if not kinds and row.live_decision == row.rollout_decision:
            continue
        found["differing"] += 1
        transitions[f"{row.live_decision}->{row.rollout_decision}"] += 1
        for kind in kinds:
            found[kind] += 1
            if len(shown.setdefault(kind, [])) < EXAMPLES:
                shown[kind].append(row)
    counts["batch"]["decisions"] = sum(
        MatchRuleShadowPass.objects.filter(rollout_id=rollout_id).values_list("pairs", flat=True)
    )
    wanted = {
        pk for found in shown.values() for r in found for pk in (r.record_id, r.other_id) if pk
    }
    names = {
        pk: f"{system}:{code}"
        for pk, system, code in SourceRecord.objects.filter(pk__in=wanted).values_list(
            "pk", "system__code", "local_code"
        )
    }
    report: dict = {"origins": {}}
    totals: Counter[str] = Counter()
    for origin, found in counts.items():
        report["origins"][origin] = {
            "decisions": found["decisions"],
            "differing": found["differing"],
            **{kind: found[kind] for kind in KINDS},
        }
        totals.update(report["origins"][origin])
    report.update({key: totals[key] for key in ("decisions", "differing", *KINDS)})
    report["transitions"] = dict(sorted(transitions.items()))
    report["examples"] = {
        kind: [_example(row, names) for row in found] for kind, found in shown.items()
    }
    return report


def _example(row: MatchRuleShadowDecision, names: Mapping[int, str]) -> str:
    def label(pk: int | None) -> str:
        return names.get(pk or 0, f"#{pk}")

    if row.origin == "realtime":
        where = f"{row.live_golden or 'new'} / {row.rollout_golden or 'new'}"
        return (
            f"{label(row.record_id)} {row.live_decision}->{row.rollout_decision} ({where}, "
            f"applied: {row.applied})"
        )
    score = row.rollout_score or 0.0
    return (
        f"{label(row.record_id)} ~ {label(row.other_id)} "
        f"{row.live_decision}->{row.rollout_decision} {score:.4f}"
    )
