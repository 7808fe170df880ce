"""Deployment settings, security headers, throttling, login lock-out, tokens, body limits and
the repository's freedom from secrets."""

from __future__ import annotations

import io
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from mdm.access.accounts import issue_token
from mdm.models import ApiToken, LoginFailure, SourceRecord
from tests.support.personas import make_user

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)


def production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MDM_", "SECURE_"))}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="mdm.example.com",
        CSRF_TRUSTED_ORIGINS="https://mdm.example.com",
        MDM_HTTPS="1",
        MDM_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        MDM_BLIND_INDEX_KEY=secrets.token_hex(32),
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        DATABASE_URL=os.environ.get("DATABASE_URL", ""),
    )
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr.upper()


def test_check_deploy_warns_without_https_and_keys_from_the_environment():
    env = {k: v for k, v in production_env().items() if not k.startswith("MDM_")}

    result = manage("check", "--deploy", env=env)

    assert "mdm.W001" in result.stderr and "mdm.W002" in result.stderr


def test_production_refuses_to_start_without_encryption_keys():
    env = {k: v for k, v in production_env().items() if k != "MDM_ENCRYPTION_KEYS"}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "MDM_ENCRYPTION_KEYS" in result.stderr


# ---- headers


@pytest.mark.parametrize("url", ["/admin/login/", "/api/docs/", "/api/schema/"])
def test_pages_carry_a_content_security_policy_and_secure_headers(url):
    response = Client().get(url)

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_api_docs_have_no_inline_script():
    html = Client().get("/api/docs/").content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert Client().get("/api/docs/?script=").status_code == 200


# ---- throttling


@override_settings(
    REST_FRAMEWORK=settings.REST_FRAMEWORK
    | {"DEFAULT_THROTTLE_RATES": {"token": "3/min", "user": "5/min", "anon": "2/min"}}
)
def test_a_token_is_throttled_on_its_own(erp):
    answers = [erp.client.get("/api/v1/events/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    body = erp.client.get("/api/v1/events/").json()
    assert body["errors"]["non_field_errors"][0]["code"] == "throttled"


@override_settings(
    REST_FRAMEWORK=settings.REST_FRAMEWORK
    | {"DEFAULT_THROTTLE_RATES": {"token": "3/min", "user": "5/min", "anon": "2/min"}}
)
def test_a_user_is_throttled_across_its_tokens(erp):
    second = APIClient()
    second.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(erp.system.service_user).key}")

    first = [erp.client.get("/api/v1/events/").status_code for _ in range(3)]
    other = [second.get("/api/v1/events/").status_code for _ in range(3)]

    assert first == [200, 200, 200]
    assert other == [200, 200, 429]


@override_settings(
    REST_FRAMEWORK=settings.REST_FRAMEWORK
    | {"DEFAULT_THROTTLE_RATES": {"token": "3/min", "user": "5/min", "anon": "2/min"}}
)
def test_anonymous_callers_are_throttled_by_address():
    client = APIClient()

    answers = [client.get("/api/schema/").status_code for _ in range(3)]

    assert answers == [200, 200, 429]


# ---- login lock-out


def login(client: Client, password: str, ip: str = "10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "steward.he", "password": password},
        REMOTE_ADDR=ip,
    )


@override_settings(MDM_LOGIN_MAX_FAILURES=3, MDM_LOGIN_LOCKOUT_MINUTES=15)
def test_repeated_failures_lock_the_login_for_a_while():
    make_user("steward.he", "data_steward", password="right password 1")
    client = Client()

    for _ in range(3):
        assert login(client, "wrong").status_code == 200
    locked = login(client, "right password 1")
    other_address = login(Client(), "right password 1", ip="10.0.0.2")

    assert locked.status_code == 200
    assert (
        "已锁定" in locked.content.decode() and "locked for 15 minutes" in locked.content.decode()
    )
    assert other_address.status_code == 302
    row = LoginFailure.objects.get(username="steward.he", ip="10.0.0.1")
    row.locked_until = timezone.now() - timedelta(seconds=1)
    row.save()
    assert login(client, "right password 1").status_code == 302
    assert not LoginFailure.objects.filter(username="steward.he", ip="10.0.0.1").exists()
    # The address keeps its own count: a good login does not buy more guesses elsewhere.
    assert LoginFailure.objects.get(username="", ip="10.0.0.1").failures == 3


@override_settings(MDM_LOGIN_MAX_FAILURES=3, MDM_LOGIN_MAX_ADDRESS_FAILURES=4)
def test_failures_spread_over_many_usernames_lock_the_address():
    make_user("steward.he", "data_steward", password="right password 1")
    sprayer = Client()

    for name in ("ann", "bob", "cat", "dan"):
        answer = sprayer.post(
            "/admin/login/?next=/admin/",
            {"username": name, "password": "Spring2026!"},
            REMOTE_ADDR="10.0.0.9",
        )
        assert answer.status_code == 200
    locked = login(Client(), "right password 1", ip="10.0.0.9")
    elsewhere = login(Client(), "right password 1", ip="10.0.0.10")

    assert locked.status_code == 200
    assert "this address is locked for" in locked.content.decode()
    assert elsewhere.status_code == 302
    assert LoginFailure.objects.get(username="", ip="10.0.0.9").failures == 4


# ---- tokens


def test_an_expired_token_is_refused(erp):
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert erp.client.get("/api/v1/events/").status_code == 401


def test_rotating_a_token_keeps_the_old_one_for_the_grace_period(erp):
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_token", "ERP", "--grace-hours", "2", stdout=out, stderr=err)
    new = APIClient()
    new.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")

    assert new.get("/api/v1/events/").status_code == 200
    assert erp.client.get("/api/v1/events/").status_code == 200
    old = ApiToken.objects.get(prefix=erp.token[:10])
    assert timedelta(hours=1.9) < old.expires_at - timezone.now() <= timedelta(hours=2)
    old.expires_at = timezone.now()
    old.save()
    assert erp.client.get("/api/v1/events/").status_code == 401
    assert new.get("/api/v1/events/").status_code == 200


def test_rotating_a_token_of_an_unknown_owner_fails(db):
    with pytest.raises(CommandError):
        call_command("rotate_token", "NOBODY", stdout=io.StringIO(), stderr=io.StringIO())


def test_tokens_are_stored_hashed(erp):
    (token,) = ApiToken.objects.all()

    assert erp.token not in (token.key_hash, token.prefix)
    assert len(token.key_hash) == 64


# ---- body size


def test_a_body_over_the_limit_is_refused_with_413(erp):
    body = '{"name": "' + "x" * (settings.MDM_MAX_BODY_BYTES + 1) + '"}'

    response = erp.client.generic(
        "PUT", "/api/v1/sources/ERP/customers/BIG", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert SourceRecord.objects.count() == 0


# ---- no secret in the repository

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----"),
    "AWS key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "hub API token": re.compile(r"\bmdm_[A-Za-z0-9_-]{43}\b"),
    "Fernet key": re.compile(r"\b[A-Za-z0-9_-]{43}=(?![A-Za-z0-9_=-])"),
    "assigned secret": re.compile(
        r"(?i)\b(?:secret_key|password|api_key|blind_index_key)\s*[:=]\s*['\"][^'\"\s]{16,}['\"]"
    ),
}
ALLOWED = {"correct horse battery"}  # test-only passwords of fixture users


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_secret_is_tracked_in_the_repository():
    files = tracked_files()
    names = {path.name for path in files}
    found = []
    for path in files:
        if path.suffix in (".png", ".jpg", ".xlsx", ".gz", ".zip", ".woff", ".woff2", ".ico"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for label, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if not any(allowed in match.group(0) for allowed in ALLOWED):
                    found.append(f"{path.relative_to(ROOT)}: {label}: {match.group(0)[:12]}…")

    assert not {".secret_key", ".secret_key.crypto.json", "db.sqlite3"} & names
    assert found == []
