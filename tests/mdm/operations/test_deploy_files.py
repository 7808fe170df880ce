"""The shipped deployment files work: the environment checklist gives a clean ``check
--deploy``, and gunicorn with its config counts every worker's requests in one scrape."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import get_commands
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(settings.BASE_DIR)
ENV_EXAMPLE = ROOT / "deploy" / "mdm.env.example"


def example_environment() -> dict[str, str]:
    """deploy/mdm.env.example as systemd reads it, CHANGE-ME values generated."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    values |= {
        "SECRET_KEY": secrets.token_urlsafe(60),
        "MDM_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "MDM_BLIND_INDEX_KEY": secrets.token_hex(32),
        "MDM_METRICS_TOKEN": secrets.token_urlsafe(30),
    }
    return values


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db.get("USER") or "", safe="")
    return (
        f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def test_the_environment_checklist_passes_check_deploy(db):
    example = example_environment()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MDM_", "SECURE_"))}
    env |= example | {"DATABASE_URL": database_url(), "PROMETHEUS_MULTIPROC_DIR": ""}

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert "CHANGE-ME" not in "".join(v for k, v in example.items() if k != "DATABASE_URL")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_gunicorn_workers_are_counted_together(tmp_path):
    port = free_port()
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env |= {
        "DATABASE_URL": database_url(),
        "MDM_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "mdm.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def healthz_count() -> float:
        with urllib.request.urlopen(base + "/metrics", timeout=30) as response:
            text = response.read().decode()
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "mdm_http_requests_total"
            and sample.labels == {"route": "healthz", "method": "GET", "status": "200"}
        )

    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                before = healthz_count()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        statuses = []
        for _ in range(30):  # a new connection each: both workers take some
            with urllib.request.urlopen(base + "/healthz", timeout=30) as response:
                statuses.append(response.status)
        after = healthz_count()
    finally:
        server.terminate()
        server.wait(timeout=60)

    assert statuses == [200] * 30
    assert after - before == 30


def test_every_command_the_units_run_exists():
    """A unit naming a command that is not there fails only on the day it is started."""
    named = {
        part.split()[0]
        for unit in (ROOT / "deploy" / "systemd").glob("*.service")
        for line in unit.read_text().splitlines()
        if line.startswith("ExecStart")
        for part in line.split("manage.py ")[1:]
    }

    assert named == {"check", "check_health", "serve_metrics"}
    assert named <= set(get_commands())
