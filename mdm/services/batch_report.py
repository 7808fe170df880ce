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

    def as_dict(self) -> dict:
        return self.__dict__.copy()
