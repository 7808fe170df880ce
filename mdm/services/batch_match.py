"""The batch match and merge of one entity (``manage.py match`` and the nightly job).

1. Candidate pairs, as record ids only (``mdm.services.batch_pairs``): the members of every usable
   block, paired, de-duplicated and kept on disk in partitions of consecutive lower ids, read
   back one at a time; the identifier vetoes are applied to each partition as it is read.
2. Scoring, pairs in id order: records are fetched (attributes, flagged values, golden code) and
   prepared once, into a cache of at most ``MDM_MATCH_FEATURE_CACHE`` records (the oldest are dropped
   beyond it, and prepared again when needed: memory is bounded by the cache, not by the number
   of records). A pair is not scored when both records already share a golden record or when a
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

The distributed job finds the pairs once, has each chunk score a run of partitions (``score_pairs``)
and clusters and merges once at the end (``merge_auto_pairs``).
Running it again changes nothing: linked pairs are skipped, known candidates are not re-queued,
refused unions are refused again.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
from django.conf import settings

from matching.engine import (
    Features,
    cluster,
    comparison_signature,
    decide_and_trace,
    prepare,
    score_prepared,
)
from matching.models import MatchCandidate, MatchCandidateStatusChoices
from mdm.models import GoldenStatusChoices, SourceRecord, golden_model
from mdm.services.batch_pairs import CandidatePairs, IdentifierVetoes, candidate_pairs
from mdm.services.crypto import matching_view
from mdm.services.forking import can_fork
from mdm.services.matching import PreparedRecords, explain, load_rule, write_candidates
from mdm.services.merge import merge_clusters
from mdm.services.merge_reasons import AutoPair, merge_reasons

#: Pairs scored between two fetches of the records they need.
WINDOW_PAIRS = 100_000
MERGE_BATCH = 1000
#: Longest chain of merges followed from a code to its live golden record.
MAX_HOPS = 50
IDENTITIES = {"customers": ("credit_code", "id_number"), "products": ("gtin",), "materials": ()}


@dataclass
class BatchMatchReport:
    """Counts and timings of one run, printed by the command and stored by the job."""

    entity: str
    records: int = 0
    blocks: int = 0
    skipped_keys: int = 0
    pairs_considered: int = 0
    pairs_scored: int = 0
    auto_pairs: int = 0
    review_candidates: int = 0
    vetoed: int = 0
    conflicts: int = 0
    clusters_merged: int = 0
    golden_merged: int = 0
    records_prepared: int = 0
    peak_mb_per_process: float = 0.0
    #: Resident memory each scoring child started with (inherited from the parent at fork).
    fork_mb_per_process: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass(slots=True)
class _Loaded:
    features: Features
    golden_code: str


class FeatureCache:
    """Prepared records by id, at most ``limit`` of them (the least recently used go first).

    ``known``: records prepared before the run (by the re-fit that precedes it), by id; one is
    taken as it is when the stored record still has the attributes it was prepared from.
    """

    def __init__(
        self, entity: str, report: BatchMatchReport, known: Mapping[int, Features] | None = None
    ):
        self.entity, self.report = entity, report
        self.limit = settings.MDM_MATCH_FEATURE_CACHE
        self.items: dict[int, _Loaded] = {}
        self.known = known or {}

    def is_known(self, pk: int, item: _Loaded) -> bool:
        """The record is scored as the re-fit prepared it (it has not changed since)."""
        return self.known.get(pk) is item.features

    def fetch(self, ids: np.ndarray) -> None:
        items = self.items
        wanted = ids.tolist()
        missing = []
        for pk in wanted:
            found = items.pop(pk, None)
            if found is None:
                missing.append(pk)
            else:
                items[pk] = found  # used again: now the newest (least recently used go first)
        for start in range(0, len(missing), 20_000):
            batch = missing[start : start + 20_000]
            for pk, golden_code, attributes, flagged, index in SourceRecord.objects.filter(
                pk__in=batch, is_active=True
            ).values_list("pk", "golden_code", "attributes", "flagged", "blind_index"):
                view = matching_view(attributes, index)
                features = self.known.get(pk)
                if features is None or features.raw != view or features.flagged != set(flagged):
                    features = prepare(self.entity, view, flagged)
                    self.report.records_prepared += 1
                self.items[pk] = _Loaded(features, golden_code)
        overflow = len(self.items) - self.limit
        if overflow > 0:
            keep = set(wanted)
            # Least recently used first; stops as soon as enough are found.
            oldest = islice((pk for pk in self.items if pk not in keep), overflow)
            for pk in list(oldest):
                del self.items[pk]

    def get(self, pk: int) -> _Loaded | None:
        return self.items.get(pk)


#: What the clustering needs to know of each golden record of an auto pair, as a sorted tuple of
#: ``name=value`` tags: its valid identifiers, its customer kind and (organizations) its branch
#: (``branch=`` for a head office). A tuple of a few shared strings rather than a dict of sets:
#: at a million records the auto pairs name some 500,000 golden records, and a dict of sets
#: cost about 1 KB each, all of it held until the merge.
Identities = dict[str, tuple[str, ...]]


def identity_tags(entity: str, features: Features) -> tuple[str, ...]:
    """The identity tags of one prepared record (see ``Identities``)."""
    tags = [
        f"{name}={value}" for name in IDENTITIES[entity] if (value := features.identifier(name))
    ]
    if features.kind:
        tags.append(sys.intern(f"kind={features.kind}"))
    if entity == "customers" and features.kind != "person":
        tags.append(sys.intern(f"branch={features.branch}"))
    return tuple(sorted(tags))


def note_identity(identities: Identities, code: str, tags: tuple[str, ...]) -> None:
    """Add a record's (or a golden record's) tags to those of golden record ``code``."""
    known = identities.get(code)
    if known is None or known == tags:
        identities[code] = tags
    else:
        identities[code] = tuple(sorted(set(known) | set(tags)))


def stored_tags(value) -> tuple[str, ...]:
    """Tags as a job's pair rows store them: a list; rows of an older release: {name: values}."""
    if isinstance(value, dict):
        return tuple(sorted(f"{name}={v}" for name, found in value.items() for v in found))
    return tuple(value)


@contextmanager
def found_pairs(entity: str, rule, report: BatchMatchReport):
    """Step 1: the candidate pairs, on disk for the duration of the block, and the identifier
    vetoes to apply to them (see ``mdm.services.batch_pairs``)."""
    started = time.perf_counter()
    with candidate_pairs(entity, report) as pairs:
        vetoes = IdentifierVetoes(entity, rule)
        report.timings["pairs"] = report.timings.get("pairs", 0.0) + time.perf_counter() - started
        yield pairs, vetoes


def pairs_to_score(
    pairs: CandidatePairs, vetoes: IdentifierVetoes, parts: list[int], report: BatchMatchReport
) -> np.ndarray:
    """The pairs of the given partitions, in order, less the identifier vetoes (counted as
    scored and vetoed: they are decided)."""
    found = [pairs.read(part) for part in parts]
    left, vetoed = vetoes.drop(np.concatenate(found) if found else np.empty(0, dtype=np.int64))
    report.vetoed += vetoed
    report.pairs_scored += vetoed
    return left


def score_partitions(
    entity: str,
    rule,
    found: tuple[CandidatePairs, IdentifierVetoes],
    parts: list[int],
    report: BatchMatchReport,
    progress: Callable[[int], None] | None = None,
    sink: Callable[[list, Identities], None] | None = None,
    prepared: PreparedRecords | None = None,
) -> tuple[list[AutoPair], Identities]:
    """Steps 2-3 partition by partition, with one feature cache (``prepared``: see
    ``run_batch_match``). Each partition's auto pairs and identities go to ``sink`` when given
    (nothing is then kept here), else are returned."""
    pairs, vetoes = found
    cache = FeatureCache(entity, report, prepared.features if prepared else None)
    levels = (
        prepared.levels if prepared and prepared.signature == comparison_signature(rule) else {}
    )
    rejected = rejected_pairs(entity)  # once for all partitions
    report.timings.setdefault("score", 0.0)
    auto: list[AutoPair] = []
    identities: Identities = {}
    for part in parts:
        started = time.perf_counter()
        left = pairs_to_score(pairs, vetoes, [part], report)
        report.timings["score"] += time.perf_counter() - started
        found_auto, found_ids = score_pairs(
            entity, rule, left, report, progress, cache, rejected=rejected, levels=levels
        )
        if sink is not None:
            sink(found_auto, found_ids)
            continue
        auto.extend(found_auto)
        for code, tags in found_ids.items():
            note_identity(identities, code, tags)
    return auto, identities


def rejected_pairs(entity: str) -> set[int]:
    """The pairs a steward rejected, as ``(low id << 32) | high id``: never proposed again."""
    return {
        (a << 32) | b
        for a, b in MatchCandidate.objects.filter(
            entity=entity, status=MatchCandidateStatusChoices.REJECTED
        ).values_list("left_id", "right_id")
    }


def score_pairs(
    entity: str,
    rule,
    pairs: np.ndarray,
    report: BatchMatchReport,
    progress: Callable[[int], None] | None = None,
    cache: FeatureCache | None = None,
    *,
    rejected: set[int] | None = None,
    levels: Mapping[int, tuple[int, ...]] | None = None,
) -> tuple[list[AutoPair], Identities]:
    """Steps 2-3 for the given pairs: auto pairs and the identities of their golden records;
    review pairs are written as candidates. ``cache``: prepared records kept from an earlier
    slice of the same run (a worker doing several chunks of one job); ``rejected``: the
    rejected pairs when the caller already read them; ``levels``: comparison levels by pair
    code, of pairs a re-fit compared (used for pairs of records it prepared, unchanged)."""
    started = time.perf_counter()
    if rejected is None:
        rejected = rejected_pairs(entity)
    auto: list[AutoPair] = []
    identities: Identities = {}
    if cache is None:
        cache = FeatureCache(entity, report)
    cache.report = report

    def remember(item: _Loaded) -> None:
        note_identity(identities, item.golden_code, identity_tags(entity, item.features))

    for start in range(0, len(pairs), WINDOW_PAIRS):
        window = pairs[start : start + WINDOW_PAIRS]
        lows, highs = window >> 32, window & 0xFFFFFFFF
        cache.fetch(np.unique(np.concatenate([lows, highs])))
        reviews = []
        for code, a, b in zip(window.tolist(), lows.tolist(), highs.tolist(), strict=True):
            left, right = cache.get(a), cache.get(b)
            if left is None or right is None or left.golden_code == right.golden_code:
                continue
            if code in rejected:
                continue
            report.pairs_scored += 1
            known = levels.get(code) if levels else None
            if known is not None and not (cache.is_known(a, left) and cache.is_known(b, right)):
                known = None
            decision, score, veto, trace = decide_and_trace(
                rule, left.features, right.features, known
            )
            if veto is not None:
                report.vetoed += 1
            elif decision == "auto":
                # With what the comparison found: the merge explains itself with it.
                auto.append(AutoPair(left.golden_code, right.golden_code, score, a, b, trace))
                remember(left)
                remember(right)
            elif decision == "review":
                full = score_prepared(rule, left.features, right.features)
                reviews.append((a, b, full.score, explain(full)))
        report.review_candidates += write_candidates(entity, reviews, origin="batch")
        if progress:
            progress(len(window))
    report.auto_pairs += len(auto)
    report.timings["score"] = report.timings.get("score", 0.0) + time.perf_counter() - started
    return auto, identities


def _parts(items: list, size: int = 20_000):
    """Slices of a long list: a query takes at most 65,535 parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _live_codes(entity: str, codes: set[str]) -> dict[str, str]:
    """Each code -> the active golden record it resolves to now (after earlier merges)."""
    model = golden_model(entity)
    rows: dict[str, str | None] = {}
    # One round of queries per hop of the merge chains, not one query per merged code.
    pending = set(codes)
    for _ in range(MAX_HOPS):
        for part in _parts(sorted(pending)):
            found = model.objects.filter(code__in=part).values_list("code", "merged_into__code")
            rows.update(found)
            rows.update((code, None) for code in part if code not in rows)
        pending = {nxt for nxt in rows.values() if nxt and nxt not in rows}
        if not pending:
            break
    live = {}
    for code in codes:
        current, hops = code, 0
        while rows.get(current) and hops < MAX_HOPS:
            current, hops = rows[current], hops + 1
        live[code] = current
    return live


def merge_auto_pairs(
    entity: str,
    auto: list[AutoPair],
    identities: Identities,
    report: BatchMatchReport,
    *,
    actor=None,
    processes: int = 1,
    rule=None,
) -> None:
    """Steps 5-6: cluster the auto pairs over golden records and merge the clusters.

    Codes are first resolved to their live golden record, so a rerun after a crash between two
    merge batches finishes the job without merging anything twice. ``processes`` > 1 (PostgreSQL,
    outside a transaction): the batches are merged by that many forked processes; clusters are
    disjoint, so no two of them ever wait for the same golden record. ``rule``: the rule the
    pairs were scored under (read once here when not given), for the merges' explanations.
    """
    rule = rule or load_rule(entity)
    live = _live_codes(entity, {c for p in auto for c in (p.golden_a, p.golden_b)})
    merged_ids: Identities = {}
    for code, tags in identities.items():
        note_identity(merged_ids, live.get(code, code), tags)
    resolved = [
        p._replace(golden_a=live[p.golden_a], golden_b=live[p.golden_b])
        for p in auto
        if live[p.golden_a] != live[p.golden_b]
    ]
    clusters, conflicts = _cluster_goldens(entity, resolved, merged_ids)
    report.conflicts += conflicts
    reasons = merge_reasons(clusters, resolved)
    del resolved
    batches = [clusters[i : i + MERGE_BATCH] for i in range(0, len(clusters), MERGE_BATCH)]
    if processes > 1 and len(batches) > 1 and can_fork():
        from django.db import connections

        _FORK_MERGE[:] = [
            (entity, batches[part::processes], actor, reasons, rule) for part in range(processes)
        ]
        connections.close_all()
        release_free_memory()
        try:
            with _pool(processes) as pool:
                for merged, clustered in pool.map(_merge_in_child, range(processes)):
                    report.golden_merged += merged
                    report.clusters_merged += clustered
        finally:
            _FORK_MERGE.clear()
        return
    for batch in batches:
        report.golden_merged += _merge_batch(entity, batch, actor, reasons, rule)
        report.clusters_merged += len(batch)


def _merge_batch(entity: str, batch: list[list[str]], actor, reasons, rule) -> int:
    return merge_clusters(
        entity=entity,
        clusters=batch,
        actor=actor,
        reason="batch match",
        link_kind="auto",
        reasons=reasons,
        rule=rule,
    )


#: The merge batches of each forked child (set by the parent just before it forks), with the
#: reasons of the golden records merged away and the rule they were scored under.
_FORK_MERGE: list[tuple[str, list[list[list[str]]], object, dict, object]] = []


def _merge_in_child(part: int) -> tuple[int, int]:
    entity, batches, actor, reasons, rule = _FORK_MERGE[part]
    merged = clustered = 0
    for batch in batches:
        merged += _merge_batch(entity, batch, actor, reasons, rule)
        clustered += len(batch)
    return merged, clustered


def _pool(processes: int):
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    return ProcessPoolExecutor(processes, mp_context=get_context("fork"))


#: The candidate pairs and the partitions of each forked child (set by the parent just before
#: it forks).
_FORK_SCORE: list = []


def _resident_mb() -> float:
    """Resident memory of this process now (Linux), 0 where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _score_in_child(args: tuple[str, int]) -> tuple[str, dict, float, float]:
    """Some partitions of the candidate pairs scored in a child process (see
    ``run_batch_match``). Each partition's auto pairs are written to a file as soon as they are
    found, so the child holds no more than one partition's."""
    import resource

    at_fork = _resident_mb()
    entity, child = args
    found, parts, prepared = _FORK_SCORE[0], _FORK_SCORE[1][child], _FORK_SCORE[2]
    report = BatchMatchReport(entity=entity)
    path = found[0].directory / f"auto-{child}.pickle"
    with path.open("wb") as handle:

        def sink(auto: list, identities: Identities) -> None:
            pickle.dump((auto, identities), handle, protocol=pickle.HIGHEST_PROTOCOL)

        score_partitions(
            entity, load_rule(entity), found, parts, report, sink=sink, prepared=prepared
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return str(path), report.as_dict(), peak_mb, at_fork


def _read_auto(path: str, auto: list, identities: Identities) -> None:
    with open(path, "rb") as handle:
        while True:
            try:
                found, found_ids = pickle.load(handle)
            except EOFError:
                return
            auto.extend(found)
            for code, tags in found_ids.items():
                note_identity(identities, code, tags)


_SUMMED = ("pairs_scored", "auto_pairs", "review_candidates", "vetoed", "records_prepared")


def release_free_memory() -> None:
    """Hand the heap freed so far back to the operating system before forking (glibc's
    ``malloc_trim``). Finding the candidate pairs builds and frees millions of Python objects;
    the allocator keeps their pages, and every forked child would start with them resident."""
    import ctypes
    import ctypes.util
    import gc
    from contextlib import suppress

    gc.collect()
    with suppress(OSError, AttributeError, TypeError):  # not glibc: nothing to hand back
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)


def _score_in_processes(
    entity: str,
    found: tuple[CandidatePairs, IdentifierVetoes],
    report: BatchMatchReport,
    processes: int,
    progress,
    prepared: PreparedRecords | None = None,
) -> tuple[list[AutoPair], Identities]:
    """Score the partitions in ``processes`` forked children, each a run of consecutive
    partitions (a range of records) with about the same share of the pairs; combine their
    answers."""
    from django.db import connections

    _FORK_SCORE[:] = [found, found[0].groups(processes), prepared]
    report.timings.setdefault("score", 0.0)
    connections.close_all()  # children must not share the parent's connection
    release_free_memory()
    auto: list[AutoPair] = []
    identities: Identities = {}
    peaks, at_fork = [], []
    try:
        with _pool(processes) as pool:
            jobs = [(entity, child) for child in range(len(_FORK_SCORE[1]))]
            for path, counts, peak_mb, fork_mb in pool.map(_score_in_child, jobs):
                _read_auto(path, auto, identities)
                for name in _SUMMED:
                    setattr(report, name, getattr(report, name) + counts[name])
                score = max(report.timings.get("score", 0.0), counts["timings"]["score"])
                report.timings["score"] = score
                peaks.append(peak_mb)
                at_fork.append(fork_mb)
                if progress:
                    progress(counts["pairs_scored"])
    finally:
        _FORK_SCORE.clear()
    report.peak_mb_per_process = max(peaks, default=0.0)
    report.fork_mb_per_process = max(at_fork, default=0.0)
    return auto, identities


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
            auto, identities = _score_in_processes(
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


def _cluster_goldens(
    entity: str, auto: Sequence[Sequence], identities: Identities
) -> tuple[list[list[str]], int]:
    """Clusters of golden codes to merge (each sorted oldest first) and the refused unions.

    A union is refused when the merged group would hold two different values of an identity:
    valid identifiers, customer kind (person / organization), or branch ("" = head office).
    """
    codes = sorted({c for p in auto for c in (p[0], p[1])})
    if not codes:
        return [], 0
    order: dict[str, int] = {}
    for part in _parts(codes):
        order.update(
            golden_model(entity)
            .objects.filter(code__in=part, status=GoldenStatusChoices.ACTIVE)
            .values_list("code", "pk")
        )
    codes = [c for c in codes if c in order]
    index = {code: i for i, code in enumerate(codes)}
    refused = 0

    def conflict(group_a: set[int], group_b: set[int]) -> bool:
        nonlocal refused
        seen: dict[str, str] = {}
        for x in (*group_a, *group_b):
            for tag in identities.get(codes[x], ()):
                name, _, value = tag.partition("=")
                if seen.setdefault(name, value) != value:
                    refused += 1
                    return True
        return False

    pairs = [(index[p[0]], index[p[1]], p[2]) for p in auto if p[0] in index and p[1] in index]
    groups = cluster(len(codes), pairs, conflict)
    clusters = [sorted((codes[i] for i in g), key=order.__getitem__) for g in groups if len(g) > 1]
    return clusters, refused
