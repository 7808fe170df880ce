"""Source systems, API users, tokens and roles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mdm.models import ApiToken, SourceSystem, hash_token
from mdm.services.errors import Conflict, NotFound, ServiceError
from mdm.services.roles import ROLES

TOKEN_PREFIX = "mdm_"


@dataclass(frozen=True)
class IssuedToken:
    key: str  # shown once; only its hash is stored
    token: ApiToken


def issue_token(user, *, expires_at=None) -> IssuedToken:
    """A new random API token for ``user``; the clear key is returned and never stored."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, key_hash=hash_token(key), prefix=key[:10], expires_at=expires_at
    )
    return IssuedToken(key=key, token=token)


@transaction.atomic
def rotate_token(*, owner: str, grace: timedelta, expires_at=None) -> tuple[IssuedToken, int]:
    """A new token for a user (username) or a source system (code); the user's other usable
    tokens expire after ``grace``, so the system can switch over without downtime.

    Returns the new token and how many old tokens were given the grace period.
    """
    users = get_user_model().objects
    user = users.filter(username=owner).first()
    if user is None:
        system = SourceSystem.objects.filter(code=owner.strip().upper()).first()
        user = system.service_user if system else None
    if user is None:
        raise NotFound(f"没有用户或源系统 {owner}", f"No user or source system {owner}")
    users.select_for_update().filter(pk=user.pk).first()  # one rotation of a user at a time
    deadline = timezone.now() + grace
    old = ApiToken.objects.usable().filter(user=user)
    ending = old.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=deadline))
    count = ending.update(expires_at=deadline)
    return issue_token(user, expires_at=expires_at), count


def authenticate_token(key: str) -> ApiToken | None:
    return (
        ApiToken.objects.usable()
        .select_related("user", "user__source_system")
        .filter(key_hash=hash_token(key))
        .first()
    )


def _check_code(code: str) -> str:
    code = code.strip().upper()
    if not code or len(code) > 20 or not code.replace("_", "").replace("-", "").isalnum():
        raise ServiceError(
            "系统代码须为1至20位字母、数字、-或_",
            "System code must be 1 to 20 letters, digits, - or _",
            code="invalid_system_code",
        )
    return code


@transaction.atomic
def create_source_system(
    *, code: str, name: str, priority: int = 100
) -> tuple[SourceSystem, IssuedToken]:
    """Register a source system with its own service account and a first API token."""
    code = _check_code(code)
    if SourceSystem.objects.filter(code=code).exists():
        raise Conflict(f"源系统 {code} 已存在", f"Source system {code} already exists")
    user = get_user_model().objects.create_user(username=f"system-{code.lower()}")
    user.set_unusable_password()
    user.save()
    system = SourceSystem.objects.create(code=code, name=name, service_user=user, priority=priority)
    return system, issue_token(user)


@transaction.atomic
def create_api_user(*, username: str, role: str, password: str | None = None) -> IssuedToken:
    """A user in one of the roles (groups), with an API token for stewards' tools and scripts."""
    if role not in ROLES:
        raise ServiceError(
            f"角色必须是 {', '.join(ROLES)} 之一",
            f"Role must be one of {', '.join(ROLES)}",
            code="invalid_role",
        )
    users = get_user_model().objects
    if users.filter(username=username).exists():
        raise Conflict(f"用户 {username} 已存在", f"User {username} already exists")
    user = users.create_user(username=username, password=password)
    if password is None:
        user.set_unusable_password()
    user.is_staff = True
    user.is_superuser = role == "mdm_admin"
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return issue_token(user)
