"""Hostile input, tried for real: every attempt gets a clear 4xx and stores nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from mdm.models import Customer, Event, SourceRecord
from tests.support.personas import browser_for

pytestmark = pytest.mark.django_db

SQL = "1' OR '1'='1'; DROP TABLE mdm_sourcerecord; --"
SCRIPT = "<script>alert(document.cookie)</script>"


def nothing_stored() -> bool:
    return (
        SourceRecord.objects.count() == 0
        and Customer.objects.count() == 0
        and Event.objects.count() == 0
    )


def put_raw(system, body: bytes | str, local_code: str = "H-1", content_type="application/json"):
    return system.client.generic(
        "PUT",
        f"/api/v1/sources/{system.code}/customers/{local_code}",
        body,
        content_type=content_type,
    )


def error_code(response) -> str:
    errors = response.json()["errors"]
    return next(iter(errors.values()))[0]["code"]


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "张三", "id_number": SQL},
        {"name": "张三", "id_number": SCRIPT},
        {"name": "华信", "customer_type": SQL},
        {"name": "华信", SQL: "x"},
        {"name": "华信", SCRIPT: "x"},
        {"name": {"$gt": ""}},
        {"name": ["a", "b"]},
    ],
)
def test_hostile_values_are_rejected_by_the_dictionary(erp, payload):
    response = erp.put("customers", "H-1", payload)

    assert response.status_code == 400
    assert nothing_stored()


@pytest.mark.parametrize("local_code", ["a%00b", "a%2Fb", "a%09b", "x" * 101])
def test_hostile_local_codes_are_refused(erp, local_code):
    response = put_raw(erp, json.dumps({"name": "华信"}), local_code=local_code)

    assert 400 <= response.status_code < 500
    assert nothing_stored()


def test_sql_in_flagged_or_free_text_is_inert_text(erp):
    # A source system's local code and a flagged credit code are kept as received (the
    # dictionary's "flag" policy): as bound parameters, never as SQL. (A credit code sent is
    # at most 36 characters: SQL itself is refused as too long.)
    local_code = SQL.replace("/", "")
    short_sql = "1' OR 1=1; DROP TABLE x; --"
    response = put_raw(
        erp, json.dumps({"name": SQL, "credit_code": short_sql}), local_code=local_code
    )

    record = SourceRecord.objects.get()
    assert response.status_code == 201
    assert (record.local_code, record.attributes["name"]) == (local_code, SQL)
    assert record.flagged == ["credit_code"]
    assert erp.client.get(f"/api/v1/sources/ERP/customers/{local_code}").status_code == 200


def test_sql_in_queries_finds_nothing_and_breaks_nothing(erp, steward):
    erp.put("customers", "P-1", {"name": "北京华信科技有限公司", "customer_type": "org"})

    answers = [
        steward.get("/api/v1/golden/customers/", {"q": SQL}),
        steward.get("/api/v1/golden/customers/", {"credit_code": SQL}),
        steward.get(f"/api/v1/crosswalk/customers/ERP/{SQL}"),
        steward.get("/api/v1/events/", {"after": SQL}),
        steward.get("/api/v1/candidates/", {"min_score": SQL}),
    ]

    assert [r.status_code for r in answers] == [200, 200, 404, 400, 400]
    assert answers[0].json()["results"] == []
    assert SourceRecord.objects.count() == 1


def test_a_script_tag_in_a_name_is_inert_text_and_escaped_in_admin(erp, admin_user):
    code = erp.put("customers", "H-1", {"name": SCRIPT, "customer_type": "org"}).json()[
        "golden_code"
    ]

    page = browser_for(admin_user).get(f"/admin/mdm/customer/?q={code}").content.decode()

    assert SCRIPT not in page
    assert "&lt;script&gt;" in page


def test_a_ten_megabyte_string_is_refused_with_413(erp):
    response = put_raw(erp, json.dumps({"name": "x" * (10 * 1024 * 1024)}))

    assert response.status_code == 413
    assert error_code(response) == "request_too_large"
    assert nothing_stored()


@pytest.mark.parametrize(
    "body",
    [
        "[" * 200_000 + "]" * 200_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        json.dumps({"name": {"a": {"b": {"c": {"d": {}}}}}}).replace(
            "{}", '{"e":' * 30 + "1" + "}" * 30
        ),
    ],
    ids=["deep-array", "deep-object", "nested-value"],
)
def test_deeply_nested_json_is_a_400_not_a_recursion_error(erp, body):
    response = put_raw(erp, body)

    assert response.status_code == 400
    assert error_code(response) == "malformed_json"
    assert nothing_stored()


def test_invalid_utf8_is_a_400(erp):
    response = put_raw(erp, b'{"name": "\xff\xfe\xc3\x28"}')

    assert response.status_code == 400
    assert error_code(response) == "malformed_json"
    assert nothing_stored()


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "华信\\u0000科技"}',
        '{"name\\u0000": "华信"}',
        '{"name": "\\ud800"}',
    ],
    ids=["nul-value", "nul-key", "lone-surrogate"],
)
def test_nul_bytes_and_lone_surrogates_are_a_400(erp, body):
    response = put_raw(erp, body)

    assert response.status_code == 400
    assert nothing_stored()


def test_nul_in_a_query_string_is_a_400(steward):
    response = steward.get("/api/v1/golden/customers/?q=a%00b")

    assert response.status_code == 400
    assert error_code(response) == "invalid_characters"


def test_a_bulk_body_of_hostile_items_stores_nothing(erp):
    items = [
        {"local_code": "B-1", "name": "张三", "id_number": SQL},
        {"local_code": SCRIPT.replace("/", ""), "name": {"nested": 1}},
        {"name": "no local code"},
        "not an object",
    ]

    response = erp.client.post("/api/v1/sources/ERP/customers/bulk", items, format="json")

    assert response.status_code == 200
    assert response.json()["stored"] == 0
    assert [item["status"] for item in response.json()["results"]] == [400, 400, 400, 400]
    assert nothing_stored()


def test_a_non_json_content_type_is_a_415(erp):
    response = put_raw(erp, "name=x", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert nothing_stored()


def test_an_unauthenticated_hostile_request_is_a_401(db):
    response = Client().put(
        "/api/v1/sources/ERP/customers/H-1", SQL, content_type="application/json"
    )

    assert response.status_code == 401
    assert nothing_stored()


def test_a_long_steward_reason_is_a_400_not_a_500(steward, erp):
    # Found while fuzzing: the history keeps 100 characters of a reason; longer ones used to
    # fail in the database.
    code = erp.put("customers", "O-1", {"name": "北京华信科技有限公司"}).json()["golden_code"]

    response = steward.post(
        f"/api/v1/golden/customers/{code}/retire", {"reason": "r" * 101}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["reason"][0]["code"] == "max_length"
    assert Customer.objects.get(code=code).status == "active"
