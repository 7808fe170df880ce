"""Refuse request bodies over the limit before anything reads them (REST contract: 413)."""

from __future__ import annotations

from django.conf import settings

from mdm.api.errors import too_large_response


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MDM_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return too_large_response(limit)
        return self.get_response(request)
