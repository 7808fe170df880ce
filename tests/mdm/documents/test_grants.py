"""Per-receiver field filters: a receiver sees only the fields and entities it is granted, its
personal fields masked or left out by the privacy policy; the sender's reply shows a
receiver's codes only with a crosswalk grant."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from mdm.documents.configuration import add_document_route, grant_document
from mdm.errors import ServiceError
from mdm.models import SourceSystem

HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org"}
MATEBOOK = {"name": "华为 MateBook 14", "uom": "PCE", "gtin": "6901234567892"}
ORDER = {
    "customer": "BJ-1",
    "contact_name": "张伟",
    "phone": "13912345678",
    "note": "请联系 zhang.wei@example.com",
    "price_total": 12999,
    "lines": [{"product": "P-1", "qty": 2, "price": 6499.5}],
}


@pytest.fixture
def linked(erp, crm):
    assert crm.put("customers", "BJ-1", HUAXIN).status_code == 201
    assert erp.put("customers", "100234", HUAXIN).status_code == 201
    assert crm.put("products", "P-1", MATEBOOK).status_code == 201
    assert erp.put("products", "MAT-1", MATEBOOK).status_code == 201
    add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
    return erp, crm


def _send(crm, doc_id="SO-1", body=ORDER):
    reply = crm.client.put(f"/api/v1/documents/CRM/sales_order/{doc_id}", body, format="json")
    assert reply.status_code == 201, reply.content
    return reply.json()


def _received(erp) -> dict:
    (item,) = erp.client.get("/api/v1/inbox/").json()["results"]
    return item["document"]


def test_by_default_the_receiver_gets_every_field_with_personal_ones_masked(linked):
    erp, crm = linked
    _send(crm)

    got = _received(erp)

    assert got["customer"]["code"] == "100234" and got["lines"][0]["product"]["code"] == "MAT-1"
    assert got["price_total"] == 12999 and got["lines"][0]["price"] == 6499.5
    assert got["phone"] != "13912345678" and got["phone"].startswith("139")
    assert got["contact_name"] != "张伟" and got["contact_name"].startswith("张")
    assert "zhang.wei@example.com" not in got["note"] and got["note"].startswith("请联系")


def test_a_grant_narrows_the_fields_and_leaves_personal_ones_out(linked, capsys):
    erp, crm = linked
    call_command(
        "grant_document",
        "sales_order",
        "--to",
        "ERP",
        "--fields",
        "customer,phone,lines[].product,lines[].qty",
        "--personal",
        "omit",
    )
    assert "ERP: customer, phone, lines[].product, lines[].qty; personal omit" in (
        capsys.readouterr().out
    )
    _send(crm)

    got = _received(erp)

    assert set(got) == {"customer", "lines"}  # no prices, the phone left out, not masked
    assert got["lines"] == [
        {
            "product": {"code": "MAT-1", "golden_code": got["lines"][0]["product"]["golden_code"]},
            "qty": 2,
        }
    ]


def test_a_reference_to_an_entity_the_receiver_is_not_granted_is_left_out(linked):
    erp, crm = linked
    SourceSystem.objects.filter(code="ERP").update(granted_entities=["customers"])
    _send(crm)

    got = _received(erp)

    assert got["customer"]["code"] == "100234"
    assert got["lines"] == [{"qty": 2, "price": 6499.5}]  # no product: not granted, not held


def test_the_senders_reply_names_the_receivers_codes_only_with_a_crosswalk_grant(linked):
    erp, crm = linked
    call_command("grant_crosswalk", "CRM", "--to", "ERP", "--revoke")  # a route is no grant

    reply = _send(crm)

    shown = reply["receivers"]["ERP"]["document"]
    assert shown["customer"] == {"golden_code": _received(erp)["customer"]["golden_code"]}
    assert "code" not in shown["lines"][0]["product"]
    again = crm.client.get("/api/v1/documents/CRM/sales_order/SO-1").json()
    assert "code" not in again["receivers"]["ERP"]["document"]["customer"]
    call_command("grant_crosswalk", "CRM", "--to", "ERP")
    granted = crm.client.get("/api/v1/documents/CRM/sales_order/SO-1").json()
    assert granted["receivers"]["ERP"]["document"]["customer"]["code"] == "100234"


def test_a_bad_grant_is_refused(linked):
    with pytest.raises(ServiceError):
        grant_document(receiver_code="ERP", type_code="sales_order", fields=[], personal="show")
    with pytest.raises(ServiceError):
        grant_document(receiver_code="NOPE", type_code="sales_order", fields=[])
    with pytest.raises(CommandError):
        call_command("grant_document", "sales_order", "--to", "ERP", "--fields", "lines[].")


def test_a_receivers_code_shaped_like_a_phone_number_is_not_masked(erp, crm):
    assert crm.put("customers", "BJ-1", HUAXIN).status_code == 201
    assert erp.put("customers", "13912345678", HUAXIN).status_code == 201
    add_document_route(type_code="sales_order", sender_code="CRM", receiver_codes=["ERP"])
    _send(crm, body={"customer": "BJ-1", "memo": "13800001111"})

    got = _received(erp)

    assert got["customer"]["code"] == "13912345678"  # a code, not personal data
    assert got["memo"] != "13800001111"  # free text shaped like a phone still is
