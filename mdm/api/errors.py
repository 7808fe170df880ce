"""Errors in the contract's shape: ``{"errors": {"field": [{"code": …, "message": …}]}}``."""

from __future__ import annotations

from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from mdm.errors import RecordRejected, ServiceError

NON_FIELD = "non_field_errors"


def error_body(code: str, message: str, field: str = NON_FIELD) -> dict:
    return {"errors": {field: [{"code": code, "message": message}]}}


def _flatten(detail, default_code: str) -> dict:
    """DRF's nested error details to the contract's field -> [{code, message}] shape."""
    if isinstance(detail, dict):
        out = {}
        for key, value in detail.items():
            items = value if isinstance(value, list) else [value]
            out[str(key)] = [
                {"code": getattr(item, "code", default_code) or default_code, "message": str(item)}
                for item in items
            ]
        return out
    items = detail if isinstance(detail, list) else [detail]
    return {
        NON_FIELD: [
            {"code": getattr(item, "code", default_code) or default_code, "message": str(item)}
            for item in items
        ]
    }


def exception_handler(exc, context):
    if isinstance(exc, RecordRejected):
        return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ServiceError):
        return Response(error_body(exc.code, exc.message), status=exc.status)
    if isinstance(exc, Http404):
        return Response(
            error_body("not_found", "未找到 / Not found"), status=status.HTTP_404_NOT_FOUND
        )
    if isinstance(exc, exceptions.ParseError):
        return Response(
            error_body("malformed_json", f"请求体不是合法的 JSON / Malformed JSON: {exc.detail}"),
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = {"errors": _flatten(exc.detail, exc.default_code)}
    return response


def too_large_response(limit: int) -> JsonResponse:
    return JsonResponse(
        error_body(
            "request_too_large",
            f"请求体超过 {limit} 字节上限 / Request body exceeds the {limit}-byte limit",
        ),
        status=413,
        json_dumps_params={"ensure_ascii": False},
    )


def bad_input_response() -> JsonResponse:
    return JsonResponse(
        error_body(
            "invalid_characters",
            "请求路径或参数含有非法字符 / The path or query string holds forbidden characters",
        ),
        status=400,
        json_dumps_params={"ensure_ascii": False},
    )


def api_not_found(request, *args, **kwargs):
    """Every URL under /api/ that no route matches: the hub's JSON 404, never an HTML page.

    Routed last, so it also hides a path that only lacks its trailing slash from Django's
    APPEND_SLASH redirect: that redirect is done here instead.
    """
    if not request.path.endswith("/") and request.method in ("GET", "HEAD"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            target = request.path + "/"
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(target + ("?" + query if query else ""))
    return JsonResponse(
        error_body("not_found", "未找到 / Not found"),
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )
