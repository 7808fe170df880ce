"""Liveness and readiness of a web process, and the checks a worker's and the beat's
supervisors run (``manage.py check_health``).

Readiness is what a load balancer asks before sending traffic: each check is cheap, and the
ones whose answer cannot change while the process lives (migrations applied, keys that open the
data, warmed tables) are remembered once they pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from kombu import Connection
from kombu.exceptions import OperationalError

from dictionary.models import DataElement, EntityChoices, EntityType
from dictionary.warm_up import warm_up_dictionary
from matching.engine import warm_up
from matching.rules import DEFAULT_RULES
from mdm.celery import app
from mdm.operations.keys import data_key_problem


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


@dataclass
class HealthReport:
    """The checks in the order they ran; ``ok`` when every one passed."""

    checks: dict[str, CheckResult] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, check in self.checks.items() if not check.ok]

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "fail",
            "checks": {
                name: {"ok": check.ok, "detail": check.detail}
                for name, check in self.checks.items()
            },
        }


#: Checks that passed once in this process (their answer cannot change while it lives).
_passed: set[str] = set()


def forget_passed_checks() -> None:
    """Check everything again on the next probe (tests; after a restore under a live process)."""
    _passed.clear()


def _error(exc: BaseException) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first_line}"[:300]


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return CheckResult(False, f"database unreachable ({_error(exc)})")
    return CheckResult(True, connection.vendor)


def check_migrations() -> CheckResult:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
        shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
        return CheckResult(False, f"{len(names)} unapplied migration(s): {shown}")
    return CheckResult(True, "all applied")


def check_dictionary() -> CheckResult:
    entities = set(EntityType.objects.values_list("code", flat=True))
    missing = sorted(set(EntityChoices.values) - entities)
    if missing or not DataElement.objects.exists():
        return CheckResult(
            False,
            "data dictionary not loaded (missing entities: "
            f"{', '.join(missing) or 'none'}); run manage.py load_dictionary",
        )
    return CheckResult(True, f"{len(entities)} entities")


def check_matching() -> CheckResult:
    """The tables matching and the dictionary build on first use are loaded in this process
    (gunicorn's workers load them before serving, ``mdm.wsgi``; elsewhere the first probe
    does)."""
    started = time.perf_counter()
    for rule in DEFAULT_RULES.values():
        warm_up(rule)
    warm_up_dictionary()
    return CheckResult(True, f"warm ({time.perf_counter() - started:.2f} s)")


def check_broker() -> CheckResult:
    url = settings.CELERY_BROKER_URL
    if not url:
        return CheckResult(True, "no broker configured (tasks run in process)")
    timeout = settings.MDM_HEALTH_BROKER_TIMEOUT
    try:
        with Connection(
            url,
            connect_timeout=timeout,
            transport_options={"socket_connect_timeout": timeout, "socket_timeout": timeout},
        ) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except (OperationalError, OSError) as exc:
        return CheckResult(False, f"broker unreachable at {_redacted(url)} ({_error(exc)})")
    return CheckResult(True, _redacted(url))


def _redacted(url: str) -> str:
    """The broker URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"


def check_keys() -> CheckResult:
    with connection.cursor() as cursor:
        problem = data_key_problem(cursor)
    if problem:
        return CheckResult(False, problem)
    return CheckResult(True, "the configured keys open the stored data")


#: (name, check, needs the database, remembered once passed)
READINESS: list[tuple[str, Callable[[], CheckResult], bool, bool]] = [
    ("database", check_database, True, False),
    ("migrations", check_migrations, True, True),
    ("dictionary", check_dictionary, True, False),
    ("matching", check_matching, False, True),
    ("broker", check_broker, False, False),
    ("keys", check_keys, True, True),
]


def readiness() -> HealthReport:
    """Run the readiness checks; a check that fails names what to fix."""
    report = HealthReport()
    database_ok = True
    for name, check, needs_database, remembered in READINESS:
        if remembered and name in _passed:
            report.checks[name] = CheckResult(True, "passed earlier in this process")
            continue
        if needs_database and not database_ok:
            report.checks[name] = CheckResult(False, "not checked: the database is unreachable")
            continue
        try:
            result = check()
        except DatabaseError as exc:
            result = CheckResult(False, f"database error ({_error(exc)})")
        report.checks[name] = result
        if name == "database":
            database_ok = result.ok
        if remembered and result.ok:
            _passed.add(name)
    return report


def liveness() -> HealthReport:
    """The process answers; nothing else is checked (a restart would not fix the rest)."""
    return HealthReport({"process": CheckResult(True, "alive")})


def check_worker(*, hostname: str | None = None, timeout: float = 5.0) -> CheckResult:
    """A Celery worker answers a ping through the broker (the named one, or any)."""
    if not settings.CELERY_BROKER_URL:
        return CheckResult(False, "no CELERY_BROKER_URL: there is no worker to ping")
    destination = [hostname] if hostname else None
    try:
        replies = app.control.ping(destination=destination, timeout=timeout)
    except (OperationalError, OSError) as exc:
        return CheckResult(False, f"broker unreachable ({_error(exc)})")
    names = sorted(name for reply in replies for name in reply)
    if not names:
        target = hostname or "any worker"
        return CheckResult(False, f"no answer from {target} within {timeout:g} s")
    return CheckResult(True, f"answered: {', '.join(names)}")


def check_beat(*, schedule_file: Path, max_age: float) -> CheckResult:
    """The beat's schedule file was written in the last ``max_age`` seconds (the beat syncs
    it every 3 minutes while it runs; a shelve may add a suffix such as ``.db``)."""
    candidates = [schedule_file, *schedule_file.parent.glob(schedule_file.name + ".*")]
    times = [path.stat().st_mtime for path in candidates if path.exists()]
    if not times:
        return CheckResult(False, f"no schedule file at {schedule_file}")
    age = time.time() - max(times)
    if age > max_age:
        return CheckResult(False, f"schedule file not written for {age:.0f} s (> {max_age:g} s)")
    return CheckResult(True, f"schedule file written {age:.0f} s ago")
