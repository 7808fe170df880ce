"""Reading the crosswalk and golden records: code translation between systems, merged codes."""

from __future__ import annotations

from dataclasses import dataclass

from mdm.models import GoldenRecord, SourceRecord, golden_model
from mdm.services.errors import NotFound
from mdm.services.upsert import check_entity

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
    """The golden code of a system's local code and the other members (``to`` narrows them)."""
    check_entity(entity)
    golden_code = (
        SourceRecord.objects.filter(
            system__code=system_code, entity=entity, local_code=local_code, is_active=True
        )
        .values_list("golden_code", flat=True)
        .first()
    )
    if not golden_code:
        raise NotFound(
            f"{system_code} 中没有本地编码 {local_code}",
            f"No active {entity} record {local_code} in {system_code}",
        )
    return CrosswalkEntry(golden_code, members_of(golden_code, system_code=to_system))


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
