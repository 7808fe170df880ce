"""The Celery beat schedule, read from environment variables when settings load.

Times are ``HH:MM`` (24 h) in ``TIME_ZONE``; ``off`` leaves a step out of the schedule.
A malformed value stops the start-up (ImproperlyConfigured), like every other setting.
"""

from __future__ import annotations

import re
from typing import Any

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from mdm import env

_HH_MM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def daily_at(name: str, default: str) -> crontab | None:
    """A daily crontab from ``HH:MM`` in the environment variable ``name``; None for ``off``."""
    value = (env.get_str(name, default) or "").strip()
    if value.lower() == "off":
        return None
    match = _HH_MM.fullmatch(value)
    if not match:
        raise ImproperlyConfigured(f"{name} must be HH:MM (24 h) or off, got {value!r}")
    return crontab(hour=int(match[1]), minute=int(match[2]))


def positive_int(name: str, default: int, *, minimum: int = 1) -> int:
    value = env.get_int(name, default)
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def beat_schedule(
    *,
    match_at: crontab | None,
    match_entities: list[str],
    quality_at: crontab | None,
    history_at: crontab | None,
    webhook_every: int,
    watchdog_every: int,
) -> dict[str, dict[str, Any]]:
    """The nightly match per entity, the quality snapshot, the history clean-up, the
    periodic webhook dispatch (which also makes the retries whose backoff is over) and the job
    watchdog (which hands the work of a dead worker back to the live ones)."""
    schedule: dict[str, dict[str, Any]] = {}
    if match_at is not None:
        for entity in match_entities:
            schedule[f"nightly-match-{entity}"] = {
                "task": "mdm.tasks.nightly_match_task",
                "schedule": match_at,
                "kwargs": {"entity": entity},
            }
    if quality_at is not None:
        schedule["quality-snapshot"] = {
            "task": "mdm.tasks.quality_snapshot_task",
            "schedule": quality_at,
        }
    if history_at is not None:
        schedule["history-cleanup"] = {
            "task": "mdm.tasks.clean_history_task",
            "schedule": history_at,
        }
    schedule["webhook-dispatch"] = {
        "task": "mdm.tasks.dispatch_webhooks_task",
        "schedule": float(webhook_every),
        # Workers down for a while: one dispatch when they are back is enough.
        "options": {"expires": float(webhook_every)},
    }
    schedule["job-watchdog"] = {
        "task": "mdm.tasks.recover_stalled_jobs_task",
        "schedule": float(watchdog_every),
        "options": {"expires": float(watchdog_every)},
    }
    return schedule


def backup_schedule(backup_at: crontab | None) -> dict[str, dict[str, Any]]:
    """The nightly backup with its verification and retention (``MDM_BACKUP_AT``; off by
    default: a site that backs up PostgreSQL its own way leaves it off)."""
    if backup_at is None:
        return {}
    return {"nightly-backup": {"task": "mdm.tasks.nightly_backup_task", "schedule": backup_at}}
