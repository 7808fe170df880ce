"""Crosswalk, golden records, change feed, bulk, dictionary and docs endpoints."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from mdm.models import Customer, SourceRecord

pytestmark = pytest.mark.django_db


def credit_code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


CC = credit_code("91110108MA01ABCD2")
HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org", "credit_code": CC}


@pytest.fixture
def linked(erp, crm, shop):
    """One company known to ERP, CRM and the shop under three local codes."""
    code = erp.put("customers", "SD01-000123", HUAXIN).json()["golden_code"]
    crm.put("customers", "BJ-B-00042", dict(HUAXIN, name="华信科技"))
    shop.put("customers", "WEB0001", dict(HUAXIN, name="华信科技（北京）"))
    return code


def test_crosswalk_translates_a_local_code_to_all_members(linked, erp):
    response = erp.client.get("/api/v1/crosswalk/customers/ERP/SD01-000123")

    assert response.status_code == 200
    assert response.json() == {
        "golden_code": linked,
        "members": [
            {"system": "CRM", "local_code": "BJ-B-00042"},
            {"system": "ECOM", "local_code": "WEB0001"},
            {"system": "ERP", "local_code": "SD01-000123"},
        ],
    }


def test_crosswalk_to_narrows_members_to_one_system(linked, erp):
    response = erp.client.get("/api/v1/crosswalk/customers/ERP/SD01-000123?to=CRM")

    assert response.json() == {
        "golden_code": linked,
        "members": [{"system": "CRM", "local_code": "BJ-B-00042"}],
    }


def test_crosswalk_to_an_unknown_system_is_the_callers_mistake(linked, erp):
    response = erp.client.get("/api/v1/crosswalk/customers/ERP/SD01-000123?to=SAP")

    assert response.status_code == 400
    assert "SAP" in str(response.json()["errors"]["to"])


def test_a_crosswalk_look_up_is_one_query_besides_the_callers_token_and_grants(
    linked, erp, django_assert_num_queries
):
    erp.client.get("/api/v1/crosswalk/customers/ERP/SD01-000123?to=CRM")  # warm

    with django_assert_num_queries(3) as captured:
        response = erp.client.get("/api/v1/crosswalk/customers/ERP/SD01-000123?to=CRM")

    assert response.json()["members"] == [{"system": "CRM", "local_code": "BJ-B-00042"}]
    assert not any('mdm_sourcesystem" WHERE' in q["sql"] for q in captured.captured_queries)


def test_crosswalk_of_unknown_code_is_404(linked, erp):
    response = erp.client.get("/api/v1/crosswalk/customers/ERP/NOPE")

    assert response.status_code == 404
    assert response.json()["errors"]["non_field_errors"][0]["code"] == "not_found"


def test_crosswalk_leaves_out_retired_members(linked, erp, crm):
    crm.client.delete("/api/v1/sources/CRM/customers/BJ-B-00042")

    members = erp.client.get("/api/v1/crosswalk/customers/ERP/SD01-000123").json()["members"]

    assert {"system": "CRM", "local_code": "BJ-B-00042"} not in members
    assert len(members) == 2


def test_golden_detail_has_attributes_lineage_and_members(linked, erp):
    body = erp.client.get(f"/api/v1/golden/customers/{linked}").json()

    assert body["golden_code"] == linked
    assert body["merged_into"] is None
    assert body["attributes"]["credit_code"] == CC
    assert body["lineage"]["credit_code"]["rule"]
    assert len(body["members"]) == 3


def test_merged_code_answers_with_its_survivor(erp):
    survivor = erp.put("customers", "A", HUAXIN).json()["golden_code"]
    other = erp.put("customers", "B", {"name": "另一家公司", "customer_type": "org"}).json()[
        "golden_code"
    ]
    Customer.objects.filter(code=other).update(
        status="merged", merged_into=Customer.objects.get(code=survivor)
    )

    body = erp.client.get(f"/api/v1/golden/customers/{other}").json()

    assert body["golden_code"] == survivor
    assert body["requested_code"] == other
    assert body["merged_into"] == survivor


def test_golden_detail_unknown_code_is_404(erp):
    assert erp.client.get("/api/v1/golden/customers/CU0000000000X").status_code == 404


def test_golden_list_searches_by_name_and_credit_code(linked, erp):
    erp.put("customers", "SD01-2", {"name": "上海浦江物流有限公司", "customer_type": "org"})

    by_name = erp.client.get("/api/v1/golden/customers/?q=浦江").json()
    by_cc = erp.client.get(f"/api/v1/golden/customers/?credit_code={CC.lower()}").json()

    assert [r["name"] for r in by_name["results"]] == ["上海浦江物流有限公司"]
    assert [r["golden_code"] for r in by_cc["results"]] == [linked]


def test_golden_list_pages_with_a_cursor(erp):
    for i in range(5):
        erp.put("customers", f"SD01-{i}", {"name": f"公司{i}", "customer_type": "org"})

    first = erp.client.get("/api/v1/golden/customers/?page_size=2").json()
    second = erp.client.get(first["next"]).json()

    assert len(first["results"]) == 2 and len(second["results"]) == 2
    assert not {r["golden_code"] for r in first["results"]} & {
        r["golden_code"] for r in second["results"]
    }


def test_golden_list_updated_after_filter(linked, erp):
    response = erp.client.get("/api/v1/golden/customers/?updated_after=2999-01-01T00:00:00Z")

    assert response.json()["results"] == []


def test_event_feed_pages_in_sequence_order_and_resumes(linked, erp):
    first = erp.client.get("/api/v1/events/?limit=2").json()
    rest = erp.client.get(f"/api/v1/events/?after={first['next_after']}").json()

    seqs = [e["seq"] for e in first["events"] + rest["events"]]
    assert seqs == sorted(seqs)
    assert len(seqs) == len(set(seqs)) == 3
    assert first["has_more"] is True and rest["has_more"] is False
    assert first["events"][0]["kind"] == "created"
    assert first["events"][0]["golden_code"] == linked


def test_event_feed_filters_by_entity(linked, erp):
    erp.put("products", "P-1", {"name": "螺丝", "uom": "PCE"})

    events = erp.client.get("/api/v1/events/?entity=products").json()["events"]

    assert [e["entity"] for e in events] == ["products"]


def test_event_feed_rejects_a_non_integer_cursor(erp):
    assert erp.client.get("/api/v1/events/?after=abc").status_code == 400


def test_bulk_stores_valid_items_and_reports_invalid_ones(erp):
    items = [
        {"local_code": "SD01-1", **HUAXIN},
        {"local_code": "SD01-2", "customer_type": "org"},
        {"name": "no local code"},
        {"local_code": "SD01-3", "name": "上海浦江物流有限公司", "customer_type": "org"},
    ]

    response = erp.client.post("/api/v1/sources/ERP/customers/bulk", items, format="json")

    body = response.json()
    assert response.status_code == 200
    assert [r["status"] for r in body["results"]] == [201, 400, 400, 201]
    assert body["results"][1]["errors"]["name"][0]["code"] == "required"
    assert (body["stored"], body["rejected"]) == (2, 2)
    assert sorted(SourceRecord.objects.values_list("local_code", flat=True)) == ["SD01-1", "SD01-3"]


def test_bulk_over_1000_items_is_refused(erp):
    items = [{"local_code": str(i), "name": "x", "customer_type": "org"} for i in range(1001)]

    response = erp.client.post("/api/v1/sources/ERP/customers/bulk", items, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"][0]["code"] == "too_many_items"
    assert SourceRecord.objects.count() == 0


def test_bulk_body_must_be_an_array(erp):
    response = erp.client.post("/api/v1/sources/ERP/customers/bulk", {"a": 1}, format="json")

    assert response.status_code == 400


def test_dictionary_lists_elements(erp):
    body = erp.client.get("/api/v1/dictionary/?values=false").json()

    codes = {e["code"] for e in body["elements"]}
    assert {"name", "credit_code", "gtin", "base_uom"} <= codes


def test_viewer_reads_but_cannot_write(viewer, erp):
    erp.put("customers", "SD01-1", HUAXIN)

    assert viewer.get("/api/v1/crosswalk/customers/ERP/SD01-1").status_code == 200
    assert viewer.get("/api/v1/sources/ERP/customers/SD01-1").status_code == 200
    response = viewer.put("/api/v1/sources/ERP/customers/SD01-2", HUAXIN, format="json")
    assert response.status_code == 403


def test_steward_may_write_through_the_api(steward, erp):
    response = steward.put("/api/v1/sources/ERP/customers/SD01-7", HUAXIN, format="json")

    assert response.status_code == 201
    assert SourceRecord.history.get().history_user.username == "steward"


def test_openapi_schema_and_docs_are_served(erp, client):
    schema = erp.client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/sources/{system}/{entity}/{local_code}" in schema.content
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()
