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


def _common_keys(entity: str) -> set[str]:
    return set(
        BlockKey.objects.filter(entity=entity)
        .values("key")
        .annotate(n=Count("id"))
        .filter(n__gt=MAX_BLOCK)
        .values_list("key", flat=True)
    )


def _blocks(entity: str, common: set[str]) -> Iterator[tuple[str, list[int]]]:
    """(key, record ids) of every block with at least two records, in key order."""
    rows = (
        BlockKey.objects.filter(entity=entity, record__is_active=True)
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
        pk: _Loaded(prepare(entity, attributes, flagged), golden_code, frozenset(keys[pk]))
        for pk, golden_code, attributes, flagged in SourceRecord.objects.filter(
            pk__in=ids, is_active=True
        ).values_list("pk", "golden_code", "attributes", "flagged")
    }


def run_batch_match(
    *, entity: str, progress: Callable[[int], None] | None = None, actor=None
) -> BatchMatchReport:
    """Score all candidate pairs of an entity, queue reviews, cluster and merge (see module doc)."""
    report = BatchMatchReport(entity=entity)
    rule = load_rule(entity)
    started = time.perf_counter()
    report.records = SourceRecord.objects.filter(entity=entity, is_active=True).count()
    common = _common_keys(entity)
    report.skipped_keys = len(common)
    rejected = set(
        MatchCandidate.objects.filter(
            entity=entity, status=MatchCandidateStatusChoices.REJECTED
        ).values_list("left_id", "right_id")
    )
    report.timings["prepare"] = time.perf_counter() - started

    auto: list[tuple[str, str, float]] = []
    identities: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    buffer: list[tuple[str, int, int]] = []

    def flush() -> None:
        ids = {i for _, a, b in buffer for i in (a, b)}
        loaded = _load(entity, ids)
        reviews = []
        for key, a, b in buffer:
            left, right = loaded.get(a), loaded.get(b)
            if left is None or right is None or left.golden_code == right.golden_code:
                continue
            if key != min((left.keys & right.keys) - common, default=key):
                continue  # scored in the block of the smallest shared key
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

    for key, ids in _blocks(entity, common):
        report.blocks += 1
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                buffer.append((key, a, b))
        report.pairs_considered += len(ids) * (len(ids) - 1) // 2
        if len(buffer) >= BUFFER_PAIRS:
            flush()
    if buffer:
        flush()
    report.auto_pairs = len(auto)
    report.timings["score"] = time.perf_counter() - started - report.timings["prepare"]

    clusters, report.conflicts = _cluster_goldens(entity, auto, identities)
    mark = time.perf_counter()
    for start in range(0, len(clusters), MERGE_BATCH):
        batch = clusters[start : start + MERGE_BATCH]
        report.golden_merged += merge_clusters(
            entity=entity, clusters=batch, actor=actor, reason="batch match", link_kind="auto"
        )
        report.clusters_merged += len(batch)
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
