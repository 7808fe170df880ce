"""Quality issues: opened and closed by the data itself, set-based; worked off by stewards.

The data defines which issues should be open (the "desired issues", one SQL query in
``desired``):

* ``invalid``: an active record's value failed a ``flag`` rule (its element is in ``flagged``);
  the value as received, the problem code and message come from the record;
* ``contradiction``: a value contradicts what a valid identifier proves (a ``derived_mismatch``
  warning, e.g. a birth date that the resident ID disagrees with);
* ``branch_hq_code``: a branch record holds its head office's credit code (its ``credit_code``
  is flagged with a warning of that code by the matching write path);
* ``missing_required``: an active record has no value for a required element (possible for
  existing data once a binding becomes required; the write path rejects new ones);
* ``inconsistent``: the active members of one golden record, from two or more systems,
  disagree on an element (the value lists each system's values).

Reconciling = close every unresolved issue in scope that is no longer desired (resolution
``fixed``) and open every desired issue that is neither unresolved nor closed by a steward
(``dismissed``) — two statements, whatever the number of records, plus the history rows of
what changed (``history.insert_history_rows``). New issues on elements that a valid identifier
can prove (``DERIVABLE``) get that fact as their suggested fix. Stewards' actions on issues
are in ``actions``.

``sync_quality_issues`` reconciles the records of one write batch (and their golden records);
``reconcile_quality_issues`` reconciles everything (``quality_report``). On PostgreSQL a sync
takes a *shared* advisory lock per entity, so writers never wait for each other; the full run
computes without any lock and takes the *exclusive* one only to apply its result, leaving the
records written meanwhile to their writers' syncs (see ``reconcile_quality_issues``). So it
neither undoes a newer sync nor holds the write path up for more than the apply step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from dictionary import derivations
from dictionary.masking import mask_text, mask_value
from dictionary.models import EntityChoices
from mdm.db.bulk_sql import column_of, concrete_field
from mdm.models import (
    QualityIssue,
    QualityIssueKindChoices,
    QualityIssueResolutionChoices,
    QualityIssueStatusChoices,
    SourceRecord,
)
from mdm.privacy import crypto
from mdm.privacy import policy as privacy
from mdm.quality import sql
from mdm.quality.desired import desired_issues_sql
from mdm.quality.history import insert_history_rows
from mdm.quality.metrics import Comparison, measured_elements
from mdm.quality.models import UNRESOLVED_STATUSES

Kind = QualityIssueKindChoices
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
Status = QualityIssueStatusChoices

#: Elements whose value a valid identifier can prove (see ``dictionary.derivations``).
DERIVABLE = frozenset({"region_code", "birth_date"})
RECORD_KINDS = (Kind.INVALID, Kind.CONTRADICTION, Kind.MISSING_REQUIRED, Kind.BRANCH_HQ_CODE)
FIXED_REASON = "数据已更正 / The data no longer has this problem"
#: A full reconciliation that opened or closed this many issues refreshes the table statistics.
ANALYZE_AFTER = 10_000
#: Temporary tables of the full reconciliation (one session at a time: it holds the locks).
DESIRED_TABLE = "quality_desired_issues"
SEEN_RECORDS = "quality_seen_records"
CHANGED_RECORDS = "quality_changed_records"
CHANGED_GOLDENS = "quality_changed_goldens"
INSERT_COLUMNS = (
    "key",
    "entity",
    "kind",
    "element",
    "rule",
    "problem",
    "message",
    "source_record",
    "system",
    "golden_code",
    "value",
    "owner_department",
)


@dataclass
class IssueChanges:
    """What one reconciliation did, per entity."""

    opened: Counter = field(default_factory=Counter)
    closed: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            entity: {"opened": self.opened[entity], "closed": self.closed[entity]}
            for entity in sorted(set(self.opened) | set(self.closed))
        }


# --- locks --------------------------------------------------------------------------------------


def _lock_id(entity: str) -> int:
    digest = hashlib.blake2b(f"quality-issues:{entity}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_entities(entities: Iterable[str], *, exclusive: bool) -> None:
    """Advisory locks until the transaction ends (see module docstring); no-op on SQLite."""
    if not sql.is_postgresql():
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        for lock_id in sorted(_lock_id(e) for e in set(entities)):
            cursor.execute(f"SELECT {function}(%s)", [lock_id])


def _issue_scope(
    entities: Sequence[str],
    record_ids: Sequence[int] | None,
    golden_codes: Sequence[str] | None,
) -> tuple[str, list[Any]]:
    """The unresolved issues a reconciliation is responsible for, as a WHERE condition."""
    condition, params = sql.in_list("entity", entities)
    if record_ids is None:
        return condition, params
    records, record_params = sql.in_list("source_record_id", record_ids)
    goldens, golden_params = sql.in_list("golden_code", golden_codes or [])
    kinds, kind_params = sql.in_list("kind", list(RECORD_KINDS))
    return (
        f"{condition} AND (({kinds} AND {records}) OR (kind = %s AND {goldens}))",
        [*params, *kind_params, *record_params, Kind.INCONSISTENT, *golden_params],
    )


def _column(name: str) -> str:
    return connection.ops.quote_name(column_of(concrete_field(QualityIssue, name)))


def _not_changed(alias: str) -> str:
    """Condition: the issue row ``alias`` is not about a record or golden record that changed
    while the full run computed (see ``reconcile_quality_issues``)."""
    return (
        f"NOT EXISTS (SELECT 1 FROM {CHANGED_RECORDS} AS c WHERE c.id = {alias}.source_record_id)"
        f" AND NOT EXISTS (SELECT 1 FROM {CHANGED_GOLDENS} AS g"
        f" WHERE g.golden_code = {alias}.golden_code AND {alias}.kind = 'inconsistent')"
    )


def _apply(
    cursor,
    *,
    source: str,
    prefix: str,
    prefix_params: list[Any],
    scope: str,
    scope_params: list[Any],
    skip_changed: bool,
    now: dt.datetime,
    actor,
    reason: str,
) -> IssueChanges:
    """Close the unresolved issues in ``scope`` that ``source`` (the desired issues) no longer
    has, open those it newly has, fill suggested fixes and write the history rows.

    ``skip_changed`` leaves out the records and golden records of the full run's
    ``CHANGED_*`` tables.
    """
    issues = sql.table(QualityIssue)
    unresolved, unresolved_params = sql.in_list("status", list(UNRESOLVED_STATUSES))
    stamp = sql.adapt_datetime(now)
    skip_issue = f" AND {_not_changed(issues)}" if skip_changed else ""
    skip_desired = f" AND {_not_changed('d')}" if skip_changed else ""
    cursor.execute(
        f"""
        {prefix}
        UPDATE {issues}
        SET status = %s, resolution = %s, close_reason = %s, closed_at = %s, updated_at = %s
        WHERE {unresolved} AND {scope}{skip_issue}
          AND NOT EXISTS (SELECT 1 FROM {source} AS d WHERE d.key = {issues}.key)
        RETURNING id, entity
        """,  # noqa: S608 - table names come from model meta
        [
            *prefix_params,
            Status.CLOSED,
            QualityIssueResolutionChoices.FIXED,
            FIXED_REASON,
            stamp,
            stamp,
            *unresolved_params,
            *scope_params,
        ],
    )
    closed = cursor.fetchall()
    columns = ", ".join(_column(name) for name in INSERT_COLUMNS)
    extra = ", ".join(
        _column(name)
        for name in ("suggested_fix", "status", "resolution", "close_reason", "opened_at")
    )
    cursor.execute(
        f"""
        {prefix}
        INSERT INTO {issues} ({columns}, {extra}, {_column("updated_at")})
        SELECT d.key, d.entity, d.kind, d.element, d.rule, d.problem, d.message,
               d.source_record_id, d.system_id, d.golden_code, d.value, d.department,
               '', %s, '', '', %s, %s
        FROM {source} AS d
        WHERE NOT EXISTS (
            SELECT 1 FROM {issues} AS i
            WHERE i.key = d.key AND (i.status <> %s OR i.resolution = %s)
        ){skip_desired}
        ON CONFLICT DO NOTHING
        RETURNING id, entity, element
        """,  # noqa: S608
        [
            *prefix_params,
            Status.OPEN,
            stamp,
            stamp,
            Status.CLOSED,
            QualityIssueResolutionChoices.DISMISSED,
        ],
    )
    opened = cursor.fetchall()
    suggest_fixes([pk for pk, _, element in opened if element in DERIVABLE])
    mask_personal_values([pk for pk, entity, element in opened if _is_personal(entity, element)])
    user_id = actor.pk if actor is not None else None
    insert_history_rows(
        QualityIssue,
        [pk for pk, _ in closed],
        history_type="~",
        history_date=now,
        user_id=user_id,
        reason=FIXED_REASON,
    )
    insert_history_rows(
        QualityIssue,
        [pk for pk, _, _ in opened],
        history_type="+",
        history_date=now,
        user_id=user_id,
        reason=reason[:100],
    )
    changes = IssueChanges()
    changes.closed.update(entity for _, entity in closed)
    changes.opened.update(entity for _, entity, _ in opened)
    return changes


# --- suggested fixes ----------------------------------------------------------------------------


def derived_facts(attributes: dict[str, str], flagged: Collection[str]) -> dict[str, str]:
    """What the record's valid identifiers prove, as the write path derives it.

    The same order as ``dictionary.services``: the credit code first, then the resident ID.
    """
    facts: dict[str, str] = {}
    if attributes.get("credit_code") and "credit_code" not in flagged:
        facts.update(derivations.derive_from_uscc(attributes["credit_code"]))
    if attributes.get("id_number") and "id_number" not in flagged:
        # The resident ID is stored encrypted (sensitive personal data): derive from the clear
        # value in memory, never store it.
        facts.update(derivations.derive_from_resident_id(crypto.decrypt(attributes["id_number"])))
    return facts


def suggest_fixes(issue_ids: Sequence[int]) -> int:
    """Fill ``suggested_fix`` of new issues whose correct value a valid identifier proves.

    Only issues on ``DERIVABLE`` elements reach here (a few per batch), so the derivation runs
    in Python with ``dictionary.derivations`` rather than being re-implemented in SQL.
    """
    if not issue_ids:
        return 0
    fixed = []
    for issue in QualityIssue.objects.filter(
        pk__in=issue_ids, source_record__isnull=False
    ).select_related("source_record"):
        record = issue.source_record
        assert record is not None  # filtered above
        fact = derived_facts(record.attributes, record.flagged).get(issue.element)
        if fact and fact != record.attributes.get(issue.element):
            issue.suggested_fix = fact
            fixed.append(issue)
    # History for these rows is written right after, from the updated rows.
    QualityIssue.objects.bulk_update(fixed, ["suggested_fix"], batch_size=1000)
    return len(fixed)


# --- personal values ----------------------------------------------------------------------------


def _is_personal(entity: str, element: str) -> bool:
    return privacy.element_kind(entity, element) is not None


def mask_personal_values(issue_ids: Sequence[int]) -> int:
    """Store the value, suggested fix and message of new issues on personal elements masked.

    An issue is read by every steward, exported and kept in its history: it holds the mask, as
    the pages show it, never the value. An inconsistency lists each system's value, which the
    query compared by blind index for an encrypted element: the list is rebuilt from the
    members' values, masked.
    """
    if not issue_ids:
        return 0
    issues = list(QualityIssue.objects.filter(pk__in=issue_ids).select_related("source_record"))
    members: dict[str, list[tuple[str, dict]]] = {}
    codes = {i.golden_code for i in issues if i.kind == Kind.INCONSISTENT and i.golden_code}
    for code, system, attributes in (
        SourceRecord.objects.filter(golden_code__in=codes, is_active=True)
        .order_by("system__code")
        .values_list("golden_code", "system__code", "attributes")
    ):
        members.setdefault(code, []).append((system, attributes))
    for issue in issues:
        if issue.kind == Kind.INCONSISTENT:
            labels = sorted(
                {
                    f"{system}: {privacy.plain(attributes[issue.element])}"
                    for system, attributes in members.get(issue.golden_code, [])
                    if attributes.get(issue.element) not in (None, "")
                }
            )
            issue.value = privacy.masked_issue_value(
                issue.entity, issue.element, " | ".join(labels)
            )
        else:
            kind = privacy.element_kind(issue.entity, issue.element) or ""
            # The message quotes the value, and a contradiction also the value proven.
            for quoted in (privacy.plain(issue.value), issue.suggested_fix):
                issue.message = mask_text(issue.message, quoted, kind)
            if kind == "date":
                issue.message = DATE_RE.sub(mask_value("date", "2000-01-01"), issue.message)
            issue.value = privacy.masked_issue_value(issue.entity, issue.element, issue.value)
        issue.suggested_fix = privacy.masked_issue_value(
            issue.entity, issue.element, issue.suggested_fix
        )
    QualityIssue.objects.bulk_update(issues, ["value", "message", "suggested_fix"], batch_size=1000)
    return len(issues)


# --- the two entry points -----------------------------------------------------------------------


def sync_quality_issues(
    entity: str,
    source_record_ids: Collection[int],
    *,
    golden_codes: Collection[str] = (),
    actor=None,
    reason: str = "",
) -> IssueChanges:
    """Reconcile the issues of a batch of source records, after the batch was written.

    For the write path: call it once per batch of upserts, with the ids of the records written
    (inside the batch's transaction, or right after it). Record-level issues of
    ``source_record_ids`` and the inconsistencies of their golden records are recomputed; pass
    the batch's *previous* golden codes too (``golden_codes``) when records moved between
    golden records, so that a golden record they left is rechecked. Anything missed is caught
    by the next ``quality_report``.
    """
    ids = sorted({int(pk) for pk in source_record_ids})
    if not ids and not golden_codes:
        return IssueChanges()
    now = timezone.now()
    with transaction.atomic():
        _lock_entities([entity], exclusive=False)
        current = SourceRecord.objects.filter(pk__in=ids).exclude(golden_code="")
        goldens = sorted(set(current.values_list("golden_code", flat=True)) | set(golden_codes))
        elements = measured_elements([entity])
        desired, desired_params = desired_issues_sql(elements, record_ids=ids, golden_codes=goldens)
        scope, scope_params = _issue_scope([entity], ids, goldens)
        with connection.cursor() as cursor:
            return _apply(
                cursor,
                source="desired",
                prefix=f"WITH {desired}",
                prefix_params=desired_params,
                scope=scope,
                scope_params=scope_params,
                skip_changed=False,
                now=now,
                actor=actor,
                reason=reason or "upsert",
            )


def reconcile_quality_issues(
    *,
    entities: Sequence[str] | None = None,
    actor=None,
    reason: str = "quality_report",
    now: dt.datetime | None = None,
    comparison: Comparison | None = None,
) -> IssueChanges:
    """Reconcile every issue of the entities with the data, in bulk (``quality_report``).

    Writers are held up only while the changes are applied, not while they are computed:

    1. Note the row version (PostgreSQL ``xmin``) of every source record, before reading
       anything else.
    2. Compute the desired issues from all records into a temporary table (no lock).
    3. Take the exclusive entity locks: writers in the middle of a sync finish first, new
       syncs wait until the commit.
    4. Records whose row version changed since step 1 were written (and synced) meanwhile:
       leave their issues, and the inconsistencies of their golden records old and new, to
       their writers' syncs, whose results step 2 may not have seen.
    5. Close and open the rest, write the history rows; the commit releases the locks.

    SQLite serializes writers itself: there steps 1, 3 and 4 are skipped. A ``comparison``
    (see ``metrics.Comparison``) is built in step 2 and left for the caller's metrics.
    """
    entities = list(entities or EntityChoices.values)
    now = now or timezone.now()
    postgresql = sql.is_postgresql()
    records = sql.table(SourceRecord)
    entity_filter, entity_params = sql.in_list("sr.entity", entities)
    scope, scope_params = _issue_scope(entities, None, None)
    with transaction.atomic(), connection.cursor() as cursor:
        sql.tune_for_full_scans()
        for name in (DESIRED_TABLE, SEEN_RECORDS, CHANGED_RECORDS, CHANGED_GOLDENS):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        if postgresql:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {SEEN_RECORDS} AS "  # noqa: S608
                f"SELECT sr.id, sr.xmin AS row_version, sr.golden_code FROM {records} AS sr "
                f"WHERE {entity_filter}",
                entity_params,
            )
        if comparison is not None:
            comparison.build()
        desired, desired_params = desired_issues_sql(
            measured_elements(entities), comparison=comparison
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE {DESIRED_TABLE} AS WITH {desired} SELECT * FROM desired",
            desired_params,
        )
        cursor.execute(f"CREATE INDEX {DESIRED_TABLE}_key ON {DESIRED_TABLE} (key)")
        cursor.execute(f"ANALYZE {DESIRED_TABLE}")
        if postgresql:
            _lock_entities(entities, exclusive=True)
            cursor.execute(
                f"CREATE TEMPORARY TABLE {CHANGED_RECORDS} AS "  # noqa: S608
                f"SELECT sr.id, sr.golden_code, s.golden_code AS seen_golden_code "
                f"FROM {records} AS sr LEFT JOIN {SEEN_RECORDS} AS s ON s.id = sr.id "
                f"WHERE {entity_filter} AND (s.id IS NULL OR sr.xmin <> s.row_version)",
                entity_params,
            )
            cursor.execute(
                f"CREATE TEMPORARY TABLE {CHANGED_GOLDENS} AS "
                f"SELECT golden_code FROM {CHANGED_RECORDS} UNION "
                f"SELECT seen_golden_code FROM {CHANGED_RECORDS} WHERE seen_golden_code IS NOT NULL"
            )
        changes = _apply(
            cursor,
            source=DESIRED_TABLE,
            prefix="",
            prefix_params=[],
            scope=scope,
            scope_params=scope_params,
            skip_changed=postgresql,
            now=now,
            actor=actor,
            reason=reason,
        )
        for name in (DESIRED_TABLE, SEEN_RECORDS, CHANGED_RECORDS, CHANGED_GOLDENS):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    if sum(changes.opened.values()) + sum(changes.closed.values()) >= ANALYZE_AFTER:
        # Fresh statistics before the write path's next sync plans its look-ups by record.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {sql.table(QualityIssue)}")
    return changes
