"""Deleting history rows older than the retention period, for every historical model.

The same rule as django-simple-history's ``clean_old_history --auto --days N`` (rows with a
``history_date`` before the cut-off go), done set-based in primary-key batches so that no
transaction holds millions of rows, and as a job run with one chunk per historical model.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from simple_history.models import HistoricalChanges

from mdm.jobs.runner import launch_job
from mdm.jobs.runs import append_log
from mdm.models import JobRun

KIND = "history_cleanup"


def historical_models() -> list[type[models.Model]]:
    """Every history table of the project (simple-history's generated models), by label."""
    found = [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]
    return sorted(found, key=lambda m: m._meta.label)


def retention_cutoff(days: int, *, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def delete_old_history(
    model: type[models.Model], cutoff: datetime, *, batch: int | None = None
) -> int:
    """Delete the model's history rows dated before ``cutoff``, a batch per transaction."""
    batch = batch or settings.MDM_HISTORY_CLEANUP_BATCH
    pk = model._meta.pk.name
    old = model._default_manager.filter(history_date__lt=cutoff)
    deleted = 0
    while True:
        ids = list(old.order_by(pk).values_list(pk, flat=True)[:batch])
        if not ids:
            return deleted
        with transaction.atomic():
            # No cascades or signals on history rows: Django deletes them with one DELETE.
            deleted += model._default_manager.filter(**{f"{pk}__in": ids}).delete()[0]


def history_cleanup_params(days: int | None = None) -> dict[str, Any]:
    """The run's parameters: the cut-off is fixed at launch, so a resumed run keeps it."""
    days = settings.MDM_HISTORY_RETENTION_DAYS if days is None else days
    return {"retention_days": days, "cutoff": retention_cutoff(days).isoformat()}


def plan(run: JobRun) -> list[str]:
    """One chunk per history table. A model whose table is not migrated yet has no old rows."""
    tables = set(connection.introspection.table_names())
    models_ = historical_models()
    missing = [m._meta.label for m in models_ if m._meta.db_table not in tables]
    if missing:
        append_log(run.pk, f"no table yet (run migrate), nothing to delete: {', '.join(missing)}")
    return [m._meta.label for m in models_ if m._meta.db_table in tables]


def run_chunk(run: JobRun, chunk: str) -> dict[str, int]:
    cutoff = datetime.fromisoformat(run.params["cutoff"])
    return {"deleted": delete_old_history(apps.get_model(chunk), cutoff)}


def launch_history_cleanup(days: int | None = None) -> JobRun | None:
    """Launch the clean-up job on the workers; None when retention is 0 (keep forever).

    Raises JobAlreadyRunning when yesterday's run is still going.
    """
    params = history_cleanup_params(days)
    if params["retention_days"] <= 0:
        return None
    return launch_job(KIND, params=params)
