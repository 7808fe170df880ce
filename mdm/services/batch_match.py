"""The batch match and merge of one entity (``manage.py match`` and the nightly job).

1. Candidate pairs, as record ids only (``mdm.services.batch_pairs``): the members of every usable
   block, paired, de-duplicated and kept on disk in partitions of consecutive lower ids, read
   back one at a time; the identifier vetoes are applied to each partition as it is read.
2. Scoring, pairs in id order, a window at a time: records are fetched (attributes, flagged
   values, golden code) and prepared into a cache of at most ``MDM_MATCH_FEATURE_CACHE`` records.
   The scorer knows the windows ahead: a record leaves the cache after the last window that
   needs it and, past the limit, those needed furthest ahead leave first (prepared again when
   their window comes). Memory is bounded by the limit, not by the number of records
   (``mdm.services.batch_scoring``). A pair is not scored when both records already share a golden record or when a
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
   (``mdm.services.merge_reasons``).

Step 1 is ``mdm.services.batch_pairs``, steps 2-3 ``mdm.services.batch_scoring``, steps 4-5
``mdm.services.batch_merge``; this module runs them in order. The distributed job finds the
pairs once, has each chunk score a run of partitions (``score_pairs``) and clusters and merges
once at the end (``merge_auto_pairs``).
Running it again changes nothing: linked pairs are skipped, known candidates are not re-queued,
refused unions are refused again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager

from mdm.models import SourceRecord
from mdm.services.batch_merge import merge_auto_pairs
from mdm.services.batch_pairs import IdentifierVetoes, candidate_pairs
from mdm.services.batch_report import BatchMatchReport
from mdm.services.batch_scoring import score_in_processes, score_partitions
from mdm.services.forking import can_fork
from mdm.services.matching import PreparedRecords, load_rule

__all__ = ["BatchMatchReport", "found_pairs", "run_batch_match"]


@contextmanager
def found_pairs(entity: str, rule, report: BatchMatchReport):
    """Step 1: the candidate pairs, on disk for the duration of the block, and the identifier
    vetoes to apply to them (see ``mdm.services.batch_pairs``)."""
    started = time.perf_counter()
    with candidate_pairs(entity, report) as pairs:
        vetoes = IdentifierVetoes(entity, rule)
        report.timings["pairs"] = report.timings.get("pairs", 0.0) + time.perf_counter() - started
        yield pairs, vetoes


def run_batch_match(
    *,
    entity: str,
    progress: Callable[[int], None] | None = None,
    actor=None,
    processes: int = 1,
    prepared: PreparedRecords | None = None,
) -> BatchMatchReport:
    """Score all candidate pairs of an entity, queue reviews, cluster and merge (see module doc).

    ``processes`` > 1 (PostgreSQL, outside a transaction) scores the candidate pairs in that many
    forked processes (slices of records), as
    the distributed job does on Celery workers; clustering and merging run once, here.
    ``prepared``: what the re-fit just before prepared (``fit_rule_from_records(prepared=…)``):
    its records are not prepared again and its pairs not compared again, where the stored
    records have not changed since; the decisions are the same.
    """
    report = BatchMatchReport(entity=entity)
    started = time.perf_counter()
    report.records = SourceRecord.objects.filter(entity=entity, is_active=True).count()
    rule = load_rule(entity)
    with found_pairs(entity, rule, report) as found:
        if processes > 1 and can_fork():
            auto, identities = score_in_processes(
                entity, found, report, processes, progress, prepared
            )
        else:
            parts = found[0].parts()
            auto, identities = score_partitions(
                entity, rule, found, parts, report, progress, prepared=prepared
            )
    mark = time.perf_counter()
    merge_auto_pairs(entity, auto, identities, report, actor=actor, processes=processes, rule=rule)
    report.timings["merge"] = time.perf_counter() - mark
    report.timings["total"] = time.perf_counter() - started
    return report
