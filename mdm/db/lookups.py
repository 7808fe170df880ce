"""``field__any=values``: membership in a long list as one array parameter on PostgreSQL.

``field__in=values`` writes one placeholder per value: Django prepares the values one by one,
psycopg splits the statement text around them again, and every list length is a statement of
its own, parsed and planned anew. The set-based steps (a merge batch's golden codes and members,
an upsert batch's records) ask for lists of hundreds to 20,000 values; in a profile of a
100,000-record batch merge the placeholders cost about a tenth of the step. ``field = ANY(%s)``
sends the list as one typed array: one placeholder whatever the length, the same statement text
every time (so PostgreSQL prepares it once), no limit of 65,535 parameters. Other databases get
``IN``, as ``__in`` does. For plain columns (not relations); registered in ``MdmConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import In
from django.db.models.sql.compiler import SQLCompiler


class AnyOf(In):
    lookup_name = "any"

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, Sequence[Any]]:
        from django.db.models.sql.query import Query

        if isinstance(self.rhs, Query):  # a subquery: as __in does
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [
            field.get_db_prep_value(value, connection, prepared=True)
            for value in self.rhs
            if value is not None
        ]
        return f"{lhs} = ANY(%s::{field.db_type(connection)}[])", [*lhs_params, values]
