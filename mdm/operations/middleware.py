"""Counts every request and its latency per route, for ``/metrics`` and the operations page."""

from __future__ import annotations

import time

from mdm.db import timeline
from mdm.instruments import record_request

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_label(request) -> str:
    """The URL pattern's name (``namespace:name``) or its route, never the raw path: a path
    carries codes and would make one time series per record."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unmatched"


class RequestMetricsMiddleware:
    """Outermost middleware: times the whole answer, including the other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_label(request)
        method = request.method if request.method in _METHODS else "other"
        seconds = time.perf_counter() - started
        record_request(route, method, response.status_code, seconds)
        timeline.record_request(route, method, response.status_code, seconds)
        return response
