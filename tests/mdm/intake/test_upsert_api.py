"""PUT/GET/DELETE of source records: the REST contract's write path as a source system sees it."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from mdm.models import Customer, Event, Product, SourceRecord
from mdm.records.codes import is_valid_code

pytestmark = pytest.mark.django_db


def credit_code(body: str = "91110108MA01ABCD2") -> str:
    """A valid unified social credit code built from a 17-character body."""
    return body + uscc.calc_check_digit(body)


HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org", "credit_code": credit_code()}


def test_put_new_record_creates_a_golden_record_and_answers_its_code(erp):
    response = erp.put("customers", "SD01-000123", HUAXIN)

    assert response.status_code == 201
    body = response.json()
    assert body["link"] == "new"
    assert body["changed"] is True
    assert body["golden_code"].startswith("CU") and len(body["golden_code"]) == 13
    assert is_valid_code(body["golden_code"])
    golden = Customer.objects.get(code=body["golden_code"])
    assert golden.name == "北京华信科技有限公司"
    assert golden.credit_code == HUAXIN["credit_code"]
    assert list(Event.objects.values_list("kind", "golden_code")) == [("created", golden.code)]


def test_same_payload_twice_changes_nothing(erp):
    first = erp.put("customers", "SD01-000123", HUAXIN).json()
    history_rows = SourceRecord.history.count() + Customer.history.count()
    events = Event.objects.count()

    response = erp.put("customers", "SD01-000123", dict(HUAXIN))

    assert response.status_code == 200
    assert response.json()["changed"] is False
    assert response.json()["golden_code"] == first["golden_code"]
    assert SourceRecord.history.count() + Customer.history.count() == history_rows
    assert Event.objects.count() == events


def test_payload_that_standardizes_to_the_same_values_is_unchanged(erp):
    erp.put("customers", "SD01-000123", HUAXIN)

    spaced = dict(
        HUAXIN, name="  北京华信科技有限公司 ", credit_code=" " + HUAXIN["credit_code"].lower()
    )
    response = erp.put("customers", "SD01-000123", spaced)

    assert response.json()["changed"] is False


def test_changed_payload_updates_the_golden_record_and_emits_an_event(erp):
    code = erp.put("customers", "SD01-000123", HUAXIN).json()["golden_code"]

    response = erp.put(
        "customers", "SD01-000123", dict(HUAXIN, address="北京市海淀区中关村大街1号")
    )

    assert response.status_code == 200
    assert response.json() == {
        "golden_code": code,
        "link": "new",
        "changed": True,
        "created": False,
        "score": None,
        "warnings": [],
    }
    assert Customer.objects.get(code=code).address == "北京市海淀区中关村大街1号"
    assert list(Event.objects.order_by("seq").values_list("kind", flat=True)) == [
        "created",
        "updated",
    ]


def test_same_credit_code_from_another_system_links_to_the_same_golden_record(erp, crm):
    code = erp.put("customers", "SD01-000123", HUAXIN).json()["golden_code"]

    response = crm.put(
        "customers",
        "BJ-B-00042",
        {"name": "华信科技", "customer_type": "org", "credit_code": HUAXIN["credit_code"]},
    )

    assert response.status_code == 201
    assert response.json()["golden_code"] == code
    assert response.json()["link"] == "auto"
    assert Customer.objects.count() == 1
    assert Event.objects.order_by("-seq").first().kind in ("updated", "crosswalk")


def test_most_recent_non_empty_value_wins_for_most_recent_elements(erp, crm):
    code = erp.put("customers", "SD01-1", dict(HUAXIN, phone="010-62345678")).json()["golden_code"]
    crm.put("customers", "BJ-B-1", dict(HUAXIN, name="华信科技", phone="13812345678"))
    crm.put("customers", "BJ-B-2", dict(HUAXIN, name="华信科技", phone=""))

    golden = Customer.objects.get(code=code)

    assert golden.phone == "+8613812345678"
    assert golden.lineage["phone"] == {
        "rule": "most_recent",
        "system": "CRM",
        "local_code": "BJ-B-1",
        "source_record": SourceRecord.objects.get(local_code="BJ-B-1").pk,
    }


def test_source_priority_elements_take_the_best_ranked_system(erp, crm):
    code = erp.put("customers", "SD01-1", HUAXIN).json()["golden_code"]
    crm.put("customers", "BJ-B-1", dict(HUAXIN, name="华信科技"))

    golden = Customer.objects.get(code=code)

    assert golden.name == "北京华信科技有限公司"
    assert golden.lineage["name"]["rule"] == "source_priority"
    assert golden.lineage["name"]["system"] == "ERP"


def test_same_gtin_links_products(erp, shop):
    product = {"name": "华为 MateBook 14", "uom": "PCE", "gtin": "6901234567892"}
    code = erp.put("products", "P-1", product).json()["golden_code"]

    response = shop.put(
        "products", "WEB001", {"name": "MateBook14 笔记本", "uom": "个", "gtin": "6901234567892"}
    )

    assert response.json()["golden_code"] == code
    assert code.startswith("PR")
    assert Product.objects.count() == 1


def test_bad_input_is_rejected_with_field_errors_and_nothing_is_stored(erp):
    response = erp.put(
        "customers", "SD01-9", {"name": "某公司", "customer_type": "org", "shoe_size": "42"}
    )

    assert response.status_code == 400
    assert response.json()["errors"]["shoe_size"][0]["code"] == "unknown_element"
    assert SourceRecord.objects.count() == 0
    assert Customer.objects.count() == 0
    assert Event.objects.count() == 0


def test_missing_required_element_is_rejected(erp):
    response = erp.put("customers", "SD01-9", {"customer_type": "org"})

    assert response.status_code == 400
    assert response.json()["errors"]["name"][0]["code"] == "required"
    assert SourceRecord.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [b'{"name": "x"', b"[1, 2]", b'"just a string"', b"\xff\xfe\x00"],
    ids=["truncated", "array", "string", "not-utf8"],
)
def test_malformed_body_is_a_400_not_a_500(erp, body):
    response = erp.client.put(
        "/api/v1/sources/ERP/customers/SD01-1", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert "errors" in response.json()
    assert SourceRecord.objects.count() == 0


def test_oversized_body_is_refused_with_413(erp):
    big = b'{"name": "' + b"x" * (1024 * 1024 + 1) + b'"}'

    response = erp.client.put(
        "/api/v1/sources/ERP/customers/SD01-1", big, content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json()["errors"]["non_field_errors"][0]["code"] == "request_too_large"
    assert SourceRecord.objects.count() == 0


def test_unknown_entity_is_404(erp):
    response = erp.put("suppliers", "S-1", {"name": "x"})

    assert response.status_code == 404
    assert response.json()["errors"]["non_field_errors"][0]["code"] == "unknown_entity"


def test_unknown_system_is_404(erp):
    response = erp.client.put("/api/v1/sources/NOPE/customers/1", HUAXIN, format="json")

    assert response.status_code == 404
    assert response.json()["errors"]["non_field_errors"][0]["code"] == "unknown_system"


def test_wrong_token_is_401(erp, anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Token mdm_not-a-real-token")

    response = anonymous.put("/api/v1/sources/ERP/customers/1", HUAXIN, format="json")

    assert response.status_code == 401
    assert SourceRecord.objects.count() == 0


def test_no_token_is_401(erp, anonymous):
    response = anonymous.put("/api/v1/sources/ERP/customers/1", HUAXIN, format="json")

    assert response.status_code == 401


def test_a_system_cannot_write_another_systems_records(erp, crm):
    response = crm.client.put("/api/v1/sources/ERP/customers/SD01-1", HUAXIN, format="json")

    assert response.status_code == 403
    assert SourceRecord.objects.count() == 0


def test_a_system_cannot_read_another_systems_records(erp, crm):
    erp.put("customers", "SD01-1", HUAXIN)

    response = crm.client.get("/api/v1/sources/ERP/customers/SD01-1")

    assert response.status_code == 403


def test_get_returns_raw_and_standardized_attributes(erp):
    code = erp.put("customers", "SD01-1", dict(HUAXIN, phone="138 1234 5678")).json()["golden_code"]

    body = erp.client.get("/api/v1/sources/ERP/customers/SD01-1").json()

    assert body["raw"]["phone"] == "138 1234 5678"
    assert body["attributes"]["phone"] == "+8613812345678"
    assert body["golden_code"] == code
    assert body["link"] == "new"


def test_get_unknown_local_code_is_404(erp):
    assert erp.client.get("/api/v1/sources/ERP/customers/NOPE").status_code == 404


def test_delete_retires_the_record_and_its_golden_record_when_it_was_the_last_member(erp):
    code = erp.put("customers", "SD01-1", HUAXIN).json()["golden_code"]

    response = erp.client.delete("/api/v1/sources/ERP/customers/SD01-1")

    assert response.status_code == 204
    assert SourceRecord.objects.get(local_code="SD01-1").is_active is False
    assert Customer.objects.get(code=code).status == "retired"
    assert Event.objects.order_by("-seq").first().kind == "retired"


def test_delete_of_one_member_keeps_the_golden_record(erp, crm):
    code = erp.put("customers", "SD01-1", HUAXIN).json()["golden_code"]
    crm.put("customers", "BJ-B-1", dict(HUAXIN, name="华信科技"))

    crm.client.delete("/api/v1/sources/CRM/customers/BJ-B-1")

    golden = Customer.objects.get(code=code)
    assert golden.status == "active"
    assert golden.name == "北京华信科技有限公司"


def test_retired_record_sent_again_is_active_again(erp):
    erp.put("customers", "SD01-1", HUAXIN)
    erp.client.delete("/api/v1/sources/ERP/customers/SD01-1")

    response = erp.put("customers", "SD01-1", HUAXIN)

    assert response.status_code == 200
    assert response.json()["changed"] is True
    assert SourceRecord.objects.get(local_code="SD01-1").is_active is True
    assert Customer.objects.get(code=response.json()["golden_code"]).status == "active"


def test_history_records_who_changed_a_source_record(erp):
    erp.put("customers", "SD01-1", HUAXIN, HTTP_X_CHANGE_REASON="nightly sync")

    row = SourceRecord.history.get()

    assert row.history_user == erp.system.service_user
    assert row.history_change_reason == "nightly sync"
