"""Admin login lock-out: too many failures of one username from one address lock it a while.

Counted per (username, address) in ``LoginFailure`` rows, so that every web worker sees the
same counts, and so that someone guessing from elsewhere cannot lock the real user out.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mdm.models import LoginFailure


def _window() -> timedelta:
    return timedelta(minutes=settings.MDM_LOGIN_LOCKOUT_MINUTES)


def is_locked(*, username: str, ip: str) -> bool:
    return LoginFailure.objects.filter(
        username=username[:150], ip=ip[:64], locked_until__gt=timezone.now()
    ).exists()


def record_failure(*, username: str, ip: str) -> LoginFailure:
    """Count a failure; the ``MDM_LOGIN_MAX_FAILURES``-th within the window locks the login.

    The row is taken with ``select_for_update`` (created first when missing), so concurrent
    failures are all counted.
    """
    now = timezone.now()
    with transaction.atomic():
        row, _ = LoginFailure.objects.select_for_update().get_or_create(
            username=username[:150], ip=ip[:64], defaults={"first_failure_at": now}
        )
        if row.first_failure_at < now - _window() or (row.locked_until and row.locked_until <= now):
            row.failures, row.first_failure_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= settings.MDM_LOGIN_MAX_FAILURES:
            row.locked_until = now + _window()
        row.save()
        return row


def record_success(*, username: str, ip: str) -> None:
    LoginFailure.objects.filter(username=username[:150], ip=ip[:64]).delete()


def locked_message() -> str:
    minutes = settings.MDM_LOGIN_LOCKOUT_MINUTES
    return (
        f"登录失败次数过多，该账号已锁定 {minutes} 分钟，请稍后再试。 "
        f"Too many failed logins: this account is locked for {minutes} minutes; try again later."
    )
