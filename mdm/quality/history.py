"""History rows for set-based writes, written set-based too.

``queryset.update()`` and ``INSERT ... SELECT`` write no django-simple-history rows, and
``bulk_update_with_history`` needs the rows in Python. The issue reconciliation changes
thousands of rows in one statement, so it copies the changed rows into the historical table
with one ``INSERT ... SELECT`` per batch of ids, exactly as simple-history would have.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, models
from simple_history.utils import get_history_model_for_model

from mdm.quality.sql import adapt_datetime, in_list, is_postgresql, table

#: SQLite limits the number of parameters per statement.
_SQLITE_BATCH = 500


def insert_history_rows(
    model: type[models.Model],
    ids: Sequence[int],
    *,
    history_type: str,
    history_date: dt.datetime,
    user_id: int | None = None,
    reason: str = "",
) -> int:
    """Copy the rows ``ids`` of ``model`` into its historical table; returns the rows written.

    ``history_type`` is simple-history's ``+`` (created), ``~`` (changed) or ``-`` (deleted).
    """
    if not ids:
        return 0
    historical = get_history_model_for_model(model)
    base_columns = {f.column for f in model._meta.concrete_fields}
    specials = {
        "history_date": adapt_datetime(history_date),
        "history_change_reason": reason,
        "history_type": history_type,
        historical._meta.get_field("history_user").column: user_id,
    }
    columns, expressions, special_params = [], [], []
    for field in historical._meta.concrete_fields:
        if field.primary_key:
            continue  # history_id: the historical table's own sequence
        columns.append(connection.ops.quote_name(field.column))
        if field.column in specials:
            expressions.append("%s")
            special_params.append(specials[field.column])
        elif field.column in base_columns:
            expressions.append("t." + connection.ops.quote_name(field.column))
        else:
            raise ValueError(f"no value for historical column {field.column}")
    written = 0
    batches = [ids] if is_postgresql() else _chunks(ids, _SQLITE_BATCH)
    with connection.cursor() as cursor:
        for batch in batches:
            where, where_params = in_list("t.id", batch)
            cursor.execute(
                f"INSERT INTO {table(historical)} ({', '.join(columns)}) "  # noqa: S608
                f"SELECT {', '.join(expressions)} FROM {table(model)} AS t WHERE {where}",
                [*special_params, *where_params],
            )
            written += cursor.rowcount
    return written


def _chunks(values: Sequence[int], size: int) -> list[Sequence[int]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
