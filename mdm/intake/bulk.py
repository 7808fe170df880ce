"""Bulk load: a whole system's export written first, then matched by one batch match.

``import_source --bulk`` runs ``bulk_load``. It is the import's write path (the same
standardization, validation, sealing, history, golden records and block keys, written in
batches whose records, golden records and history rows go in by COPY), with one difference:
a new record is not matched in real time (``mdm.linking.batch.bulk``): each gets a golden
record of its own. When the rows are written, one batch match (``match --entity E``) links the
whole entity, unless ``match=False`` (loading several systems, then matching once). An initial
migration of a customer master runs this way in minutes where record-by-record matching takes
tens of minutes; the golden records and crosswalk it ends with are the ones a record-by-record
import followed by the batch match ends with.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mdm.intake.importing import IMPORT_BATCH, ImportPlan, ImportReport, import_plan
from mdm.intake.steps import bulk_linking
from mdm.linking.batch.match import run_batch_match
from mdm.linking.batch.report import BatchMatchReport
from mdm.models import SourceSystem


@dataclass
class BulkLoadReport:
    imported: ImportReport
    matched: BatchMatchReport | None
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        total = self.seconds.get("total", 0.0)
        rate = self.imported.rows / total if total else 0.0
        parts = [f"write {self.seconds.get('write', 0.0):.1f}s"]
        if self.matched is not None:
            parts.append(f"match {self.seconds.get('match', 0.0):.1f}s")
        return (
            f"bulk load: {', '.join(parts)}, total {total:.1f}s "
            f"({rate:,.0f} rows/s{' with matching' if self.matched is not None else ''})"
        )


def bulk_load(
    *,
    plan: ImportPlan,
    system: SourceSystem,
    actor=None,
    workers: int = 1,
    on_rows: Callable[[int], None] | None = None,
    batch_size: int = IMPORT_BATCH,
    reason: str = "bulk load",
    match: bool = True,
) -> BulkLoadReport:
    """Write the planned rows without real-time matching, then one batch match of the entity
    (scored in ``workers`` processes). Each batch of rows is one transaction, as in an import:
    a failure leaves what was written (run the file again: stored rows answer "unchanged")."""
    started = time.perf_counter()
    with bulk_linking():
        imported = import_plan(
            plan=plan,
            system=system,
            actor=actor,
            workers=workers,
            on_rows=on_rows,
            batch_size=batch_size,
            reason=reason,
        )
    written = time.perf_counter()
    matched = None
    if match:
        matched = run_batch_match(entity=plan.entity, actor=actor, processes=max(workers, 1))
    ended = time.perf_counter()
    return BulkLoadReport(
        imported,
        matched,
        {"write": written - started, "match": ended - written, "total": ended - started},
    )
