"""What a steward sees before merging two golden records: both side by side, values masked.

Reads only. The merge itself is ``mdm.stewardship.actions.merge_by_steward``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mdm.errors import Conflict, NotFound
from mdm.linking.review import element_labels
from mdm.models import GoldenStatusChoices, SourceRecord, golden_model
from mdm.privacy import policy as privacy


@dataclass(frozen=True)
class PreviewRow:
    attribute: str
    label: str
    survivor: Any
    other: Any

    @property
    def differs(self) -> bool:
        return self.survivor != self.other


@dataclass(frozen=True)
class MergePreview:
    survivor_code: str
    other_code: str
    survivor_name: str
    other_name: str
    rows: list[PreviewRow]
    survivor_members: list[str]
    other_members: list[str]


def _members(code: str, entity: str) -> list[str]:
    return [
        f"{system}:{local_code}"
        for system, local_code in SourceRecord.objects.filter(
            entity=entity, golden_code=code, is_active=True
        )
        .order_by("system__code", "local_code")
        .values_list("system__code", "local_code")
    ]


def merge_preview(*, entity: str, survivor_code: str, other_code: str) -> MergePreview:
    """Both golden records as the merge would take them: attributes side by side (personal
    values masked by the privacy policy), and each one's members (``SYSTEM:local code``).

    Raises NotFound for an unknown code and Conflict for the same record twice or a record
    that is not active (merged or retired), with a sentence the steward can act on.
    """
    model = golden_model(entity)
    other_code = (other_code or "").strip().upper()
    if other_code == survivor_code:
        raise Conflict(
            "不能把一条记录与它自己合并，请选择另一条黄金记录。",
            "A record cannot be merged with itself; choose another golden record.",
            code="same_record",
        )
    found = {g.code: g for g in model.objects.filter(code__in=[survivor_code, other_code])}
    for code in (survivor_code, other_code):
        if code not in found:
            raise NotFound(f"全局编码 {code} 不存在。", f"Golden code {code} does not exist.")
        if found[code].status != GoldenStatusChoices.ACTIVE:
            raise Conflict(
                f"黄金记录 {code} 已合并或已停用，不能再合并。",
                f"Golden record {code} is merged or retired and cannot be merged again.",
                code="not_active",
            )
    survivor, other = found[survivor_code], found[other_code]
    left, right = survivor.attributes(), other.attributes()
    person = privacy.is_person(entity, left) or privacy.is_person(entity, right)
    shown_left = privacy.shown_attributes(entity, left, person=person)
    shown_right = privacy.shown_attributes(entity, right, person=person)
    labels = element_labels(entity, {*left, *right})
    order = [*labels, *sorted({*left, *right} - set(labels))]
    return MergePreview(
        survivor_code=survivor.code,
        other_code=other.code,
        survivor_name=privacy.shown_name(entity, survivor.name, left),
        other_name=privacy.shown_name(entity, other.name, right),
        rows=[
            PreviewRow(
                attribute=attr,
                label=labels.get(attr, attr),
                survivor=shown_left.get(attr, ""),
                other=shown_right.get(attr, ""),
            )
            for attr in order
        ],
        survivor_members=_members(survivor.code, entity),
        other_members=_members(other.code, entity),
    )
