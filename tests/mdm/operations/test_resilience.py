"""The documented web server keeps answering: slow clients do not stall it, and a database that
dropped its connections costs no 500 (gunicorn with deploy/gunicorn.conf.py, a real process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from mdm.tasks import (
    deliver_webhooks_task,
    dispatch_webhooks_task,
    finalize_job_task,
    recover_stalled_jobs_task,
    run_job_task,
)

ROOT = Path(settings.BASE_DIR)
APP_NAME = "mdm-resilience-test"


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db.get("USER") or "", safe="")
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    # Named, so the test drops this server's connections and nobody else's.
    return f"postgres://{auth}@{host}/{db['NAME']}?application_name={APP_NAME}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, timeout: float = 10) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def web(restore_after_flush, transactional_db) -> Iterator[str]:
    """gunicorn with the shipped config, one worker (the hardest case), on a free port."""
    port = _free_port()
    shipped = ("PROMETHEUS_MULTIPROC_DIR", "MDM_WEB_THREADS")  # the config's own defaults
    env = {k: v for k, v in os.environ.items() if k not in shipped}
    env |= {
        "DATABASE_URL": _database_url(),
        "MDM_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "MDM_WEB_TIMEOUT": "60",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "mdm.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get(base + "/healthz", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def _slow_client(port: int, request: bytes) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    client.sendall(request)  # and then nothing more, for as long as the server waits
    return client


def test_slow_clients_do_not_stall_the_api(web):
    port = int(web.rsplit(":", 1)[1])
    slow = [
        _slow_client(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: "),
        _slow_client(port, b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
        _slow_client(
            port,
            b"PUT /api/v1/sources/ERP/customers/X HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
        ),
    ]
    try:
        time.sleep(0.5)  # the server has read what the slow clients sent
        started = time.monotonic()
        answers = [_get(web + "/healthz", timeout=10)[0] for _ in range(5)]
        took = time.monotonic() - started
    finally:
        for client in slow:
            client.close()

    assert answers == [200] * 5
    assert took < 5  # with sync workers the first answer waited for the worker timeout


def test_a_dropped_database_connection_costs_no_500(web):
    for _ in range(20):  # several threads open their persistent connections
        assert _get(web + "/readyz")[0] == 200

    db = connection.settings_dict
    with psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        dbname=db["NAME"],
        autocommit=True,
    ) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            [APP_NAME],
        ).fetchone()[0]

    answers = [_get(web + "/readyz") for _ in range(20)]

    assert killed >= 1
    assert [status for status, _ in answers] == [200] * 20
    assert all(body["status"] == "ok" for _, body in answers)


def test_the_settings_check_a_persistent_connection_before_reusing_it(
    restore_after_flush, transactional_db
):
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with psycopg.connect(
        host=connection.settings_dict.get("HOST") or "127.0.0.1",
        port=connection.settings_dict.get("PORT") or 5432,
        user=connection.settings_dict.get("USER") or "postgres",
        dbname=connection.settings_dict["NAME"],
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    close_old_connections()  # what Django does when a request starts
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.connection.info.backend_pid != pid


def test_database_steps_of_jobs_and_webhooks_retry_when_the_database_drops():
    for task in (
        run_job_task,
        finalize_job_task,
        dispatch_webhooks_task,
        deliver_webhooks_task,
        recover_stalled_jobs_task,
    ):
        assert OperationalError in task.autoretry_for, task.name
        assert InterfaceError in task.autoretry_for, task.name
        assert task.max_retries >= 3, task.name
