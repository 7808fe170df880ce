"""Steps 4-5 of the batch match (``mdm.linking.batch.match``): the auto pairs clustered over
golden records, with conflict checks, and the clusters merged, in this process or in forked
ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matching.engine import (
    cluster,
)
from matching.normalize.goods import goods_conflicts, goods_from_text
from mdm.db.forking import can_fork, fork_pool, release_free_memory
from mdm.linking.batch.report import BatchMatchReport
from mdm.linking.batch.scoring import GOODS_TAG, Identities, note_identity
from mdm.linking.merge import merge_clusters
from mdm.linking.merge_reasons import AutoPair, MergeReason, merge_reasons
from mdm.linking.rule_store import load_rule
from mdm.models import GoldenStatusChoices, golden_model

MERGE_BATCH = 1000
#: Longest chain of merges followed from a code to its live golden record.
MAX_HOPS = 50


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
            found = model.objects.filter(code__any=part).values_list("code", "merged_into__code")
            rows.update(found)
            rows.update((code, None) for code in part if code not in rows)
        pending = {nxt for nxt in rows.values() if nxt and nxt not in rows}
        if not pending:
            break
    live = {}
    for code in codes:
        current, hops = code, 0
        while (following := rows.get(current)) and hops < MAX_HOPS:
            current, hops = following, hops + 1
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
    dry_run: bool = False,
) -> None:
    """Steps 5-6: cluster the auto pairs over golden records and merge the clusters
    (``dry_run``: count the merges and keep a few examples, merge nothing).

    Codes are first resolved to their live golden record, so a rerun after a crash between two
    merge batches finishes the job without merging anything twice. ``processes`` > 1 (PostgreSQL,
    outside a transaction): the batches are merged by that many forked processes; clusters are
    disjoint, so no two of them ever wait for the same golden record. ``rule``: the rule the
    pairs were scored under (read once here when not given), for the merges' explanations.
    """
    rule = rule or load_rule(entity)
    clusters, reasons = plan_merges(entity, auto, identities, report, rule=rule)
    if dry_run:
        report.clusters_merged += len(clusters)
        report.golden_merged += sum(len(c) - 1 for c in clusters)
        report.samples["merge"] = [list(c) for c in clusters[:5]]
        return
    batches = merge_batches(clusters)
    if processes > 1 and len(batches) > 1 and can_fork():
        from django.db import connections

        _FORK_MERGE[:] = [
            (entity, batches[part::processes], actor, reasons, rule) for part in range(processes)
        ]
        connections.close_all()
        release_free_memory()
        try:
            with fork_pool(processes) as pool:
                for merged, clustered in pool.map(_merge_in_child, range(processes)):
                    report.golden_merged += merged
                    report.clusters_merged += clustered
        finally:
            _FORK_MERGE.clear()
        return
    for batch in batches:
        report.golden_merged += _merge_batch(entity, batch, actor, reasons, rule)
        report.clusters_merged += len(batch)


def plan_merges(
    entity: str, auto: list[AutoPair], identities: Identities, report: BatchMatchReport, *, rule
) -> tuple[list[list[str]], dict[str, MergeReason]]:
    """Step 5: the clusters of golden codes to merge (codes resolved to their live golden
    records first) and why each code merged away (``merge_reasons``); refused unions are
    counted in ``report.conflicts``."""
    live = _live_codes(entity, {c for p in auto for c in (p.golden_a, p.golden_b)})
    merged_ids: Identities = {}
    for code, tags in identities.items():
        note_identity(merged_ids, live.get(code, code), tags)
    resolved = [
        p._replace(golden_a=live[p.golden_a], golden_b=live[p.golden_b])
        for p in auto
        if live[p.golden_a] != live[p.golden_b]
    ]
    clusters, conflicts = _cluster_goldens(
        entity, resolved, merged_ids, attribute_veto=rule.hard.attribute_veto
    )
    report.conflicts += conflicts
    return clusters, merge_reasons(clusters, resolved)


def merge_batches(clusters: list[list[str]], size: int = 0) -> list[list[list[str]]]:
    """The clusters in batches of ``size`` (``MERGE_BATCH``), each merged in one transaction."""
    size = size or MERGE_BATCH
    return [clusters[i : i + size] for i in range(0, len(clusters), size)]


def merge_planned(
    entity: str, batch: list[list[str]], reasons: Mapping[str, MergeReason], rule
) -> int:
    """Step 6 for one batch of clusters planned earlier (``plan_merges``), perhaps by another
    process: codes merged since are resolved to their live golden records first, so a batch
    merged again merges nothing twice. Returns the golden records merged away."""
    live = _live_codes(entity, {code for group in batch for code in group})
    current = []
    for group in batch:
        codes = list(dict.fromkeys(live[code] for code in group))
        if len(codes) > 1:
            current.append(codes)
    return _merge_batch(entity, current, None, reasons, rule)


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


def _cluster_goldens(
    entity: str,
    auto: Sequence[Sequence],
    identities: Identities,
    *,
    attribute_veto: bool = False,
) -> tuple[list[list[str]], int]:
    """Clusters of golden codes to merge (each sorted oldest first) and the refused unions.

    A union is refused when the merged group would hold two different values of an identity:
    valid identifiers, customer kind (person / organization), or branch ("" = head office);
    with ``attribute_veto`` (goods), also when a record of one group and a record of the other
    have conflicting attributes (``goods=`` tags), even if no auto pair joins those two.
    """
    codes = sorted({c for p in auto for c in (p[0], p[1])})
    if not codes:
        return [], 0
    order: dict[str, int] = {}
    for part in _parts(codes):
        order.update(
            golden_model(entity)
            .objects.filter(code__any=part, status=GoldenStatusChoices.ACTIVE)
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
                if tag.startswith(GOODS_TAG):
                    continue
                name, _, value = tag.partition("=")
                if seen.setdefault(name, value) != value:
                    refused += 1
                    return True
        if attribute_veto and _goods_conflict(group_a, group_b):
            refused += 1
            return True
        return False

    def goods_of(group: set[int]) -> list[str]:
        return [
            tag[len(GOODS_TAG) :]
            for x in group
            for tag in identities.get(codes[x], ())
            if tag.startswith(GOODS_TAG)
        ]

    def _goods_conflict(group_a: set[int], group_b: set[int]) -> bool:
        right = [goods_from_text(text) for text in goods_of(group_b)]
        if not right:
            return False
        return any(
            goods_conflicts(left, other)
            for left in map(goods_from_text, goods_of(group_a))
            for other in right
        )

    pairs = [(index[p[0]], index[p[1]], p[2]) for p in auto if p[0] in index and p[1] in index]
    groups = cluster(len(codes), pairs, conflict)
    clusters = [sorted((codes[i] for i in g), key=order.__getitem__) for g in groups if len(g) > 1]
    return clusters, refused
