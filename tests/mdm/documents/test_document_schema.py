"""The schema types the business-document replies (issue 30): a generated client reads the
state, the receivers' copies, the timeline and the inbox page, not a free-form object."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BASE = "/api/v1/documents/{system}/{type}/{doc_id}"


@pytest.fixture
def schema(erp) -> dict:
    return erp.client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def reply_of(schema: dict, path: str, method: str, status: str = "200") -> str:
    content = schema["paths"][path][method]["responses"][status]["content"]
    return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]


def test_a_document_reply_names_its_parts(schema):
    components = schema["components"]["schemas"]

    assert reply_of(schema, BASE, "put") == "DocumentReply"
    assert reply_of(schema, BASE, "put", "201") == "DocumentReply"
    assert reply_of(schema, BASE, "get") == "DocumentReply"
    reply = components["DocumentReply"]
    assert {"type", "sender", "doc_id", "state", "revision", "receivers"} <= set(reply["required"])
    assert reply["properties"]["receivers"]["additionalProperties"] == {
        "$ref": "#/components/schemas/Delivery"
    }
    assert reply["properties"]["timeline"]["items"] == {"$ref": "#/components/schemas/TimelineStep"}
    assert {"state", "revision", "document", "missing"} <= set(components["Delivery"]["properties"])


def test_status_ack_bulk_and_inbox_are_typed(schema):
    components = schema["components"]["schemas"]

    assert reply_of(schema, BASE + "/ack", "post") == "Delivery"
    assert reply_of(schema, BASE + "/status", "post") == "DocumentState"
    assert (
        reply_of(schema, "/api/v1/documents/{system}/{type}/bulk", "post") == "BulkDocumentsResult"
    )
    assert reply_of(schema, "/api/v1/inbox/", "get") == "InboxPage"
    assert components["StatusChangeRequest"]["required"] == ["state"]
    assert components["InboxPage"]["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/InboxItem"
    }
    # Errors keep the one error body.
    errors = schema["paths"][BASE]["put"]["responses"]["400"]["content"]["application/json"]
    assert errors["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
