"""A CRM order reaches the ERP in the ERP's own codes and its status comes back to the CRM,
through the public contract (PUT document, inbox, ack, status), on the real PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from stdnum.cn import uscc

from mdm.documents.configuration import add_document_route
from mdm.documents.models import Document, DocumentDelivery, InboxItem
from mdm.operations.overview import overview

CC = "91110108MA01ABCD2" + uscc.calc_check_digit("91110108MA01ABCD2")
HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org", "credit_code": CC}
MATEBOOK = {"name": "华为 MateBook 14", "uom": "PCE", "gtin": "6901234567892"}
ORDER = {"customer": "BJ-B-00175", "lines": [{"product": "P-0001", "qty": 2, "uom": "个"}]}


@pytest.fixture
def linked(erp, crm):
    """The same company and the same product in both systems, each under its own code."""
    assert crm.put("customers", "BJ-B-00175", HUAXIN).status_code == 201
    assert erp.put("customers", "100234", HUAXIN).status_code == 201
    assert crm.put("products", "P-0001", MATEBOOK).status_code == 201
    assert erp.put("products", "MAT-778", MATEBOOK).status_code == 201
    add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
    return erp, crm


def _send(crm, doc_id: str, body: dict):
    return crm.client.put(f"/api/v1/documents/CRM/sales_order/{doc_id}", body, format="json")


def _code(reply) -> str:
    return reply.json()["errors"]["non_field_errors"][0]["code"]


def _inbox(system, after: int = 0, **params):
    reply = system.client.get("/api/v1/inbox/", {"after": after, **params})
    assert reply.status_code == 200, reply.content
    return reply.json()


def test_an_order_reaches_the_erp_in_its_own_codes_and_its_status_comes_back(linked):
    erp, crm = linked

    sent = _send(crm, "SO-1", ORDER)

    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert (body["state"], body["revision"]) == ("accepted", 1)
    translated = body["receivers"]["ERP"]["document"]
    assert translated["customer"]["code"] == "100234"
    assert translated["lines"][0]["product"]["code"] == "MAT-778"
    assert translated["lines"][0]["qty"] == 2
    golden_customer = translated["customer"]["golden_code"]
    assert golden_customer.startswith("CU")

    (item,) = _inbox(erp)["results"]
    assert (item["kind"], item["type"], item["sender"], item["doc_id"]) == (
        "document",
        "sales_order",
        "CRM",
        "SO-1",
    )
    assert item["document"]["customer"] == {"code": "100234", "golden_code": golden_customer}

    ack = erp.client.post(
        "/api/v1/documents/CRM/sales_order/SO-1/ack", {"doc_id": "4500012345"}, format="json"
    )
    assert ack.status_code == 200, ack.content
    shipped = erp.client.post(
        "/api/v1/documents/CRM/sales_order/SO-1/status",
        {"state": "shipped", "detail": "出库单 80001"},
        format="json",
    )
    assert shipped.status_code == 200, shipped.content

    back = _inbox(crm)["results"]
    assert [(i["kind"], i["state"]) for i in back] == [
        ("status", "acknowledged"),
        ("status", "shipped"),
    ]
    assert back[1]["receiver_doc_id"] == "4500012345" and back[1]["detail"] == "出库单 80001"
    assert back[0]["seq"] < back[1]["seq"]
    timeline = crm.client.get("/api/v1/documents/CRM/sales_order/SO-1").json()["timeline"]
    assert [step["state"] for step in timeline] == ["accepted", "acknowledged", "shipped"]


def test_a_missing_mapping_holds_the_order_until_the_erp_upserts_the_customer(linked):
    erp, crm = linked
    other = {"name": "上海浦江物流有限公司", "customer_type": "org"}
    assert crm.put("customers", "SH-9", other).status_code == 201

    held = _send(crm, "SO-2", {**ORDER, "customer": "SH-9"})

    assert held.status_code == 201
    body = held.json()
    assert body["state"] == "held"
    (missing,) = body["receivers"]["ERP"]["missing"]
    assert missing["path"] == "customer" and missing["code"] == "SH-9"
    assert "ERP has no customers code" in missing["reason"]
    assert _inbox(erp)["results"] == []

    assert erp.put("customers", "200777", other).status_code == 201  # the ERP creates it

    (item,) = _inbox(erp)["results"]
    assert item["doc_id"] == "SO-2" and item["document"]["customer"]["code"] == "200777"
    assert Document.objects.get(doc_id="SO-2").state == "accepted"


def test_the_same_order_twice_changes_nothing_and_a_changed_one_is_a_new_revision(linked):
    erp, crm = linked
    assert _send(crm, "SO-3", ORDER).status_code == 201

    again = _send(crm, "SO-3", ORDER)
    changed = _send(crm, "SO-3", {**ORDER, "lines": [{"product": "P-0001", "qty": 5}]})

    assert again.status_code == 200 and again.json()["revision"] == 1
    assert changed.status_code == 200 and changed.json()["revision"] == 2
    items = _inbox(erp)["results"]
    assert [(i["revision"], i["document"]["lines"][0]["qty"]) for i in items] == [(1, 2), (2, 5)]


def test_a_system_without_a_route_or_with_a_bad_body_is_refused_and_nothing_is_stored(linked):
    erp, crm = linked

    no_route = erp.client.put("/api/v1/documents/ERP/sales_order/X-1", ORDER, format="json")
    not_yours = erp.client.put("/api/v1/documents/CRM/sales_order/X-2", ORDER, format="json")
    bad_ref = _send(crm, "X-3", {"customer": {"nested": 1}, "lines": []})
    unknown_type = crm.client.put("/api/v1/documents/CRM/purchase/X-4", ORDER, format="json")
    anonymous = crm.client.__class__().put("/api/v1/documents/CRM/sales_order/X-5", ORDER)

    assert no_route.status_code == 403 and _code(no_route) == "no_route"
    assert not_yours.status_code == 403
    assert bad_ref.status_code == 400 and "customer" in bad_ref.json()["errors"]
    assert unknown_type.status_code == 404
    assert anonymous.status_code in (401, 403)
    assert Document.objects.count() == 0 and InboxItem.objects.count() == 0


def test_status_moves_forward_only_and_only_the_two_sides_may_post_it(linked, shop):
    erp, crm = linked
    assert _send(crm, "SO-4", ORDER).status_code == 201
    url = "/api/v1/documents/CRM/sales_order/SO-4/status"
    assert erp.client.post(url, {"state": "delivered"}, format="json").status_code == 200

    backwards = erp.client.post(url, {"state": "scheduled"}, format="json")
    unknown = erp.client.post(url, {"state": "teleported"}, format="json")
    stranger = shop.client.post(url, {"state": "closed"}, format="json")
    peek = shop.client.get("/api/v1/documents/CRM/sales_order/SO-4")

    assert backwards.status_code == 409 and _code(backwards) == "state_backwards"
    assert unknown.status_code == 400
    assert stranger.status_code == 403 and peek.status_code == 403
    assert Document.objects.get(doc_id="SO-4").state == "delivered"


def test_the_sender_cancels_and_every_receiver_hears_it(linked):
    erp, crm = linked
    assert _send(crm, "SO-5", ORDER).status_code == 201

    cancelled = crm.client.post(
        "/api/v1/documents/CRM/sales_order/SO-5/status",
        {"state": "cancelled", "detail": "客户取消"},
        format="json",
    )
    late = _send(crm, "SO-5", {**ORDER, "lines": []})

    assert cancelled.status_code == 200
    assert [i["kind"] for i in _inbox(erp)["results"]] == ["document", "status"]
    assert _inbox(erp, type="sales_order")["results"][-1]["state"] == "cancelled"
    assert late.status_code == 409


def test_the_inbox_pages_by_seq_and_rejects_a_bad_cursor(linked):
    erp, crm = linked
    for n in range(3):
        assert _send(crm, f"SO-P{n}", ORDER).status_code == 201

    first = _inbox(erp, limit=2)
    rest = _inbox(erp, after=first["last_seq"])
    bad = erp.client.get("/api/v1/inbox/", {"after": "x"})

    assert [i["doc_id"] for i in first["results"]] == ["SO-P0", "SO-P1"]
    assert [i["doc_id"] for i in rest["results"]] == ["SO-P2"]
    assert bad.status_code == 400


def test_the_route_command(linked, shop, capsys):
    call_command("add_document_route", "service_ticket", "--from", "CRM", "--to", "ERP,ECOM")

    assert capsys.readouterr().out.strip() == "service_ticket: CRM -> ECOM, ERP"
    with pytest.raises(CommandError, match="Unknown source system NOPE"):
        call_command("add_document_route", "service_ticket", "--from", "CRM", "--to", "NOPE")
    assert DocumentDelivery.objects.count() == 0


def test_the_operations_page_shows_each_route_with_its_delivery_share(linked):
    erp, crm = linked
    assert _send(crm, "SO-M1", ORDER).status_code == 201
    assert crm.put("customers", "SH-9", {"name": "上海浦江物流有限公司", "customer_type": "org"})
    assert _send(crm, "SO-M2", {**ORDER, "customer": "SH-9"}).json()["state"] == "held"
    erp.client.post("/api/v1/documents/CRM/sales_order/SO-M1/ack", {}, format="json")

    (line,) = overview("1h").documents

    assert (line.type, line.sender, line.receiver) == ("sales_order", "CRM", "ERP")
    assert (line.received, line.delivered, line.held, line.acknowledged) == (2, 1, 1, 1)
    assert line.rate_percent == 50.0
    assert line.p95_delivery_ms is not None and line.p95_delivery_ms >= 0


def test_a_steward_sees_a_documents_personal_values_masked(linked, admin_client):
    erp, crm = linked
    ticket = {
        **ORDER,
        "contact": "王先生 13800138000",
        "email": "wang@example.com",
        "contact_name": "王建国",  # a person's name: masked by its element, not by its shape
    }
    assert _send(crm, "SO-PII", ticket).status_code == 201
    document = Document.objects.get(doc_id="SO-PII")
    delivery = DocumentDelivery.objects.get(document=document)

    pages = [
        admin_client.get(f"/admin/mdm/document/{document.pk}/change/"),
        admin_client.get(f"/admin/mdm/documentdelivery/{delivery.pk}/change/"),
    ]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "13800138000" not in html and "wang@example.com" not in html
        assert "王建国" not in html
        assert "100234" in html or "BJ-B-00175" in html  # the codes stay readable
