"""Request rates per API token, per user and per anonymous address (DRF throttles, in the cache).

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``MDM_THROTTLE_*`` variables).
A token's limit holds per token, so a leaked token of one script cannot exhaust its user's quota
for the others; the user's limit caps all of a user's tokens and sessions together.
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings

from mdm.models import ApiToken


class _LiveRates:
    """Reads the rate from the current settings (DRF keeps the ones of import time)."""

    scope: str

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenRateThrottle(_LiveRates, throttling.SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(_LiveRates, throttling.UserRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class AnonRateThrottle(_LiveRates, throttling.AnonRateThrottle):
    scope = "anon"
