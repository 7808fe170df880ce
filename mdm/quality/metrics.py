"""Data-quality metrics per entity, source system and element, computed in the database.

Every figure comes from a handful of aggregate queries over the source records (one scan per
query for all entities at once); Python only divides the counts. The population is the
*active* source records of an entity; an element "has a value" in a record when its
standardized attribute is a non-empty string; only elements bound to the entity (not draft)
are measured.

Per system (and for ``ALL`` systems together):

* ``completeness[e]`` = records with a value for ``e`` / records.
* ``validity[e]`` = values of ``e`` that passed its validator / values of ``e``. A value listed
  in its record's ``flagged`` failed a ``flag`` rule and is invalid (``reject`` rules never
  let an invalid value in).
* ``consistency[e]``: a golden record is *comparable* on ``e`` when its active members from two
  or more systems have a value for ``e``; it *agrees* when all those values are equal (for an
  encrypted element: all their blind indexes, see ``compared_value``).
  ``ALL`` = agreeing / comparable golden records; a system's figure counts only the comparable
  golden records in which that system has a value, so the system that disagrees with everyone
  shows the lowest figure.
* ``uniqueness``: ``records``, ``golden_records`` (distinct golden records they link to),
  ``records_per_golden`` (the duplicate rate: records / golden records), ``duplicate_rate``
  (share of records that another record of the same scope already represents:
  1 - golden / records; within one system these are the system's own duplicates) and
  ``open_candidates`` (pending match candidates involving the system's records).
* ``timeliness``: ``last_update`` (ISO 8601), ``age_days`` (age of that last update) and
  ``mean_age_days`` (mean age of the records' last updates).

A share whose denominator is 0 is ``None`` (``null`` in JSON): "nothing to measure" is not 100 %.
The scorecard (``summary``) weights by cells: ``completeness_required`` = values of required
elements / (records x required elements), ``completeness_all`` the same over all bound
elements, ``validity`` = valid values / values, ``consistency`` = agreeing / comparable pairs.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Sum, Value
from django.db.models.functions import NullIf

from dictionary.models import DataElement, EntityChoices
from dictionary.services import compiled_elements
from matching.models import MatchCandidate, MatchCandidateStatusChoices
from mdm.models import SourceRecord, SourceSystem
from mdm.quality import sql

ALL = "ALL"
METRICS = ("completeness", "validity", "uniqueness", "consistency", "timeliness")
DAY = 86400.0


@dataclass(frozen=True)
class MeasuredElement:
    """A bound element as the metrics and the issues see it."""

    entity: str
    code: str
    required: bool
    rule: str
    owner_department: str


@dataclass
class Figures:
    """The raw counts behind the metrics of one entity and one system (or all systems)."""

    records: int = 0
    golden_records: int = 0
    last_update: dt.datetime | None = None
    age_seconds: float = 0.0  # sum over the records
    filled: Counter = field(default_factory=Counter)
    invalid: Counter = field(default_factory=Counter)
    comparable: Counter = field(default_factory=Counter)
    agreeing: Counter = field(default_factory=Counter)
    open_candidates: int = 0


def measured_elements(entities: Iterable[str]) -> list[MeasuredElement]:
    """The elements bound to each entity (draft excluded), in the dictionary's order."""
    compiled = {entity: compiled_elements(entity) for entity in entities}
    codes = {code for elements in compiled.values() for code in elements}
    departments = dict(
        DataElement.objects.filter(code__in=codes).values_list("code", "owner_department")
    )
    return [
        MeasuredElement(
            entity=entity,
            code=code,
            required=element.required,
            rule=element.validator
            or (f"domain:{element.domain_code}" if element.domain_code else element.data_type),
            owner_department=departments.get(code, ""),
        )
        for entity, elements in compiled.items()
        for code, element in elements.items()
    ]


def elements_cte(elements: Sequence[MeasuredElement]) -> tuple[str, list[Any]]:
    """``el(entity, code, required, rule, department)``: the bound elements as a VALUES table."""
    return sql.values_table(
        "el",
        ["entity", "code", "required", "rule", "department"],
        [(e.entity, e.code, int(e.required), e.rule, e.owner_department) for e in elements],
        types=["text", "text", "integer", "text", "text"],
    )


def compared_value(alias: str, key_sql: str, value_sql: str) -> str:
    """The value of an element as the metrics compare it: the blind index of an encrypted
    (``sensitive_personal``) element, the standardized value of any other.

    Two ciphertexts of one resident ID differ (each encryption is salted), so comparing them
    called every person inconsistent; equal values have equal blind indexes.
    """
    return f"COALESCE({sql.json_text(f'{alias}.blind_index', key_sql)}, {value_sql})"


def consistency_ctes(
    element_codes: Collection[str], golden_codes: Sequence[str] | None = None
) -> tuple[str, list[Any]]:
    """CTEs ``multi``, ``per_system`` and ``compared``: the cross-system comparisons.

    ``multi``: golden records with active members in two or more systems; ``per_system``: per
    golden record, element (of ``element_codes``) and system with a value, the smallest and
    largest value; ``compared``: those rows with ``comparable`` (1 when the golden record has
    values of the element from two or more systems), ``agrees`` (1 when all its values are
    equal) and ``is_golden_row`` (1 on one row per golden record and element, to count each
    once in ALL). One grouping and one window over (golden record, element) — no self-joins,
    so the plan stays linear whatever the planner estimates. Golden codes are unique across
    entities (each entity has its own prefix). ``golden_codes`` narrows everything to those
    golden records (the write path).
    """
    records = sql.table(SourceRecord)
    compared = compared_value("sr", "j.key", "j.value")
    keys, key_params = sql.in_list("j.key", sorted(element_codes))
    params: list[Any] = []
    member_params: list[Any] = []
    scope, member_scope = "", ""
    if golden_codes is not None:
        condition, params = sql.in_list("golden_code", golden_codes)
        scope = f" AND {condition}"
        condition, member_params = sql.in_list("sr.golden_code", golden_codes)
        member_scope = f" AND {condition}"
    text = f"""
    multi AS (
        SELECT entity, golden_code FROM {records}
        WHERE is_active AND golden_code <> ''{scope}
        GROUP BY entity, golden_code HAVING MIN(system_id) < MAX(system_id)
    ),
    per_system AS (
        SELECT sr.golden_code, j.key AS element, sr.system_id, sr.entity,
               MIN({compared}) AS min_value, MAX({compared}) AS max_value
        FROM {records} AS sr
        JOIN multi ON multi.entity = sr.entity AND multi.golden_code = sr.golden_code
        CROSS JOIN {sql.json_items("sr.attributes", "j")}
        WHERE sr.is_active AND j.value <> '' AND {keys}{member_scope}
        GROUP BY sr.golden_code, j.key, sr.system_id, sr.entity
    ),
    compared AS (
        SELECT entity, golden_code, element, system_id,
               CASE WHEN MIN(system_id) OVER w < MAX(system_id) OVER w THEN 1 ELSE 0 END
                   AS comparable,
               CASE WHEN MIN(min_value) OVER w = MAX(max_value) OVER w THEN 1 ELSE 0 END
                   AS agrees,
               CASE WHEN system_id = MIN(system_id) OVER w THEN 1 ELSE 0 END AS is_golden_row
        FROM per_system
        WINDOW w AS (PARTITION BY golden_code, element)
    )"""  # noqa: S608 - table names come from model meta
    return text, [*params, *key_params, *member_params]


class Comparison:
    """The cross-system comparison rows of one report, computed once into a temporary table.

    The issue reconciliation builds it (at the point of its run where the data must be read)
    and the metrics reuse it, instead of each taking every multi-system golden record apart.
    The table lives in the database session; ``drop`` removes it.
    """

    table = "quality_compared"

    def __init__(self, elements: Sequence[MeasuredElement]):
        self.element_codes = {e.code for e in elements}
        self.is_built = False

    def build(self) -> None:
        ctes, params = consistency_ctes(self.element_codes)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.table} AS "
                f"WITH {ctes} SELECT * FROM compared WHERE comparable = 1",
                params,
            )
            cursor.execute(f"ANALYZE {self.table}")
        self.is_built = True

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
        self.is_built = False


def open_match_candidates(entities: Sequence[str]) -> dict[tuple[str, str], int]:
    """Pending match candidates per (entity, system code or ``ALL``), for ``uniqueness``.

    A candidate is a pair of source records a steward still has to decide; it counts once in
    ``ALL`` and once for each system one of its two records belongs to.
    """
    candidates = sql.table(MatchCandidate)
    records = sql.table(SourceRecord)
    entity_filter, params = sql.in_list("mc.entity", entities)
    pending = MatchCandidateStatusChoices.PENDING
    counts: dict[tuple[str, str], int] = {}
    codes = dict(SourceSystem.objects.values_list("pk", "code"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT x.entity, x.system_id, COUNT(DISTINCT x.id) FROM (
                SELECT mc.id, mc.entity, sr.system_id FROM {candidates} AS mc
                JOIN {records} AS sr ON sr.id = mc.left_id
                WHERE mc.status = %s AND {entity_filter}
                UNION ALL
                SELECT mc.id, mc.entity, sr.system_id FROM {candidates} AS mc
                JOIN {records} AS sr ON sr.id = mc.right_id
                WHERE mc.status = %s AND {entity_filter}
            ) AS x
            GROUP BY x.entity, x.system_id
            """,  # noqa: S608
            [pending, *params, pending, *params],
        )
        for entity, system_id, count in cursor.fetchall():
            counts[(entity, codes[system_id])] = count
        cursor.execute(
            f"SELECT mc.entity, COUNT(*) FROM {candidates} AS mc "  # noqa: S608
            f"WHERE mc.status = %s AND {entity_filter} GROUP BY mc.entity",
            [pending, *params],
        )
        for entity, count in cursor.fetchall():
            counts[(entity, ALL)] = count
    return counts


def measure(
    *,
    now: dt.datetime,
    entities: Sequence[str],
    elements: Sequence[MeasuredElement],
    comparison: Comparison | None = None,
) -> dict[str, dict[str, Figures]]:
    """The counts of every entity: ``{entity: {system code or "ALL": Figures}}``.

    1. Per entity and system: records, distinct golden codes, last update, summed age (ORM).
    2. Per entity: distinct golden codes over all systems.
    3. Per entity, system and attribute: values and flagged values, one pass over the
       attributes taken apart in SQL.
    4. The consistency comparisons (``consistency_ctes``, or the report's ``comparison``
       table when the issue reconciliation already built it), per system and in total.
    """
    figures: dict[str, dict[str, Figures]] = {e: {ALL: Figures()} for e in entities}
    codes = dict(SourceSystem.objects.values_list("pk", "code"))
    active = SourceRecord.objects.filter(is_active=True, entity__in=entities).order_by()

    age = ExpressionWrapper(Value(now) - F("updated_at"), output_field=DurationField())
    for row in active.values("entity", "system_id").annotate(
        records=Count("pk"),
        golden=Count(NullIf("golden_code", Value("")), distinct=True),
        last=Max("updated_at"),
        age=Sum(age),
    ):
        one = figures[row["entity"]].setdefault(codes[row["system_id"]], Figures())
        total = figures[row["entity"]][ALL]
        one.records, one.golden_records, one.last_update = (
            row["records"],
            row["golden"],
            row["last"],
        )
        one.age_seconds = row["age"].total_seconds() if row["age"] is not None else 0.0
        total.records += one.records
        total.age_seconds += one.age_seconds
        if one.last_update and (total.last_update is None or one.last_update > total.last_update):
            total.last_update = one.last_update
    for counted in active.values("entity").annotate(
        golden=Count(NullIf("golden_code", Value("")), distinct=True)
    ):
        figures[counted["entity"]][ALL].golden_records = counted["golden"]

    bound = {(e.entity, e.code) for e in elements}
    records = sql.table(SourceRecord)
    entity_filter, entity_params = sql.in_list("sr.entity", entities)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT sr.entity, sr.system_id, j.key, COUNT(*),
                   SUM(CASE WHEN {sql.json_array_contains("sr.flagged", "j.key")}
                       THEN 1 ELSE 0 END)
            FROM {records} AS sr CROSS JOIN {sql.json_items("sr.attributes", "j")}
            WHERE sr.is_active AND {entity_filter} AND j.value <> ''
            GROUP BY sr.entity, sr.system_id, j.key
            """,  # noqa: S608
            entity_params,
        )
        for entity, system_id, key, filled, invalid in cursor.fetchall():
            if (entity, key) not in bound:
                continue
            for scope in (codes[system_id], ALL):
                figures[entity][scope].filled[key] += filled
                figures[entity][scope].invalid[key] += int(invalid or 0)

        if comparison is not None and comparison.is_built:
            compared_params: list[Any] = []
            prefix, source = "", comparison.table
        else:
            compared_sql, compared_params = consistency_ctes({e.code for e in elements})
            prefix, source = f"WITH {compared_sql}", "compared"
        cursor.execute(
            f"""
            {prefix}
            SELECT entity, system_id, element, COUNT(*), SUM(agrees), SUM(is_golden_row),
                   SUM(is_golden_row * agrees)
            FROM {source} WHERE comparable = 1
            GROUP BY entity, system_id, element
            """,  # noqa: S608
            compared_params,
        )
        for (
            entity,
            system_id,
            element,
            comparable,
            agreeing,
            golden,
            golden_agreeing,
        ) in cursor.fetchall():
            if (entity, element) not in bound:
                continue
            one = figures[entity].setdefault(codes[system_id], Figures())
            one.comparable[element] += int(comparable)
            one.agreeing[element] += int(agreeing)
            figures[entity][ALL].comparable[element] += int(golden)
            figures[entity][ALL].agreeing[element] += int(golden_agreeing)

    for (entity, scope), count in open_match_candidates(entities).items():
        if entity in figures and scope in figures[entity]:
            figures[entity][scope].open_candidates = count
    return figures


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def metrics_of(
    figures: Figures, element_codes: Sequence[str], *, now: dt.datetime
) -> dict[str, Any]:
    """The five metrics of one entity and system, shaped as the report's JSON."""
    last = figures.last_update
    return {
        "completeness": {e: _share(figures.filled[e], figures.records) for e in element_codes},
        "validity": {
            e: _share(figures.filled[e] - figures.invalid[e], figures.filled[e])
            for e in element_codes
        },
        "uniqueness": {
            "records": figures.records,
            "golden_records": figures.golden_records,
            "records_per_golden": _share(figures.records, figures.golden_records),
            "duplicate_rate": _share(figures.records - figures.golden_records, figures.records),
            "open_candidates": figures.open_candidates,
        },
        "consistency": {
            e: _share(figures.agreeing[e], figures.comparable[e]) for e in element_codes
        },
        "timeliness": {
            "last_update": last.isoformat() if last else None,
            "age_days": (now - last).total_seconds() / DAY if last else None,
            "mean_age_days": _share(figures.age_seconds / DAY, figures.records),
        },
    }


def summary_of(figures: Figures, elements: Sequence[MeasuredElement]) -> dict[str, Any]:
    """The scorecard figures of one entity and system (cell-weighted, see module docstring)."""
    required = [e.code for e in elements if e.required]
    codes = [e.code for e in elements]
    filled = sum(figures.filled[c] for c in codes)
    return {
        "records": figures.records,
        "golden_records": figures.golden_records,
        "completeness_required": _share(
            sum(figures.filled[c] for c in required), figures.records * len(required)
        ),
        "completeness_all": _share(filled, figures.records * len(codes)),
        "validity": _share(filled - sum(figures.invalid[c] for c in codes), filled),
        "consistency": _share(
            sum(figures.agreeing[c] for c in codes), sum(figures.comparable[c] for c in codes)
        ),
        "records_per_golden": _share(figures.records, figures.golden_records),
        "open_candidates": figures.open_candidates,
        "last_update": figures.last_update.isoformat() if figures.last_update else None,
    }


def ordered_scopes(per_entity: dict[str, Any]) -> list[str]:
    """System codes in alphabetical order, then ``ALL``."""
    return sorted(k for k in per_entity if k != ALL) + [ALL]


def compute_quality_metrics(
    *,
    now: dt.datetime,
    entities: Sequence[str] | None = None,
    comparison: Comparison | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report's metrics document and the scorecard summary, for every entity.

    ``metrics`` is shaped ``{entity: {system code | "ALL": {metric: ...}}}`` (see the module
    docstring for the definitions); ``summary`` has the same outer shape with the scorecard
    figures of ``summary_of``.
    """
    entities = list(entities or EntityChoices.values)
    elements = measured_elements(entities)
    figures = measure(now=now, entities=entities, elements=elements, comparison=comparison)
    metrics: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    for entity in entities:
        mine = [e for e in elements if e.entity == entity]
        codes = [e.code for e in mine]
        metrics[entity], summary[entity] = {}, {}
        for scope in ordered_scopes(figures[entity]):
            metrics[entity][scope] = metrics_of(figures[entity][scope], codes, now=now)
            summary[entity][scope] = summary_of(figures[entity][scope], mine)
    return metrics, summary
