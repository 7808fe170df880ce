"""Reading the crosswalk and golden records: code translation between systems, merged codes.

Which systems' local codes a caller reads is a grant per pair of systems
(``mdm.access.code_grants``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from mdm.access.code_grants import readable_systems, systems_named
from mdm.errors import NotFound
from mdm.models import GoldenRecord, SourceRecord, SourceSystem, golden_model
from mdm.records.entities import check_entity

MAX_MERGE_HOPS = 50


@dataclass(frozen=True)
class CrosswalkEntry:
    golden_code: str
    members: list[dict[str, str]]


def members_of(golden_code: str, *, system_code: str | None = None) -> list[dict[str, str]]:
    records = SourceRecord.objects.members_of(golden_code)
    if system_code:
        records = records.filter(system__code=system_code)
    return [
        {"system": system, "local_code": local_code}
        for system, local_code in records.order_by("system__code", "local_code").values_list(
            "system__code", "local_code"
        )
    ]


def translate_code(
    *, entity: str, system_code: str, local_code: str, to_system: str | None = None
) -> CrosswalkEntry:
    """The golden code of a system's local code and the other members (``to`` narrows them).

    One query: the look-up source systems make most, so it is the record and its golden
    record's members (``members_of``) in one round trip.
    """
    check_entity(entity)
    rows = _translate_rows(entity, system_code, local_code, to_system)
    golden_code = rows[0][0] if rows else ""
    if not golden_code:
        raise NotFound(
            f"{system_code} 中没有本地编码 {local_code}",
            f"No active {entity} record {local_code} in {system_code}",
        )
    return CrosswalkEntry(
        golden_code,
        [
            {"system": system, "local_code": code}
            for _, system, code in rows
            if system is not None and code is not None
        ],
    )


def _translate_rows(
    entity: str, system_code: str, local_code: str, to_system: str | None
) -> list[tuple[str, str | None, str | None]]:
    """(golden code, member system, member local code) rows, members in crosswalk order; one
    row with no member when the golden record has none (in ``to_system``)."""
    records = SourceRecord._meta.db_table
    systems = SourceSystem._meta.db_table
    narrow = "AND ms.code = %s" if to_system else ""
    sql = f"""
        SELECT r.golden_code, ms.code, m.local_code
        FROM {records} r
        JOIN {systems} s ON s.id = r.system_id
        LEFT JOIN ({records} m JOIN {systems} ms ON ms.id = m.system_id)
            ON m.golden_code = r.golden_code AND m.is_active {narrow}
        WHERE s.code = %s AND r.entity = %s AND r.local_code = %s AND r.is_active
        ORDER BY ms.code, m.local_code
    """
    params = [*([to_system] if to_system else []), system_code, entity, local_code]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def resolve_golden(entity: str, code: str) -> tuple[GoldenRecord, GoldenRecord]:
    """(the record with this code, the live record it resolves to through merges)."""
    check_entity(entity)
    model = golden_model(entity)
    record = model.objects.filter(code=code).select_related("merged_into").first()
    if record is None:
        raise NotFound(f"全局编码 {code} 不存在", f"Golden code {code} not found")
    survivor = record
    for _ in range(MAX_MERGE_HOPS):
        if survivor.merged_into_id is None:
            break
        survivor = model.objects.select_related("merged_into").get(pk=survivor.merged_into_id)
    return record, survivor


def export_rows(entity: str, *, reader: str | None = None):
    """(system, local code, golden code) of the active source records, by system and code;
    ``reader``: only the systems that system may read."""
    records = SourceRecord.objects.filter(entity=entity, is_active=True)
    if reader:
        (system,) = systems_named([reader])
        records = records.filter(system__code__in=readable_systems(system))
    return records.order_by("system__code", "local_code").values_list(
        "system__code", "local_code", "golden_code"
    )
