"""Global codes: prefix + zero-padded sequence number + check character, never reused.

Numbers come from a database sequence per entity (PostgreSQL ``nextval``), so concurrent
writers never collide and a rolled-back transaction burns its number instead of reusing it.
SQLite, the embedded default, has no sequences: a counter row is incremented inside the
writer's transaction, which SQLite serializes anyway.
"""

from __future__ import annotations

from django.db import connection
from stdnum.iso7064 import mod_37_36

from dictionary.models import EntityType

SEQUENCE_PREFIX = "mdm_code_seq_"


def sequence_name(entity: str) -> str:
    return f"{SEQUENCE_PREFIX}{entity}"


def _next_numbers(entity: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)", [sequence_name(entity), count]
            )
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            "UPDATE mdm_codecounter SET last_value = last_value + %s WHERE entity = %s "
            "RETURNING last_value",
            [count, entity],
        )
        last = cursor.fetchone()[0]
        return list(range(last - count + 1, last + 1))


def format_code(prefix: str, width: int, number: int) -> str:
    """``CU`` + ``0000000042`` + the ISO 7064 MOD 37,36 check character of both."""
    body = f"{prefix}{number:0{width}d}"
    return body + mod_37_36.calc_check_digit(body)


def is_valid_code(code: str) -> bool:
    return mod_37_36.is_valid(code)


def allocate_golden_codes(entity: str, count: int) -> list[str]:
    """``count`` new global codes for ``entity`` following its coding rule in the dictionary."""
    if count <= 0:
        return []
    if connection.vendor == "postgresql":
        # The coding rule and the numbers in one round trip: every new record asks.
        with connection.cursor() as cursor:
            cursor.execute(_RULE_AND_NUMBERS_SQL, [SEQUENCE_PREFIX, count, entity])
            rows = cursor.fetchall()
        if not rows:
            raise EntityType.DoesNotExist(f"no entity type {entity!r}")
        prefix, width = rows[0][0], rows[0][1]
        return [format_code(prefix, width, n) for n in sorted(row[2] for row in rows)]
    rule = EntityType.objects.get(code=entity)
    return [format_code(rule.code_prefix, rule.code_width, n) for n in _next_numbers(entity, count)]


_RULE_AND_NUMBERS_SQL = (
    # The sequence named from the row found: an unknown entity reads no sequence at all.
    "SELECT e.code_prefix, e.code_width, nextval(%s || e.code) "  # noqa: S608
    f"FROM {EntityType._meta.db_table} e CROSS JOIN generate_series(1, %s) "
    "WHERE e.code = %s"
)


def allocate_golden_code(entity: str) -> str:
    return allocate_golden_codes(entity, 1)[0]
