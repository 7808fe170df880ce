"""The steward's workbench: the work queues of the hub and their counts, and recent activity.

The admin index shows these numbers, each linking to the list it counts; this module only
counts and reads (no writes), one grouped query per queue, so the landing page costs a fixed
number of queries whatever the size of the hub.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, CharField, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone, translation

from dictionary.models import DataElement
from matching.models import MatchCandidate, MatchCandidateStatusChoices
from mdm.linking.review import QUEUE_BANDS
from mdm.models import (
    GOLDEN_MODELS,
    UNFINISHED_STATUSES,
    Event,
    EventKindChoices,
    GoldenStatusChoices,
    JobRun,
    JobRunStatusChoices,
    QualityIssue,
    SourceRecord,
    WebhookDelivery,
    WebhookDeliveryStatusChoices,
)
from mdm.privacy import policy as privacy

#: How many lines of recent activity the landing page shows.
RECENT_ROWS = 12
#: The golden records' history rows an unmerge writes fall within this many seconds of its event.
UNMERGE_SECONDS = 5
#: How many job runs of each problem kind the landing page names (the count covers all).
JOB_ROWS = 5
#: How many (element, department) rows of open quality issues the landing page lists.
ISSUE_ROWS = 15


@dataclass(frozen=True)
class CandidateQueue:
    """Pending candidates of one entity, by score band (``QUEUE_BANDS`` keys) and in total."""

    entity: str
    total: int
    by_band: dict[str, int]


@dataclass(frozen=True)
class IssueQueue:
    """Unresolved quality issues of one element owned by one department."""

    element: str
    name_zh: str
    name_en: str
    department: str
    count: int

    @property
    def element_label(self) -> str:
        """The element's name in the page's language (its code when the dictionary has none)."""
        zh = (translation.get_language() or "").startswith("zh")
        return (self.name_zh if zh else self.name_en) or self.name_en or self.element


@dataclass(frozen=True)
class JobProblems:
    """Job runs that need an operator: failed ones and unfinished ones whose heartbeat stopped."""

    failed: int
    stuck: int
    runs: list[JobRun] = field(default_factory=list)


@dataclass(frozen=True)
class Activity:
    """One line of recent activity: what happened to which record, by whom, why."""

    when: datetime
    kind: str  # "decision", "golden", "unmerge", "job", "issue"
    action: str  # a status or history type code, shaped into words by the page
    entity: str
    subject: str  # codes only: never a name or another personal value
    who: str
    reason: str
    object_id: int | None = None
    #: Element codes a lock or unlock concerned; for an unmerge, the code it left.
    detail: str = ""
    #: The golden code the line is about, when ``object_id`` is not that record's.
    code: str = ""


@dataclass(frozen=True)
class Workbench:
    candidates: list[CandidateQueue] | None = None
    issues: list[IssueQueue] | None = None
    issue_total: int = 0
    jobs: JobProblems | None = None
    dead_letters: int | None = None
    recent: list[Activity] = field(default_factory=list)


def stuck_runs() -> QuerySet[JobRun]:
    """Unfinished runs whose heartbeat is older than ``MDM_JOB_STALE_SECONDS``: their process
    died (the next start of the same job resumes them)."""
    stale = timezone.now() - timedelta(seconds=settings.MDM_JOB_STALE_SECONDS)
    return JobRun.objects.filter(status__in=UNFINISHED_STATUSES, heartbeat_at__lt=stale)


def failed_runs() -> QuerySet[JobRun]:
    return JobRun.objects.filter(status=JobRunStatusChoices.FAILED)


def candidate_queues() -> list[CandidateQueue]:
    """Pending candidates per entity and score band, every entity listed (zeros included)."""
    bands = [
        When(
            (Q(score__gte=low) if low is not None else Q())
            & (Q(score__lt=high) if high is not None else Q()),
            then=Value(key),
        )
        for key, (low, high) in QUEUE_BANDS.items()
    ]
    rows = (
        MatchCandidate.objects.filter(status=MatchCandidateStatusChoices.PENDING)
        .annotate(band=Case(*bands, output_field=CharField()))
        .order_by()
        .values_list("entity", "band")
        .annotate(n=Count("pk"))
    )
    counts: dict[str, dict[str, int]] = {entity: {} for entity in GOLDEN_MODELS}
    for entity, band, n in rows:
        counts.setdefault(entity, {})[band] = n
    return [
        CandidateQueue(
            entity=entity,
            total=sum(by_band.values()),
            by_band={key: by_band.get(key, 0) for key in QUEUE_BANDS},
        )
        for entity, by_band in counts.items()
    ]


def issue_queues(limit: int = ISSUE_ROWS) -> tuple[list[IssueQueue], int]:
    """Unresolved quality issues by element and owner department, largest first, and the
    total of all of them (the list is cut at ``limit`` rows)."""
    rows = list(
        QualityIssue.objects.unresolved()
        .order_by()
        .values_list("element", "owner_department")
        .annotate(n=Count("pk"))
    )
    total = sum(n for _element, _department, n in rows)
    rows.sort(key=lambda row: (-row[2], row[0], row[1]))
    rows = rows[:limit]
    names = {
        code: (zh, en)
        for code, zh, en in DataElement.objects.filter(
            code__in={row[0] for row in rows}
        ).values_list("code", "name_zh", "name_en")
    }
    return [
        IssueQueue(
            element=element,
            name_zh=names.get(element, ("", ""))[0],
            name_en=names.get(element, ("", ""))[1],
            department=department,
            count=n,
        )
        for element, department, n in rows
    ], total


def job_problems(limit: int = JOB_ROWS) -> JobProblems:
    stuck = stuck_runs()
    failed = failed_runs()
    runs = sorted(
        [*stuck.order_by("-pk")[:limit], *failed.order_by("-pk")[:limit]],
        key=lambda run: run.pk,
        reverse=True,
    )
    return JobProblems(failed=failed.count(), stuck=stuck.count(), runs=runs)


def dead_letter_count() -> int:
    return WebhookDelivery.objects.filter(status=WebhookDeliveryStatusChoices.DEAD).count()


def _who(user: Any) -> str:
    return user.get_username() if user is not None else ""


def recent_activity(limit: int = RECENT_ROWS) -> list[Activity]:
    """The latest steward decisions, steward changes of golden records, closed or acknowledged
    quality issues and finished job runs, newest first. Subjects are codes, never names;
    reasons are free text a steward typed, so they pass the privacy policy's text redaction."""
    rows: list[Activity] = []
    decided = (
        MatchCandidate.objects.filter(decided_at__isnull=False)
        .select_related("left__system", "right__system", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )
    rows += [
        Activity(
            when=c.decided_at,
            kind="decision",
            action=c.status,
            entity=c.entity,
            subject=f"{c.left.system.code}:{c.left.local_code} ~ "
            f"{c.right.system.code}:{c.right.local_code}",
            who=_who(c.decided_by),
            reason=privacy.redact_text(c.reason),
            object_id=c.pk,
        )
        for c in decided
        if c.decided_at is not None  # as filtered
    ]
    for entity, model in GOLDEN_MODELS.items():
        # The row before each one (history ids grow), to tell a lock or a restore from an edit.
        before = model.history.filter(
            id=OuterRef("id"), history_id__lt=OuterRef("history_id")
        ).order_by("-history_id")
        changes = (
            model.history.filter(history_user__isnull=False)
            .annotate(
                locked_before=Subquery(before.values("locked")[:1]),
                status_before=Subquery(before.values("status")[:1]),
            )
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[:limit]
        )
        for h in changes:
            action, detail, reason = _golden_action(h)
            rows.append(
                Activity(
                    when=h.history_date,
                    kind="golden",
                    action=action,
                    entity=entity,
                    subject=h.code,
                    who=_who(h.history_user),
                    reason=privacy.redact_text(reason),
                    object_id=h.id,
                    detail=detail,
                )
            )
    unmerges = _unmerges(limit)
    rows = [row for row in rows if not _part_of(row, unmerges)] + unmerges
    handled = (
        QualityIssue.objects.exclude(status="open")
        .select_related("closed_by", "acknowledged_by")
        .order_by("-updated_at", "-pk")[:limit]
    )
    rows += [
        Activity(
            when=issue.updated_at,
            kind="issue",
            action=issue.status,
            entity=issue.entity,
            subject=f"#{issue.pk} {issue.element}",
            who=_who(issue.closed_by or issue.acknowledged_by),
            reason=privacy.redact_text(issue.close_reason),
            object_id=issue.pk,
        )
        for issue in handled
    ]
    finished = JobRun.objects.filter(finished_at__isnull=False).order_by("-finished_at", "-pk")
    rows += [
        Activity(
            when=run.finished_at,
            kind="job",
            action=run.status,
            entity=run.entity,
            subject=f"#{run.pk} {run.kind}",
            who="",
            reason="",
            object_id=run.pk,
        )
        for run in finished[:limit]
        if run.finished_at is not None  # as filtered
    ]
    rows.sort(key=lambda row: row.when, reverse=True)
    return rows[:limit]


def _golden_action(h: Any) -> tuple[str, str, str]:
    """(action, element codes, reason) of one steward row of a golden record's history.

    ``+`` created; ``merged``/``retired``; ``restored`` (active again after a merge: an
    unmerge); ``locked``/``unlocked`` (the steward overrides changed; a lock's reason is kept
    with the lock); else the status, read as "changed".
    """
    reason = h.history_change_reason or ""
    if h.history_type != "~":
        return h.history_type, "", reason
    if h.status_before == GoldenStatusChoices.MERGED and h.status == GoldenStatusChoices.ACTIVE:
        return "restored", "", reason
    if h.status != GoldenStatusChoices.ACTIVE:
        return h.status, "", reason
    now, then = h.locked or {}, h.locked_before or {}
    locked = sorted(a for a in now if now[a] != then.get(a))
    if locked:
        lock = now[locked[0]] if isinstance(now[locked[0]], dict) else {}
        return "locked", ", ".join(locked), reason or str(lock.get("reason", ""))
    unlocked = sorted(set(then) - set(now))
    if unlocked:
        return "unlocked", ", ".join(unlocked), reason
    return h.status, "", reason


def _part_of(row: Activity, unmerges: list[Activity]) -> bool:
    """Whether ``row`` is a golden record's own history row written by one of ``unmerges``
    (the record it left, the one restored or created): the unmerge's line says it all."""
    if row.kind != "golden" or row.action in ("locked", "unlocked", "merged", "retired"):
        return False
    return any(
        row.entity == u.entity
        and row.subject in (u.code, u.detail)
        and row.who == u.who
        and abs((row.when - u.when).total_seconds()) < UNMERGE_SECONDS
        for u in unmerges
    )


def _unmerges(limit: int) -> list[Activity]:
    """The latest unmerges (their ``unmerged`` events), with the steward and the reason the
    moved record's history row keeps (one more query, only when there are unmerges)."""
    events = list(Event.objects.filter(kind=EventKindChoices.UNMERGED).order_by("-seq")[:limit])
    if not events:
        return []
    members = {ev.seq: ((ev.payload or {}).get("member") or {}) for ev in events}
    wanted = Q(pk__in=[])
    for ev in events:
        member = members[ev.seq]
        wanted |= Q(
            entity=ev.entity,
            golden_code=ev.golden_code,
            system__code=member.get("system", ""),
            local_code=member.get("local_code", ""),
        )
    moves: dict[tuple[str, str, str], Any] = {}
    for row in (
        SourceRecord.history.filter(
            wanted,
            history_user__isnull=False,
            # The unmerge's own rows and later: not each member's whole steward history.
            history_date__gte=min(ev.created_at for ev in events)
            - timedelta(seconds=UNMERGE_SECONDS),
        )
        .select_related("history_user", "system")
        .order_by("history_date", "history_id")
    ):
        # The last steward row of the record in that golden record: the unmerge's (or later).
        moves[(row.golden_code, row.system.code, row.local_code)] = row
    found = []
    for ev in events:
        member = members[ev.seq]
        row = moves.get((ev.golden_code, member.get("system", ""), member.get("local_code", "")))
        found.append(
            Activity(
                when=ev.created_at,
                kind="unmerge",
                action="unmerged",
                entity=ev.entity,
                subject=f"{member.get('system', '')}:{member.get('local_code', '')}",
                who=_who(row.history_user) if row is not None else "",
                reason=privacy.redact_text(row.history_change_reason or "") if row else "",
                detail=str((ev.payload or {}).get("unmerged_from", "")),
                code=ev.golden_code,
            )
        )
    return found


def workbench(
    *,
    candidates: bool = False,
    golden: bool = False,
    issues: bool = False,
    jobs: bool = False,
    deliveries: bool = False,
) -> Workbench:
    """The queues a caller may see (each flag: the caller may view that list), and the recent
    activity drawn from those same lists."""
    issue_rows, issue_total = issue_queues() if issues else (None, 0)
    recent = [
        row
        for row in recent_activity()
        if {
            "decision": candidates,
            "golden": golden,
            "unmerge": golden,
            "issue": issues,
            "job": jobs,
        }[row.kind]
    ]
    return Workbench(
        candidates=candidate_queues() if candidates else None,
        issues=issue_rows,
        issue_total=issue_total,
        jobs=job_problems() if jobs else None,
        dead_letters=dead_letter_count() if deliveries else None,
        recent=recent,
    )
