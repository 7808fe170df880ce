"""The desired issues: what the data calls for, as one SQL query (see ``issues``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dictionary.problems import problem
from mdm.models import SourceRecord, SourceSystem
from mdm.privacy import crypto
from mdm.quality import sql
from mdm.quality.metrics import (
    Comparison,
    MeasuredElement,
    compared_value,
    consistency_ctes,
    elements_cte,
)

MISSING_MESSAGE = problem("required").message
#: A flagged value whose warning has this code is a branch holding its head office's credit
#: code (``mdm.linking.realtime``): an issue of its own kind, not an invalid value.
BRANCH_HQ_CODE = "branch_hq_code"
INCONSISTENT_MESSAGE = "各源系统的值不一致 / The source systems disagree on this value"


def key_salt() -> str:
    """The secret that an issue key's digest of the value starts with: a key is a copy of the
    value at rest, and an unkeyed MD5 of a phone number is undone by trying every number."""
    return crypto.blind_index("quality-issue-key", "")


def desired_issues_sql(
    elements: Sequence[MeasuredElement],
    *,
    record_ids: Sequence[int] | None = None,
    golden_codes: Sequence[str] | None = None,
    comparison: Comparison | None = None,
) -> tuple[str, list[Any]]:
    """CTEs ending in ``desired``: the issues the data calls for, one row per issue key.

    Without ``record_ids`` / ``golden_codes`` every active record of the elements' entities is
    examined; with them, only those records (record-level issues) and golden records
    (inconsistencies). A built ``comparison`` table replaces the comparison CTEs.
    """
    records, systems = sql.table(SourceRecord), sql.table(SourceSystem)
    el_sql, el_params = elements_cte(elements)
    if comparison is not None and comparison.is_built:
        pair_params: list[Any] = []
        pair_sql, compared = "", comparison.table
    else:
        pair_sql, pair_params = consistency_ctes({e.code for e in elements}, golden_codes)
        pair_sql, compared = f"{pair_sql},", "compared"
    scope_params: list[Any] = []
    scope = ""
    if record_ids is not None:
        condition, scope_params = sql.in_list("sr.id", record_ids)
        scope = f" AND {condition}"

    def attr(key: str) -> str:
        return sql.json_text("sr.attributes", key)

    def raw(key: str) -> str:
        return f"COALESCE({sql.json_text('sr.raw', key)}, {attr(key)})"

    def warning_of(item: str, key: str) -> str:
        item_sql = sql.json_text("w.value", f"'{item}'")
        field_sql = sql.json_text("w.value", "'field'")
        warnings_sql = sql.json_array_objects("sr.warnings", "w")
        return f"(SELECT {item_sql} FROM {warnings_sql} WHERE {field_sql} = {key} LIMIT 1)"

    def salted(expression: str) -> str:
        return f"MD5((SELECT v FROM salt) || {expression})"

    def digest(key: str) -> str:
        # The blind index of an encrypted value: its ciphertext changes with every key rotation.
        return salted(compared_value("sr", key, raw(key)))

    w_field, w_code = sql.json_text("w.value", "'field'"), sql.json_text("w.value", "'code'")
    w_message = sql.json_text("w.value", "'message'")
    # Encrypted elements are listed by blind index (``issues`` masks the listed values).
    value = compared_value("sr", "c.element", sql.json_text("sr.attributes", "c.element"))
    label_order = "" if sql.is_postgresql() else " ORDER BY label"
    text = f"""
    {el_sql}, salt(v) AS (SELECT CAST(%s AS TEXT)), {pair_sql}
    disagreements AS (
        SELECT entity, golden_code, element, {sql.ordered_concat("label", " | ")} AS value
        FROM (
            SELECT DISTINCT c.entity, c.golden_code, c.element, s.code || ': ' || {value} AS label
            FROM {compared} AS c
            JOIN {records} AS sr ON sr.golden_code = c.golden_code AND sr.is_active
            JOIN {systems} AS s ON s.id = sr.system_id
            WHERE c.comparable = 1 AND c.agrees = 0 AND c.is_golden_row = 1
              AND COALESCE({value}, '') <> ''{label_order}
        ) AS x
        GROUP BY entity, golden_code, element
    ),
    desired AS MATERIALIZED (
        SELECT 'invalid:' || sr.id || ':' || f.value || ':' || {digest("f.value")} AS key,
               sr.entity AS entity,
               CASE WHEN {warning_of("code", "f.value")} = '{BRANCH_HQ_CODE}'
                    THEN '{BRANCH_HQ_CODE}' ELSE 'invalid' END AS kind,
               f.value AS element, el.rule AS rule,
               COALESCE({warning_of("code", "f.value")}, '') AS problem,
               COALESCE({warning_of("message", "f.value")}, '') AS message,
               sr.id AS source_record_id, sr.system_id AS system_id,
               sr.golden_code AS golden_code, {raw("f.value")} AS value,
               el.department AS department
        FROM {records} AS sr
        CROSS JOIN {sql.json_array_items("sr.flagged", "f")}
        JOIN el ON el.entity = sr.entity AND el.code = f.value
        WHERE sr.is_active{scope} AND COALESCE({attr("f.value")}, '') <> ''
        UNION ALL
        SELECT 'contradiction:' || sr.id || ':' || {w_field} || ':' || {digest(w_field)},
               sr.entity, 'contradiction', {w_field}, el.rule, {w_code},
               COALESCE({w_message}, ''), sr.id, sr.system_id, sr.golden_code,
               {raw(w_field)}, el.department
        FROM {records} AS sr
        CROSS JOIN {sql.json_array_objects("sr.warnings", "w")}
        JOIN el ON el.entity = sr.entity AND el.code = {w_field}
        WHERE sr.is_active{scope} AND {w_code} = 'derived_mismatch'
          AND NOT {sql.json_array_contains("sr.flagged", w_field)}
        UNION ALL
        SELECT 'missing:' || sr.id || ':' || el.code, sr.entity, 'missing_required', el.code,
               'required', 'required', %s, sr.id, sr.system_id, sr.golden_code, '',
               el.department
        FROM {records} AS sr JOIN el ON el.entity = sr.entity AND el.required = 1
        WHERE sr.is_active{scope} AND COALESCE({attr("el.code")}, '') = ''
        UNION ALL
        SELECT 'inconsistent:' || d.golden_code || ':' || d.element || ':' || {salted("d.value")},
               d.entity, 'inconsistent', d.element, 'cross_system_agreement', 'inconsistent',
               %s, NULL, NULL, d.golden_code, d.value, el.department
        FROM disagreements AS d JOIN el ON el.entity = d.entity AND el.code = d.element
    )"""  # noqa: S608 - table names come from model meta
    params = [
        *el_params,
        key_salt(),
        *pair_params,
        *scope_params,
        *scope_params,
        MISSING_MESSAGE,
        *scope_params,
        INCONSISTENT_MESSAGE,
    ]
    return text, params
