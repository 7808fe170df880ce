"""Source systems, API users, tokens and roles."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dictionary.phones import DEFAULT_COUNTRY, is_country
from mdm.access.roles import ROLES
from mdm.db.bulk_sql import column_of, concrete_field
from mdm.errors import Conflict, NotFound, ServiceError
from mdm.models import ApiToken, CrosswalkGrant, SourceSystem, hash_token

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
    """The usable token of ``key``, with its user and the user's source system (or none).

    Every API request asks this, so it is one hand-written query rather than the ORM's
    ``ApiToken.objects.usable().select_related("user", "user__source_system")`` (whose
    building cost as much as the rest of a crosswalk look-up); the same rows, the same objects.
    """
    if connection.vendor != "postgresql":
        # Other backends convert column values themselves (SQLite: dates as text): the ORM.
        return (
            ApiToken.objects.usable()
            .select_related("user", "user__source_system")
            .filter(key_hash=hash_token(key))
            .first()
        )
    plan = _token_plan()
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [hash_token(key), timezone.now()])
        row = cursor.fetchone()
    if row is None:
        return None
    token, user, system = (
        model.from_db(
            connection.alias,
            [f.attname for f in fields],
            [_from_db(f, v) for f, v in zip(fields, row[start:end], strict=True)],
        )
        if row[start] is not None
        else None
        for model, fields, start, end in plan.parts
    )
    assert token is not None  # the row found is the token's
    token.user = user
    plan.system_rel.set_cached_value(user, system)
    return token


@dataclass(frozen=True)
class _TokenPlan:
    sql: str
    parts: tuple  # (model, fields, first column, end column) of token, user, source system
    system_rel: Any  # the user's reverse one-to-one to its source system


@lru_cache(maxsize=1)
def _token_plan() -> _TokenPlan:
    user_model = get_user_model()
    qn = connection.ops.quote_name
    parts, columns, start = [], [], 0
    for alias, model in (("t", ApiToken), ("u", user_model), ("s", SourceSystem)):
        fields = tuple(model._meta.concrete_fields)
        parts.append((model, fields, start, start + len(fields)))
        columns += [f"{alias}.{qn(column_of(f))}" for f in fields]
        start += len(fields)
    service_user = concrete_field(SourceSystem, "service_user")
    token_user = concrete_field(ApiToken, "user")
    sql = (
        f"SELECT {', '.join(columns)} FROM {qn(ApiToken._meta.db_table)} t "
        f"JOIN {qn(user_model._meta.db_table)} u "
        f"ON u.{qn(column_of(user_model._meta.pk))} = t.{qn(column_of(token_user))} "
        f"LEFT JOIN {qn(SourceSystem._meta.db_table)} s "
        f"ON s.{qn(column_of(service_user))} = u.{qn(column_of(user_model._meta.pk))} "
        # ApiToken.objects.usable(): active and not expired.
        "WHERE t.key_hash = %s AND t.is_active AND (t.expires_at IS NULL OR t.expires_at > %s)"
    )
    return _TokenPlan(sql, tuple(parts), service_user.remote_field)


def _from_db(field, value):
    """A column value as the ORM hands it to the model on PostgreSQL (which has no backend
    converters): through the field's ``from_db_value`` (JSON decoded, and so on)."""
    if value is not None and hasattr(field, "from_db_value"):
        return field.from_db_value(value, None, connection)
    return value


def _check_code(code: str) -> str:
    code = code.strip().upper()
    if not code or len(code) > 20 or not code.replace("_", "").replace("-", "").isalnum():
        raise ServiceError(
            "系统代码须为1至20位字母、数字、-或_",
            "System code must be 1 to 20 letters, digits, - or _",
            code="invalid_system_code",
        )
    return code


def _check_country(country: str) -> str:
    country = country.strip().upper()
    if not is_country(country):
        raise ServiceError(
            f"国家须为 ISO 3166-1 二位代码（如 CN、US），不是 {country or '空值'}",
            f"Country must be an ISO 3166-1 alpha-2 code (e.g. CN, US), not {country or 'empty'}",
            code="invalid_country",
        )
    return country


@transaction.atomic
def create_source_system(
    *,
    code: str,
    name: str,
    priority: int = 100,
    country: str = DEFAULT_COUNTRY,
    reads: Iterable[str] = (),
    read_by: Iterable[str] = (),
) -> tuple[SourceSystem, IssuedToken]:
    """Register a source system with its own service account and a first API token.

    ``country`` (ISO 3166-1 alpha-2) is where the system is: its phone numbers written without
    an international prefix are read as numbers of that country. ``reads``: systems whose
    local codes it may read; ``read_by``: systems that may read its codes (crosswalk grants).
    With ``MDM_CROSSWALK_OPEN`` it and every active system read each other's codes, as before
    grants existed; by default it reads only its own until granted.
    """
    code = _check_code(code)
    country = _check_country(country)
    if SourceSystem.objects.filter(code=code).exists():
        raise Conflict(f"源系统 {code} 已存在", f"Source system {code} already exists")
    user = get_user_model().objects.create_user(username=f"system-{code.lower()}")
    user.set_unusable_password()
    user.save()
    system = SourceSystem.objects.create(
        code=code, name=name, service_user=user, priority=priority, country=country
    )
    _grant_new_system(system, reads, read_by)
    return system, issue_token(user)


def _grant_new_system(system: SourceSystem, reads: Iterable[str], read_by: Iterable[str]) -> None:
    """The crosswalk grants of a system being registered (see ``create_source_system``)."""
    others = SourceSystem.objects.exclude(pk=system.pk)
    if settings.MDM_CROSSWALK_OPEN:
        readable = readers = list(others.filter(is_active=True).order_by("pk"))
    else:
        wanted = {c.strip().upper() for c in [*reads, *read_by] if c and c.strip()}
        found = {s.code: s for s in others.filter(code__in=wanted)}
        missing = sorted(wanted - set(found))
        if missing:
            raise NotFound(
                f"未知源系统 {', '.join(missing)}",
                f"Unknown source system {', '.join(missing)}",
                code="unknown_system",
            )
        readable = [found[c.strip().upper()] for c in reads if c and c.strip()]
        readers = [found[c.strip().upper()] for c in read_by if c and c.strip()]
    pairs = {(system, o) for o in readable} | {(o, system) for o in readers}
    for reader, owner in sorted(pairs, key=lambda p: (p[0].code, p[1].code)):
        CrosswalkGrant.objects.create(reader=reader, owner=owner)


@transaction.atomic
def _check_password(password: str, username: str) -> None:
    """The settings' password validators, as one bilingual error (Django's messages follow the
    active language)."""
    try:
        validate_password(password, get_user_model()(username=username))
    except ValidationError as exc:
        reasons = " ".join(exc.messages)
        raise ServiceError(
            f"密码不可用：{reasons}",
            f"The password cannot be used: {reasons}",
            code="weak_password",
        ) from None


def create_api_user(*, username: str, role: str, password: str | None = None) -> IssuedToken:
    """A user in one of the roles (groups), with an API token for stewards' tools and scripts.

    With a password (checked by the settings' validators) the user can also sign in to the
    admin; without one the password is unusable and only the token works."""
    if role not in ROLES:
        raise ServiceError(
            f"角色必须是 {', '.join(ROLES)} 之一",
            f"Role must be one of {', '.join(ROLES)}",
            code="invalid_role",
        )
    users = get_user_model().objects
    if users.filter(username=username).exists():
        raise Conflict(f"用户 {username} 已存在", f"User {username} already exists")
    if password is not None:
        _check_password(password, username)
    user = users.create_user(username=username, password=password)
    if password is None:
        user.set_unusable_password()
    user.is_staff = True
    user.is_superuser = role == "mdm_admin"
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return issue_token(user)
