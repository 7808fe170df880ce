"""Deployment checks of the hub's own settings (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_security_settings(app_configs, **kwargs):
    problems = []
    if not settings.MDM_KEYS_FROM_ENV:
        problems.append(
            Warning(
                "Encryption keys come from a generated local file, not the environment.",
                hint="Set MDM_ENCRYPTION_KEYS and MDM_BLIND_INDEX_KEY (the same on every host).",
                id="mdm.W001",
            )
        )
    if not settings.MDM_HTTPS:
        problems.append(
            Warning(
                "MDM_HTTPS is off: cookies are not HTTPS-only and HSTS is not sent.",
                hint="Set MDM_HTTPS=1 in production (behind TLS).",
                id="mdm.W002",
            )
        )
    return problems
