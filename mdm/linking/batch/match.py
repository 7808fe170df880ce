"""The batch match and merge of one entity (``manage.py match`` and the nightly job).

1. Candidate pairs, as record ids only (``mdm.linking.batch.pairs``): the members of every usable
   block, paired, de-duplicated and kept on disk in partitions of consecutive lower ids, read
   back one at a time; the identifier vetoes are applied to each partition as it is read.
2. Scoring, pairs in id order, a window at a time: records are fetched (attributes, flagged
   values, golden code) and prepared into a cache of at most ``MDM_MATCH_FEATURE_CACHE`` records.
   The scorer knows the windows ahead: a record leaves the cache after the last window that
   needs it and, past the limit, those needed furthest ahead leave first (prepared again when
   their window comes). Memory is bounded by the limit, not by the number of records
   (``mdm.linking.batch.scoring``). A pair is not scored when both records already share a golden record or when a
   steward rejected it. The hard rules are checked first (a vetoed pair is not compared), the
   explanation is built only for pairs queued for review.
3. Decisions: ``review`` pairs become MatchCandidates (a known pair is left alone); ``auto`` pairs
   are kept as ``AutoPair`` (golden codes, score, the two records and what comparing them found),
   with the identity tags of their golden records; a forked scoring process writes each
   partition's to a file instead of keeping them.
4. Clustering: union–find over golden records, strongest pairs first, refusing any union that
   would put two different valid credit codes / resident IDs / GTINs, a person and an
   organization, or a branch and its head office in one cluster.
5. Merging: each cluster merges into its oldest golden record, in batches (set-based); each
   record moved is stored with the score and evidence of the pair that merged its golden record
   (``mdm.linking.merge_reasons``).

Step 1 is ``mdm.linking.batch.pairs``, steps 2-3 ``mdm.linking.batch.scoring``, steps 4-5
``mdm.linking.batch.merge``; this module runs them in order. The distributed job finds the
pairs once, has each chunk score a run of partitions (``score_pairs``) and clusters and merges
once at the end (``merge_auto_pairs``).
Running it again changes nothing: linked pairs are skipped, known candidates are not re-queued,
refused unions are refused again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from dictionary.services import dictionary_snapshot
from matching.engine import ATTRIBUTE_VETO, Features, decide_prepared, prepare, score_prepared
from matching.models import MatchCandidate, MatchCandidateStatusChoices
from matching.normalize.goods import GoodsConflict, goods_conflicts
from matching.rules import GOODS_ENTITIES, MatchRule
from mdm.db.bulk_sql import update_objects_with_history
from mdm.db.forking import can_fork
from mdm.linking.batch.merge import merge_auto_pairs
from mdm.linking.batch.pairs import CandidatePairs, IdentifierVetoes, candidate_pairs
from mdm.linking.batch.report import BatchMatchReport
from mdm.linking.batch.scoring import score_in_processes, score_partitions
from mdm.linking.block_index import count_values, stale_keys_warning
from mdm.linking.learning import JOINED_REASON, recalibrate_thresholds, refit_if_stale
from mdm.linking.realtime import explain
from mdm.linking.review import settle_review_links
from mdm.linking.rule_store import FitPairs, PreparedRecords, load_rule
from mdm.models import SourceRecord, SourceRecordLinkChoices
from mdm.privacy.crypto import matching_view

#: The most candidate pairs a re-fit estimates on, past it a uniform sample of them: when
#: every record is prepared for it (no more than ``FIT_SAMPLE``), and when only the records of
#: the sampled pairs are (and ``FIT_SAMPLE`` random ones for u).
FIT_PAIRS = 200_000
FIT_PAIRS_SAMPLED = 25_000
FIT_SAMPLE = 50_000
#: Pairs of each answer among those whose identifiers answer for them, to check a fit on.
FIT_LABELLED = 5_000

__all__ = ["JOINED_REASON", "BatchMatchReport", "found_pairs", "rescore_pending", "run_batch_match"]


@contextmanager
def found_pairs(entity: str, rule, report: BatchMatchReport):
    """Step 1: the candidate pairs, on disk for the duration of the block, and the identifier
    vetoes to apply to them (see ``mdm.linking.batch.pairs``)."""
    started = time.perf_counter()
    with candidate_pairs(entity, report) as pairs:
        vetoes = IdentifierVetoes(entity, rule)
        report.timings["pairs"] = report.timings.get("pairs", 0.0) + time.perf_counter() - started
        yield pairs, vetoes


def learn_on_pairs(
    entity: str,
    found: tuple[CandidatePairs, IdentifierVetoes],
    records: int,
    *,
    dry_run: bool = False,
    prepared: PreparedRecords | None = None,
    processes: int = 1,
) -> tuple[MatchRule, list[str]]:
    """The learning step of a run (``mdm.linking.learning``): re-fit stale weights on the
    run's candidate pairs ``found`` (all, or a sample: ``FIT_PAIRS``), then recalibrate the
    thresholds. Returns the rule to score with and the lines saying what was done."""

    def fit_pairs() -> FitPairs:
        limit = FIT_PAIRS if records <= FIT_SAMPLE else FIT_PAIRS_SAMPLED
        drawn = found[0].sample(found[1], limit, labelled=FIT_LABELLED)
        return FitPairs(drawn.codes, drawn.total, drawn.labelled, drawn.same, found[0].frequencies)

    lines = []
    rule, step = refit_if_stale(
        entity, dry_run=dry_run, prepared=prepared, processes=processes, pairs=fit_pairs
    )
    if step is not None:
        lines.append(step.line())
    refitted = step is not None and step.applied
    rule, step = recalibrate_thresholds(entity, rule, dry_run=dry_run, refitted=refitted)
    if step is not None:
        lines.append(step.line())
    return rule, lines


@dictionary_snapshot()  # one look at the dictionary's revision a run, not one per explanation
def run_batch_match(
    *,
    entity: str,
    progress: Callable[[int], None] | None = None,
    actor=None,
    processes: int = 1,
    prepared: PreparedRecords | None = None,
    learn: bool = True,
    dry_run: bool = False,
    rule: MatchRule | None = None,
) -> BatchMatchReport:
    """Score all candidate pairs of an entity, queue reviews, cluster and merge (see module doc).

    ``processes`` > 1 (PostgreSQL, outside a transaction) scores the candidate pairs in that many
    forked processes (slices of records), as
    the distributed job does on Celery workers; clustering and merging run once, here.
    ``prepared``: what the re-fit just before prepared (``fit_rule_from_records(prepared=…)``):
    its records are not prepared again and its pairs not compared again, where the stored
    records have not changed since; the decisions are the same.
    ``learn``: first re-fit the weights when stale and recalibrate the thresholds from steward
    decisions (``mdm.linking.learning``; what it did is in ``report.learning``).
    Last, pending candidates whose records the run (or an earlier merge) joined are closed
    (``close_joined_pending``) and the others scored again under the rule (``rescore_pending``).
    ``dry_run``: write nothing — no rule, candidate, merge or learning row — and report what a
    run would do: merges, splits (``would_split``), new review candidates, with examples; in one
    process. ``rule``: score with this rule instead of the stored one (a changed rule tried in
    a dry run); no learning then.
    """
    report = BatchMatchReport(entity=entity, dry_run=dry_run)
    started = time.perf_counter()
    report.records = SourceRecord.objects.filter(entity=entity, is_active=True).count()
    if (warning := stale_keys_warning(entity)) is not None:
        report.learning.append(warning)
    if dry_run:
        processes = 1  # forked scorers would read the stored rule, not the one tried here
    given = rule is not None
    rule = rule if rule is not None else load_rule(entity)
    # The pairs first: a re-fit estimates on the very pairs the run scores next (their
    # comparisons are kept for it). The identifier-veto fields are the rule's hard rules,
    # which a re-fit does not change.
    with found_pairs(entity, rule, report) as found:
        if learn and not given:
            mark = time.perf_counter()
            prepared = prepared if prepared is not None else PreparedRecords()
            rule, lines = learn_on_pairs(
                entity,
                found,
                report.records,
                dry_run=dry_run,
                prepared=prepared,
                processes=processes,
            )
            report.learning.extend(lines)
            report.timings["learn"] = time.perf_counter() - mark
        if processes > 1 and can_fork():
            auto, identities = score_in_processes(
                entity, found, report, processes, progress, prepared
            )
        else:
            parts = found[0].parts()
            auto, identities = score_partitions(
                entity, rule, found, parts, report, progress, prepared=prepared, dry_run=dry_run
            )
    mark = time.perf_counter()
    merge_auto_pairs(
        entity,
        auto,
        identities,
        report,
        actor=actor,
        processes=processes,
        rule=rule,
        dry_run=dry_run,
    )
    report.timings["merge"] = time.perf_counter() - mark
    if dry_run:
        would_split(entity, rule, report)
        _name_queue_samples(report)
    else:
        report.closed = close_joined_pending(entity)
        report.rescored = rescore_pending(entity, rule)
    report.timings["total"] = time.perf_counter() - started
    return report


def _name_queue_samples(report: BatchMatchReport) -> None:
    """A dry run's queue examples as ``SYSTEM:local_code ~ SYSTEM:local_code score``."""
    found = report.samples.get("queue", [])
    ids = {pk for a, b, _score in found for pk in (a, b)}
    names = {
        pk: f"{system}:{code}"
        for pk, system, code in SourceRecord.objects.filter(pk__in=ids).values_list(
            "pk", "system__code", "local_code"
        )
    }
    report.samples["queue"] = [f"{names.get(a)} ~ {names.get(b)} {score}" for a, b, score in found]


def close_joined_pending(entity: str) -> int:
    """Close the pending candidates whose two records now share a golden record (the run, or
    an earlier merge, joined them): accepted, with ``JOINED_REASON`` and no steward, so that the
    queue holds only open questions; their records lose the ``review`` label. One transaction;
    returns how many were closed."""
    with transaction.atomic():
        joined = list(
            MatchCandidate.objects.select_for_update(of=("self",))
            .filter(
                entity=entity,
                status=MatchCandidateStatusChoices.PENDING,
                left__golden_code=F("right__golden_code"),
            )
            .select_related("left")
            .order_by("pk")
        )
        if not joined:
            return 0
        now = timezone.now()
        for candidate in joined:
            candidate.status = MatchCandidateStatusChoices.ACCEPTED
            candidate.decided_at, candidate.reason = now, JOINED_REASON
        bulk_update_with_history(
            joined,
            MatchCandidate,
            ["status", "decided_at", "reason"],
            batch_size=1000,
            default_change_reason=JOINED_REASON,
        )
        settle_review_links(entity, {c.left.golden_code for c in joined}, None, JOINED_REASON)
    return len(joined)


#: Candidates rescored per statement.
RESCORE_BATCH = 1000


@dictionary_snapshot()  # one look at the dictionary's revision, not one per candidate
def rescore_pending(entity: str, rule: MatchRule) -> int:
    """Score every pending candidate of the entity again under ``rule``; returns how many
    changed.

    The queue is ordered by score, and a candidate queued under an older rule (or before a
    hard rule capped or vetoed its pair) would keep an old score: this gives each the score
    and explanation it has now, with a history row. A pair the rule now vetoes stays in the
    queue, at 0 with the veto stated, until a steward decides it.

    Goods (with the attribute veto): a pair is judged with the golden records it would join.
    When a record of one golden record conflicts with a record of the other (the shop title
    without a model number that sits beside the ERP record of model QQ-8302, paired with the
    ERP record of model QQ-7001), accepting the pair would mix two items, as the batch merge
    refuses to: the candidate is vetoed too, the conflict and the record it comes from stated.
    """
    pending = list(
        MatchCandidate.objects.filter(entity=entity, status=MatchCandidateStatusChoices.PENDING)
        .only("pk", "left_id", "right_id", "score", "explanation")
        .order_by("pk")
    )
    ids = sorted({pk for c in pending for pk in (c.left_id, c.right_id)})
    features = {}
    for start in range(0, len(ids), 20_000):
        for pk, attributes, flagged, index in SourceRecord.objects.filter(
            pk__in=ids[start : start + 20_000], is_active=True
        ).values_list("pk", "attributes", "flagged", "blind_index"):
            features[pk] = prepare(entity, matching_view(attributes, index), flagged)
    count_values(entity, features.values())
    conflicts = _golden_conflicts(entity, rule, pending) if features else {}
    changed = []
    for candidate in pending:
        left, right = features.get(candidate.left_id), features.get(candidate.right_id)
        if left is None or right is None:
            continue
        found = score_prepared(rule, left, right)
        person = "person" in (left.kind, right.kind)
        explanation = explain(found, entity=entity, person=person)
        score = found.score
        if found.veto is None and candidate.pk in conflicts:
            score, explanation = 0.0, conflicts[candidate.pk] + explanation
        if abs(candidate.score - score) > 1e-9 or candidate.explanation != explanation:
            candidate.score, candidate.explanation = score, explanation
            changed.append(candidate)
    # Set-based, the history rows copied from the updated rows in the database: the candidates
    # were read with the three columns the scoring needs, and simple_history's bulk update
    # reads every field of each object for its history row (one query per deferred field:
    # 20,000 queries, 30 s, for the 2,800 candidates of a real CN-companies queue).
    for start in range(0, len(changed), RESCORE_BATCH):
        update_objects_with_history(
            changed[start : start + RESCORE_BATCH],
            MatchCandidate,
            ["score", "explanation"],
            reason="rescored by the batch match",
        )
    return len(changed)


def _golden_conflicts(
    entity: str, rule: MatchRule, pending: list[MatchCandidate]
) -> dict[int, list[dict]]:
    """Goods candidates whose two golden records hold conflicting items: candidate id -> the
    explanation rows that state the veto and the first conflict (which member of which
    golden record says what). Golden records with more than ``SPLIT_GROUP_LIMIT`` members
    are not opened (their members are matched by the batch anyway)."""
    if entity not in GOODS_ENTITIES or not rule.hard.attribute_veto or not pending:
        return {}
    ids = sorted({pk for c in pending for pk in (c.left_id, c.right_id)})
    golden_of: dict[int, str] = {}
    for start in range(0, len(ids), 20_000):
        golden_of.update(
            SourceRecord.objects.filter(pk__in=ids[start : start + 20_000]).values_list(
                "pk", "golden_code"
            )
        )
    codes = sorted({code for code in golden_of.values() if code})
    sizes = dict(
        SourceRecord.objects.filter(entity=entity, is_active=True, golden_code__in=codes)
        .values("golden_code")
        .annotate(n=Count("pk"))
        .values_list("golden_code", "n")
    )
    opened = [code for code in codes if sizes.get(code, 0) <= SPLIT_GROUP_LIMIT]
    members: dict[str, list[tuple[str, Features]]] = {code: [] for code in codes}
    for code, system, local_code, attributes, flagged, index in (
        SourceRecord.objects.filter(entity=entity, is_active=True, golden_code__in=opened)
        .order_by("golden_code", "pk")
        .values_list(
            "golden_code", "system__code", "local_code", "attributes", "flagged", "blind_index"
        )
        .iterator(chunk_size=5000)
    ):
        features = prepare(entity, matching_view(attributes, index), flagged)
        members[code].append((f"{system}:{local_code}", features))
    count_values(entity, (f for group in members.values() for _, f in group))
    found: dict[int, list[dict]] = {}
    for candidate in pending:
        left, right = golden_of.get(candidate.left_id), golden_of.get(candidate.right_id)
        if not left or not right or left == right:
            continue
        conflict = _first_conflict(members.get(left, []), members.get(right, []))
        if conflict is not None:
            found[candidate.pk] = _conflict_rows(*conflict)
    return found


def _first_conflict(
    left: list[tuple[str, Features]], right: list[tuple[str, Features]]
) -> tuple[str, str, GoodsConflict] | None:
    for left_name, x in left:
        for right_name, y in right:
            conflicts = goods_conflicts(x.goods, y.goods)
            if conflicts:
                return left_name, right_name, conflicts[0]
    return None


def _conflict_rows(left: str, right: str, conflict: GoodsConflict) -> list[dict]:
    veto = f"veto: {ATTRIBUTE_VETO}{conflict.dimension} (golden records)"
    note = f"{conflict.note} ({left} / {right})"
    return [
        {
            "field": "hard rule",
            "left": None,
            "right": None,
            "similarity": None,
            "weight": 0.0,
            "note": veto,
        },
        {
            "field": conflict.name,
            "left": conflict.left,
            "right": conflict.right,
            "similarity": None,
            "weight": 0.0,
            "note": note,
        },
    ]


#: Golden records with more members than this are not re-checked by ``would_split``.
SPLIT_GROUP_LIMIT = 50


def would_split(entity: str, rule: MatchRule, report: BatchMatchReport) -> None:
    """Count the golden records whose members ``rule`` would no longer hold together (a dry run
    of a changed rule): the members linked by a steward stay together; the others are joined
    by the pairs the rule links automatically; a golden record whose members fall into more
    than one group would split (the records outside its largest group would leave)."""
    multi = (
        SourceRecord.objects.filter(entity=entity, is_active=True)
        .values("golden_code")
        .annotate(n=Count("pk"))
        .filter(n__gt=1, n__lte=SPLIT_GROUP_LIMIT)
        .values_list("golden_code", flat=True)
    )
    members: dict[str, list[tuple[int, bool, Features]]] = {}
    for pk, code, kind, attributes, flagged, index in (
        SourceRecord.objects.filter(entity=entity, is_active=True, golden_code__in=multi)
        .order_by("golden_code", "pk")
        .values_list("pk", "golden_code", "link_kind", "attributes", "flagged", "blind_index")
        .iterator(chunk_size=5000)
    ):
        features = prepare(entity, matching_view(attributes, index), flagged)
        members.setdefault(code, []).append((pk, kind == SourceRecordLinkChoices.STEWARD, features))
    count_values(entity, (f for group in members.values() for _, _, f in group))
    for code, group in members.items():
        sizes = _groups_under(rule, group)
        if len(sizes) > 1:
            report.golden_split += 1
            report.records_split += len(group) - max(sizes)
            if len(report.samples.setdefault("split", [])) < 5:
                report.samples["split"].append(code)


def _groups_under(rule: MatchRule, group: list[tuple[int, bool, Features]]) -> list[int]:
    """The sizes of the groups one golden record's members fall into under ``rule``: members
    linked by a steward together, the others joined by the pairs the rule links (union-find)."""
    parent = list(range(len(group)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    stewarded = [i for i, (_pk, by_steward, _f) in enumerate(group) if by_steward]
    for i in stewarded[1:]:
        parent[find(i)] = find(stewarded[0])
    for i in range(len(group)):
        for j in range(i + 1, len(group)):
            if find(i) == find(j):
                continue
            decision, _score, _veto = decide_prepared(rule, group[i][2], group[j][2])
            if decision == "auto":
                parent[find(i)] = find(j)
    sizes: dict[int, int] = {}
    for i in range(len(group)):
        sizes[find(i)] = sizes.get(find(i), 0) + 1
    return list(sizes.values())
