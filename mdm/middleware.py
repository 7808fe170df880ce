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


class ContentSecurityPolicyMiddleware:
    """Sets ``Content-Security-Policy`` (Django 5.2 has none of its own) unless a view did.

    The default policy allows only the hub's own scripts: the admin and the Swagger UI (served
    from drf-spectacular-sidecar with its init script as a file) need nothing else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.MDM_CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class RejectBadInputMiddleware:
    """A path or query string with NUL characters or undecodable bytes gets a clear 400.

    PostgreSQL refuses NUL in text, so such a code would otherwise fail in a look-up as a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from urllib.parse import unquote_to_bytes

        from mdm.api.errors import bad_input_response

        raw_path = request.META.get("PATH_INFO", "")
        query = request.META.get("QUERY_STRING", "")
        for text in (raw_path, query):
            if "\x00" in text or "%00" in text:
                return bad_input_response()
        try:
            unquote_to_bytes(query).decode("utf-8")
            raw_path.encode("latin-1").decode("utf-8")
        except (UnicodeDecodeError, UnicodeEncodeError):
            return bad_input_response()
        return self.get_response(request)
