"""JSON bodies that cannot hurt: bounded nesting, no NUL characters, no lone surrogates, no
numbers out of range.

PostgreSQL refuses ``\\u0000`` in ``jsonb`` and text, and UTF-8 has no lone surrogates: both
would fail deep in a write as a 500. Python's decoder raises ``RecursionError`` on deeply nested
arrays, and reads ``1e400`` as ``inf``, which ``jsonb`` refuses. All of them become a 400 here,
before any view runs; a number out of range is a field error on the key that holds it.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

#: Records are flat objects and bulk bodies arrays of them: nothing legitimate nests deeper.
MAX_DEPTH = 20

NON_FIELD = "non_field_errors"


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return "NUL"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate"
    return None


def check_json_value(data: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise ParseError when ``data`` nests deeper than ``max_depth`` or holds bad text, and a
    field error (on the nearest object key) for a number out of range."""
    stack: list[tuple[Any, int, str]] = [(data, 1, NON_FIELD)]
    while stack:
        value, depth, field = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                raise ParseError(f"嵌套超过 {max_depth} 层 / nested deeper than {max_depth} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _bad_text(key):
                    raise ParseError("键含有非法字符 / a key holds a forbidden character")
                stack.append((item, depth + 1, key if isinstance(key, str) else field))
        elif isinstance(value, str) and _bad_text(value):
            raise ParseError(
                "值含有非法字符（NUL 或代理项）/ a value holds NUL or a lone surrogate"
            )
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValidationError({field: ["数字超出范围 / Number out of range"]})


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, refusing what the database or the interpreter would choke on."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("嵌套过深 / nested too deeply") from exc
        check_json_value(data, getattr(settings, "MDM_MAX_JSON_DEPTH", MAX_DEPTH))
        return data
