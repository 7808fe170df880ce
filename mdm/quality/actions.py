"""What stewards do with quality issues: acknowledge, close with a reason, reassign.

Each action works on unresolved issues only, locks them in primary-key order and writes one
history row per issue with the steward and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from mdm.errors import ServiceError
from mdm.models import QualityIssue, QualityIssueResolutionChoices, QualityIssueStatusChoices
from mdm.quality.models import UNRESOLVED_STATUSES

Status = QualityIssueStatusChoices


def _unresolved_for_update(issue_ids: Iterable[int]) -> list[QualityIssue]:
    return list(
        QualityIssue.objects.select_for_update()
        .filter(pk__in=list(issue_ids), status__in=UNRESOLVED_STATUSES)
        .order_by("pk")
    )


def acknowledge_issues(*, issue_ids: Iterable[int], actor, note: str = "") -> int:
    """Mark open issues as seen and being worked on; returns how many changed."""
    with transaction.atomic():
        issues = [i for i in _unresolved_for_update(issue_ids) if i.status == Status.OPEN]
        now = timezone.now()
        for issue in issues:
            issue.status, issue.acknowledged_at, issue.acknowledged_by = (
                Status.ACKNOWLEDGED,
                now,
                actor,
            )
            issue.updated_at = now
        bulk_update_with_history(
            issues,
            QualityIssue,
            ["status", "acknowledged_at", "acknowledged_by", "updated_at"],
            default_user=actor,
            default_change_reason=(note or "acknowledged")[:100],
        )
        return len(issues)


def close_issues(*, issue_ids: Iterable[int], actor, reason: str) -> int:
    """Close unresolved issues by hand (e.g. an accepted exception); a reason is required.

    A closed issue is not reopened while the data stays as it is; a different bad value
    opens a new issue.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("关闭问题须填写原因", "A reason is required to close issues")
    with transaction.atomic():
        issues = _unresolved_for_update(issue_ids)
        now = timezone.now()
        for issue in issues:
            issue.status, issue.resolution = Status.CLOSED, QualityIssueResolutionChoices.DISMISSED
            issue.close_reason = reason[:300]
            issue.closed_at, issue.closed_by, issue.updated_at = now, actor, now
        bulk_update_with_history(
            issues,
            QualityIssue,
            ["status", "resolution", "close_reason", "closed_at", "closed_by", "updated_at"],
            default_user=actor,
            default_change_reason=reason[:100],
        )
        return len(issues)


def reassign_issues(
    *,
    issue_ids: Iterable[int],
    actor,
    owner_department: str = "",
    assignee=None,
    reason: str = "",
) -> int:
    """Give unresolved issues to another department and/or person."""
    owner_department = (owner_department or "").strip()
    if not owner_department and assignee is None:
        raise ServiceError("请填写责任部门或处理人", "Give an owner department or an assignee")
    with transaction.atomic():
        issues = _unresolved_for_update(issue_ids)
        now = timezone.now()
        for issue in issues:
            if owner_department:
                issue.owner_department = owner_department
            if assignee is not None:
                issue.assignee = assignee
            issue.updated_at = now
        bulk_update_with_history(
            issues,
            QualityIssue,
            ["owner_department", "assignee", "updated_at"],
            default_user=actor,
            default_change_reason=(reason or "reassigned")[:100],
        )
        return len(issues)
