"""Backup, restore and verification (``manage.py backup`` / ``restore`` / ``verify_backup``).

A backup is one tar file: ``manifest.json`` first, then the database — a ``pg_dump`` custom
archive for PostgreSQL, a copy made with SQLite's online backup API for the embedded demo.

1. **Backup** (PostgreSQL): a read-only repeatable-read transaction exports its snapshot; the
   sequences are read, ``pg_dump --snapshot`` dumps exactly that snapshot while the manifest
   is computed in it, so archive and manifest describe the same instant.
2. **Restore**: refuses keys whose fingerprints differ from the manifest's and a database that
   is not empty (nothing is written then); loads the archive in one transaction; compares the
   result with the manifest; then moves the golden-code sequences and the event sequence
   forward by ``gap``, past anything the old hub may have issued after the backup, so no code
   is handed out twice and no consumer of the feed skips an event.
3. **Verify**: restores into a scratch database it creates and drops, and compares.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg
from django.utils import timezone

from dictionary.models import EntityChoices
from mdm.operations.backup import manifest as manifests
from mdm.operations.backup.target import POSTGRESQL, SQLITE, BackupError, Database
from mdm.operations.keys import configured_fingerprints, data_key_problem, key_mismatch
from mdm.records.codes import sequence_name

MANIFEST = "manifest.json"
DATA = {POSTGRESQL: "database.dump", SQLITE: "database.sqlite3"}
_CHUNK = 1024 * 1024


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    seconds: float


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    #: The numbers the restored hub continues after: {"codes": {entity: n}, "event_seq": n}.
    continues_after: dict[str, Any]
    seconds: float


@dataclass
class VerifyResult:
    manifest: dict[str, Any]
    differences: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.differences


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found on PATH (install the PostgreSQL client tools)")
    return path


def _run(command: list[str], database: Database, stdin: IO[bytes] | None = None) -> None:
    completed = subprocess.run(
        command, env=database.libpq_env(), stdin=stdin, capture_output=True, check=False
    )
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise BackupError(f"{Path(command[0]).name} failed: {message}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def default_output(directory: str | Path) -> Path:
    return Path(directory) / f"mdm-backup-{timezone.now():%Y%m%d-%H%M%S}.tar"


# --- backup ---


def backup(*, output: Path, source: Database | None = None) -> BackupResult:
    """Write a consistent backup of ``source`` (the hub's database) to ``output``."""
    started = time.perf_counter()
    source = source or Database.from_settings()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".mdm-backup-") as work:
        data = Path(work) / DATA[source.vendor]
        if source.vendor == POSTGRESQL:
            figures = _dump_postgresql(source, data)
        else:
            figures = _copy_sqlite(Path(source.name), data)
        document = figures | {
            "created_at": timezone.now().isoformat(),
            "keys": configured_fingerprints().as_dict(),
            "data_file": data.name,
            "data_sha256": _sha256(data),
        }
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            body = json.dumps(document, indent=2, sort_keys=True).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(body), int(time.time())
            archive.addfile(info, io.BytesIO(body))
            archive.add(data, arcname=data.name)
        partial.replace(output)  # a backup file is complete or absent
    return BackupResult(output, document, time.perf_counter() - started)


def _dump_postgresql(source: Database, data: Path) -> dict[str, Any]:
    """pg_dump and the manifest read one exported snapshot, in parallel (two processes)."""
    with source.connect() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        # Sequences are not transactional: read before the dump, they are at most what it holds.
        issued = manifests.issued_numbers(conn, POSTGRESQL)
        command = [
            _tool("pg_dump"),
            "--format=custom",
            f"--snapshot={snapshot}",
            "--no-owner",
            "--no-privileges",
            f"--file={data}",
        ]
        with subprocess.Popen(
            command, env=source.libpq_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        ) as dump:
            try:
                figures = manifests.compute(conn, POSTGRESQL, issued)
            finally:
                errors = dump.communicate()[1]
        if dump.returncode != 0:
            message = errors.decode("utf-8", "replace").strip()[-2000:]
            raise BackupError(f"pg_dump failed: {message}")
        conn.rollback()
    return figures


def _copy_sqlite(path: Path, data: Path) -> dict[str, Any]:
    """SQLite's online backup API: a consistent copy while the demo keeps serving."""
    if not path.exists():
        raise BackupError(f"no SQLite database at {path}")
    with closing(sqlite3.connect(path)) as live, closing(sqlite3.connect(data)) as copy:
        live.backup(copy)
        return manifests.compute(copy, SQLITE)


# --- reading an archive ---


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return json.loads(member.read().decode("utf-8"))
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupError(f"{path} is not a readable hub backup ({exc})") from exc


@contextmanager
def _data_stream(path: Path, document: dict[str, Any]) -> Iterator[IO[bytes]]:
    with tarfile.open(path, "r") as archive:
        stream = archive.extractfile(document["data_file"])
        if stream is None:
            raise BackupError(f"{path} holds no {document['data_file']}")
        yield stream


def _extract_checked(path: Path, document: dict[str, Any], into: Path) -> None:
    """The database file out of the archive, refused when its checksum is not the
    manifest's (a truncated or damaged file)."""
    digest = hashlib.sha256()
    with _data_stream(path, document) as stream, into.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != document["data_sha256"]:
        raise BackupError(f"{path}: the database file's checksum differs from the manifest's")


# --- restore ---


def restore(*, path: Path, gap: int, target: Database | None = None) -> RestoreResult:
    """Load the backup into ``target`` (the hub's database), which must be empty; then open
    the documented ``gap`` in the code and event sequences. Raises BackupError, having written
    nothing, for a mismatched key set, a non-empty database or a damaged archive."""
    started = time.perf_counter()
    target = target or Database.from_settings()
    document = read_manifest(path)
    if document["vendor"] != target.vendor:
        raise BackupError(f"a {document['vendor']} backup cannot go into {target.vendor}")
    mismatch = key_mismatch(document["keys"])
    if mismatch:
        raise BackupError(f"restore refused: {mismatch}")
    tables = target.table_count()
    if tables:
        raise BackupError(
            f"restore refused: database {target.name} is not empty ({tables} tables); "
            "restore into a new, empty database"
        )
    _load(path, document, target)
    with target.connect() as conn:
        restored = manifests.compute(conn, target.vendor)
        found = manifests.differences(document, restored)
        if found:
            raise BackupError(
                f"the restored database {target.name} differs from the manifest (drop it and "
                "restore another backup): " + "; ".join(found)
            )
        continues = _open_gap(conn, target.vendor, document["issued"], restored["issued"], gap)
        conn.commit()
    return RestoreResult(document, continues, time.perf_counter() - started)


def _load(path: Path, document: dict[str, Any], target: Database) -> None:
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".mdm-restore-") as work:
        data = Path(work) / document["data_file"]
        _extract_checked(path, document, data)
        if target.vendor == SQLITE:
            with (
                closing(sqlite3.connect(data)) as copy,
                closing(sqlite3.connect(target.name)) as db,
            ):
                copy.backup(db)
            return
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={target.name}",
                str(data),
            ],
            target,
        )


def _open_gap(
    conn: Any, vendor: str, issued: dict[str, Any], restored: dict[str, Any], gap: int
) -> dict[str, Any]:
    """Move every golden-code sequence and the event sequence ``gap`` numbers past the
    highest issued (the manifest's, or the archive's when a writer drew more during the dump):
    the restored hub's next code and event come after anything the old one handed out, as long
    as it issued fewer than ``gap`` after the backup."""
    codes = {
        entity: max(int(issued["codes"].get(entity, 0)), restored["codes"].get(entity, 0)) + gap
        for entity in EntityChoices.values
    }
    event_seq = max(int(issued["event_seq"]), restored["event_seq"]) + gap
    if vendor == SQLITE:
        for entity, value in codes.items():
            conn.execute(
                "INSERT INTO mdm_codecounter (entity, last_value) VALUES (?, ?) "
                "ON CONFLICT (entity) DO UPDATE SET last_value = MAX(last_value, excluded.last_value)",
                [entity, value],
            )
        updated = conn.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'mdm_event'", [event_seq]
        ).rowcount
        if not updated:
            conn.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('mdm_event', ?)", [event_seq]
            )
        return {"codes": codes, "event_seq": event_seq}
    for entity, value in codes.items():
        conn.execute("SELECT setval(%s, %s, true)", [sequence_name(entity), value])
    conn.execute("SELECT setval(pg_get_serial_sequence('mdm_event', 'seq'), %s, true)", [event_seq])
    return {"codes": codes, "event_seq": event_seq}


# --- verify ---


def verify_backup(*, path: Path, near: Database | None = None) -> VerifyResult:
    """Restore into a scratch database next to ``near`` (the hub's database), compare with
    the manifest, check that the configured keys open the restored data, and drop it."""
    started = time.perf_counter()
    near = near or Database.from_settings()
    document = read_manifest(path)
    if document["vendor"] != near.vendor:
        raise BackupError(f"a {document['vendor']} backup cannot be verified on {near.vendor}")
    scratch = near.scratch()
    result = VerifyResult(document)
    mismatch = key_mismatch(document["keys"])
    if mismatch:
        result.differences.append(f"keys: {mismatch}")
    scratch.create()
    try:
        _load(path, document, scratch)
        with scratch.connect() as conn:
            result.differences += manifests.differences(
                document, manifests.compute(conn, scratch.vendor)
            )
            if not mismatch:
                problem = data_key_problem(conn.cursor())
                if problem:
                    result.differences.append(f"keys: {problem}")
            conn.rollback()
    finally:
        scratch.drop()
    result.seconds = time.perf_counter() - started
    return result
