"""Request rates per API token, per user and per anonymous address (DRF throttles, in the cache).

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``MDM_THROTTLE_*`` variables).
A token's limit holds per token, so a leaked token of one script cannot exhaust its user's quota
for the others; the user's limit caps all of a user's tokens and sessions together.

DRF's algorithm (a sliding log of the request times within the window) is kept, but the log is
stored as packed doubles, oldest first, instead of a list: at 3,000 requests a minute DRF would
pickle, unpickle and shift a list of 3,000 floats twice per request.
"""

from __future__ import annotations

import bisect
from array import array

from rest_framework import throttling
from rest_framework.settings import api_settings

from mdm.models import ApiToken


class _LiveRates(throttling.SimpleRateThrottle):
    """Reads the rate from the current settings (DRF keeps the ones of import time), and keeps
    the log packed (see the module docstring); the answers are DRF's."""

    scope: str
    # The log is packed doubles, not DRF's list (see the module docstring).
    history: array[float]  # type: ignore[assignment]
    # Set by SimpleRateThrottle.__init__ from the rate; DRF's stub does not declare them.
    num_requests: int
    duration: int

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        stored = self.cache.get(self.key)
        self.history = array("d", stored if isinstance(stored, bytes) else sorted(stored or ()))
        self.now = self.timer()
        # Drop the requests that are out of the window (DRF: time <= now - duration).
        del self.history[: bisect.bisect_right(self.history, self.now - self.duration)]
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()

    def throttle_success(self):
        self.history.append(self.now)
        self.cache.set(self.key, self.history.tobytes(), self.duration)
        return True

    def wait(self):
        remaining = self.duration - (self.now - self.history[0]) if self.history else self.duration
        available = self.num_requests - len(self.history) + 1
        if available <= 0:
            return None
        return remaining / float(available)


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
