"""Real parts for the job and webhook tests: Redis, a Celery worker process, an HTTP receiver.

The worker is started once per session against the *test* database (pytest-django's
``test_<name>``) and a Redis database that the session flushes first; tasks go to a queue named
for this session, so two suites running at once never take each other's tasks. Redis must be
reachable: the tests fail (they do not skip) when it is not.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import job_kinds_for_tests  # noqa: F401  (registers the test job kinds in this process too)
import pytest
import redis
from django.conf import settings
from django.db import connection

from mdm.celery import app

HERE = Path(__file__).resolve().parent
REDIS_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
WORKER_START_TIMEOUT = 30

#: What the worker process runs with: short backoffs so retries happen within a test.
WORKER_SETTINGS = {
    "MDM_WEBHOOK_BACKOFF_SECONDS": "1",
    "MDM_WEBHOOK_MAX_ATTEMPTS": "3",
    "MDM_JOB_CHUNK_MAX_RETRIES": "2",
    "MDM_JOB_CHUNK_RETRY_SECONDS": "1",
    "MDM_WEBHOOK_DISPATCH_ON_COMMIT": "1",
}


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"Redis is required for the worker tests ({REDIS_URL}): {exc}")
    client.flushdb()
    client.close()
    return REDIS_URL


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, redis_url, tmp_path_factory):
    """A real ``celery -A mdm worker`` process on the test database; yields its queue name."""
    with django_db_blocker.unblock():
        database_url = _database_url()
    queue = f"mdm-test-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        **WORKER_SETTINGS,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONPATH": os.pathsep.join([str(settings.BASE_DIR), str(HERE)]),
        "LOG_LEVEL": "INFO",
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
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while b" ready." not in log_path.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log_path.read_text()[-5000:]}")
            time.sleep(0.1)
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if os.environ.get("MDM_SHOW_WORKER_LOG"):
            print(log_path.read_text())


@pytest.fixture
def celery_worker(celery_worker_process, redis_url) -> Iterator[str]:
    """The worker, and this process publishing tasks to it instead of running them eagerly."""
    keys = ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    previous = {key: app.conf[key] for key in keys}
    app.conf.update(
        task_always_eager=False,
        broker_url=redis_url,
        result_backend=redis_url,
        task_default_queue=celery_worker_process,
    )
    _forget_connections()
    try:
        yield celery_worker_process
    finally:
        app.conf.update(previous)
        _forget_connections()


def _forget_connections() -> None:
    # Eager calls also acquire a producer, which caches the connection pool and the queue
    # declarations of the configuration of that moment; rebuild them from the current one.
    app._pool = None
    app.__dict__.pop("amqp", None)


@dataclass
class Received:
    headers: dict[str, str]  # names in lower case: HTTP header names are case-insensitive
    body: bytes
    status: int

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def seq(self) -> int:
        return json.loads(self.body)["seq"]

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.header("X-MDM-Signature"), expected)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1: records every request, answers the scripted statuses."""

    url: str = ""
    script: list[int] = field(default_factory=list)  # statuses to answer first, then 200
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            status = self.script.pop(0) if self.script else 200
            self.requests.append(Received(headers, body, status))
            return status

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = state.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mdm"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
