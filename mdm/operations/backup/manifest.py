"""The manifest of a backup: what a restore of it must give back.

Row counts of every table, a SHA-256 of each entity's golden codes and of the crosswalk
(system, entity, local code, golden code of every active source record, sorted by byte
order), the applied migrations, the fingerprints (never the values) of the keys, the highest
golden-code number issued per entity and the highest event sequence number. It is computed
from a DB-API connection, so the same code reads the live database, a scratch restore and an
SQLite copy.
"""

from __future__ import annotations

import hashlib
from typing import Any

from dictionary.models import EntityChoices
from mdm.models import GOLDEN_MODELS
from mdm.operations.backup.target import POSTGRESQL, SQLITE
from mdm.records.codes import sequence_name

FORMAT = 1
_FETCH = 10_000


def _tables(conn: Any, vendor: str) -> list[str]:
    if vendor == SQLITE:
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    return [row[0] for row in conn.execute(sql).fetchall()]


def _sorted(vendor: str, *columns: str) -> str:
    """ORDER BY in byte order on both databases (PostgreSQL's "C" collation; SQLite's
    default BINARY), so a checksum does not depend on the server's locale."""
    collate = ' COLLATE "C"' if vendor == POSTGRESQL else ""
    return ", ".join(f"{column}{collate}" for column in columns)


def _digest(conn: Any, vendor: str, sql: str) -> str:
    """SHA-256 over the rows of ``sql``: fields joined by 0x1F, each row ended by a newline."""
    digest = hashlib.sha256()
    # PostgreSQL: a server-side cursor, so a million rows stream.
    cursor = conn.cursor(name="mdm_manifest") if vendor == POSTGRESQL else conn.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(_FETCH):
            for row in rows:
                digest.update("\x1f".join("" if v is None else str(v) for v in row).encode())
                digest.update(b"\n")
    finally:
        cursor.close()
    return digest.hexdigest()


def issued_numbers(conn: Any, vendor: str) -> dict[str, Any]:
    """The highest golden-code number handed out per entity, and the highest event seq, as
    ``{"codes": {entity: n}, "event_seq": n}``."""
    codes, event_seq = _issued(conn, vendor)
    return {"codes": codes, "event_seq": event_seq}


def _issued(conn: Any, vendor: str) -> tuple[dict[str, int], int]:
    codes: dict[str, int] = {}
    if vendor == SQLITE:
        rows = conn.execute("SELECT entity, last_value FROM mdm_codecounter").fetchall()
        codes = {entity: int(value) for entity, value in rows}
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'mdm_event'").fetchone()
        event = int(row[0]) if row else 0
        return {entity: codes.get(entity, 0) for entity in EntityChoices.values}, event
    for entity in EntityChoices.values:
        codes[entity] = _sequence_issued(conn, sequence_name(entity))
    name = conn.execute("SELECT pg_get_serial_sequence('mdm_event', 'seq')").fetchone()[0]
    return codes, _sequence_issued(conn, name)


def _sequence_issued(conn: Any, name: str) -> int:
    """The last number a sequence handed out (0 before its first ``nextval``)."""
    last_value, is_called = conn.execute(f"SELECT last_value, is_called FROM {name}").fetchone()
    return int(last_value) if is_called else int(last_value) - 1


def compute(conn: Any, vendor: str, issued: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest's figures read from ``conn`` (keys and times are added by the caller);
    ``issued``: the numbers when the caller read them already (see ``issued_numbers``)."""
    issued = issued or issued_numbers(conn, vendor)
    tables = _tables(conn, vendor)
    counts = {
        table: int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
        for table in tables
    }
    golden = {
        entity: _digest(
            conn,
            vendor,
            f"SELECT code FROM {model._meta.db_table} ORDER BY {_sorted(vendor, 'code')}",
        )
        for entity, model in sorted(GOLDEN_MODELS.items())
    }
    crosswalk = _digest(
        conn,
        vendor,
        "SELECT s.code, r.entity, r.local_code, r.golden_code FROM mdm_sourcerecord r "
        "JOIN mdm_sourcesystem s ON s.id = r.system_id WHERE r.is_active "
        f"ORDER BY {_sorted(vendor, 's.code', 'r.entity', 'r.local_code')}",
    )
    migrations = [
        [app, name]
        for app, name in conn.execute(
            f"SELECT app, name FROM django_migrations ORDER BY {_sorted(vendor, 'app', 'name')}"
        ).fetchall()
    ]
    return {
        "format": FORMAT,
        "vendor": vendor,
        "tables": counts,
        "checksums": {"golden_codes": golden, "crosswalk": crosswalk},
        "migrations": migrations,
        "issued": issued,
    }


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What a restore gave back that the manifest did not record, one line each.

    The sequences are compared as "at least": the manifest reads them before the dump starts,
    and a writer may draw numbers while it runs (never fewer)."""
    found: list[str] = []
    expected_tables, actual_tables = expected["tables"], actual["tables"]
    for table in sorted(set(expected_tables) | set(actual_tables)):
        want, got = expected_tables.get(table), actual_tables.get(table)
        if want != got:
            found.append(f"table {table}: {want} rows in the manifest, {got} restored")
    for entity, want in sorted(expected["checksums"]["golden_codes"].items()):
        if actual["checksums"]["golden_codes"].get(entity) != want:
            found.append(f"golden codes of {entity}: checksum differs")
    if actual["checksums"]["crosswalk"] != expected["checksums"]["crosswalk"]:
        found.append("crosswalk: checksum differs")
    if actual["migrations"] != expected["migrations"]:
        found.append("applied migrations differ")
    for entity, want in sorted(expected["issued"]["codes"].items()):
        got = actual["issued"]["codes"].get(entity, 0)
        if got < want:
            found.append(f"code sequence of {entity}: {got} restored, {want} issued")
    if actual["issued"]["event_seq"] < expected["issued"]["event_seq"]:
        found.append(
            f"event sequence: {actual['issued']['event_seq']} restored, "
            f"{expected['issued']['event_seq']} issued"
        )
    return found
