"""OpenAPI post-processing: the upsert bodies described by the dictionary's elements."""

from __future__ import annotations

from django.db import DatabaseError

from dictionary.models import EntityChoices
from dictionary.openapi import entity_record_schema

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
