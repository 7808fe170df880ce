"""Admin login lock-out: too many failures lock a username at an address, or the address.

* Per (username, address): ``MDM_LOGIN_MAX_FAILURES`` failures lock that username at that
  address, so that someone guessing from elsewhere cannot lock the real user out.
* Per address: ``MDM_LOGIN_MAX_ADDRESS_FAILURES`` failures over *any* usernames lock every
  login from that address. Without it, guesses spread over many usernames (one password tried
  against every account) were never throttled. A successful login does not reset it: one valid
  account must not buy an attacker more guesses at the others.

Counts live in ``LoginFailure`` rows (the address's own row has an empty username, which no
login form sends), so that every web worker sees the same counts.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mdm.models import LoginFailure


def _window() -> timedelta:
    return timedelta(minutes=settings.MDM_LOGIN_LOCKOUT_MINUTES)


#: The username of an address's own row (a login form never sends an empty username).
ADDRESS_ROW = ""


def is_locked(*, username: str, ip: str) -> bool:
    """True while the username at this address, or the address itself, is locked."""
    return LoginFailure.objects.filter(
        username__in=[username[:150], ADDRESS_ROW], ip=ip[:64], locked_until__gt=timezone.now()
    ).exists()


def _count(*, username: str, ip: str, limit: int, now) -> LoginFailure:
    row, _ = LoginFailure.objects.select_for_update().get_or_create(
        username=username, ip=ip, defaults={"first_failure_at": now}
    )
    if row.first_failure_at < now - _window() or (row.locked_until and row.locked_until <= now):
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + _window()
    row.save()
    return row


def record_failure(*, username: str, ip: str) -> LoginFailure:
    """Count a failure of the username at the address and of the address; the
    ``MDM_LOGIN_MAX_FAILURES``-th of one username, or the ``MDM_LOGIN_MAX_ADDRESS_FAILURES``-th
    of the address, within the window locks.

    The rows are taken with ``select_for_update`` (created first when missing), in one order
    (the address row first), so concurrent failures are all counted without deadlocks.
    Returns the username's row.
    """
    now = timezone.now()
    with transaction.atomic():
        _count(
            username=ADDRESS_ROW,
            ip=ip[:64],
            limit=settings.MDM_LOGIN_MAX_ADDRESS_FAILURES,
            now=now,
        )
        return _count(
            username=username[:150] or "?",
            ip=ip[:64],
            limit=settings.MDM_LOGIN_MAX_FAILURES,
            now=now,
        )


def record_success(*, username: str, ip: str) -> None:
    """Forget the username's failures at this address (not the address's own count)."""
    LoginFailure.objects.filter(username=username[:150] or "?", ip=ip[:64]).delete()


def locked_message() -> str:
    minutes = settings.MDM_LOGIN_LOCKOUT_MINUTES
    return (
        f"登录失败次数过多，该账号或该地址已锁定 {minutes} 分钟，请稍后再试。 "
        f"Too many failed logins: this account or this address is locked for {minutes} "
        "minutes; try again later."
    )
