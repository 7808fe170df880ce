"""The same mistake gets the same answer everywhere under /api/ (issue 30, item 4)."""

from __future__ import annotations

import pytest
from django.test import Client

from mdm.models import SourceRecord

pytestmark = pytest.mark.django_db

HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org"}


def error(field: str, code: str, message: str) -> dict:
    """The contract's error body: the message in both languages and each half on its own."""
    zh, en = message.split(" / ", 1)
    item = {"code": code, "message": message, "message_zh": zh, "message_en": en}
    return {"errors": {field: [item]}}


UNKNOWN_SAP = error(
    "non_field_errors", "unknown_system", "未知源系统 SAP / Unknown source system SAP"
)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/sources/SAP/customers/C1"),
        ("put", "/api/v1/sources/SAP/customers/C1"),
        ("delete", "/api/v1/sources/SAP/customers/C1"),
        ("post", "/api/v1/sources/SAP/customers/bulk"),
    ],
)
def test_unknown_source_system_is_404_for_a_system_token(erp, method, path):
    response = getattr(erp.client, method)(path, {}, format="json")

    assert response.status_code == 404
    assert response.json() == UNKNOWN_SAP


def test_unknown_source_system_is_404_for_a_steward(steward):
    response = steward.get("/api/v1/sources/SAP/customers/C1")

    assert response.status_code == 404
    assert response.json() == UNKNOWN_SAP


def test_unmerge_in_an_unknown_source_system_is_404(steward):
    response = steward.post(
        "/api/v1/sources/SAP/customers/C1/unmerge", {"reason": "wrong link"}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == error(
        "non_field_errors", "not_found", "源记录不存在 / Source record not found"
    )


def test_another_existing_system_stays_403(erp, crm):
    response = erp.client.get("/api/v1/sources/CRM/customers/C1")

    assert response.status_code == 403
    assert response.json() == error(
        "non_field_errors",
        "permission_denied",
        "无权访问该源系统的记录 / Not allowed to access this source system's records",
    )


def test_unknown_entity_is_404_on_source_paths(erp):
    response = erp.put("suppliers", "C1", HUAXIN)

    assert response.status_code == 404
    assert response.json() == error(
        "non_field_errors", "unknown_entity", "未知实体 suppliers / Unknown entity suppliers"
    )


def test_unknown_entity_is_404_on_read_paths(erp):
    for path in (
        "/api/v1/crosswalk/suppliers/ERP/C1",
        "/api/v1/golden/suppliers/",
        "/api/v1/golden/suppliers/G1",
    ):
        response = erp.client.get(path)

        assert response.status_code == 404, path
        assert response.json() == error(
            "non_field_errors", "unknown_entity", "未知实体 suppliers / Unknown entity suppliers"
        )


def test_unknown_local_code_is_404(erp):
    response = erp.client.get("/api/v1/sources/ERP/customers/NOPE")

    assert response.status_code == 404
    assert response.json() == error(
        "non_field_errors", "not_found", "源记录不存在 / Source record not found"
    )


def test_crosswalk_to_unknown_system_is_400_on_to(erp):
    erp.put("customers", "C1", HUAXIN)

    response = erp.client.get("/api/v1/crosswalk/customers/ERP/C1?to=SAP")

    assert response.status_code == 400
    assert response.json() == error("to", "invalid", "未知源系统 SAP / Unknown source system SAP")


def test_crosswalk_to_a_known_system_without_members_is_200(erp, crm):
    golden = erp.put("customers", "C1", HUAXIN).json()["golden_code"]

    response = erp.client.get("/api/v1/crosswalk/customers/ERP/C1?to=CRM")

    assert response.status_code == 200
    assert response.json() == {"golden_code": golden, "members": []}


@pytest.fixture
def three_candidates(erp):
    from matching.models import MatchCandidate
    from mdm.models import SourceRecord

    for code in ("A", "B", "C", "D"):
        erp.put("customers", code, dict(HUAXIN, name=f"公司{code}有限公司"))
    records = list(SourceRecord.objects.order_by("pk"))
    for (left, right), status in zip(
        [(0, 1), (1, 2), (2, 3)], ["pending", "accepted", "rejected"], strict=True
    ):
        MatchCandidate.objects.create(
            entity="customers",
            left=records[left],
            right=records[right],
            score=0.5,
            status=status,
        )


def test_candidates_status_all_lists_every_status(steward, three_candidates):
    response = steward.get("/api/v1/candidates/?status=all")

    assert response.status_code == 200
    statuses = sorted(item["status"] for item in response.json()["results"])
    assert statuses == ["accepted", "pending", "rejected"]


def test_candidates_default_to_pending(steward, three_candidates):
    response = steward.get("/api/v1/candidates/")

    assert [item["status"] for item in response.json()["results"]] == ["pending"]


def test_candidates_unknown_status_is_400_on_status(steward, three_candidates):
    response = steward.get("/api/v1/candidates/?status=foo")

    assert response.status_code == 400
    assert response.json() == error(
        "status",
        "invalid",
        "未知状态 foo，可选 pending, accepted, rejected, all / Unknown status foo, "
        "one of pending, accepted, rejected, all",
    )


def test_a_body_over_the_limit_answers_utf8_json(erp, settings):
    settings.MDM_MAX_BODY_BYTES = 100
    body = '{"name": "' + "x" * 200 + '"}'

    response = erp.client.generic(
        "PUT", "/api/v1/sources/ERP/customers/BIG", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.content.decode("utf-8") == (
        '{"errors": {"non_field_errors": [{"code": "request_too_large", "message": '
        '"请求体超过 100 字节上限 / Request body exceeds the 100-byte limit", '
        '"message_zh": "请求体超过 100 字节上限", '
        '"message_en": "Request body exceeds the 100-byte limit"}]}}'
    )


NOT_FOUND = error("non_field_errors", "not_found", "未找到 / Not found")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/api/v1/sources/ERP/customers",
        "/api/v1/golden/customers/G1/extra/parts",
        "/api/v2/golden/customers/",
        "/api/",
    ],
)
def test_an_unknown_url_under_api_is_a_json_404(erp, path):
    for method in ("get", "post", "delete"):
        response = getattr(erp.client, method)(path)

        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == "application/json"
        assert response.json() == NOT_FOUND


def test_an_unknown_url_is_json_404_even_with_debug(erp, settings):
    settings.DEBUG = True

    response = erp.client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_missing_trailing_slash_still_redirects(erp):
    response = erp.client.get("/api/v1/golden/customers?page_size=5")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/golden/customers/?page_size=5"


BAD_CURSOR = error("cursor", "invalid", "无效的分页游标 / Invalid pagination cursor")


@pytest.mark.parametrize(
    "cursor",
    [
        "cD0nIE9SIDE9MS0t",  # p=' OR 1=1--
        "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",  # p=99999999999999999999999999
        "not base64 at all!",
    ],
)
def test_a_malformed_golden_cursor_is_400(erp, cursor):
    erp.put("customers", "C1", HUAXIN)

    response = erp.client.get("/api/v1/golden/customers/", {"cursor": cursor})

    assert response.status_code == 400
    assert response.json() == BAD_CURSOR


def test_a_malformed_candidates_cursor_is_400(steward, three_candidates):
    response = steward.get("/api/v1/candidates/", {"cursor": "cD0nIE9SIDE9MS0t"})

    assert response.status_code == 400
    assert response.json() == BAD_CURSOR


def test_a_real_cursor_still_pages(erp):
    for code in ("A", "B", "C"):
        erp.put("customers", code, dict(HUAXIN, name=f"公司{code}有限公司"))

    first = erp.client.get("/api/v1/golden/customers/?page_size=2").json()
    second = erp.client.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert len(second["results"]) == 1


@pytest.mark.parametrize("number", ["1e400", "-1e400"])
def test_a_number_out_of_range_is_400_on_its_field_and_not_logged(erp, caplog, number):
    body = '{"name": ' + number + ', "customer_type": "org"}'

    with caplog.at_level("DEBUG"):
        response = erp.client.generic(
            "PUT", "/api/v1/sources/ERP/customers/C1", body, content_type="application/json"
        )

    assert response.status_code == 400
    assert response.json() == error("name", "invalid", "数字超出范围 / Number out of range")
    assert SourceRecord.objects.count() == 0
    assert [r for r in caplog.records if r.levelno >= 40] == []
    assert all(number not in r.getMessage() for r in caplog.records)


def test_drf_own_messages_come_in_both_languages(steward):
    response = steward.post("/api/v1/golden/customers/CU1/merge", {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["reason"] == [
        {
            "code": "required",
            "message": "该字段是必填项。 / This field is required.",
            "message_zh": "该字段是必填项。",
            "message_en": "This field is required.",
        }
    ]


def test_drf_own_messages_come_in_both_languages_when_asked_in_english(steward):
    response = steward.post(
        "/api/v1/golden/customers/CU1/merge",
        {"reason": "x" * 101, "other": "CU2"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    [item] = response.json()["errors"]["reason"]
    assert item["code"] == "max_length"
    assert item["message_en"] == "Ensure this field has no more than 100 characters."
    assert item["message_zh"] == "请确保这个字段不能超过 100 个字符。"


def test_an_auth_error_comes_in_both_languages(db, client):
    response = client.get("/api/v1/golden/customers/")

    assert response.status_code == 401
    [item] = response.json()["errors"]["non_field_errors"]
    assert item["code"] == "not_authenticated"
    assert item["message_en"] == "Authentication credentials were not provided."
    assert item["message_zh"] != item["message_en"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "string"), (12345, "string"), ({"zh": "华信"}, "string"), (["华信"], "string")],
)
def test_a_string_element_refuses_other_json_types(erp, value, expected):
    response = erp.put("customers", "T-1", {"name": value})

    assert response.status_code == 400
    [item] = response.json()["errors"]["name"]
    assert (item["code"], item["message_en"]) == (
        "invalid_type",
        f"Wrong data type; expected {expected}",
    )
    assert not SourceRecord.objects.exists()


def test_a_number_element_takes_a_json_number_but_not_a_boolean(erp):
    accepted = erp.put("products", "G-1", {"name": "光纤", "uom": "m", "shelf_life_days": 365})
    refused = erp.put("products", "G-2", {"name": "光纤", "uom": "m", "shelf_life_days": True})

    assert accepted.status_code == 201
    assert SourceRecord.objects.get(local_code="G-1").attributes["shelf_life_days"] == "365"
    assert refused.status_code == 400
    assert refused.json()["errors"]["shelf_life_days"][0]["code"] == "invalid_type"


def test_an_over_long_flagged_value_is_a_400_naming_the_element(erp):
    response = erp.put("customers", "T-1", {"name": "华信", "address": "北京" * 50_000})

    assert response.status_code == 400
    [item] = response.json()["errors"]["address"]
    assert item["code"] == "too_long"
    assert not SourceRecord.objects.exists()


def test_free_text_in_a_flagged_coded_field_keeps_the_record_and_flags_the_value(us_shop):
    # A restaurant guide's cuisine in the industry (a one-letter GB/T 4754 section code).
    response = us_shop.put(
        "customers",
        "FZ-1",
        {"name": "Campanile", "customer_type": "org", "industry": "Californian/International"},
    )

    assert response.status_code == 201, response.content
    warnings = response.json()["warnings"]
    assert [(w["field"], w["code"]) for w in warnings] == [("industry", "not_in_domain")]
    record = SourceRecord.objects.get(local_code="FZ-1")
    assert record.is_active and "industry" in record.flagged


def test_a_credit_code_sent_with_spaces_fits_the_schema_and_is_accepted(erp, client):
    schema = client.get("/api/schema/?format=json").json()
    limit = schema["components"]["schemas"]["CustomersRecord"]["properties"]["credit_code"]

    response = erp.put(
        "customers", "T-1", {"name": "华信", "credit_code": "9111 0108 MA01 ABCD 2H"}
    )

    assert limit["maxLength"] >= len("9111 0108 MA01 ABCD 2H")
    assert response.status_code == 201
    assert SourceRecord.objects.get().attributes["credit_code"] == "91110108MA01ABCD2H"


def test_every_date_time_is_in_the_hub_time_zone(erp, steward):
    golden = erp.put("customers", "T-1", HUAXIN).json()["golden_code"]

    detail = steward.get(f"/api/v1/golden/customers/{golden}").json()
    listed = steward.get("/api/v1/golden/customers/").json()["results"][0]
    source = erp.client.get("/api/v1/sources/ERP/customers/T-1").json()
    event = steward.get("/api/v1/events/").json()["events"][0]

    stamps = [
        detail["created_at"],
        detail["updated_at"],
        listed["updated_at"],
        source["created_at"],
        event["created_at"],
    ]
    assert all(stamp.endswith("+08:00") for stamp in stamps), stamps


def test_a_post_to_an_unknown_url_is_a_json_404_not_a_csrf_page(db):
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/candidates/-300/decision", {"decision": "accept"}, content_type="application/json"
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
