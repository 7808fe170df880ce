"""Pure scoring helpers of the real-data bench: what a run linked, queued and missed.

A record is a key ``(system, local_code)``. The truth maps each key to the real-world item it
stands for; the hub's answer is the crosswalk (key -> golden code) and the pending review queue
(pairs of keys with a score). Every figure is over unordered pairs of keys.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mdm.devtools.benchmarks.common import PairMetrics, pair_metrics, pairs_of

Key = tuple[str, str]
Pair = tuple[Key, Key]


def ordered(a: Key, b: Key) -> Pair:
    return (a, b) if a <= b else (b, a)


def truth_pairs(truth: Mapping[Key, object]) -> set[Pair]:
    """Pairs of records that are the same real-world item."""
    return pairs_of(truth)


@dataclass(frozen=True)
class QueueEntry:
    """A pending review candidate: two records and the score the admin shows."""

    left: Key
    right: Key
    score: float


def same_item(truth: Mapping[Key, object], entry: QueueEntry) -> bool:
    """Whether a queued pair's two records are the same item (unknown records are not)."""
    left, right = truth.get(entry.left), truth.get(entry.right)
    return left is not None and left == right


@dataclass(frozen=True)
class RunFigures:
    """What a steward gets from one import + match: auto links, the queue, and both against truth.

    ``reach``: share of true pairs whose two records are in one golden record already or in two
    golden records that a pending candidate joins (one accept away). ``queue_precision``: share of
    pending candidates whose two records are the same item.
    """

    auto: PairMetrics
    reach: float
    queue: int
    queue_true: int

    @property
    def queue_precision(self) -> float:
        return self.queue_true / self.queue if self.queue else 0.0


def run_figures(
    truth: Mapping[Key, object],
    links: Mapping[Key, str],
    queue: Iterable[QueueEntry],
) -> RunFigures:
    """Score a crosswalk and a pending queue against the truth.

    Records missing from ``links`` (rejected at import) are still in the truth: their pairs count
    as missed, so a record lost at import costs recall.
    """
    true = truth_pairs(truth)
    predicted = {p for p in pairs_of(links) if p[0] in truth and p[1] in truth}
    queue = list(queue)
    bridged = _bridges(links, queue)
    queue_true = sum(1 for entry in queue if same_item(truth, entry))
    reached = 0
    for left, right in true:
        a, b = links.get(left), links.get(right)
        if a is None or b is None:
            continue
        if a == b or (min(a, b), max(a, b)) in bridged:
            reached += 1
    reach = reached / len(true) if true else 1.0
    return RunFigures(pair_metrics(true, predicted), reach, len(queue), queue_true)


def top_precision(truth: Mapping[Key, object], queue: list[QueueEntry], share: float) -> float:
    """Precision of the first ``share`` of the queue, in the order given (at least one entry)."""
    if not queue:
        return 0.0
    head = queue[: max(1, round(len(queue) * share))]
    same = sum(1 for entry in head if same_item(truth, entry))
    return same / len(head)


@dataclass(frozen=True)
class Purity:
    """Golden records that mix items, and items spread over several golden records."""

    mixed: list[list[object]]  # per mixing golden record: its truth items, sorted
    items: int  # real items with at least two records in the hub
    split_items: int  # of those, items whose records are in more than one golden record

    @property
    def split_share(self) -> float:
        return self.split_items / self.items if self.items else 0.0


def purity(truth: Mapping[Key, object], links: Mapping[Key, str]) -> Purity:
    by_golden: dict[str, set] = defaultdict(set)
    by_item: dict[object, set[str]] = defaultdict(set)
    records: dict[object, int] = defaultdict(int)
    for key, golden in links.items():
        if key not in truth:
            continue
        by_golden[golden].add(truth[key])
        by_item[truth[key]].add(golden)
        records[truth[key]] += 1
    mixed = sorted(
        (sorted(items, key=str) for items in by_golden.values() if len(items) > 1),
        key=lambda items: (-len(items), str(items)),
    )
    multi = [item for item, n in records.items() if n > 1]
    split = sum(1 for item in multi if len(by_item[item]) > 1)
    return Purity(mixed, len(multi), split)


def truth_from_pairs(keys: Iterable[Key], pairs: Iterable[Pair]) -> dict[Key, Key]:
    """Every key's item, from a list of matching pairs (union-find; an item is named by its
    smallest key). Keys in no pair are items of their own."""
    parent: dict[Key, Key] = {key: key for key in keys}

    def find(key: Key) -> Key:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b in pairs:
        if a not in parent or b not in parent:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {key: find(key) for key in parent}


def _bridges(links: Mapping[Key, str], queue: Iterable[QueueEntry]) -> set[tuple[str, str]]:
    bridged = set()
    for entry in queue:
        a, b = links.get(entry.left), links.get(entry.right)
        if a and b and a != b:
            bridged.add((min(a, b), max(a, b)))
    return bridged


def by_system_pair(
    truth: Mapping[Key, object], links: Mapping[Key, str], queue: Iterable[QueueEntry]
) -> dict[tuple[str, str], tuple[int, int, int]]:
    """Per pair of systems: (true pairs, auto-linked, reached = auto-linked or one accept away)."""
    bridged = _bridges(links, queue)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for left, right in truth_pairs(truth):
        row = counts[(min(left[0], right[0]), max(left[0], right[0]))]
        row[0] += 1
        a, b = links.get(left), links.get(right)
        if a is None or b is None:
            continue
        if a == b:
            row[1] += 1
        if a == b or (min(a, b), max(a, b)) in bridged:
            row[2] += 1
    return {pair: (n, auto, reached) for pair, (n, auto, reached) in sorted(counts.items())}
