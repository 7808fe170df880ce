"""Whether the hub's work may be split over forked processes here."""

from __future__ import annotations

from django.db import connection


def can_fork() -> bool:
    """Children see only committed rows: inside a transaction (a test, a caller's atomic block)
    the work stays in this process; so it does on other databases than PostgreSQL."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block
