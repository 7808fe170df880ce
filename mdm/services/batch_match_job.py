"""The batch match as a distributed job: record ranges scored on the workers, merged at the end.

``plan`` cuts the record ids into ranges of about equal size; each chunk scores the candidate
pairs whose lower record id lies in its range (every pair belongs to exactly one range), running
``score_range`` in one transaction with its "done" record and keeps its auto pairs in
``BatchMatchPair``; ``finalize`` clusters all of them and merges, exactly as the one-process
``run_batch_match`` does. A crashed chunk is rolled back and retried; a crash in the end step is
resumed by running it again (codes are resolved to their live golden record first), so no merge
or candidate is ever made twice. The result does not depend on how many workers ran the chunks.
"""

from __future__ import annotations

import json
from collections import defaultdict

from matching.models import BatchMatchPair
from mdm.models import JobRun, SourceRecord
from mdm.services.batch_match import (
    BatchMatchReport,
    merge_auto_pairs,
    plan_record_ranges,
    score_range,
)

KIND = "match"
DEFAULT_CHUNKS = 8


def plan(run: JobRun) -> list[str]:
    chunks = int(run.params.get("chunks", DEFAULT_CHUNKS))
    return [json.dumps([lo, hi]) for lo, hi in plan_record_ranges(run.entity, chunks)]


def _counts(report: BatchMatchReport) -> dict[str, int]:
    return {
        "blocks": report.blocks,
        "skipped_keys": report.skipped_keys,
        "records_prepared": report.records_prepared,
        "pairs_considered": report.pairs_considered,
        "pairs_scored": report.pairs_scored,
        "auto_pairs": report.auto_pairs,
        "review_candidates": report.review_candidates,
        "vetoed": report.vetoed,
    }


def run_chunk(run: JobRun, key: str) -> dict[str, int]:
    lo, hi = json.loads(key)
    report = BatchMatchReport(entity=run.entity)
    auto, identities = score_range(run.entity, report, lo=lo, hi=hi)
    BatchMatchPair.objects.filter(job=run.pk, chunk=key).delete()
    BatchMatchPair.objects.bulk_create(
        [
            BatchMatchPair(
                job=run.pk,
                chunk=key,
                golden_a=a,
                golden_b=b,
                score=score,
                identities={
                    code: {name: sorted(values) for name, values in identities[code].items()}
                    for code in (a, b)
                },
            )
            for a, b, score in auto
        ],
        batch_size=2000,
    )
    return _counts(report)


def finalize(run: JobRun) -> dict[str, int]:
    report = BatchMatchReport(entity=run.entity)
    auto = []
    identities: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for pair in (
        BatchMatchPair.objects.filter(job=run.pk).order_by("pk").iterator(chunk_size=10_000)
    ):
        auto.append((pair.golden_a, pair.golden_b, pair.score))
        for code, values in pair.identities.items():
            for name, found in values.items():
                identities[code][name].update(found)
    merge_auto_pairs(run.entity, auto, identities, report)
    BatchMatchPair.objects.filter(job=run.pk).delete()
    return {
        "records": SourceRecord.objects.filter(entity=run.entity, is_active=True).count(),
        "conflicts": report.conflicts,
        "clusters_merged": report.clusters_merged,
        "golden_merged": report.golden_merged,
    }
