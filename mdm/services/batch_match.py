"""The batch match and merge of one entity (``manage.py match`` and the nightly job).

1. Too-common keys: one aggregate query finds the keys shared by more than ``MAX_BLOCK``
   records; they are skipped and counted.
2. Candidate pairs: the block-key index is streamed in key order (a server-side cursor), so only
   one block is in memory; each pair of a block goes to a buffer.
3. Scoring, per buffer: the buffer's records are fetched in one query (attributes, flagged
   values, golden code, block keys) and prepared once. A pair is scored only in the block of the
   smallest key its records share (so a pair sharing five keys is scored once), never when both
   records already share a golden record, never when a steward rejected it.
4. Decisions: ``review`` pairs become MatchCandidates (a known pair is left alone); ``auto`` pairs
   are kept as (golden, golden, score).
5. Clustering: union–find over golden records, strongest pairs first, refusing any union that
   would put two different valid credit codes / resident IDs / GTINs, a person and an
   organization, or a branch and its head office in one cluster.
6. Merging: each cluster merges into its oldest golden record, in batches (set-based).

Running it again changes nothing: linked pairs are skipped, known candidates are not re-queued,
refused unions are refused again.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count

from matching.engine import Features, cluster, prepare, score_prepared
from matching.models import BlockKey, MatchCandidate, MatchCandidateStatusChoices
from mdm.models import GoldenStatusChoices, SourceRecord, golden_model
from mdm.services.crypto import matching_view
from mdm.services.matching import MAX_BLOCK, explain, load_rule, write_candidates
from mdm.services.merge import merge_clusters

BUFFER_PAIRS = 50_000
MERGE_BATCH = 200
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
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _in_range(queryset, lo: str, hi: str):
    if lo:
        queryset = queryset.filter(key__gte=lo)
    if hi:
        queryset = queryset.filter(key__lt=hi)
    return queryset


def _common_keys(entity: str) -> set[str]:
    return set(
        BlockKey.objects.filter(entity=entity)
        .values("key")
        .annotate(n=Count("id"))
        .filter(n__gt=MAX_BLOCK)
        .values_list("key", flat=True)
    )


def _blocks(
    entity: str, common: set[str], lo: str = "", hi: str = ""
) -> Iterator[tuple[str, list[int]]]:
    """(key, record ids) of every block with at least two records in [lo, hi), in key order."""
    rows = (
        _in_range(BlockKey.objects.filter(entity=entity, record__is_active=True), lo, hi)
        .order_by("key", "record_id")
        .values_list("key", "record_id")
        .iterator(chunk_size=20_000)
    )
    current, ids = None, []
    for key, record_id in rows:
        if key != current:
            if len(ids) > 1 and current not in common:
                yield current, ids
            current, ids = key, []
        ids.append(record_id)
    if len(ids) > 1 and current not in common:
        yield current, ids


@dataclass
class _Loaded:
    features: Features
    golden_code: str
    keys: frozenset[str]


def _load(entity: str, ids: set[int]) -> dict[int, _Loaded]:
    keys: dict[int, set[str]] = defaultdict(set)
    for record_id, key in BlockKey.objects.filter(record_id__in=ids).values_list(
        "record_id", "key"
    ):
        keys[record_id].add(key)
    return {
        pk: _Loaded(
            prepare(entity, matching_view(attributes, index), flagged),
            golden_code,
            frozenset(keys[pk]),
        )
        for pk, golden_code, attributes, flagged, index in SourceRecord.objects.filter(
            pk__in=ids, is_active=True
        ).values_list("pk", "golden_code", "attributes", "flagged", "blind_index")
    }


Identities = dict[str, dict[str, set[str]]]


def plan_key_ranges(entity: str, chunks: int) -> list[tuple[str, str]]:
    """Key ranges [lo, hi) of about equal numbers of index rows; a block never straddles two."""
    keys = BlockKey.objects.filter(entity=entity).order_by("key").values_list("key", flat=True)
    total = keys.count()
    bounds = [""]
    for i in range(1, max(chunks, 1)):
        key = keys[total * i // chunks] if total else ""
        if key and key > bounds[-1]:
            bounds.append(key)
    bounds.append("")
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def score_range(
    entity: str,
    report: BatchMatchReport,
    *,
    lo: str = "",
    hi: str = "",
    progress: Callable[[int], None] | None = None,
) -> tuple[list[tuple[str, str, float]], Identities]:
    """Steps 1-4 for the blocks whose key is in [lo, hi): auto pairs and the identities of
    their golden records; review pairs are written as candidates."""
    rule = load_rule(entity)
    # Too-common keys are judged over the whole index: a pair is scored in the block of its
    # smallest shared usable key, which may lie in another range.
    common = _common_keys(entity)
    report.skipped_keys = len(common)
    rejected = set(
        MatchCandidate.objects.filter(
            entity=entity, status=MatchCandidateStatusChoices.REJECTED
        ).values_list("left_id", "right_id")
    )
    auto: list[tuple[str, str, float]] = []
    identities: Identities = defaultdict(lambda: defaultdict(set))
    buffer: list[tuple[str, int, int]] = []

    def flush() -> None:
        ids = {i for _, a, b in buffer for i in (a, b)}
        loaded = _load(entity, ids)
        reviews = []
        for key, a, b in buffer:
            left, right = loaded.get(a), loaded.get(b)
            if left is None or right is None or left.golden_code == right.golden_code:
                continue
            # Scored only in the block of the smallest shared usable key.
            if key != min((left.keys & right.keys) - common, default=key):
                continue
            if (a, b) in rejected:
                continue
            report.pairs_scored += 1
            score = score_prepared(rule, left.features, right.features)
            if score.veto:
                report.vetoed += 1
            elif score.decision == "auto":
                auto.append((left.golden_code, right.golden_code, score.score))
                for item in (left, right):
                    for name in IDENTITIES[entity]:
                        value = item.features.identifier(name)
                        if value:
                            identities[item.golden_code][name].add(value)
                    identities[item.golden_code]["kind"].add(item.features.kind)
                    if entity == "customers" and item.features.kind != "person":
                        identities[item.golden_code]["branch"].add(item.features.branch)
            elif score.decision == "review":
                reviews.append((a, b, score.score, explain(score)))
        report.review_candidates += write_candidates(entity, reviews, origin="batch")
        if progress:
            progress(len(buffer))
        buffer.clear()

    for key, ids in _blocks(entity, common, lo, hi):
        report.blocks += 1
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                buffer.append((key, a, b))
        report.pairs_considered += len(ids) * (len(ids) - 1) // 2
        if len(buffer) >= BUFFER_PAIRS:
            flush()
    if buffer:
        flush()
    report.auto_pairs += len(auto)
    return auto, identities


def _live_codes(entity: str, codes: set[str]) -> dict[str, str]:
    """Each code -> the active golden record it resolves to now (after earlier merges)."""
    model = golden_model(entity)
    rows = dict(model.objects.filter(code__in=codes).values_list("code", "merged_into__code"))
    live = {}
    for code in codes:
        current, hops = code, 0
        while rows.get(current) and hops < 50:
            nxt = rows[current]
            if nxt not in rows:
                rows.update(model.objects.filter(code=nxt).values_list("code", "merged_into__code"))
            current, hops = nxt, hops + 1
        live[code] = current
    return live


def merge_auto_pairs(
    entity: str,
    auto: list[tuple[str, str, float]],
    identities: Identities,
    report: BatchMatchReport,
    *,
    actor=None,
) -> None:
    """Steps 5-6: cluster the auto pairs over golden records and merge the clusters.

    Codes are first resolved to their live golden record, so a rerun after a crash between two
    merge batches finishes the job without merging anything twice.
    """
    live = _live_codes(entity, {c for a, b, _ in auto for c in (a, b)})
    merged_ids: Identities = defaultdict(lambda: defaultdict(set))
    for code, values in identities.items():
        for name, found in values.items():
            merged_ids[live.get(code, code)][name] |= set(found)
    resolved = [(live[a], live[b], s) for a, b, s in auto if live[a] != live[b]]
    clusters, conflicts = _cluster_goldens(entity, resolved, merged_ids)
    report.conflicts += conflicts
    for start in range(0, len(clusters), MERGE_BATCH):
        batch = clusters[start : start + MERGE_BATCH]
        report.golden_merged += merge_clusters(
            entity=entity, clusters=batch, actor=actor, reason="batch match", link_kind="auto"
        )
        report.clusters_merged += len(batch)


def run_batch_match(
    *, entity: str, progress: Callable[[int], None] | None = None, actor=None
) -> BatchMatchReport:
    """Score all candidate pairs of an entity, queue reviews, cluster and merge (see module doc).

    One process; the distributed job (``mdm.jobs``) runs ``score_range`` per key range on the
    workers and ``merge_auto_pairs`` once at the end.
    """
    report = BatchMatchReport(entity=entity)
    started = time.perf_counter()
    report.records = SourceRecord.objects.filter(entity=entity, is_active=True).count()
    auto, identities = score_range(entity, report, progress=progress)
    report.timings["score"] = time.perf_counter() - started
    mark = time.perf_counter()
    merge_auto_pairs(entity, auto, identities, report, actor=actor)
    report.timings["merge"] = time.perf_counter() - mark
    report.timings["total"] = time.perf_counter() - started
    return report


def _cluster_goldens(
    entity: str, auto: list[tuple[str, str, float]], identities: dict[str, dict[str, set[str]]]
) -> tuple[list[list[str]], int]:
    """Clusters of golden codes to merge (each sorted oldest first) and the refused unions.

    A union is refused when the merged group would hold two different values of an identity:
    valid identifiers, customer kind (person / organization), or branch ("" = head office).
    """
    codes = sorted({c for a, b, _ in auto for c in (a, b)})
    if not codes:
        return [], 0
    order = dict(
        golden_model(entity)
        .objects.filter(code__in=codes, status=GoldenStatusChoices.ACTIVE)
        .values_list("code", "pk")
    )
    codes = [c for c in codes if c in order]
    index = {code: i for i, code in enumerate(codes)}
    names = (*IDENTITIES[entity], "kind", "branch")
    refused = 0

    def values(group: set[int], name: str) -> set[str]:
        found = set().union(*(identities[codes[x]][name] for x in group))
        return found if name == "branch" else found - {""}

    def conflict(group_a: set[int], group_b: set[int]) -> bool:
        nonlocal refused
        if any(len(values(group_a, n) | values(group_b, n)) > 1 for n in names):
            refused += 1
            return True
        return False

    pairs = [(index[a], index[b], s) for a, b, s in auto if a in index and b in index]
    groups = cluster(len(codes), pairs, conflict)
    clusters = [sorted((codes[i] for i in g), key=order.__getitem__) for g in groups if len(g) > 1]
    return clusters, refused
