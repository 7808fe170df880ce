"""Set-based updates that write their history rows, for the large batches of the match.

Django's ``bulk_update`` builds one ``CASE WHEN pk = … THEN …`` per field and row, and that
building grows faster than the batch (a merge of 15,000 golden records spent most of its time
there); simple_history then builds one historical object per row. On PostgreSQL a batch is
instead one statement: ``UPDATE … FROM unnest(%b::bigint[], …)`` whose returned rows are
inserted into the history table, in the order given. The rows written are the same as
``bulk_update_with_history`` writes: one history row per updated row, with its user, change
reason, type ``~`` and date. Other databases (SQLite, the embedded default) take
``bulk_update_with_history`` itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_update_with_history, get_history_model_for_model

#: Tables whose planner statistics this process has already checked.
_CHECKED_TABLES: set[str] = set()

#: The columns simple_history adds to a historical model besides the tracked ones.
HISTORY_COLUMNS = ("history_id", "history_date", "history_change_reason", "history_type")


def ensure_statistics(*tables: type[models.Model]) -> None:
    """ANALYZE the tables of these models that have no planner statistics yet (PostgreSQL).

    A table filled by COPY or bulk inserts has none until autovacuum gets to it (never, where
    autovacuum is off). Without them the planner guesses that ``golden_code IN (…300 codes…)``
    matches most of ``mdm_sourcerecord`` and reads the whole table, twice per merge batch:
    minutes at a million records instead of milliseconds. Checked once per process and table;
    ANALYZE only samples the table and blocks no reader or writer.
    """
    if connection.vendor != "postgresql":
        return
    names = [m._meta.db_table for m in tables if m._meta.db_table not in _CHECKED_TABLES]
    if not names:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = ANY(SELECT to_regclass(t) FROM unnest(%s::text[]) AS t) "
            "AND NOT EXISTS (SELECT 1 FROM pg_stats s "
            "WHERE s.schemaname = n.nspname AND s.tablename = c.relname)",
            [names],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
    _CHECKED_TABLES.update(names)


def update_objects_with_history(
    objs: Sequence[models.Model],
    model: type[models.Model],
    fields: Sequence[str],
    *,
    user: Any = None,
    reason: str = "",
) -> int:
    """``bulk_update_with_history(objs, model, fields, default_user=user, …)``, set-based.

    An object's own ``_history_user``, ``_change_reason`` or ``_history_date`` wins over the
    defaults, as in simple_history. Returns the number of rows updated.
    """
    if not objs:
        return 0
    if not fields or not _set_based(model):
        updated: int = bulk_update_with_history(
            objs, model, list(fields), default_user=user, default_change_reason=reason
        )
        return updated
    concrete = [concrete_field(model, name) for name in fields]
    columns = {f.name: [getattr(obj, f.attname) for obj in objs] for f in concrete}
    default_user = _default_user(model, user)
    now = timezone.now()
    meta = (
        [_user_id(getattr(obj, "_history_user", default_user)) for obj in objs],
        [getattr(obj, "_change_reason", None) or reason for obj in objs],
        [getattr(obj, "_history_date", None) or now for obj in objs],
    )
    return _update(model, [obj.pk for obj in objs], columns, meta)


def update_rows_with_history(
    model: type[models.Model],
    pks: Sequence[int],
    columns: Mapping[str, Sequence[Any]],
    *,
    user: Any = None,
    reason: str = "",
) -> int:
    """Set ``columns[field][i]`` on the row ``pks[i]``, with one history row each (in order).

    For callers that hold primary keys and new values, not model instances: on PostgreSQL no
    instance is built at all. The rows should be locked by the caller.
    """
    if not pks:
        return 0
    if not columns or not _set_based(model):
        by_pk = model._default_manager.in_bulk(list(pks))
        objs = [by_pk[pk] for pk in pks]
        for name, values in columns.items():
            attname = concrete_field(model, name).attname
            for obj, value in zip(objs, values, strict=True):
                setattr(obj, attname, value)
        updated: int = bulk_update_with_history(
            objs, model, list(columns), default_user=user, default_change_reason=reason
        )
        return updated
    n = len(pks)
    default_user = _user_id(_default_user(model, user))
    meta = ([default_user] * n, [reason] * n, [timezone.now()] * n)
    return _update(model, pks, columns, meta)


def _set_based(model: type[models.Model]) -> bool:
    return connection.vendor == "postgresql" and history_plan(model) is not None


def _default_user(model: type[models.Model], user: Any) -> Any:
    # As simple_history: the given user, else the one of the current request (middleware).
    return user or history_model_of(model).get_default_history_user(model())


def _user_id(user: Any) -> Any:
    return getattr(user, "pk", None) if user is not None else None


def concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The field ``name`` of ``model``, which must have a column (not a reverse relation)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} has no column")
    return field


def column_of(field: models.Field[Any, Any] | None) -> str:
    """The column of a concrete field (the stubs allow None: fields without one)."""
    if field is None or field.column is None:
        raise TypeError(f"{field!r} has no column")
    return field.column


def _prepared(field: models.Field[Any, Any], values: Sequence[Any]) -> list[Any]:
    """The values as ``bulk_update`` would send them (``get_db_prep_save``); a string for a
    plain text column is sent as it is, which is all that method would do with it."""
    prep = field.get_db_prep_save
    if type(field) in (models.CharField, models.TextField):
        return [v if v is None or v.__class__ is str else prep(v, connection) for v in values]
    return [prep(v, connection) for v in values]


def _array_type(field: models.Field[Any, Any]) -> str:
    """The column's type without its length, so a too-long value fails as it would in
    ``bulk_update`` (an explicit cast to ``varchar(n)`` would silently cut it)."""
    db_type = field.db_type(connection)
    if db_type is None:
        raise TypeError(f"{field!r} has no column type")
    return re.sub(r"\(.*?\)", "", db_type) + "[]"


@cache
def history_model_of(model: type[models.Model]) -> Any:
    """The historical model of ``model`` (simple_history builds a new manager class each time
    it is asked, a fraction of a millisecond that every write paid)."""
    return get_history_model_for_model(model)


@cache
def history_plan(
    model: type[models.Model],
) -> tuple[list[tuple[str, str]], dict[str, str]] | None:
    """(history column, source column) pairs and the extra columns of ``model``'s history
    table; ``None`` when its historical model has fields this module does not know how to fill
    (then the ORM path is taken)."""
    history = get_history_model_for_model(model)
    tracked = list(history.tracked_fields)
    known = {f.name for f in tracked} | set(HISTORY_COLUMNS) | {"history_user"}
    if any(f.name not in known for f in history._meta.concrete_fields):
        return None
    user_field = history._meta.get_field("history_user")
    reason_field = history._meta.get_field("history_change_reason")
    pairs = [(history._meta.get_field(f.name).column, f.column) for f in tracked]
    extra = {
        "table": history._meta.db_table,
        "date": history._meta.get_field("history_date").column,
        "reason": reason_field.column,
        "reason_type": _array_type(reason_field),
        "type": history._meta.get_field("history_type").column,
        "user": user_field.column,
        "user_type": _array_type(user_field),
    }
    return pairs, extra


def _update(
    model: type[models.Model],
    pks: Sequence[int],
    columns: Mapping[str, Sequence[Any]],
    meta: tuple[list[Any], list[Any], list[Any]],
) -> int:
    """One statement: ``UPDATE … FROM unnest(…)`` sets every column from arrays, and the rows
    it returns (their new values) go into the history table in the order of ``pks``.

    The arrays are sent sorted by primary key, so the nested loop that updates a batch locks
    its rows in that order, as every writer here does; ``_ord`` keeps each row's place in
    ``pks`` for its history row (the callers lock the rows beforehand anyway).
    They travel as binary parameters (``%b``): text and JSON values need no array escaping.
    Returns the number of rows updated (= history rows written).
    """
    qn = connection.ops.quote_name
    opts = model._meta
    table, pk = qn(opts.db_table), qn(column_of(opts.pk))
    fields = [concrete_field(model, name) for name in columns]
    order = sorted(range(len(pks)), key=pks.__getitem__)

    def arranged(values: Sequence[Any]) -> list[Any]:
        return [values[i] for i in order]

    params: list[Any] = [arranged(pks)]
    arrays = [f"%b::{_array_type(opts.pk)}"]
    for field in fields:
        params.append(arranged(_prepared(field, columns[field.name])))
        arrays.append(f"%b::{_array_type(field)}")
    values = [f"_v{i}" for i in range(len(fields))]
    assignments = ", ".join(
        f"{qn(column_of(f))} = v.{a}" for f, a in zip(fields, values, strict=True)
    )
    with connection.cursor() as cursor:
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM unnest({', '.join(arrays)}) "
                f"AS v(_pk, {', '.join(values)}) WHERE t.{pk} = v._pk",
                params,
            )
            updated: int = cursor.rowcount
            return updated
        plan = history_plan(model)
        assert plan is not None  # _set_based checked it
        pairs, extra = plan
        users, reasons, dates = meta
        params += [arranged(dates), arranged(reasons), arranged(users), order]
        arrays += [
            "%b::timestamp with time zone[]",
            f"%b::{extra['reason_type']}",
            f"%b::{extra['user_type']}",
            "%b::integer[]",
        ]
        source = (
            f"unnest({', '.join(arrays)}) "
            f"AS v(_pk, {''.join(a + ', ' for a in values)}_date, _reason, _user, _ord)"
        )
        insert = (
            f"INSERT INTO {qn(extra['table'])} ("
            + ", ".join(qn(h) for h, _ in pairs)
            + f", {qn(extra['date'])}, {qn(extra['reason'])}, {qn(extra['type'])}, "
            + f"{qn(extra['user'])}) SELECT "
            + ", ".join(f"r.{qn(s)}" for _, s in pairs)
            + ", r._date, r._reason, '~', r._user"
        )
        cursor.execute(
            f"WITH r AS (UPDATE {table} AS t SET {assignments} FROM {source} "
            f"WHERE t.{pk} = v._pk RETURNING t.*, v._date, v._reason, v._user, v._ord) "
            f"{insert} FROM r ORDER BY r._ord",
            params,
        )
        written: int = cursor.rowcount
        return written
