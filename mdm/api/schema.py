"""OpenAPI post-processing: the upsert bodies described by the dictionary's elements."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from drf_spectacular.utils import OpenApiParameter

from dictionary.models import EntityChoices
from dictionary.openapi import entity_record_schema

#: The one ``EntityEnum`` for every entity parameter (a generated client gets one type).
ENTITY_SCHEMA = {"$ref": "#/components/schemas/EntityEnum"}
ENTITY_PATH = OpenApiParameter("entity", ENTITY_SCHEMA, OpenApiParameter.PATH)

UPSERT_PATH = "/api/v1/sources/{system}/{entity}/{local_code}"
BULK_PATH = "/api/v1/sources/{system}/{entity}/bulk"


def _name(entity: str) -> str:
    return f"{entity.capitalize()}Record"


def add_dictionary_schemas(result, generator, request, public):
    """Add one component per entity and point the upsert and bulk request bodies at them."""
    try:
        schemas = {_name(e): entity_record_schema(e) for e in EntityChoices.values}
    except DatabaseError:  # schema generated without a database: keep the generic object
        return result
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(schemas)
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in schemas]
    one_of = {
        "oneOf": refs,
        "description": "Attributes keyed by dictionary element codes; the path's entity selects the schema.",
    }
    upsert = result.get("paths", {}).get(UPSERT_PATH, {}).get("put")
    if upsert:
        upsert["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": one_of}},
        }
    bulk = result.get("paths", {}).get(BULK_PATH, {}).get("post")
    if bulk:
        items = {
            "allOf": [
                {
                    "type": "object",
                    "required": ["local_code"],
                    "properties": {"local_code": {"type": "string", "maxLength": 100}},
                },
                {"oneOf": [{"$ref": r["$ref"]} for r in refs]},
            ]
        }
        bulk["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "maxItems": 1000, "items": items}}
            },
        }
    return result


ERROR_ITEM = {
    "type": "object",
    "description": "One error: a code, and the message in both languages.",
    "properties": {
        "code": {"type": "string", "description": "machine-readable, e.g. invalid_checksum"},
        "message": {"type": "string", "description": "both languages: 中文 / English"},
        "message_zh": {"type": "string"},
        "message_en": {"type": "string"},
    },
    "required": ["code", "message", "message_zh", "message_en"],
}
ERROR_RESPONSE = {
    "type": "object",
    "description": "Every error the API answers; field is an element code, a parameter or "
    "non_field_errors.",
    "properties": {
        "errors": {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ErrorItem"},
            },
        }
    },
    "required": ["errors"],
}

#: status -> (description, applies to the operation?)
ERRORS: dict[str, tuple[str, Any]] = {
    "400": ("Invalid input: field errors 输入有误", lambda method, op: True),
    "401": ("Missing or invalid token 未认证", lambda method, op: bool(op.get("security"))),
    "403": ("Not allowed for this caller 无权限", lambda method, op: bool(op.get("security"))),
    "404": ("Unknown system, entity or code 未找到", lambda method, op: True),
    "409": (
        "Conflicting concurrent write 并发写入冲突",
        lambda method, op: method in ("put", "post", "delete"),
    ),
    "413": ("Request body over the limit 请求体过大", lambda method, op: "requestBody" in op),
    "415": ("Body is not JSON 不支持的媒体类型", lambda method, op: "requestBody" in op),
    "412": (
        "The record changed since it was read (If-Match) 记录已被修改",
        lambda method, op: _has_header(op, "If-Match"),
    ),
    "428": (
        "If-Match required by this hub 需要 If-Match",
        lambda method, op: _has_header(op, "If-Match"),
    ),
    "429": ("Too many requests 请求过多", lambda method, op: True),
}
ETAG_HEADER = {
    "ETag": {
        "description": "The golden record's version: send it as If-Match on a steward write.",
        "schema": {"type": "string"},
        "required": True,
    }
}
#: The operations whose success answer carries the golden record's ETag.
ETAG_PATHS = ("/api/v1/golden/{entity}/{code}",)


def _has_header(operation: dict, name: str) -> bool:
    return any(
        p.get("in") == "header" and p.get("name") == name for p in operation.get("parameters", ())
    )


def add_error_responses(result, generator, request, public):
    """Declare every error an operation can answer, all with the one ``ErrorResponse`` body."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorItem"] = ERROR_ITEM
    components["ErrorResponse"] = ERROR_RESPONSE
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, (description, applies) in ERRORS.items():
                if status not in responses and applies(method, operation):
                    responses[status] = {"description": description, "content": body}
            conditional = _has_header(operation, "If-Match")
            if "200" in responses and (conditional or (path in ETAG_PATHS and method == "get")):
                responses["200"].setdefault("headers", {}).update(ETAG_HEADER)
    return result
