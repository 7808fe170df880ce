"""``/healthz``, ``/readyz`` and ``/metrics``: plain Django views, outside the API's
authentication and throttles (a probe has no token and must never be throttled)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from mdm.operations import health, metrics
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


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    allowed = metrics.is_allowed(
        authorization=request.headers.get("Authorization", ""),
        address=request.META.get(settings.MDM_CLIENT_IP_HEADER, "") or "",
    )
    if not allowed:
        response = JsonResponse(
            {"detail": "metrics need MDM_METRICS_TOKEN (Bearer) or an allowed address"},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE_LATEST)
