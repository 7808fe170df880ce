"""What one batch match did: its counts and timings."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    #: The most prepared records one scorer held at once (its feature cache's high mark).
    cache_peak: int = 0
    peak_mb_per_process: float = 0.0
    #: Resident memory each scoring child started with (inherited from the parent at fork).
    fork_mb_per_process: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    #: Pending candidates whose score or explanation the run brought up to date.
    rescored: int = 0
    #: Pending candidates closed because the run (or an earlier merge) joined their records.
    closed: int = 0
    #: What the run learned or refused to learn (``mdm.linking.learning``), one line each.
    learning: list[str] = field(default_factory=list)
    #: A dry run: nothing was written; the counts say what a run would do.
    dry_run: bool = False
    #: Golden records whose members the rule would no longer link (a dry run only), and how
    #: many records would leave them.
    golden_split: int = 0
    records_split: int = 0
    #: A few examples per kind of change (``merge``, ``split``, ``queue``), for a dry run.
    samples: dict[str, list] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def summary_line(report: BatchMatchReport) -> str:
    """The one line a run prints (``manage.py match``) and keeps in its job log (the nightly)."""
    t = report.timings
    return (
        f"match {report.entity}: records={report.records} blocks={report.blocks} "
        f"skipped_keys={report.skipped_keys} pairs={report.pairs_considered} "
        f"scored={report.pairs_scored} auto_pairs={report.auto_pairs} "
        f"review_candidates={report.review_candidates} vetoed={report.vetoed} "
        f"conflicts={report.conflicts} clusters_merged={report.clusters_merged} "
        f"golden_merged={report.golden_merged} closed={report.closed} "
        f"rescored={report.rescored} "
        f"records_prepared={report.records_prepared} "
        f"cache_peak={report.cache_peak} peak_mb_per_process={report.peak_mb_per_process:.0f} "
        f"(at fork {report.fork_mb_per_process:.0f}) | "
        f"time pairs={t.get('pairs', 0):.2f}s score={t['score']:.2f}s merge={t['merge']:.2f}s "
        f"total={t['total']:.2f}s"
    )
