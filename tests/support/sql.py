"""Raw SQL reads: what someone holding only the database would see."""

from __future__ import annotations

from django.db import connection


def rows(sql: str, params=()) -> list[tuple]:
    """Raw rows, as someone holding only the database would read them."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def table_text(table: str) -> str:
    """Every column of every row of ``table`` as one text (row_to_json)."""
    return "\n".join(r[0] for r in rows(f"SELECT row_to_json(t)::text FROM {table} t"))  # noqa: S608
