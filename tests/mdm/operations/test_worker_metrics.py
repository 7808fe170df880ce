"""A host running Celery workers without a web process is scraped too: ``serve_metrics``
serves the counters its processes keep in PROMETHEUS_MULTIPROC_DIR."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from tests.support.waiting import wait_until

#: What a Celery worker's process counts: two webhook posts, one refused.
WORKER_CODE = (
    "import django; django.setup();"
    "from mdm.instruments import record_webhook_attempt;"
    "record_webhook_attempt(200); record_webhook_attempt(503)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def worker_host(tmp_path):
    """The environment of a worker host: its processes' counter files, a scrape token, no
    network allowed without it."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return env | {
        "DJANGO_SETTINGS_MODULE": "mdm.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "MDM_METRICS_TOKEN": "scrape-token-0123456789",
        "MDM_METRICS_ALLOWED_NETWORKS": "",
    }


def test_a_worker_host_serves_the_counters_of_its_processes(worker_host):
    for _ in range(2):  # two worker processes, one after the other
        subprocess.run(
            [sys.executable, "-c", WORKER_CODE],
            cwd=Path(settings.BASE_DIR),
            env=worker_host,
            check=True,
            timeout=120,
        )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve_metrics", "--bind", f"127.0.0.1:{port}"],
        cwd=Path(settings.BASE_DIR),
        env=worker_host,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        wait_until(lambda: _listening(port), timeout=60, what="serve_metrics")

        refused, _ = _get(url)
        status, text = _get(url, "scrape-token-0123456789")
        elsewhere, _ = _get(f"http://127.0.0.1:{port}/admin/", "scrape-token-0123456789")
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert (refused, status, elsewhere) == (401, 200, 404)
    samples = _samples(text)
    assert samples[("mdm_webhook_attempts_total", (("outcome", "delivered"),))] == 2
    assert samples[("mdm_webhook_attempts_total", (("outcome", "failed"),))] == 2
    # The database figures are the web scrape's: a worker host does not repeat them.
    assert not any(name.startswith("mdm_metrics_database") for name, _ in samples)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_serve_metrics_refuses_to_start_without_the_counters_directory(worker_host):
    env = worker_host | {"PROMETHEUS_MULTIPROC_DIR": ""}

    done = subprocess.run(
        [sys.executable, "manage.py", "serve_metrics", "--bind", "127.0.0.1:0"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert "PROMETHEUS_MULTIPROC_DIR is not set" in done.stderr
