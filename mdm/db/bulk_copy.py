"""Set-based inserts that write their history rows, for the batches of the write path.

``bulk_create`` on PostgreSQL sends every value of every row as an array element that psycopg
escapes in Python, and simple_history then builds one historical object per row and sends it
all again: for a batch of imported records that was a third of a millisecond per row. Here a
batch takes the primary keys from the table's sequence, goes in with one ``COPY``, and has its
history rows copied from the stored rows by one ``INSERT … SELECT``; a handful of rows (an API
upsert) go in with their history in one statement (``INSERT … RETURNING`` feeding the history
insert), one round trip instead of two. The rows written are the ones
``bulk_create_with_history`` writes: the same values (``pre_save`` runs, so ``auto_now`` fields
are set), one ``+`` history row per object with its user, change reason and date, in the order
given. Other databases take ``bulk_create_with_history`` itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models.fields import AutoFieldMixin
from django.db.models.fields.related import RelatedField
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from mdm.db.bulk_sql import column_of, history_model_of, history_plan

#: Fewer objects than this go in by one ``INSERT … RETURNING`` with their history (one round
#: trip, values sent as parameters); more by ``COPY`` (three round trips, values streamed).
COPY_MIN_ROWS = 20


def create_objects_with_history(
    objs: Sequence[models.Model],
    model: type[models.Model],
    *,
    user: Any = None,
    reason: str = "",
    date: datetime | None = None,
) -> None:
    """``bulk_create_with_history(objs, model, default_user=user, …)``, set-based.

    Sets the primary key of each object, as ``bulk_create`` does on PostgreSQL. An object's own
    ``_history_user``, ``_change_reason`` or ``_history_date`` wins over the defaults, as in
    simple_history.
    """
    if not objs:
        return
    history = history_model_of(model)
    if not _copyable(model):
        bulk_create_with_history(
            list(objs),
            model,
            default_user=user,
            default_change_reason=reason,
            default_date=date,
        )
        return
    # As simple_history: the given user, else the one of the current request (middleware).
    default_user = user or history.get_default_history_user(objs[0])
    now = date or timezone.now()
    meta = [
        [getattr(obj, "_history_date", None) or now for obj in objs],
        [getattr(obj, "_change_reason", None) or reason for obj in objs],
        [getattr(getattr(obj, "_history_user", default_user), "pk", None) for obj in objs],
    ]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if len(objs) < COPY_MIN_ROWS:
            _insert_rows(cursor, model, objs, meta)
        else:
            pks = _copy_rows(cursor, model, objs)
            opts = model._meta
            qn = connection.ops.quote_name
            cursor.execute(
                _history_insert(model, "t")
                + " FROM unnest(%s::bigint[]) WITH ORDINALITY AS k(pk, ord) "
                f"JOIN {qn(opts.db_table)} t ON t.{qn(column_of(opts.pk))} = k.pk "
                + _META_JOIN
                + " ORDER BY k.ord",
                [pks, *meta],
            )


#: The history values of the object at ``ord``: ``m.date``, ``m.reason``, ``m.user_id``.
_META_JOIN = (
    "JOIN unnest(%s::timestamp with time zone[], %s::text[], %s::bigint[]) "
    "WITH ORDINALITY AS m(date, reason, user_id, ord) ON m.ord = k.ord"
)


def create_objects(objs: Sequence[models.Model], model: type[models.Model]) -> None:
    """``bulk_create(objs)`` for a model without history, by ``COPY`` on PostgreSQL.

    The primary key is left to the column's default (the rows take it in list order, after any
    ``BEFORE INSERT`` statement trigger has run: the outbox's ordering lock is taken before the
    first number is drawn), so the objects' ``pk`` stays unset. A handful of rows go in by one
    ``INSERT``; other databases take ``bulk_create``.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(list(objs))
        return
    opts = model._meta
    qn = connection.ops.quote_name
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    plan = [(f, _converter(f)) for f in fields]
    columns = ", ".join(qn(column_of(f)) for f in fields)
    if len(objs) < COPY_MIN_ROWS:
        # A handful (an upsert's event): one INSERT, without the ORM's building of it.
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(opts.db_table)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([row] * len(objs)),
                [convert(f.pre_save(obj, True)) for obj in objs for f, convert in plan],
            )
        return
    sql = f"COPY {qn(opts.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([convert(f.pre_save(obj, True)) for f, convert in plan])


def _history_insert(model: type[models.Model], alias: str) -> str:
    """``INSERT INTO <history> (…) SELECT <alias>.<tracked columns>, m.date, m.reason, '+',
    m.user_id`` (the FROM clause is the caller's); columns as ``bulk_sql.history_plan`` maps
    them."""
    qn = connection.ops.quote_name
    plan = history_plan(model)
    assert plan is not None  # the callers checked _copyable
    pairs, extra = plan
    columns = [h for h, _ in pairs] + [extra[k] for k in ("date", "reason", "type", "user")]
    return (
        f"INSERT INTO {qn(extra['table'])} ("
        + ", ".join(qn(c) for c in columns)
        + ") SELECT "
        + ", ".join(f"{alias}.{qn(c)}" for _, c in pairs)
        + ", m.date, m.reason, '+', m.user_id"
    )


def _insert_rows(
    cursor: CursorWrapper,
    model: type[models.Model],
    objs: Sequence[models.Model],
    meta: list[list[Any]],
) -> None:
    """A handful of rows (an API upsert) and their history in one statement: the rows by
    ``INSERT … RETURNING``, whose ids (drawn in the order of the rows) order their history."""
    opts = model._meta
    qn = connection.ops.quote_name
    pk = qn(column_of(opts.pk))
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    plan = [(f, _converter(f)) for f in fields]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    cursor.execute(
        f"WITH r AS (INSERT INTO {qn(opts.db_table)} ("
        + ", ".join(qn(column_of(f)) for f in fields)
        + ") VALUES "
        + ", ".join([row] * len(objs))
        + " RETURNING *), h AS ("
        + _history_insert(model, "k")
        + f" FROM (SELECT r.*, row_number() OVER (ORDER BY r.{pk}) AS ord FROM r) k "
        + _META_JOIN
        + f" ORDER BY k.ord) SELECT {pk} FROM r ORDER BY {pk}",
        [convert(f.pre_save(obj, True)) for obj in objs for f, convert in plan] + meta,
    )
    for obj, (pk_value,) in zip(objs, cursor.fetchall(), strict=True):
        obj.pk = pk_value
        obj._state.adding, obj._state.db = False, connection.alias


def _copy_rows(
    cursor: CursorWrapper, model: type[models.Model], objs: Sequence[models.Model]
) -> list[int]:
    """Primary keys from the table's sequence, then the rows with them in one ``COPY``."""
    opts = model._meta
    qn = connection.ops.quote_name
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [opts.db_table, opts.pk.column, len(objs)],
    )
    pks = sorted(row[0] for row in cursor.fetchall())
    fields = opts.concrete_fields
    columns = ", ".join(qn(column_of(f)) for f in fields)
    plan = [(f, _converter(f)) for f in fields]
    with cursor.cursor.copy(f"COPY {qn(opts.db_table)} ({columns}) FROM STDIN") as copy:
        for obj, pk in zip(objs, pks, strict=True):
            obj.pk = pk
            copy.write_row([convert(f.pre_save(obj, True)) for f, convert in plan])
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return pks


def _copyable(model: type[models.Model]) -> bool:
    """PostgreSQL, a primary key from a sequence, and a historical model that
    ``bulk_sql.history_plan`` knows how to fill (anything else: the ORM path)."""
    if connection.vendor != "postgresql":
        return False
    return isinstance(model._meta.pk, AutoFieldMixin) and history_plan(model) is not None


#: Field types whose Python values psycopg adapts as Django would prepare them.
PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "FloatField",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """How a value goes into COPY: JSON as its text, plain types as they are, the rest as the
    field prepares it for the database."""
    if isinstance(field, models.JSONField):
        # One encoder per column, not one per value (json.dumps builds a new one for every
        # call that passes options).
        encode = (field.encoder or json.JSONEncoder)(ensure_ascii=False).encode
        return lambda v: None if v is None else encode(v)
    target = field.target_field if isinstance(field, RelatedField) else field
    if target.get_internal_type() in PLAIN_TYPES:
        return lambda v: v
    return lambda v: field.get_db_prep_save(v, connection)
