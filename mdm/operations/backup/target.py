"""A database a backup is taken from or restored into, outside Django's connection handling.

Backup and restore run ``pg_dump``/``pg_restore`` and talk to databases Django is not
configured for (a scratch database, a fresh one), so they hold their own DB-API connections.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings

POSTGRESQL = "postgresql"
SQLITE = "sqlite"


class BackupError(Exception):
    """A backup, restore or verification that cannot go on; the message says why."""


@dataclass(frozen=True)
class Database:
    """Where a database is: its vendor and, for PostgreSQL, how to reach it."""

    vendor: str
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(cls, alias: str = "default") -> Database:
        config = settings.DATABASES[alias]
        engine = config["ENGINE"]
        if engine.endswith("postgresql"):
            return cls(
                POSTGRESQL,
                str(config["NAME"]),
                str(config.get("HOST") or ""),
                str(config.get("PORT") or ""),
                str(config.get("USER") or ""),
                str(config.get("PASSWORD") or ""),
            )
        if engine.endswith("sqlite3"):
            return cls(SQLITE, str(config["NAME"]))
        raise BackupError(f"backups support PostgreSQL and SQLite, not {engine}")

    def named(self, name: str) -> Database:
        return replace(self, name=name)

    def scratch(self) -> Database:
        """A database of the same server (PostgreSQL) or directory (SQLite) that does not
        exist yet."""
        suffix = secrets.token_hex(4)
        if self.vendor == SQLITE:
            path = Path(self.name)
            return self.named(str(path.with_name(f"{path.stem}_verify_{suffix}{path.suffix}")))
        return self.named(f"{self.name[:40]}_verify_{suffix}")

    def libpq_env(self) -> dict[str, str]:
        """The environment for pg_dump/pg_restore (the password never on a command line)."""
        values = {
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.name,
        }
        return os.environ | {key: value for key, value in values.items() if value}

    @contextmanager
    def connect(self, *, autocommit: bool = False) -> Iterator[Any]:
        if self.vendor == SQLITE:
            with closing(sqlite3.connect(self.name)) as conn:
                yield conn
            return
        params: dict[str, Any] = {
            "dbname": self.name,
            "host": self.host or None,
            "port": self.port or None,
            "user": self.user or None,
            "password": self.password or None,
        }
        with psycopg.connect(
            **{k: v for k, v in params.items() if v}, autocommit=autocommit
        ) as conn:
            yield conn

    def create(self) -> None:
        if self.vendor == SQLITE:
            return
        with self.named("postgres").connect(autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{_identifier(self.name)}"')

    def drop(self) -> None:
        if self.vendor == SQLITE:
            Path(self.name).unlink(missing_ok=True)
            return
        with self.named("postgres").connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{_identifier(self.name)}" WITH (FORCE)')

    def table_count(self) -> int:
        """Tables in the database (0: empty, a restore may go in)."""
        if self.vendor == SQLITE:
            if not Path(self.name).exists():
                return 0
            with self.connect() as conn:
                row = conn.execute(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                ).fetchone()
                return int(row[0])
        with self.connect() as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname NOT IN "
                "('pg_catalog', 'information_schema')"
            ).fetchone()
            return int(row[0])


def _identifier(name: str) -> str:
    if not name or '"' in name or "\x00" in name:
        raise BackupError(f"not a usable database name: {name!r}")
    return name
