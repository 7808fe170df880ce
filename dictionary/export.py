"""The dictionary as a document (JSON, CSV, Markdown) for the data-governance committee."""

from __future__ import annotations

import csv
import io
from typing import Any

from dictionary.models import CodeValue, DataElement, ElementBinding, EntityType, ValueDomain

ELEMENT_FIELDS = [
    "code",
    "name_zh",
    "name_en",
    "definition_zh",
    "definition_en",
    "data_type",
    "max_length",
    "precision",
    "scale",
    "value_domain",
    "validator",
    "validator_params",
    "standardizers",
    "sensitivity",
    "on_invalid",
    "owner_department",
    "status",
    "version",
    "example",
]
#: Large domains are summarized in the printable document instead of listed value by value.
MAX_PRINTED_VALUES = 60


def dictionary_document(*, include_values: bool = True) -> dict[str, Any]:
    """The whole dictionary as plain data with natural keys (codes), in a stable order."""
    bindings: dict[str, list[dict[str, Any]]] = {}
    for b in ElementBinding.objects.select_related("element").order_by("entity", "position"):
        bindings.setdefault(b.element.code, []).append(
            {
                "entity": b.entity,
                "required": b.required,
                "is_identifier": b.is_identifier,
                "survivorship": b.survivorship,
                "position": b.position,
            }
        )
    elements = []
    for e in DataElement.objects.select_related("value_domain").order_by("code"):
        item = {f: getattr(e, f) for f in ELEMENT_FIELDS if f != "value_domain"}
        item["value_domain"] = e.value_domain.code if e.value_domain else None
        item["bindings"] = bindings.get(e.code, [])
        elements.append(item)
    values: dict[int, list[dict[str, Any]]] = {}
    if include_values:
        for v in CodeValue.objects.filter(is_active=True).order_by(
            "domain_id", "sort_order", "code"
        ):
            values.setdefault(v.domain_id, []).append(
                {"code": v.code, "name_zh": v.name_zh, "name_en": v.name_en, "synonyms": v.synonyms}
            )
    domains = [
        {
            "code": d.code,
            "name_zh": d.name_zh,
            "name_en": d.name_en,
            "description_zh": d.description_zh,
            "description_en": d.description_en,
            "value_count": d.values.filter(is_active=True).count(),
            **({"values": values.get(d.pk, [])} if include_values else {}),
        }
        for d in ValueDomain.objects.order_by("code")
    ]
    entities = [
        {
            "code": t.code,
            "name_zh": t.name_zh,
            "name_en": t.name_en,
            "definition_zh": t.definition_zh,
            "definition_en": t.definition_en,
            "code_prefix": t.code_prefix,
            "code_width": t.code_width,
        }
        for t in EntityType.objects.order_by("code")
    ]
    return {"entities": entities, "elements": elements, "domains": domains}


def render_csv(document: dict[str, Any]) -> str:
    """One row per element and entity binding."""
    out = io.StringIO()
    columns = ELEMENT_FIELDS + ["entity", "required", "is_identifier", "survivorship"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for e in document["elements"]:
        base = {f: e[f] for f in ELEMENT_FIELDS}
        base["validator_params"] = "" if not e["validator_params"] else str(e["validator_params"])
        base["standardizers"] = " > ".join(e["standardizers"])
        for b in e["bindings"] or [{}]:
            writer.writerow(
                base
                | {
                    "entity": b.get("entity", ""),
                    "required": b.get("required", ""),
                    "is_identifier": b.get("is_identifier", ""),
                    "survivorship": b.get("survivorship", ""),
                }
            )
    return out.getvalue()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(document: dict[str, Any]) -> str:
    lines = ["# 核心数据元字典 Core data-element dictionary", ""]
    lines += ["## 实体与编码规则 Entities and coding rules", ""]
    for t in document["entities"]:
        lines += [
            f"### {t['name_zh']} {t['name_en']} (`{t['code']}`)",
            "",
            f"- 定义：{t['definition_zh']}",
            f"- Definition: {t['definition_en']}",
            f"- 编码规则 Coding rule: `{t['code_prefix']}` + {t['code_width']} 位流水号 digits + "
            "ISO 7064 MOD 37,36 校验字符 check character",
            "",
            "| 数据元 element | 中文名称 | English name | 必填 required | 存活规则 survivorship |",
            "| --- | --- | --- | --- | --- |",
        ]
        for e in document["elements"]:
            for b in e["bindings"]:
                if b["entity"] == t["code"]:
                    lines.append(
                        f"| `{e['code']}` | {_cell(e['name_zh'])} | {_cell(e['name_en'])} | "
                        f"{'是 yes' if b['required'] else '否 no'} | {b['survivorship']} |"
                    )
        lines.append("")
    lines += ["## 数据元 Data elements", ""]
    for e in document["elements"]:
        lines += [
            f"### `{e['code']}` {e['name_zh']} / {e['name_en']}",
            "",
            f"- 定义：{e['definition_zh']}",
            f"- Definition: {e['definition_en']}",
            f"- 数据类型 Data type: {e['data_type']}"
            + (f", 最大长度 max length {e['max_length']}" if e["max_length"] else "")
            + (f", 精度 precision {e['precision']}" if e["precision"] else "")
            + (f", 小数位 scale {e['scale']}" if e["scale"] is not None else ""),
            f"- 值域 Value domain: {e['value_domain'] or '—'}",
            f"- 校验 Validator: {e['validator'] or '—'} {e['validator_params'] or ''}".rstrip(),
            f"- 标准化 Standardizers: {' → '.join(e['standardizers']) or '—'}",
            f"- 敏感级别 Sensitivity: {e['sensitivity']}; 不合规处理 On invalid: {e['on_invalid']}",
            f"- 责任部门 Owner: {e['owner_department'] or '—'}; 状态 Status: {e['status']}; "
            f"版本 Version: {e['version']}",
            f"- 示例 Example: {e['example'] or '—'}",
            "",
        ]
    lines += ["## 值域 Value domains", ""]
    for d in document["domains"]:
        lines += [f"### `{d['code']}` {d['name_zh']} / {d['name_en']}", ""]
        if d.get("description_zh"):
            lines += [d["description_zh"], ""]
        values = d.get("values", [])
        if len(values) > MAX_PRINTED_VALUES:
            lines += [
                f"共 {len(values)} 个代码值，完整列表见 CSV/JSON 导出。"
                f" {len(values)} values; see the CSV/JSON export for the full list.",
                "",
            ]
            values = values[:MAX_PRINTED_VALUES]
        if values:
            lines += [
                "| 代码 code | 中文名称 | English name | 同义词 synonyms |",
                "| --- | --- | --- | --- |",
            ]
            lines += [
                f"| `{v['code']}` | {_cell(v['name_zh'])} | {_cell(v['name_en'])} | "
                f"{_cell(', '.join(map(str, v['synonyms'])))} |"
                for v in values
            ]
            lines.append("")
    return "\n".join(lines) + "\n"
