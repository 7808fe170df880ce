"""Backups proven by restoring them: PostgreSQL into fresh databases made here, SQLite through
the commands, with the keys checked, the sequences moved past a gap and damage detected."""

from __future__ import annotations

import io
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

import mdm.tasks  # noqa: F401 - registers the tasks with the app
from mdm.celery import app
from mdm.jobs import schedule
from mdm.models import Customer, Event, JobRun, SourceRecord
from mdm.operations.backup import BackupError, Database, backup, restore, verify_backup
from mdm.operations.keys import configured_fingerprints, data_key_problem, fingerprint
from mdm.operations.nightly import run_nightly_backup
from mdm.privacy import crypto

ZHANG_ID = "11010519491231002X"
PERSON = {"name": "张三", "customer_type": "person", "id_number": ZHANG_ID}
COMPANY = {"name": "北京华信科技有限公司", "customer_type": "org"}
ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def hub(restore_after_flush, transactional_db, erp, crm):
    """Committed data (pg_dump reads it from another process): a person with an encrypted
    resident ID, a company in two systems, and their events."""
    person = erp.put("customers", "P-1", PERSON).json()["golden_code"]
    erp.put("customers", "C-1", COMPANY)
    crm.put("customers", "K-9", COMPANY)
    return {"person": person}


@pytest.fixture
def fresh_database(transactional_db):
    database = Database.from_settings().named(f"{connection.settings_dict['NAME']}_fresh")
    database.drop()
    database.create()
    yield database
    database.drop()


def issued(entity: str) -> int:
    """The last code number the test database's sequence handed out (0: none yet)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM mdm_code_seq_{entity}"
        )
        return cursor.fetchone()[0]


def test_backup_restores_into_a_fresh_database_and_verifies(hub, fresh_database, tmp_path):
    codes = {entity: issued(entity) for entity in ("customers", "materials", "products")}
    last_seq = Event.objects.order_by("-seq").first().seq

    made = backup(output=tmp_path / "hub.tar")
    restored = restore(path=made.path, gap=1000, target=fresh_database)
    checked = verify_backup(path=made.path)

    manifest = made.manifest
    assert manifest["tables"]["mdm_customer"] == Customer.objects.count() == 2
    assert manifest["tables"]["mdm_sourcerecord"] == SourceRecord.objects.count() == 3
    assert manifest["issued"] == {"codes": codes, "event_seq": last_seq}
    assert manifest["keys"] == configured_fingerprints().as_dict()
    archive = made.path.read_bytes()
    for key in [*settings.MDM_ENCRYPTION_KEYS, settings.MDM_BLIND_INDEX_KEY]:
        assert key.encode() not in archive
        assert fingerprint(key).encode() in archive
    assert restored.continues_after == {
        "codes": {entity: number + 1000 for entity, number in codes.items()},
        "event_seq": last_seq + 1000,
    }
    with fresh_database.connect() as conn:
        (stored,) = conn.execute(
            "SELECT id_number FROM mdm_customer WHERE code = %s", [hub["person"]]
        ).fetchone()
        next_code = conn.execute("SELECT nextval('mdm_code_seq_customers')").fetchone()[0]
        next_seq = conn.execute(
            "SELECT nextval(pg_get_serial_sequence('mdm_event', 'seq'))"
        ).fetchone()[0]
        problem = data_key_problem(conn.cursor())
    assert stored.startswith("enc:v1:") and crypto.decrypt(stored) == ZHANG_ID
    assert next_code == codes["customers"] + 1001
    assert next_seq == last_seq + 1001
    assert problem is None
    assert checked.ok and checked.differences == []


def test_restore_refuses_other_keys_and_writes_nothing(hub, fresh_database, tmp_path):
    made = backup(output=tmp_path / "hub.tar")
    current = fingerprint(settings.MDM_ENCRYPTION_KEYS[0])

    with override_settings(MDM_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        with pytest.raises(BackupError) as encryption:
            restore(path=made.path, gap=10, target=fresh_database)
        unverified = verify_backup(path=made.path)
    with (
        override_settings(MDM_BLIND_INDEX_KEY=secrets.token_hex(32)),
        pytest.raises(BackupError) as index,
    ):
        restore(path=made.path, gap=10, target=fresh_database)

    assert str(encryption.value) == (
        "restore refused: MDM_ENCRYPTION_KEYS lacks 1 key(s) the data was written with "
        f"(fingerprints {current})"
    )
    assert str(index.value).startswith("restore refused: MDM_BLIND_INDEX_KEY differs")
    assert fresh_database.table_count() == 0
    assert unverified.differences == [f"keys: {encryption.value}".replace("restore refused: ", "")]


def test_restore_refuses_a_database_that_is_not_empty(hub, tmp_path):
    made = backup(output=tmp_path / "hub.tar")
    tables = Database.from_settings().table_count()

    with pytest.raises(BackupError) as refused:
        restore(path=made.path, gap=10)

    assert str(refused.value) == (
        f"restore refused: database {connection.settings_dict['NAME']} is not empty "
        f"({tables} tables); restore into a new, empty database"
    )
    assert Customer.objects.count() == 2
    assert issued("customers") == made.manifest["issued"]["codes"]["customers"]


def rewrite_manifest(path: Path, change) -> None:
    """The archive with its manifest edited (as a damaged or tampered backup would be)."""
    with tarfile.open(path) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
        data = archive.extractfile(manifest["data_file"]).read()
    change(manifest)
    with tarfile.open(path, "w") as archive:
        for name, body in (
            ("manifest.json", json.dumps(manifest).encode()),
            (manifest["data_file"], data),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))


def test_verify_reports_every_difference_and_the_command_fails(hub, tmp_path, capsys):
    made = backup(output=tmp_path / "hub.tar")
    rows = made.manifest["tables"]["mdm_customer"]

    def change(manifest):
        manifest["tables"]["mdm_customer"] += 1
        manifest["checksums"]["crosswalk"] = "0" * 64

    rewrite_manifest(made.path, change)
    with pytest.raises(CommandError) as failed:
        call_command("verify_backup", str(made.path))

    assert capsys.readouterr().err.splitlines() == [
        f"table mdm_customer: {rows + 1} rows in the manifest, {rows} restored",
        "crosswalk: checksum differs",
    ]
    assert str(failed.value) == f"{made.path}: 2 difference(s)"


def test_a_damaged_database_file_is_refused(hub, fresh_database, tmp_path):
    made = backup(output=tmp_path / "hub.tar")
    rewrite_manifest(made.path, lambda manifest: manifest.update(data_sha256="0" * 64))

    with pytest.raises(BackupError) as refused:
        restore(path=made.path, gap=10, target=fresh_database)

    assert str(refused.value) == (
        f"{made.path}: the database file's checksum differs from the manifest's"
    )
    assert fresh_database.table_count() == 0


def test_the_verify_command_passes_on_a_good_backup(hub, tmp_path, capsys):
    call_command("backup", "--output", str(tmp_path / "hub.tar"))
    call_command("verify_backup", str(tmp_path / "hub.tar"))

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"backup written: {tmp_path / 'hub.tar'} (")
    assert out[1].startswith(f"{tmp_path / 'hub.tar'}: verified (")


def test_the_nightly_backup_verifies_then_keeps_the_newest(hub, tmp_path):
    for stamp in ("20250101-010000", "20250102-010000", "20250103-010000"):
        (tmp_path / f"mdm-backup-{stamp}.tar").write_bytes(b"older backup")
    (tmp_path / "notes.txt").write_text("not a backup")

    run = run_nightly_backup(directory=tmp_path, keep=2)

    kept = sorted(path.name for path in tmp_path.iterdir())
    assert run.kind == "backup" and run.status == "succeeded"
    assert run.counts["deleted"] == 2
    assert len(kept) == 3 and kept[0] == "mdm-backup-20250103-010000.tar"
    assert kept[1].startswith("mdm-backup-2") and kept[2] == "notes.txt"
    assert JobRun.objects.filter(kind="backup").count() == 1


def test_sqlite_backup_restore_and_verify_through_the_commands(tmp_path):
    """The embedded demo's database, copied with SQLite's online backup API."""
    live, restored = tmp_path / "hub.sqlite3", tmp_path / "restored.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"DJANGO_SETTINGS_MODULE": "mdm.settings", "DATABASE_URL": f"sqlite:///{live}"}

    def run(*args: str, database: Path = live, code: str | None = None):
        command = [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args]
        return subprocess.run(
            command,
            cwd=ROOT,
            env=env | {"DATABASE_URL": f"sqlite:///{database}"},
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert run("migrate", "-v0").returncode == 0
    assert run("load_dictionary").returncode == 0
    write = (
        "import django; django.setup()\n"
        "from mdm.access.accounts import create_source_system\n"
        "from mdm.intake.upsert import upsert_source_record\n"
        "system, _ = create_source_system(code='ERP', name='ERP')\n"
        f"print(upsert_source_record(system=system, entity='customers', local_code='P-1', "
        f"payload={PERSON!r}).golden_code)\n"
    )
    person = run(code=write).stdout.strip()
    with sqlite3.connect(live) as db:
        codes = db.execute(
            "SELECT last_value FROM mdm_codecounter WHERE entity = 'customers'"
        ).fetchone()[0]
        last_seq = db.execute("SELECT MAX(seq) FROM mdm_event").fetchone()[0]

    made = run("backup", "--output", str(tmp_path / "demo.tar"))
    loaded = run("restore", str(tmp_path / "demo.tar"), "--gap", "100", database=restored)
    again = run("restore", str(tmp_path / "demo.tar"), database=restored)
    verified = run("verify_backup", str(tmp_path / "demo.tar"))

    assert made.returncode == 0, made.stderr
    assert loaded.returncode == 0, loaded.stderr
    assert (
        f"Codes continue: customers after {codes + 100}, materials after 100, products after "
        f"100; events after seq {last_seq + 100}." in loaded.stdout
    )
    assert again.returncode == 1 and "is not empty" in again.stderr
    assert verified.returncode == 0, verified.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "demo.tar",
        "hub.sqlite3",
        "restored.sqlite3",
    ]
    with sqlite3.connect(restored) as db:
        (stored,) = db.execute(
            "SELECT id_number FROM mdm_customer WHERE code = ?", [person]
        ).fetchone()
        counters = dict(db.execute("SELECT entity, last_value FROM mdm_codecounter").fetchall())
        sequence = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'mdm_event'").fetchone()
    assert crypto.decrypt(stored) == ZHANG_ID
    assert counters == {"customers": codes + 100, "materials": 100, "products": 100}
    assert sequence == (last_seq + 100,)


def test_the_nightly_backup_is_off_unless_scheduled(monkeypatch):
    monkeypatch.setenv("MDM_BACKUP_AT", "02:30")
    entry = schedule.backup_schedule(schedule.daily_at("MDM_BACKUP_AT", "off"))

    assert "nightly-backup" not in settings.CELERY_BEAT_SCHEDULE
    assert entry == {
        "nightly-backup": {
            "task": "mdm.tasks.nightly_backup_task",
            "schedule": crontab(hour=2, minute=30),
        }
    }
    assert "mdm.tasks.nightly_backup_task" in app.tasks
