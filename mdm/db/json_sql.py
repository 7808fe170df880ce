"""Adding numbers to the keys of a JSON column inside the database (counters that several
writers move at once, like ``F("n") + 1`` for a JSON object)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connection
from django.db.models import Expression, JSONField
from django.db.models.expressions import RawSQL

Number = int | float


def json_add(
    column: str, increments: Mapping[str, Number], *, replace: Iterable[str] = ()
) -> Expression:
    """An expression adding numbers to keys of a JSON object column, evaluated in the database.

    ``UPDATE ... SET counts = <this>`` reads the row version it updates, like ``F("n") + 1``,
    so concurrent additions add up. Keys in ``replace`` are set instead of added to.
    """
    replace = set(replace)
    if connection.vendor == "postgresql":
        parts, params = [], []
        for key, value in increments.items():
            if key in replace:
                parts.append("%s::text, %s::numeric")
                params += [key, value]
            else:
                parts.append(f"%s::text, COALESCE(({column} ->> %s)::numeric, 0) + %s::numeric")
                params += [key, key, value]
        sql = f"COALESCE({column}, '{{}}'::jsonb) || jsonb_build_object({', '.join(parts)})"
        return RawSQL(sql, params, output_field=JSONField())
    # SQLite (the embedded default): json_set over the same keys; it serializes writers itself.
    parts, params = [], []
    for key, value in increments.items():
        path = f'$."{key}"'
        if key in replace:
            parts.append("%s, %s")
            params += [path, value]
        else:
            parts.append(f"%s, COALESCE(json_extract({column}, %s), 0) + %s")
            params += [path, path, value]
    sql = f"json_set(COALESCE({column}, '{{}}'), {', '.join(parts)})"
    return RawSQL(sql, params, output_field=JSONField())
