"""Steps 2-3 of the batch match (``mdm.linking.batch.match``): the candidate pairs scored
with a bounded cache of prepared records, in this process or in forked ones; review pairs
queued, auto pairs kept with the identities of their golden records.

The cache holds at most ``MDM_MATCH_FEATURE_CACHE`` records, a number that does not depend on
how many records there are. A scorer that knows the pairs ahead of it (a run of partitions)
notes, before it starts, which windows need each record (``NextUses``): a record is dropped as
soon as its last window is scored, so the cache holds the records still needed, not every
record seen; past the limit, those needed furthest ahead are dropped (and prepared again when
their window comes). Without the pairs ahead (a job's chunk), the least recently used go.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice

import numpy as np
from django.conf import settings

from matching.engine import (
    NO_FREQUENCIES,
    Features,
    comparison_signature,
    decide_and_trace,
    decide_prepared,
    prepare,
    score_prepared,
    trace_prepared,
)
from matching.models import MatchCandidate, MatchCandidateStatusChoices
from matching.normalize.goods import goods_to_text
from matching.rules import GOODS_ENTITIES
from mdm.db.forking import fork_pool, release_free_memory
from mdm.linking.batch.pairs import PARTITION_IDS, CandidatePairs, IdentifierVetoes
from mdm.linking.batch.report import BatchMatchReport
from mdm.linking.batch.short_names import ShortNames
from mdm.linking.block_index import write_candidates
from mdm.linking.merge_reasons import AutoPair
from mdm.linking.realtime import explain
from mdm.linking.rule_rollout_shadow import BatchShadow, batch_shadow
from mdm.linking.rule_store import PreparedRecords, load_rule
from mdm.models import SourceRecord
from mdm.privacy.crypto import matching_view

#: Pairs scored between two fetches of the records they need.
WINDOW_PAIRS = 100_000
IDENTITIES = {"customers": ("credit_code", "id_number"), "products": ("gtin",), "materials": ()}
#: Tag of a goods record's parsed attributes (see ``Identities``).
GOODS_TAG = "goods="


@dataclass(slots=True)
class _Loaded:
    features: Features
    golden_code: str


def windows_of(pairs: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``pairs`` in windows of ``WINDOW_PAIRS``, in scoring order, each with the records it
    needs (sorted, each once)."""
    for start in range(0, len(pairs), WINDOW_PAIRS):
        window = pairs[start : start + WINDOW_PAIRS]
        yield window, np.unique(np.concatenate([window >> 32, window & 0xFFFFFFFF]))


class NextUses:
    """For each record id in ``[low, high]``, the windows ahead that need it, in order.

    Built from the windows' record ids (``windows_of``) before scoring starts. ``ahead`` tells
    the next window that needs each record (``NEVER`` for none), ``used`` counts a scored
    window off and answers the records no window ahead needs. Kept as two dense arrays of 4
    bytes per id of the range and one of 4 bytes per (window, record) it was built from: 17 MB
    for a process's share of a million records (75 MB while it is built), against some 5 KB
    for one prepared record.
    """

    NEVER = np.iinfo(np.int32).max

    def __init__(self, low: int, high: int, windows: Iterable[np.ndarray]):
        self.low = low
        found = list(windows)
        size = max(high - low + 1, 0)
        ids = np.concatenate(found) - low if found else np.empty(0, dtype=np.int64)
        index = np.repeat(np.arange(len(found), dtype=np.int32), [len(w) for w in found])
        order = np.argsort(ids, kind="stable")  # by record, then by window
        self.windows = index[order]
        del index, order
        counts = np.bincount(ids, minlength=size)
        self.end = np.cumsum(counts).astype(np.int32)
        # Where each record's next window is in ``windows`` (its first one, to start with).
        self.at = (self.end - counts).astype(np.int32)

    def _positions(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        offsets = ids - self.low
        inside = (offsets >= 0) & (offsets < len(self.at))
        return inside, offsets[inside]

    def ahead(self, ids: np.ndarray) -> np.ndarray:
        """The index of the next window needing each of ``ids``, ``NEVER`` when none does."""
        found = np.full(len(ids), self.NEVER, dtype=np.int32)
        inside, offsets = self._positions(ids)
        at = self.at[offsets]
        left = at < self.end[offsets]
        known = np.full(len(offsets), self.NEVER, dtype=np.int32)
        known[left] = self.windows[at[left]]
        found[inside] = known
        return found

    def used(self, ids: np.ndarray) -> np.ndarray:
        """One window of ``ids`` scored (each once): those of them no window ahead needs."""
        inside, offsets = self._positions(ids)
        self.at[offsets] += 1
        return ids[inside][self.at[offsets] >= self.end[offsets]]


class FeatureCache:
    """Prepared records by id, at most ``limit`` of them (the least recently used go first).

    ``known``: records prepared before the run (by the re-fit that precedes it), by id; one is
    taken as it is when the stored record still has the attributes it was prepared from.
    ``uses``: the windows ahead (``NextUses``), when the scorer knows them: a record is dropped
    after its last one, and past the limit those needed furthest ahead go first (the least
    recently used, without it). ``peak``: the most records held at once. ``frequencies``: the
    run's counts of common values (``block_index.value_frequencies``), given to every record.
    """

    def __init__(
        self,
        entity: str,
        report: BatchMatchReport,
        known: Mapping[int, Features] | None = None,
        uses: NextUses | None = None,
        frequencies: Mapping[str, int] | None = None,
    ):
        self.entity, self.report = entity, report
        self.frequencies = frequencies or NO_FREQUENCIES
        self.limit = settings.MDM_MATCH_FEATURE_CACHE
        self.items: dict[int, _Loaded] = {}
        self.known = known or {}
        self.uses = uses
        self.peak = 0

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
                pk__any=batch, is_active=True
            ).values_list("pk", "golden_code", "attributes", "flagged", "blind_index"):
                view = matching_view(attributes, index)
                features = self.known.get(pk)
                if features is None or features.raw != view or features.flagged != set(flagged):
                    features = prepare(self.entity, view, flagged)
                    self.report.records_prepared += 1
                features.frequencies = self.frequencies
                self.items[pk] = _Loaded(features, golden_code)
        self.peak = max(self.peak, len(self.items))
        overflow = len(self.items) - self.limit
        if overflow > 0 and self.uses is None:
            keep = set(wanted)
            # Least recently used first; stops as soon as enough are found.
            oldest = islice((pk for pk in self.items if pk not in keep), overflow)
            for pk in list(oldest):
                del self.items[pk]

    def get(self, pk: int) -> _Loaded | None:
        return self.items.get(pk)

    def scored(self, ids: np.ndarray) -> None:
        """The window needing ``ids`` is scored: drop the records no window ahead needs, then,
        past the limit, those needed furthest ahead (with the pairs ahead known; without them
        ``fetch`` drops the least recently used). Between two windows the cache holds at most
        ``limit`` records; during one, the limit and that window's records."""
        if self.uses is None:
            return
        items = self.items
        for pk in self.uses.used(ids).tolist():
            items.pop(pk, None)
        overflow = len(items) - self.limit
        if overflow > 0:
            held = np.fromiter(items, dtype=np.int64, count=len(items))
            ahead = self.uses.ahead(held)
            for pk in held[np.argpartition(-ahead.astype(np.int64), overflow - 1)[:overflow]]:
                del items[int(pk)]


#: What the clustering needs to know of each golden record of an auto pair, as a sorted tuple of
#: ``name=value`` tags: its valid identifiers, its customer kind and (organizations) its branch
#: (``branch=`` for a head office); for goods, the parsed attributes of each of its records
#: (``goods=`` + ``goods_to_text``), compared for conflicts rather than for equality. A tuple of a few shared strings rather than a dict of sets:
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
    if entity in GOODS_ENTITIES and features.goods:
        tags.append(sys.intern(GOODS_TAG + goods_to_text(features.goods)))
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
    dry_run: bool = False,
) -> tuple[list[AutoPair], Identities]:
    """Steps 2-3 partition by partition, with one feature cache (``prepared``: see
    ``run_batch_match``). Each partition's auto pairs and identities go to ``sink`` when given
    (nothing is then kept here), else are returned. ``dry_run``: no candidate is written, the
    report counts those that would be."""
    pairs, vetoes = found
    started = time.perf_counter()
    uses = next_uses(pairs, vetoes, parts)
    report.timings["score"] = report.timings.get("score", 0.0) + time.perf_counter() - started
    cache = FeatureCache(
        entity, report, prepared.features if prepared else None, uses, pairs.frequencies
    )
    levels = (
        prepared.levels if prepared and prepared.signature == comparison_signature(rule) else {}
    )
    rejected = rejected_pairs(entity)  # once for all partitions
    names = name_rules(entity, rule, dry_run)  # one pass: one shadow, blocks read once
    report.timings.setdefault("score", 0.0)
    auto: list[AutoPair] = []
    identities: Identities = {}
    for part in parts:
        started = time.perf_counter()
        left = pairs_to_score(pairs, vetoes, [part], report)
        report.timings["score"] += time.perf_counter() - started
        found_auto, found_ids = score_pairs(
            entity,
            rule,
            left,
            report,
            progress,
            cache,
            rejected=rejected,
            levels=levels,
            dry_run=dry_run,
            names=names,
        )
        if sink is not None:
            sink(found_auto, found_ids)
            continue
        auto.extend(found_auto)
        for code, tags in found_ids.items():
            note_identity(identities, code, tags)
    if names[1] is not None:
        names[1].close()
    return auto, identities


def name_rules(entity: str, rule, dry_run: bool) -> tuple[ShortNames, BatchShadow | None]:
    """The batch's name rules (``ShortNames``, its blocks read once a pass) and, under an open
    rule rollout, the shadow that decides the pairs touching its systems under its rule too
    (``mdm.linking.rule_rollout_shadow``); a dry run records nothing."""
    short_names = ShortNames(entity)
    return short_names, None if dry_run else batch_shadow(entity, rule, short_names)


def next_uses(pairs: CandidatePairs, vetoes: IdentifierVetoes, parts: list[int]) -> NextUses:
    """The windows of the given partitions, counted per record as ``score_pairs`` will form
    them (each partition's pairs, less the identifier vetoes, in windows of ``WINDOW_PAIRS``);
    one partition read at a time."""
    ignored = BatchMatchReport(entity="")

    def windows() -> Iterator[np.ndarray]:
        for part in parts:
            for _window, needed in windows_of(pairs_to_score(pairs, vetoes, [part], ignored)):
                yield needed

    return NextUses(pairs.base, pairs.base + len(pairs.sizes) * PARTITION_IDS, windows())


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
    dry_run: bool = False,
    names: tuple[ShortNames, BatchShadow | None] | None = None,
) -> tuple[list[AutoPair], Identities]:
    """Steps 2-3 for the given pairs: auto pairs and the identities of their golden records;
    review pairs are written as candidates. ``cache``: prepared records kept from an earlier
    slice of the same run (a worker doing several chunks of one job); ``rejected``: the
    rejected pairs when the caller already read them; ``levels``: comparison levels by pair
    code, of pairs a re-fit compared (used for pairs of records it prepared, unchanged);
    ``dry_run``: nothing is written (the report counts what would be); ``names``: the name
    rules and the rollout shadow of a caller scoring several partitions of one pass (it
    closes the shadow), else this call's own."""
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

    short_names, shadow = names if names is not None else name_rules(entity, rule, dry_run)

    for window, needed in windows_of(pairs):
        lows, highs = window >> 32, window & 0xFFFFFFFF
        cache.fetch(needed)
        reviews = []
        for code, a, b in zip(window.tolist(), lows.tolist(), highs.tolist(), strict=True):
            left, right = cache.get(a), cache.get(b)
            if left is None or right is None or code in rejected:
                continue
            watched = shadow if shadow is not None and shadow.covers(a, b) else None
            if left.golden_code == right.golden_code:
                if watched is not None:
                    watched.same_golden(a, b, left, right)
                continue
            report.pairs_scored += 1
            known = levels.get(code) if levels else None
            if known is not None and not (cache.is_known(a, left) and cache.is_known(b, right)):
                known = None
            # A pair a rollout watches keeps its score; the others may stop comparing early.
            decision, score, veto, trace = decide_and_trace(
                rule, left.features, right.features, known, screened=watched is None
            )
            if veto is not None:
                report.vetoed += 1
                if watched is not None:
                    watched.scored(a, b, left, right, "new", score)
                continue
            named = short_names.decide(decision, left, right)  # see batch_short_names
            if named == "auto" and decision != "auto":
                if decision == "new":
                    # Perhaps stopped early (scored 0.0): the merge keeps the pair's own score.
                    _, score, _ = decide_prepared(rule, left.features, right.features, known)
                trace = trace_prepared(rule, left.features, right.features)
            decision = named
            if watched is not None:
                watched.scored(a, b, left, right, decision, score)
            if decision == "auto":
                # With what the comparison found: the merge explains itself with it.
                auto.append(AutoPair(left.golden_code, right.golden_code, score, a, b, trace))
                remember(left)
                remember(right)
            elif decision == "review":
                full = score_prepared(rule, left.features, right.features)
                person = "person" in (left.features.kind, right.features.kind)
                reviews.append((a, b, full.score, explain(full, entity=entity, person=person)))
                if dry_run and len(report.samples.setdefault("queue", [])) < 5:
                    report.samples["queue"].append([a, b, round(full.score, 4)])
        report.review_candidates += write_candidates(
            entity, reviews, origin="batch", dry_run=dry_run
        )
        if shadow is not None:
            shadow.flush()
        cache.scored(needed)
        if progress:
            progress(len(window))
    if shadow is not None and names is None:
        shadow.close()
    report.auto_pairs += len(auto)
    report.cache_peak = max(report.cache_peak, cache.peak)
    report.timings["score"] = report.timings.get("score", 0.0) + time.perf_counter() - started
    return auto, identities


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


def score_in_processes(
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
        with fork_pool(processes) as pool:
            jobs = [(entity, child) for child in range(len(_FORK_SCORE[1]))]
            for path, counts, peak_mb, fork_mb in pool.map(_score_in_child, jobs):
                _read_auto(path, auto, identities)
                for name in _SUMMED:
                    setattr(report, name, getattr(report, name) + counts[name])
                score = max(report.timings.get("score", 0.0), counts["timings"]["score"])
                report.timings["score"] = score
                report.cache_peak = max(report.cache_peak, counts["cache_peak"])
                peaks.append(peak_mb)
                at_fork.append(fork_mb)
                if progress:
                    progress(counts["pairs_scored"])
    finally:
        _FORK_SCORE.clear()
    report.peak_mb_per_process = max(peaks, default=0.0)
    report.fork_mb_per_process = max(at_fork, default=0.0)
    return auto, identities
