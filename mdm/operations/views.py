"""``/healthz`` and ``/readyz``: plain Django views, outside the API's
authentication and throttles (a probe has no token and must never be throttled)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from mdm.operations import health
from mdm.operations.health import HealthReport


def _answer(report: HealthReport) -> JsonResponse:
    return JsonResponse(report.as_dict(), status=200 if report.ok else 503)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return _answer(health.liveness())


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    return _answer(health.readiness())
