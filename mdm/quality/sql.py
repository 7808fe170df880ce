"""The few SQL spellings that differ between PostgreSQL and SQLite, for the set-based queries.

The quality metrics and the issue reconciliation are single SQL statements over the source
records' JSON columns. PostgreSQL (production, tests, benchmark) and SQLite (the embedded demo)
agree on everything they need except how JSON is taken apart and how lists and ordered
concatenations are written; those spellings live here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection

#: Memory per sort / hash of the report's full scans (settings.QUALITY_WORK_MEM overrides).
DEFAULT_WORK_MEM = "256MB"


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def json_items(column: str, alias: str) -> str:
    """A FROM item with one row (``alias.key``, ``alias.value`` as text) per key of an object."""
    if is_postgresql():
        return f"jsonb_each_text({column}) AS {alias}"
    return f"json_each({column}) AS {alias}"


def json_array_items(column: str, alias: str) -> str:
    """A FROM item with one row (``alias.value`` as text) per element of an array."""
    if is_postgresql():
        return f"jsonb_array_elements_text({column}) AS {alias}(value)"
    return f"json_each({column}) AS {alias}"


def json_array_contains(column: str, value_sql: str) -> str:
    """Whether the JSON array ``column`` holds the text ``value_sql`` (an SQL expression)."""
    if is_postgresql():
        return f"({column} ? {value_sql})"
    return f"EXISTS (SELECT 1 FROM json_each({column}) AS fl WHERE fl.value = {value_sql})"


def json_array_objects(column: str, alias: str) -> str:
    """A FROM item with one row per element of an array of objects (``alias.value``)."""
    if is_postgresql():
        return f"jsonb_array_elements({column}) AS {alias}(value)"
    return f"json_each({column}) AS {alias}"


def json_text(column: str, key_sql: str) -> str:
    """The text of ``column[key]``, NULL when absent; ``key_sql`` is an SQL expression."""
    if is_postgresql():
        return f"({column} ->> {key_sql})"
    return f"CAST(json_extract({column}, '$.\"' || {key_sql} || '\"') AS TEXT)"


def ordered_concat(expression: str, separator: str) -> str:
    """Aggregate: the values joined in their sort order (``separator`` is a literal)."""
    if is_postgresql():
        return f"string_agg({expression}, '{separator}' ORDER BY {expression})"
    # SQLite < 3.44 has no ORDER BY inside aggregates; callers feed it a sorted subquery.
    return f"group_concat({expression}, '{separator}')"


def in_list(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """``column IN values`` as SQL and parameters; an empty list matches nothing."""
    values = list(values)
    if not values:
        return "1 = 0", []
    if is_postgresql():
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def values_table(
    name: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    types: Sequence[str] | None = None,
) -> tuple:
    """A CTE ``name(columns) AS (VALUES ...)``; one all-NULL row that matches nothing if empty.

    ``types`` (SQL types, one per column) type that NULL row: PostgreSQL takes an untyped NULL
    for text, and ``required = 1`` on a text column is an error (a hub with no dictionary).
    """
    if not rows:
        rows = [[None] * len(columns)]
        if types:
            cells = ", ".join(f"CAST(%s AS {t})" for t in types)
            return f"{name}({', '.join(columns)}) AS (VALUES ({cells}))", list(rows[0])
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = f"{name}({', '.join(columns)}) AS (VALUES {', '.join([row_sql] * len(rows))})"
    return sql, [value for row in rows for value in row]


def adapt_datetime(value):
    """A datetime as the backend stores it (SQLite: naive UTC text), for raw SQL parameters."""
    return connection.ops.adapt_datetimefield_value(value)


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def tune_for_full_scans() -> None:
    """Settings for the report's full-table statements, for the current transaction only.

    PostgreSQL's default ``work_mem`` (4 MB) sends the sorts of millions of (golden record,
    element, value) rows to disk; JIT compilation costs more than it saves on these
    statements; an incremental sort chosen on a bad row estimate turns a 60-group aggregate
    of millions of rows into a disk sort. ``SET LOCAL`` ends with the transaction, so nothing leaks to other work on the
    connection. Outside a transaction (autocommit) it would not last: then nothing is changed.
    """
    if not is_postgresql() or not connection.in_atomic_block:
        return
    work_mem = getattr(settings, "QUALITY_WORK_MEM", DEFAULT_WORK_MEM)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true), "
            "set_config('enable_incremental_sort', 'off', true)",
            [work_mem],
        )
