"""`make bench-jobs`: the distributed batch match with 1 and 2 Celery workers, and the feed.

N synthetic customer records are loaded once (COPY, outside the write path, as in bench_match
--scale) and kept in snapshot tables; for each worker count the records are restored from it and
that many `celery -A mdm worker`
processes (concurrency 1 each) are started on 127.0.0.1's Redis; `match --distributed` runs (its
scoring round, then its merge round: ``mdm.linking.batch.job``); the wall time and each
worker's peak memory (VmHWM) are printed. The same records are then matched once more by the
one-process ``match`` (``--no-one-process`` leaves it out). Every run starts from the shipped
rule (the stored rule of the run before is removed), and each run's decisions — which records
share a golden record, which pairs wait for review — are compared with the first run's: the
"same decisions" column. Then the change feed is read page by page through the API, and
events/s reported. Needs a PostgreSQL database whose name contains "bench" and a Redis at
CELERY_BENCH_BROKER_URL (default redis://127.0.0.1:6379/13).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from rest_framework.test import APIClient

from dictionary.services import load_starter_dictionary
from matching.models import MatchCandidate, MatchRuleChange, MatchRuleConfig
from mdm.access.accounts import issue_token
from mdm.celery import app
from mdm.devtools.benchmarks import scale
from mdm.devtools.benchmarks.common import fmt_table
from mdm.jobs.runner import describe_job, launch_job, wait_for_job
from mdm.linking.batch.match import run_batch_match
from mdm.models import Event, JobRun, SourceSystem


def decisions_digest(entity: str) -> str:
    """A short digest of a match's decisions: the groups of active records sharing a golden
    record (as record ids, whatever the codes) and the record pairs pending review."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(id ORDER BY id) FROM mdm_sourcerecord "
            "WHERE entity = %s AND is_active GROUP BY golden_code ORDER BY min(id)",
            [entity],
        )
        for (ids,) in cursor.fetchall():
            digest.update((",".join(map(str, ids)) + ";").encode())
        digest.update(b"|")
        pending = MatchCandidate.objects.filter(entity=entity, status="pending")
        for left, right in pending.order_by("left_id", "right_id").values_list(
            "left_id", "right_id"
        ):
            digest.update(f"{min(left, right)}-{max(left, right)};".encode())
    return digest.hexdigest()[:12]


def _peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


class Command(BaseCommand):
    help = "Distributed match with 1 and 2 workers, and change-feed read throughput."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, default=1_000_000)
        parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
        parser.add_argument("--chunks", type=int, default=8)
        parser.add_argument("--timeout", type=float, default=4 * 3600)
        parser.add_argument(
            "--no-one-process",
            action="store_true",
            help="leave out the one-process match of the same records",
        )
        parser.add_argument(
            "--reuse-snapshot",
            action="store_true",
            help="start from the records an earlier run left in the snapshot tables (no load)",
        )

    def handle(
        self,
        *args,
        records: int,
        workers: list[int],
        chunks: int,
        timeout: float,
        reuse_snapshot: bool,
        no_one_process: bool,
        **options,
    ):
        name = connection.settings_dict["NAME"]
        if connection.vendor != "postgresql" or "bench" not in str(name):
            raise CommandError("run on a PostgreSQL database whose name contains 'bench'")
        broker = os.environ.get("CELERY_BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
        call_command("migrate", verbosity=0)
        load_starter_dictionary()
        rows = []
        if reuse_snapshot:
            records = scale.snapshot_size()
            self.stdout.write(f"{records:,} records from the snapshot of an earlier run")
        else:
            scale.reset_entity("customers")
            load_s = scale.load(records)
            self.stdout.write(f"loaded {records:,} records in {load_s:.0f} s (COPY)")
            scale.snapshot()
        first: str | None = None
        runs: list[int | str] = [*workers, *([] if no_one_process else ["one process"])]
        for i, count in enumerate(runs):
            JobRun.objects.filter(kind="match").delete()
            # Each run learns from the shipped rule, as the first match of these records does.
            MatchRuleConfig.objects.filter(entity="customers").delete()
            MatchRuleChange.objects.filter(entity="customers").delete()
            if i or reuse_snapshot:
                scale.restore()  # the same records again, not loaded again
            if isinstance(count, int):
                wall, peaks, run = self._run(count, broker, chunks, timeout)
                self.stdout.write(describe_job(run))
                if run.status != "succeeded":  # its decisions are no run's to compare
                    raise CommandError(f"the match on {count} worker(s) {run.status}: {run.error}")
                merged = run.counts.get("golden_merged", 0)
                memory = ", ".join(f"{p / 1024:.0f}" for p in peaks)
            else:
                started = time.perf_counter()
                report = run_batch_match(entity="customers")
                wall = time.perf_counter() - started
                # Its peak is this process's, the loader's included: not comparable, not shown.
                merged, memory = report.golden_merged, "-"
            decisions = decisions_digest("customers")
            first = first or decisions
            same = "yes" if decisions == first else "NO"
            rows.append(
                (count, f"{wall:.0f}", f"{records / wall:,.0f}", memory, merged, decisions, same)
            )
        base = float(rows[0][1])
        table: list[tuple[Any, ...]] = [
            (
                "workers",
                "wall s",
                "records/s",
                "peak MB per worker",
                "merged",
                "decisions",
                "same decisions",
                "speed-up",
            )
        ]
        table += [(*r, f"{base / float(r[1]):.2f}") for r in rows]
        self.stdout.write(
            f"\nDistributed `match` of {records:,} customer records (PostgreSQL, Redis)"
        )
        self.stdout.write(fmt_table(table))
        self._feed()
        self.stdout.write("(snapshot tables kept: --reuse-snapshot starts from them)")

    def _run(self, count: int, broker: str, chunks: int, timeout: float):
        """``match --distributed`` on ``count`` worker processes: (wall s, peak KiB each, run)."""
        queue = f"mdm-bench-{uuid.uuid4().hex[:8]}"
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": broker,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "SECRET_KEY": settings.SECRET_KEY,
        }
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "mdm",
                    "worker",
                    "--pool=solo",
                    "--queues",
                    queue,
                    "--hostname",
                    f"{queue}-{i}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=WARNING",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i in range(count)
        ]
        previous = {
            k: app.conf[k]
            for k in ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
        }
        app.conf.update(
            task_always_eager=False,
            broker_url=broker,
            result_backend=broker,
            task_default_queue=queue,
        )
        app._pool = None
        app.__dict__.pop("amqp", None)
        peaks = [0] * count
        try:
            time.sleep(3)
            started = time.perf_counter()
            run = launch_job("match", "customers", params={"chunks": chunks})
            deadline = time.monotonic() + timeout
            while not JobRun.objects.get(pk=run.pk).is_finished and time.monotonic() < deadline:
                peaks = [max(p, _peak_kib(proc.pid)) for p, proc in zip(peaks, procs, strict=True)]
                time.sleep(1)
            run = wait_for_job(run.pk, timeout=1)
            wall = time.perf_counter() - started
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
            app.conf.update(previous)
            app._pool = None
            app.__dict__.pop("amqp", None)
        return wall, peaks, run

    def _feed(self) -> None:
        system = SourceSystem.objects.order_by("pk").first()
        assert system is not None  # the records were loaded above
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(system.service_user).key}")
        total, after, started = 0, 0, time.perf_counter()
        while True:
            page = client.get(f"/api/v1/events/?after={after}&limit=1000").json()
            total += len(page["events"])
            after = page["next_after"]
            if not page["has_more"]:
                break
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"\nChange feed: {total:,} events read in pages of 1,000 in {elapsed:.1f} s = "
            f"{total / max(elapsed, 1e-9):,.0f} events/s (of {Event.objects.count():,} in the outbox)"
        )
