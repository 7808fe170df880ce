"""The nightly backup: a backup, its verification by a restore, then retention.

A backup that does not verify fails the job run and deletes nothing: the older, verified
backups stay until a good one replaces them.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from mdm.jobs.runner import run_inline_job
from mdm.jobs.runs import append_log
from mdm.models import JobRun
from mdm.operations.backup import BackupError, backup, default_output, verify_backup

KIND = "backup"
PATTERN = "mdm-backup-*.tar"


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups of ``directory`` (by their timestamped
    names); returns the deleted paths."""
    backups = sorted(directory.glob(PATTERN), key=lambda path: path.name, reverse=True)
    deleted = backups[keep:]
    for path in deleted:
        path.unlink()
    return deleted


def run_nightly_backup(*, directory: Path | None = None, keep: int | None = None) -> JobRun:
    """Back up, verify and prune as one recorded job run (single flight)."""
    directory = Path(directory or settings.MDM_BACKUP_DIR)
    keep = settings.MDM_BACKUP_KEEP if keep is None else keep

    def work(run: JobRun) -> dict[str, float]:
        made = backup(output=default_output(directory))
        append_log(run.pk, f"backup {made.path.name}: {made.path.stat().st_size} bytes")
        checked = verify_backup(path=made.path)
        if not checked.ok:
            append_log(run.pk, "verification failed: " + "; ".join(checked.differences))
            raise BackupError(f"{made.path.name} does not verify; older backups kept")
        deleted = prune_backups(directory, keep)
        append_log(run.pk, f"verified; deleted {len(deleted)} older backup(s)")
        return {
            "bytes": made.path.stat().st_size,
            "rows": sum(made.manifest["tables"].values()),
            "backup_seconds": round(made.seconds, 3),
            "verify_seconds": round(checked.seconds, 3),
            "deleted": len(deleted),
        }

    return run_inline_job(KIND, "", work)
