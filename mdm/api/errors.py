"""Errors in the contract's shape: ``{"errors": {"field": [{"code": …, "message": …}]}}``.

Every item also carries ``message_zh`` and ``message_en``; ``message`` is both, ``"中文 / English"``.
The OpenAPI components ``ErrorItem`` and ``ErrorResponse`` (mdm/api/schema.py) describe it.
"""

from __future__ import annotations

from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from mdm.api import bilingual
from mdm.errors import RecordRejected, ServiceError

NON_FIELD = "non_field_errors"


def error_item(code: str, message: str, message_en: str | None = None) -> dict[str, str]:
    """One error: ``message`` is a hub message ``"中文 / English"``, any DRF or Django message
    in one language (the other is found in the catalogue), or the Chinese half of a pair."""
    if message_en is None:
        zh, en = bilingual.both(str(message))
    else:
        zh, en = str(message), message_en
    text = zh if zh == en else f"{zh}{bilingual.SEPARATOR}{en}"
    return {"code": code, "message": text, "message_zh": zh, "message_en": en}


def error_body(code: str, message: str, field: str = NON_FIELD) -> dict:
    return {"errors": {field: [error_item(code, message)]}}


def normalize_errors(errors: dict) -> dict[str, list[dict[str, str]]]:
    """Field errors built by services (``code``, ``message`` and maybe both halves) in the
    contract's shape, every item with ``message_zh`` and ``message_en``."""
    out: dict[str, list[dict[str, str]]] = {}
    for field, items in errors.items():
        out[str(field)] = [
            error_item(item["code"], item["message_zh"], item["message_en"])
            if item.get("message_zh") and item.get("message_en")
            else error_item(item.get("code", "invalid"), item.get("message", ""))
            for item in (items if isinstance(items, list) else [items])
        ]
    return out


def _items(value, default_code: str) -> list[dict[str, str]]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict | list):  # nested serializer errors: flattened to their text
            out.extend(_items(list(_leaves(item)), default_code))
            continue
        out.append(error_item(getattr(item, "code", default_code) or default_code, str(item)))
    return out


def _leaves(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            yield from _leaves(value)
    elif isinstance(detail, list):
        for value in detail:
            yield from _leaves(value)
    else:
        yield detail


def _flatten(detail, default_code: str) -> dict:
    """DRF's nested error details to the contract's field -> [{code, message, …}] shape."""
    if isinstance(detail, dict):
        return {str(key): _items(value, default_code) for key, value in detail.items()}
    return {NON_FIELD: _items(detail, default_code)}


def _throttled(exc: exceptions.Throttled) -> dict:
    # DRF sets ``wait`` in Throttled.__init__; its stub does not declare it.
    wait = int(exc.wait) if exc.wait is not None else None  # type: ignore[attr-defined]
    if wait is None:
        return error_body("throttled", "请求过于频繁 / Request was throttled")
    item = error_item(
        "throttled",
        f"请求过于频繁，请 {wait} 秒后重试",
        f"Request was throttled; retry in {wait} seconds",
    )
    return {"errors": {NON_FIELD: [item]}}


def exception_handler(exc, context):
    if isinstance(exc, RecordRejected):
        return Response(
            {"errors": normalize_errors(exc.errors)}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, ServiceError):
        return Response(
            {"errors": {NON_FIELD: [error_item(exc.code, exc.message_zh, exc.message_en)]}},
            status=exc.status,
        )
    if isinstance(exc, Http404):
        return Response(
            error_body("not_found", "未找到 / Not found"), status=status.HTTP_404_NOT_FOUND
        )
    if isinstance(exc, exceptions.ParseError):
        zh, en = bilingual.both(str(exc.detail))
        item = error_item("malformed_json", f"请求体不是合法的 JSON：{zh}", f"Malformed JSON: {en}")
        return Response({"errors": {NON_FIELD: [item]}}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.Throttled):
        response.data = _throttled(exc)
    elif response is not None and isinstance(exc, exceptions.APIException):
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


@csrf_exempt  # it changes nothing: a POST without a CSRF cookie gets the JSON 404, not HTML 403
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
