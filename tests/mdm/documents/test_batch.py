"""Many documents in one request: the same relay as one PUT each, a result per item, invalid
items reported while the others go."""

from __future__ import annotations

import pytest

from mdm.documents.configuration import add_document_route
from mdm.documents.models import Document, DocumentStatus

HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org"}
PUJIANG = {"name": "上海浦江物流有限公司", "customer_type": "org"}
MATEBOOK = {"name": "华为 MateBook 14", "uom": "PCE", "gtin": "6901234567892"}
ORDER = {"customer": "BJ-1", "phone": "13912345678", "lines": [{"product": "P-1", "qty": 2}]}


@pytest.fixture
def linked(erp, crm):
    assert crm.put("customers", "BJ-1", HUAXIN).status_code == 201
    assert erp.put("customers", "100234", HUAXIN).status_code == 201
    assert crm.put("customers", "SH-9", PUJIANG).status_code == 201
    assert crm.put("products", "P-1", MATEBOOK).status_code == 201
    assert erp.put("products", "MAT-1", MATEBOOK).status_code == 201
    add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
    return erp, crm


def _bulk(crm, items):
    return crm.client.post("/api/v1/documents/CRM/sales_order/bulk", items, format="json")


def test_a_batch_is_relayed_as_single_puts_are(linked):
    erp, crm = linked
    single = crm.client.put("/api/v1/documents/CRM/sales_order/SO-0", ORDER, format="json")
    assert single.status_code == 201

    reply = _bulk(
        crm,
        [
            {"doc_id": "SO-1", "document": ORDER},
            {"doc_id": "SO-2", "document": {**ORDER, "customer": "SH-9"}},
            {"doc_id": "SO-3", "document": {"customer": ["not", "a", "code"]}},
            {"doc_id": "", "document": ORDER},
            {"doc_id": "SO-1", "document": ORDER},
        ],
    )

    assert reply.status_code == 200, reply.content
    one, two, three, four, five = reply.json()["results"]
    assert (one["state"], one["revision"], one["created"]) == ("accepted", 1, True)
    assert two["state"] == "held"
    assert three["errors"]["customer"][0]["code"] == "invalid_reference"
    assert "doc_id" in four["errors"] and five["errors"]["doc_id"][0]["code"] == "duplicate"
    items = erp.client.get("/api/v1/inbox/").json()["results"]
    assert [i["doc_id"] for i in items] == ["SO-0", "SO-1"]
    assert items[1]["document"] == items[0]["document"]  # translated and masked alike
    assert items[1]["document"]["phone"] != "13912345678"
    assert not Document.objects.filter(doc_id="SO-3").exists()
    assert DocumentStatus.objects.filter(document__doc_id="SO-2", state="held").exists()

    again = _bulk(
        crm,
        [
            {"doc_id": "SO-1", "document": ORDER},
            {"doc_id": "SO-2", "document": {**ORDER, "customer": "SH-9", "note": "rush"}},
        ],
    ).json()["results"]

    assert (again[0]["changed"], again[0]["revision"]) == (False, 1)
    assert (again[1]["changed"], again[1]["revision"], again[1]["state"]) == (True, 2, "held")
    assert len(erp.client.get("/api/v1/inbox/").json()["results"]) == 2
    assert erp.put("customers", "200777", PUJIANG).status_code == 201
    released = erp.client.get("/api/v1/inbox/").json()["results"][-1]
    assert (released["doc_id"], released["revision"]) == ("SO-2", 2)
    assert released["document"]["note"] == "rush"


def test_a_batch_is_refused_whole_without_a_route_or_when_too_big(linked, shop):
    _, crm = linked
    assert (
        shop.client.post(
            "/api/v1/documents/ECOM/sales_order/bulk",
            [{"doc_id": "1", "document": {}}],
            format="json",
        ).status_code
        == 403
    )
    assert _bulk(crm, []).status_code == 400
    assert _bulk(crm, {"doc_id": "x"}).status_code == 400
    assert _bulk(crm, [{"doc_id": str(n), "document": {}} for n in range(1001)]).status_code == 400
