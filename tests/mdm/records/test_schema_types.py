"""The schema types what used to be free-form: event payloads, the dictionary, a locked value."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(erp) -> dict:
    return erp.client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def test_an_event_payload_has_its_documented_parts(schema):
    components = schema["components"]["schemas"]

    payload = components["EventPayload"]["properties"]

    assert components["Event"]["properties"]["payload"] == {
        "$ref": "#/components/schemas/EventPayload"
    }
    assert payload["status"]["allOf"] == [{"$ref": "#/components/schemas/GoldenStatusEnum"}]
    assert payload["attributes"]["additionalProperties"] == {"type": "string"}
    assert payload["moved"]["items"]["$ref"] == "#/components/schemas/Member"
    assert {"merged_into", "unmerged_from", "member", "reactivated"} <= set(payload)


def test_the_feed_answers_the_payload_as_stored(erp):
    erp.put("customers", "O-1", {"name": "北京华信科技有限公司", "customer_type": "org"})

    event = erp.client.get("/api/v1/events/?after=0").json()["events"][0]

    assert event["payload"]["golden_code"] == event["golden_code"]
    assert event["payload"]["members"] == [{"system": "ERP", "local_code": "O-1"}]


def test_the_dictionary_is_a_typed_document(schema, erp):
    components = schema["components"]["schemas"]
    answer = schema["paths"]["/api/v1/dictionary/"]["get"]["responses"]["200"]

    document = components["DictionaryDocument"]
    element = components["DictionaryElement"]["properties"]

    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DictionaryDocument"
    }
    assert set(document["required"]) == {"entities", "elements", "domains"}
    assert element["standardizers"]["items"] == {"type": "string"}
    assert element["max_length"]["nullable"] is True
    body = erp.client.get("/api/v1/dictionary/").json()
    assert set(body["elements"][0]) == set(element)


def test_a_locked_value_is_text_or_a_number(schema):
    value = schema["components"]["schemas"]["LockRequest"]["properties"]["value"]

    assert value["oneOf"] == [{"type": "string"}, {"type": "number"}]
