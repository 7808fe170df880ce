"""The batch match as a distributed job: candidate pairs found once, scored on the workers in
slices, clustered once, the clusters merged on the workers in batches, then the end step.

``plan`` finds the candidate pairs (record ids only, identifier vetoes dropped: see
``batch_match``) and stores each chunk's slice in ``BatchMatchPlan``; pairs are in lower-id
order, so a slice is a range of records and every pair belongs to exactly one chunk. Each chunk
scores its slice in one transaction with its "done" record and keeps its auto pairs in
``BatchMatchPair``. Once every slice is scored, ``next_round`` clusters all the auto pairs, as
the one-process ``run_batch_match`` does (the same functions), and stores the clusters in
batches (``BatchMatchMerge``): the job's second round, one chunk per batch (``merge-N``),
merges them on any worker, each batch in one transaction. Clusters are disjoint, so no two
chunks wait for the same golden record. ``finalize`` closes the review candidates the merges
joined and rescores the rest. A crashed chunk is rolled back and retried; a crash between the
rounds or in the end step is resumed by running it again (a planned round is kept; codes are
resolved to their live golden record first), so no merge or candidate is ever made twice. The
result does not depend on how many workers ran the chunks.
"""

from __future__ import annotations

import numpy as np
from django.db import transaction

from dictionary.services import dictionary_snapshot
from matching.models import BatchMatchMerge, BatchMatchPair, BatchMatchPlan
from mdm.jobs.runs import append_log, json_add
from mdm.linking.batch.match import (
    close_joined_pending,
    found_pairs,
    learn_on_pairs,
    rescore_pending,
)
from mdm.linking.batch.merge import merge_batches, merge_planned, plan_merges
from mdm.linking.batch.report import BatchMatchReport
from mdm.linking.batch.scoring import (
    FeatureCache,
    Identities,
    note_identity,
    pairs_to_score,
    score_pairs,
    stored_tags,
)
from mdm.linking.merge_reasons import auto_pair, merge_reason, pair_evidence, reason_evidence
from mdm.linking.rule_store import load_rule
from mdm.models import JobRun, SourceRecord

KIND = "match"
DEFAULT_CHUNKS = 8


def plan(run: JobRun) -> list[str]:
    chunks = max(int(run.params.get("chunks", DEFAULT_CHUNKS)), 1)
    report = BatchMatchReport(entity=run.entity)
    BatchMatchPlan.objects.filter(job=run.pk).delete()
    rule = load_rule(run.entity)
    records = SourceRecord.objects.filter(entity=run.entity, is_active=True).count()
    with found_pairs(run.entity, rule, report) as (pairs, vetoes):
        # Learning first, on the run's pairs, as the one-process match does: the chunks read
        # the rule it stored.
        rule, lines = learn_on_pairs(run.entity, (pairs, vetoes), records)
        for line in lines:
            append_log(run.pk, line)
        groups = pairs.groups(chunks) or [[]]
        for i, group in enumerate(groups):  # one chunk's pairs in memory at a time
            part = pairs_to_score(pairs, vetoes, group, report)
            BatchMatchPlan.objects.create(
                job=run.pk,
                part=i,
                pairs=part.tobytes(),
                # The counts of common values the learning used, once, for every chunk.
                frequencies=pairs.frequencies if i == 0 else {},
            )
    planned = {
        "blocks": report.blocks,
        "skipped_keys": report.skipped_keys,
        "pairs_considered": report.pairs_considered,
        "pairs_scored": report.pairs_scored,  # the identifier vetoes, decided on the index
        "vetoed": report.vetoed,
    }
    # Set, not added: a run resumed while planning plans again (no chunk has run yet).
    JobRun.objects.filter(pk=run.pk).update(
        counts=json_add("counts", planned, replace=planned.keys())
    )
    return [str(i) for i in range(len(groups))]


def _counts(report: BatchMatchReport) -> dict[str, int]:
    return {
        "pairs_scored": report.pairs_scored,
        "auto_pairs": report.auto_pairs,
        "review_candidates": report.review_candidates,
        "vetoed": report.vetoed,
        "records_prepared": report.records_prepared,
    }


#: This worker process's prepared records, kept from one chunk to the next of the same run
#: (golden codes do not change before the end step). Bounded like any feature cache.
_WORKER_CACHE: dict[tuple[int, str], FeatureCache] = {}


def _cache_key(run: JobRun) -> tuple[int, str]:
    return run.pk, run.started_at.isoformat()  # ids can be reused after a database reset


def _cache_for(run: JobRun, report: BatchMatchReport) -> FeatureCache:
    key = _cache_key(run)
    if key not in _WORKER_CACHE:
        _WORKER_CACHE.clear()
        # Every chunk weighs common values by the plan's counts (real-time writes during the
        # run change nothing): the decisions do not depend on which worker ran a chunk.
        frequencies = (
            BatchMatchPlan.objects.filter(job=run.pk, part=0)
            .values_list("frequencies", flat=True)
            .first()
        )
        _WORKER_CACHE[key] = FeatureCache(run.entity, report, frequencies=frequencies or {})
    return _WORKER_CACHE[key]


@dictionary_snapshot()  # one look at the dictionary's revision a chunk
def run_chunk(run: JobRun, key: str) -> dict[str, int]:
    if key.startswith(MERGE_PREFIX):
        return _merge_chunk(run, int(key.removeprefix(MERGE_PREFIX)))
    row = BatchMatchPlan.objects.get(job=run.pk, part=int(key))
    pairs = np.frombuffer(bytes(row.pairs), dtype=np.int64)
    report = BatchMatchReport(entity=run.entity)
    auto, identities = score_pairs(
        run.entity, load_rule(run.entity), pairs, report, cache=_cache_for(run, report)
    )
    BatchMatchPair.objects.filter(job=run.pk, chunk=key).delete()
    BatchMatchPair.objects.bulk_create(
        [
            BatchMatchPair(
                job=run.pk,
                chunk=key,
                golden_a=a,
                golden_b=b,
                score=pair.score,
                identities={code: list(identities[code]) for code in (a, b)},
                evidence=pair_evidence(pair),
            )
            for pair in auto
            for a, b in [(pair.golden_a, pair.golden_b)]
        ],
        batch_size=2000,
    )
    return _counts(report)


#: Keys of the second round's chunks: ``merge-`` and the batch's number.
MERGE_PREFIX = "merge-"


def next_round(run: JobRun) -> list[str]:
    """Once every slice is scored: cluster all the auto pairs and store the clusters in merge
    batches, once (a run resumed here finds its batches and names them again; the run's row
    lock keeps two finalizers from clustering at the same time)."""
    with transaction.atomic():
        JobRun.objects.select_for_update().filter(pk=run.pk).first()
        return _merge_round(run)


def _merge_round(run: JobRun) -> list[str]:
    planned = list(
        BatchMatchMerge.objects.filter(job=run.pk).order_by("part").values_list("part", flat=True)
    )
    if not planned:
        report = BatchMatchReport(entity=run.entity)
        auto = []
        identities: Identities = {}
        pairs = BatchMatchPair.objects.filter(job=run.pk).order_by("pk")
        for pair in pairs.iterator(chunk_size=10_000):
            auto.append(auto_pair(pair.golden_a, pair.golden_b, pair.score, pair.evidence))
            for code, tags in pair.identities.items():
                note_identity(identities, code, stored_tags(tags))
        clusters, reasons = plan_merges(
            run.entity, auto, identities, report, rule=load_rule(run.entity)
        )
        del auto, identities
        with transaction.atomic():
            size = max(int(run.params.get("merge_batch", 0)), 0)  # clusters per merge chunk
            for part, batch in enumerate(merge_batches(clusters, size)):
                merged_away = {code for cluster in batch for code in cluster[1:]}
                BatchMatchMerge.objects.create(
                    job=run.pk,
                    part=part,
                    clusters=batch,
                    reasons={
                        code: reason_evidence(reason)
                        for code, reason in reasons.items()
                        if code in merged_away
                    },
                )
                planned.append(part)
            # Set, not added: a round with no clusters stores no batch, and is clustered again
            # when it is asked for again.
            JobRun.objects.filter(pk=run.pk).update(
                counts=json_add("counts", {"conflicts": report.conflicts}, replace=["conflicts"])
            )
    return [f"{MERGE_PREFIX}{part}" for part in planned]


def _merge_chunk(run: JobRun, part: int) -> dict[str, int]:
    row = BatchMatchMerge.objects.get(job=run.pk, part=part)
    reasons = {code: merge_reason(evidence) for code, evidence in row.reasons.items()}
    merged = merge_planned(run.entity, row.clusters, reasons, load_rule(run.entity))
    return {"clusters_merged": len(row.clusters), "golden_merged": merged}


def finalize(run: JobRun) -> dict[str, int]:
    rule = load_rule(run.entity)
    closed = close_joined_pending(run.entity)
    rescored = rescore_pending(run.entity, rule)
    BatchMatchPair.objects.filter(job=run.pk).delete()
    BatchMatchPlan.objects.filter(job=run.pk).delete()
    BatchMatchMerge.objects.filter(job=run.pk).delete()
    _WORKER_CACHE.pop(_cache_key(run), None)
    return {
        "records": SourceRecord.objects.filter(entity=run.entity, is_active=True).count(),
        "closed": closed,
        "rescored": rescored,
    }
