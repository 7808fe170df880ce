"""Helpers shared by the job tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from mdm.celery import app

#: The folder of the job tests: the worker imports their job kinds (``job_kinds_for_tests``).
JOB_TESTS = Path(__file__).resolve().parent.parent / "mdm" / "jobs"
WORKER_START_TIMEOUT = 30

T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, timeout: float, what: str, every: float = 0.1) -> T:
    """Poll ``condition`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


#: What the worker process runs with: short backoffs so retries happen within a test.
WORKER_SETTINGS = {
    "MDM_WEBHOOK_BACKOFF_SECONDS": "1",
    "MDM_WEBHOOK_MAX_ATTEMPTS": "3",
    "MDM_JOB_CHUNK_MAX_RETRIES": "2",
    "MDM_JOB_CHUNK_RETRY_SECONDS": "1",
    "MDM_WEBHOOK_DISPATCH_ON_COMMIT": "1",
}


def worker_database_url() -> str:
    """The test database's URL (pytest-django's ``test_<name>``), for a worker process."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def start_worker(
    *, database_url: str, redis_url: str, queue: str, log_path: Path, env: dict | None = None
) -> subprocess.Popen:
    """Start a real ``celery -A mdm worker`` process on ``queue``; return once it is ready."""
    environment = {
        **os.environ,
        **WORKER_SETTINGS,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONPATH": os.pathsep.join([str(settings.BASE_DIR), str(JOB_TESTS)]),
        "LOG_LEVEL": "INFO",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "mdm",
        "worker",
        "--pool=threads",
        "--concurrency=4",
        "--queues",
        queue,
        "--include",
        "job_kinds_for_tests",
        "--hostname",
        f"{queue}-{uuid.uuid4().hex[:6]}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while b" ready." not in log_path.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            stop_worker(worker)
            pytest.fail(f"the Celery worker did not start:\n{log_path.read_text()[-5000:]}")
        time.sleep(0.1)
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


@contextmanager
def publishing_to(queue: str, redis_url: str) -> Iterator[str]:
    """This process publishes tasks to ``queue`` on Redis instead of running them eagerly."""
    keys = ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    previous = {key: app.conf[key] for key in keys}
    app.conf.update(
        task_always_eager=False,
        broker_url=redis_url,
        result_backend=redis_url,
        task_default_queue=queue,
    )
    _forget_connections()
    try:
        yield queue
    finally:
        app.conf.update(previous)
        _forget_connections()


def _forget_connections() -> None:
    # Eager calls also acquire a producer, which caches the connection pool and the queue
    # declarations of the configuration of that moment; rebuild them from the current one.
    app._pool = None
    app.__dict__.pop("amqp", None)
