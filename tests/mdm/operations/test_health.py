"""/healthz and /readyz as a load balancer and a supervisor see them, each failing check named."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client, override_settings

from dictionary.models import ElementBinding, EntityType

pytestmark = pytest.mark.django_db

PERSON = {"name": "张三", "customer_type": "person", "id_number": "11010519491231002X"}
WORKER = "celery -A mdm worker --pool solo --without-gossip --without-mingle -l WARNING"
READINESS_CHECKS = ["database", "migrations", "dictionary", "matching", "broker", "keys"]


def failing(body: dict) -> list[str]:
    return [name for name, check in body["checks"].items() if not check["ok"]]


def test_healthz_answers_anyone_without_a_token():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"process": {"ok": True, "detail": "alive"}},
    }
    assert "no-cache" in response["Cache-Control"]


def test_readyz_passes_every_check_on_a_loaded_hub():
    response = Client().get("/readyz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert list(body["checks"]) == READINESS_CHECKS
    assert failing(body) == []
    assert body["checks"]["broker"]["detail"] == "no broker configured (tasks run in process)"


def test_readyz_names_an_unreachable_broker():
    with override_settings(CELERY_BROKER_URL="redis://:secret@127.0.0.1:1/0"):
        started = time.perf_counter()
        response = Client().get("/readyz")
        seconds = time.perf_counter() - started

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert failing(body) == ["broker"]
    detail = body["checks"]["broker"]["detail"]
    assert detail.startswith("broker unreachable at redis://127.0.0.1:1/0 (")
    assert "secret" not in detail
    assert seconds < settings.MDM_HEALTH_BROKER_TIMEOUT * 3


def test_readyz_names_an_unapplied_migration():
    leaf = max(name for app, name in MigrationLoader(None).graph.leaf_nodes() if app == "mdm")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'mdm' AND name = %s", [leaf])

    response = Client().get("/readyz")

    body = response.json()
    assert response.status_code == 503
    assert failing(body) == ["migrations"]
    assert body["checks"]["migrations"]["detail"] == f"1 unapplied migration(s): mdm.{leaf}"


def test_readyz_remembers_applied_migrations_but_not_the_dictionary():
    assert Client().get("/readyz").status_code == 200
    ElementBinding.objects.filter(entity="materials").delete()
    EntityType.objects.filter(code="materials").delete()

    response = Client().get("/readyz")

    body = response.json()
    assert response.status_code == 503
    assert failing(body) == ["dictionary"]
    assert body["checks"]["dictionary"]["detail"] == (
        "data dictionary not loaded (missing entities: materials); run manage.py load_dictionary"
    )
    assert body["checks"]["migrations"]["detail"] == "passed earlier in this process"


def test_readyz_refuses_keys_that_cannot_decrypt_the_data(erp):
    erp.put("customers", "P-1", PERSON)

    with override_settings(MDM_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        response = Client().get("/readyz")

    body = response.json()
    assert response.status_code == 503
    assert failing(body) == ["keys"]
    assert body["checks"]["keys"]["detail"].startswith(
        "MDM_ENCRYPTION_KEYS cannot decrypt the stored data"
    )


def test_readyz_refuses_a_blind_index_key_that_does_not_match_the_data(erp):
    erp.put("customers", "P-1", PERSON)

    with override_settings(MDM_BLIND_INDEX_KEY="another-key"):
        response = Client().get("/readyz")

    body = response.json()
    assert response.status_code == 503
    assert failing(body) == ["keys"]
    assert body["checks"]["keys"]["detail"].startswith(
        "MDM_BLIND_INDEX_KEY does not match the stored blind indexes"
    )


def test_readyz_accepts_an_added_key_while_the_old_one_stays(erp):
    erp.put("customers", "P-1", PERSON)
    keys = [Fernet.generate_key().decode(), *settings.MDM_ENCRYPTION_KEYS]

    with override_settings(MDM_ENCRYPTION_KEYS=keys):
        response = Client().get("/readyz")

    assert response.status_code == 200


def test_probes_are_not_throttled_and_refuse_writes():
    statuses = {Client().get("/healthz").status_code for _ in range(70)}  # anon limit: 60/min

    assert statuses == {200}
    assert Client().post("/readyz").status_code == 405


def test_check_health_command_runs_the_readiness_checks(capsys):
    call_command("check_health")

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == READINESS_CHECKS
    assert all(": ok " in line for line in lines)


def test_check_health_worker_fails_without_a_broker(capsys):
    with pytest.raises(CommandError) as raised:
        call_command("check_health", "--worker")

    assert str(raised.value) == "failing: worker"
    assert capsys.readouterr().err.strip() == (
        "worker: FAIL no CELERY_BROKER_URL: there is no worker to ping"
    )


def test_check_health_beat_reads_the_age_of_the_schedule_file(tmp_path, capsys):
    schedule = tmp_path / "celerybeat-schedule"
    schedule.with_name("celerybeat-schedule.db").write_bytes(b"x")

    call_command("check_health", "--beat", "--schedule-file", str(schedule), "--max-age", "60")
    old = time.time() - 120
    os.utime(schedule.with_name("celerybeat-schedule.db"), (old, old))
    with pytest.raises(CommandError):
        call_command("check_health", "--beat", "--schedule-file", str(schedule), "--max-age", "60")

    out = capsys.readouterr()
    assert out.out.startswith("beat: ok schedule file written 0 s ago")
    assert out.err.startswith("beat: FAIL schedule file not written for 120 s (> 60 s)")


def test_check_health_worker_pings_a_running_worker(tmp_path):
    broker = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
    name = f"ops-health-{uuid.uuid4().hex[:8]}@localhost"
    env = {**os.environ, "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": ""}
    root = Path(settings.BASE_DIR)
    worker = subprocess.Popen(
        [sys.executable, "-m", *WORKER.split(), "-n", name, "-Q", f"ops-{uuid.uuid4().hex[:8]}"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def check(*extra: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "manage.py", "check_health", "--worker", "--timeout", "1", *extra],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )

        deadline = time.monotonic() + 40
        found = check("--hostname", name)
        while found.returncode != 0 and time.monotonic() < deadline:
            time.sleep(1)
            found = check("--hostname", name)
        missing = check("--hostname", "nobody@nowhere")
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == f"worker: ok answered: {name}"
    assert missing.returncode == 1
    assert "worker: FAIL no answer from nobody@nowhere within 1 s" in missing.stderr
