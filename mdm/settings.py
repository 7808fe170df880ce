"""Settings of the MDM hub, read from environment variables (see README "Configuration").

Embedded default: a SQLite file next to manage.py and Celery tasks run eagerly in process.
Production: DATABASE_URL (PostgreSQL, psycopg 3), CELERY_BROKER_URL (Redis), SECRET_KEY, ALLOWED_HOSTS.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from mdm import env

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env.get_bool("DEBUG", False)
DATABASE_URL = env.get_str("DATABASE_URL", "")


def _secret_key() -> str:
    """SECRET_KEY from the environment; the embedded demo generates and keeps its own."""
    key = env.get_str("SECRET_KEY")
    if key:
        return key
    if DATABASE_URL and not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set")
    # Embedded mode only: a random key kept in a git-ignored file, never in the repository.
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "dictionary",
    "matching",
    "mdm",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mdm.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "mdm.urls"
WSGI_APPLICATION = "mdm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The hub's admin/base_site.html must win over django.contrib.admin's own, which an app
        # template directory listed after django.contrib.admin cannot.
        "DIRS": [BASE_DIR / "mdm" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if DATABASE_URL:
    # Health checks: a persistent connection that the server dropped (restart, failover,
    # pg_terminate_backend) is replaced before the request uses it instead of answering 500.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Server-side parameter binding: bulk inserts and key lists travel as parameters
        # instead of being escaped into the SQL text by the client.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["server_side_binding"] = True
        # Statements a connection runs often (the token look-up, the crosswalk, the upsert's
        # reads) are prepared once: PostgreSQL then skips parsing and planning them. 0 turns
        # it off (needed behind a PgBouncer in transaction mode older than 1.21).
        options["prepare_threshold"] = env.get_int("DB_PREPARE_THRESHOLD", 5) or None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / "db.sqlite3"),
            # The embedded demo serves the admin while imports run: wait for the write lock.
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The block-key index carries the record ids (INCLUDE) for PostgreSQL's index-only
    # candidate look-up; SQLite builds the same index without them, which the demo can afford.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = env.get_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# English msgids in the code, the Simplified Chinese catalogue in locale/ (compiled by the build:
# `make messages`); Chinese unless the steward picks English in the admin header.
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["mdm.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Requests over 1 MiB are refused before they reach a view (REST contract: 413).
MDM_MAX_BODY_BYTES = env.get_int("MDM_MAX_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MDM_MAX_BODY_BYTES
MDM_BULK_MAX_ITEMS = 1000
# Advisory locks one write transaction may take (a record takes up to five: its local code and
# four identifier keys). PostgreSQL holds them in one lock table for all connections, sized
# max_locks_per_transaction (64 by default) times max_connections: two import workers writing
# 500 records at a time filled it ("out of shared memory"). A batch with more keys is written
# in several transactions. Raise both together.
MDM_LOCKS_PER_TRANSACTION = env.get_int("MDM_LOCKS_PER_TRANSACTION", 1000)

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mdm.access.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "mdm.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": None,
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MDM hub API",
    "DESCRIPTION": "Golden records, crosswalk and change feed for source systems (ERP, CRM, shop).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mdm.api.schema.add_dictionary_schemas",
        "mdm.api.schema.add_error_responses",
    ],
    # One name per enum wherever it appears (a generated client gets one type).
    "ENUM_NAME_OVERRIDES": {
        "LinkEnum": "mdm.records.models.sources.SourceRecordLinkChoices",
        "EntityEnum": "dictionary.models.EntityChoices",
        "GoldenStatusEnum": "mdm.records.models.golden.GoldenStatusChoices",
        "CandidateStatusEnum": "matching.models.MatchCandidateStatusChoices",
        "EventKindEnum": "mdm.feed.models.events.EventKindChoices",
    },
}

# Celery: no broker means the embedded default, where tasks run eagerly in process.
CELERY_BROKER_URL = env.get_str("CELERY_BROKER_URL", "") or None
CELERY_RESULT_BACKEND = env.get_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or "") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.get_str("LOG_LEVEL", "WARNING")},
}

# --- jobs and webhooks ---
# Background jobs (JobRun), the beat schedule and webhook delivery; see README "Workers and
# scale-out". Times are HH:MM in TIME_ZONE, or "off".
from mdm.jobs import schedule  # noqa: E402

# Workers and producers agree on the queue; separate environments can share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env.get_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# A worker killed mid-task (OOM, deploy) hands its task back to the queue (with acks_late).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = 24 * 3600

# A run or chunk whose heartbeat is older than this is taken to have lost its worker: the
# watchdog (every MDM_JOB_WATCHDOG_SECONDS, from the beat) hands it back to the workers, and the
# next start takes the run over. Heartbeats are sent every MDM_JOB_HEARTBEAT_SECONDS while a run
# or chunk works, from a side thread, so a long step keeps them fresh. The defaults notice a
# killed worker within a minute.
MDM_JOB_STALE_SECONDS = schedule.positive_int("MDM_JOB_STALE_SECONDS", 45)
MDM_JOB_HEARTBEAT_SECONDS = schedule.positive_int("MDM_JOB_HEARTBEAT_SECONDS", 10)
MDM_JOB_WATCHDOG_SECONDS = schedule.positive_int("MDM_JOB_WATCHDOG_SECONDS", 10)
if MDM_JOB_HEARTBEAT_SECONDS * 2 > MDM_JOB_STALE_SECONDS:
    raise ImproperlyConfigured(
        "MDM_JOB_HEARTBEAT_SECONDS must be at most half MDM_JOB_STALE_SECONDS"
    )
MDM_JOB_CHUNK_MAX_RETRIES = schedule.positive_int("MDM_JOB_CHUNK_MAX_RETRIES", 3, minimum=0)
MDM_JOB_CHUNK_RETRY_SECONDS = schedule.positive_int("MDM_JOB_CHUNK_RETRY_SECONDS", 10)

# History rows older than this many days are deleted nightly (0 keeps history forever).
MDM_HISTORY_RETENTION_DAYS = schedule.positive_int("MDM_HISTORY_RETENTION_DAYS", 730, minimum=0)
MDM_HISTORY_CLEANUP_BATCH = schedule.positive_int("MDM_HISTORY_CLEANUP_BATCH", 10_000)

MDM_WEBHOOK_MAX_ATTEMPTS = schedule.positive_int("MDM_WEBHOOK_MAX_ATTEMPTS", 8)
MDM_WEBHOOK_BACKOFF_SECONDS = schedule.positive_int("MDM_WEBHOOK_BACKOFF_SECONDS", 30, minimum=0)
MDM_WEBHOOK_BACKOFF_MAX_SECONDS = schedule.positive_int("MDM_WEBHOOK_BACKOFF_MAX_SECONDS", 3600)
MDM_WEBHOOK_TIMEOUT_SECONDS = schedule.positive_int("MDM_WEBHOOK_TIMEOUT_SECONDS", 10)
MDM_WEBHOOK_BATCH = schedule.positive_int("MDM_WEBHOOK_BATCH", 100)
MDM_WEBHOOK_POLL_SECONDS = schedule.positive_int("MDM_WEBHOOK_POLL_SECONDS", 30)
# Wake the deliverers right after each golden change (only with a broker: eager mode would
# post from inside the request); the periodic dispatch catches up on anything missed.
MDM_WEBHOOK_DISPATCH_ON_COMMIT = env.get_bool(
    "MDM_WEBHOOK_DISPATCH_ON_COMMIT", CELERY_BROKER_URL is not None
)

# Records whose prepared features a batch match keeps in memory per scoring process (about 5 KB
# each): the bound on its memory, whatever the number of records. A scorer drops a record after
# the last window of pairs that needs it and, past this limit, those needed furthest ahead
# (prepared again when their window comes). At a million records a process still needs about
# 400,000 at its busiest: 300,000 prepares some 8% of the records twice (bench_match --scale).
MDM_MATCH_FEATURE_CACHE = schedule.positive_int("MDM_MATCH_FEATURE_CACHE", 300_000)
# The auto-link cut a re-fit chooses (mdm/linking/learning.py, matching/engine/cut.py):
# the lowest match probability at which the run's automatic links, by the fitted model's own
# probabilities (less one standard deviation), are still MDM_AUTO_LINK_PRECISION precise; never
# below MDM_AUTO_LINK_FLOOR, never above the rule's own auto threshold. 1 keeps the fixed one.
MDM_AUTO_LINK_PRECISION = env.get_probability("MDM_AUTO_LINK_PRECISION", 0.97)
MDM_AUTO_LINK_FLOOR = env.get_probability("MDM_AUTO_LINK_FLOOR", 0.85)
MDM_MATCH_ENTITIES = env.get_list("MDM_MATCH_ENTITIES", ["customers", "products", "materials"])
CELERY_BEAT_SCHEDULE = schedule.beat_schedule(
    match_at=schedule.daily_at("MDM_NIGHTLY_MATCH_AT", "01:30"),
    match_entities=MDM_MATCH_ENTITIES,
    quality_at=schedule.daily_at("MDM_QUALITY_REPORT_AT", "04:30"),
    history_at=schedule.daily_at("MDM_HISTORY_CLEANUP_AT", "03:30"),
    webhook_every=MDM_WEBHOOK_POLL_SECONDS,
    watchdog_every=MDM_JOB_WATCHDOG_SECONDS,
)
# The message bus (AMQP, RabbitMQ): inbox items and master-data events are published there
# when MDM_AMQP_URL is set (amqp://user:password@host:5672/vhost); see README "Business documents".
MDM_AMQP_URL = env.get_str("MDM_AMQP_URL", "") or ""
MDM_AMQP_EXCHANGE = env.get_str("MDM_AMQP_EXCHANGE", "mdm") or "mdm"
MDM_AMQP_TIMEOUT = schedule.positive_int("MDM_AMQP_TIMEOUT", 5)
MDM_BUS_PUBLISH_SECONDS = schedule.positive_int("MDM_BUS_PUBLISH_SECONDS", 5)
if MDM_AMQP_URL:
    CELERY_BEAT_SCHEDULE["bus-publish"] = {
        "task": "mdm.tasks.publish_bus_task",
        "schedule": float(MDM_BUS_PUBLISH_SECONDS),
        "options": {"expires": float(MDM_BUS_PUBLISH_SECONDS)},
    }
# Documents and status changes go to the receivers' webhooks too (mdm.documents.push): the
# beat wakes the pushers as often as the webhook deliverers (commits wake them at once).
CELERY_BEAT_SCHEDULE["document-push"] = {
    "task": "mdm.tasks.dispatch_document_pushes_task",
    "schedule": float(MDM_WEBHOOK_POLL_SECONDS),
    "options": {"expires": float(MDM_WEBHOOK_POLL_SECONDS)},
}
# Business documents held for a mapping that now exists are released this often (the API
# releases at once after an upsert; this covers imports and stewards' edits).
MDM_DOCUMENT_RELEASE_SECONDS = schedule.positive_int("MDM_DOCUMENT_RELEASE_SECONDS", 30)
CELERY_BEAT_SCHEDULE["document-release"] = {
    "task": "mdm.tasks.release_held_documents_task",
    "schedule": float(MDM_DOCUMENT_RELEASE_SECONDS),
    "options": {"expires": float(MDM_DOCUMENT_RELEASE_SECONDS)},
}

# --- security ---
# Encryption at rest, throttling, login lock-out, HTTPS and the content security policy; see
# README "Security". MDM_HTTPS=1 marks a production deployment served over HTTPS.
import json  # noqa: E402

MDM_HTTPS = env.get_bool("MDM_HTTPS", False)


def _crypto_keys() -> tuple[list[str], str]:
    """Fernet keys (first = current) and the blind-index key, from the environment.

    The embedded demo and the test suite keep generated keys in a git-ignored file; a
    deployment served over HTTPS must set both variables (the same on every host).
    """
    keys = env.get_list("MDM_ENCRYPTION_KEYS", [])
    index_key = env.get_str("MDM_BLIND_INDEX_KEY", "") or ""
    if keys and index_key:
        return keys, index_key
    if MDM_HTTPS:
        raise ImproperlyConfigured("MDM_ENCRYPTION_KEYS and MDM_BLIND_INDEX_KEY must be set")
    from cryptography.fernet import Fernet

    path = BASE_DIR / ".secret_key.crypto.json"
    if not path.exists():
        path.write_text(
            json.dumps(
                {
                    "encryption_keys": [Fernet.generate_key().decode()],
                    "blind_index_key": secrets.token_hex(32),
                }
            )
        )
        path.chmod(0o600)
    stored = json.loads(path.read_text())
    return keys or stored["encryption_keys"], index_key or stored["blind_index_key"]


MDM_ENCRYPTION_KEYS, MDM_BLIND_INDEX_KEY = _crypto_keys()
#: True when the keys came from the environment (the deploy check warns otherwise).
MDM_KEYS_FROM_ENV = bool(env.get_list("MDM_ENCRYPTION_KEYS", [])) and bool(
    env.get_str("MDM_BLIND_INDEX_KEY", "")
)

# HTTPS only in production: secure cookies, HSTS, redirect to HTTPS.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = MDM_HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.get_int("SESSION_COOKIE_AGE", 8 * 3600)
SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", MDM_HTTPS)
SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 31_536_000 if MDM_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.get_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", MDM_HTTPS)
SECURE_HSTS_PRELOAD = env.get_bool("SECURE_HSTS_PRELOAD", MDM_HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy: e.g. "HTTP_X_FORWARDED_PROTO,https".
_proxy_header = env.get_list("SECURE_PROXY_SSL_HEADER", [])
if _proxy_header:
    if len(_proxy_header) != 2:
        raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must be HEADER,VALUE")
    SECURE_PROXY_SSL_HEADER = (_proxy_header[0], _proxy_header[1])
#: The request header holding the client's address when a proxy sets it (e.g. HTTP_X_REAL_IP).
MDM_CLIENT_IP_HEADER = env.get_str("MDM_CLIENT_IP_HEADER", "REMOTE_ADDR")

# Django 5.2 has no CSP of its own: mdm.middleware.ContentSecurityPolicyMiddleware sets it.
MDM_CONTENT_SECURITY_POLICY = env.get_str(
    "MDM_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "mdm.middleware.ContentSecurityPolicyMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("mdm.middleware.BodySizeLimitMiddleware") + 1,
    "mdm.middleware.RejectBadInputMiddleware",
)

# Throttling per token and per user (DRF), counted in the cache; LocMem unless CACHE_URL names
# a shared Redis (several web workers).
_cache_url = env.get_str("CACHE_URL", "") or ""
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "mdm"}
    )
}
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["mdm.api.parsers.SafeJSONParser"]
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "mdm.access.throttling.TokenRateThrottle",
    "mdm.access.throttling.UserRateThrottle",
    "mdm.access.throttling.AnonRateThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "token": env.get_str("MDM_THROTTLE_TOKEN", "3000/min"),
    "user": env.get_str("MDM_THROTTLE_USER", "6000/min"),
    "anon": env.get_str("MDM_THROTTLE_ANON", "60/min"),
}

# Admin login lock-out: this many failures of one username from one address lock it for a while.
MDM_LOGIN_MAX_FAILURES = env.get_int("MDM_LOGIN_MAX_FAILURES", 5)
MDM_LOGIN_LOCKOUT_MINUTES = env.get_int("MDM_LOGIN_LOCKOUT_MINUTES", 15)
#: Failed logins from one address, over any usernames, that lock the address (password spraying).
MDM_LOGIN_MAX_ADDRESS_FAILURES = env.get_int("MDM_LOGIN_MAX_ADDRESS_FAILURES", 20)
#: A newly registered source system and every other read each other's local codes (crosswalk
#: translation, members, lineage, change feed, webhooks), as before grants existed. Off: a
#: system reads only the systems it is granted (admin, ``grant_crosswalk``,
#: ``create_source_system --reads/--read-by``). Existing systems kept their reads (migration).
MDM_CROSSWALK_OPEN = env.get_bool("MDM_CROSSWALK_OPEN", False)
#: Steward writes of a golden record through the API must name the version they read
#: (If-Match, the ETag of GET golden/{entity}/{code}); without it they answer 428.
MDM_API_REQUIRE_IF_MATCH = env.get_bool("MDM_API_REQUIRE_IF_MATCH", False)
# A rotated API token keeps working this long, so systems can switch without downtime.
MDM_TOKEN_ROTATION_GRACE_HOURS = env.get_int("MDM_TOKEN_ROTATION_GRACE_HOURS", 24)
# Encryption-key rotation works in primary-key batches of this size, one transaction each.
MDM_ROTATION_BATCH = env.get_int("MDM_ROTATION_BATCH", 500)

# --- operations ---
# Health, metrics, backups; see README "Operations".
import ipaddress  # noqa: E402

MIDDLEWARE.insert(0, "mdm.operations.middleware.RequestMetricsMiddleware")
# Probes and scrapers talk plain HTTP to the backend, behind the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
MDM_HEALTH_BROKER_TIMEOUT = schedule.positive_int("MDM_HEALTH_BROKER_TIMEOUT", 2)
#: A scraper presents ``Authorization: Bearer <token>``, or comes from an allowed network.
MDM_METRICS_TOKEN = env.get_str("MDM_METRICS_TOKEN", "") or ""
try:
    MDM_METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(item, strict=False)
        for item in env.get_list("MDM_METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"MDM_METRICS_ALLOWED_NETWORKS: {exc}") from exc
MDM_METRICS_QUERY_TIMEOUT_MS = schedule.positive_int("MDM_METRICS_QUERY_TIMEOUT_MS", 2000)
# The operations page (admin → 运行监控): each process writes its request and sync counts every
# MDM_OPERATIONS_FLUSH_SECONDS; the beat samples the backlogs every MDM_OPERATIONS_SAMPLE_SECONDS;
# rows older than MDM_OPERATIONS_RETENTION_DAYS are dropped.
MDM_OPERATIONS_FLUSH_SECONDS = schedule.positive_int("MDM_OPERATIONS_FLUSH_SECONDS", 15, minimum=0)
MDM_OPERATIONS_SAMPLE_SECONDS = schedule.positive_int("MDM_OPERATIONS_SAMPLE_SECONDS", 60)
MDM_OPERATIONS_RETENTION_DAYS = schedule.positive_int("MDM_OPERATIONS_RETENTION_DAYS", 30)
CELERY_BEAT_SCHEDULE["operations-backlog"] = {
    "task": "mdm.tasks.sample_backlog_task",
    "schedule": float(MDM_OPERATIONS_SAMPLE_SECONDS),
    "options": {"expires": float(MDM_OPERATIONS_SAMPLE_SECONDS)},
}
# Backups: where the nightly one goes (MDM_BACKUP_AT, off by default), how many are kept, and
# the gap a restore opens in the code and event sequences (more than the old hub can have
# issued after the backup).
MDM_BACKUP_DIR = env.get_str("MDM_BACKUP_DIR", str(BASE_DIR / "backups")) or ""
MDM_BACKUP_KEEP = schedule.positive_int("MDM_BACKUP_KEEP", 7)
MDM_RESTORE_GAP = schedule.positive_int("MDM_RESTORE_GAP", 1_000_000, minimum=0)
CELERY_BEAT_SCHEDULE |= schedule.backup_schedule(schedule.daily_at("MDM_BACKUP_AT", "off"))
