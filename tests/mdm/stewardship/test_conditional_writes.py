"""A steward's write names the version it read: ETag on read, If-Match on write, 412 / 428."""

from __future__ import annotations

import pytest

from mdm.models import Customer, Event

pytestmark = pytest.mark.django_db

ORG = {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"}
LOCK = {"attribute": "phone", "value": "010 8888 9999", "reason": "confirmed by phone call"}


@pytest.fixture
def code(erp) -> str:
    return erp.put("customers", "SD01-1", ORG).json()["golden_code"]


def read_etag(client, code: str) -> str:
    answer = client.get(f"/api/v1/golden/customers/{code}")
    assert answer.status_code == 200
    return answer["ETag"]


def lock(client, code: str, **headers: str):
    return client.post(f"/api/v1/golden/customers/{code}/lock", LOCK, format="json", **headers)


def test_a_write_with_the_version_read_goes_through_and_answers_the_new_one(steward, code):
    etag = read_etag(steward, code)

    answer = lock(steward, code, HTTP_IF_MATCH=etag)

    assert answer.status_code == 200, answer.json()
    assert Customer.objects.get(code=code).phone == "+861088889999"
    assert answer["ETag"] != etag and answer["ETag"] == read_etag(steward, code)


def test_a_record_changed_since_it_was_read_answers_412_and_nothing_changes(steward, erp, code):
    etag = read_etag(steward, code)
    erp.put("customers", "SD01-1", ORG | {"phone": "010-11112222"})  # the ERP moves first
    events = Event.objects.count()

    answer = lock(steward, code, HTTP_IF_MATCH=etag)

    assert answer.status_code == 412
    error = answer.json()["errors"]["non_field_errors"][0]
    assert error["code"] == "precondition_failed"
    assert "read it again" in error["message_en"]
    golden = Customer.objects.get(code=code)
    assert golden.locked == {} and golden.phone == "+861011112222"
    assert Event.objects.count() == events


def test_the_same_etag_cannot_be_used_twice(steward, code):
    etag = read_etag(steward, code)
    assert lock(steward, code, HTTP_IF_MATCH=etag).status_code == 200

    again = steward.post(
        f"/api/v1/golden/customers/{code}/retire",
        {"reason": "closed down"},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert again.status_code == 412
    assert Customer.objects.get(code=code).status == "active"


def test_if_match_is_optional_unless_the_hub_requires_it(steward, code, settings):
    assert lock(steward, code).status_code == 200

    settings.MDM_API_REQUIRE_IF_MATCH = True
    refused = steward.post(
        f"/api/v1/golden/customers/{code}/unlock",
        {"attribute": "phone", "reason": "stale"},
        format="json",
    )
    star = steward.post(
        f"/api/v1/golden/customers/{code}/unlock",
        {"attribute": "phone", "reason": "stale"},
        format="json",
        HTTP_IF_MATCH="*",
    )

    assert refused.status_code == 428
    assert refused.json()["errors"]["non_field_errors"][0]["code"] == "precondition_required"
    assert star.status_code == 200
    assert Customer.objects.get(code=code).locked == {}


def test_an_unknown_code_with_if_match_is_404(steward, code):
    answer = lock(steward, "CU-NOPE", HTTP_IF_MATCH='"CU-NOPE.1"')

    assert answer.status_code == 404


def test_a_weak_tag_never_matches(steward, code):
    etag = read_etag(steward, code)

    assert lock(steward, code, HTTP_IF_MATCH=f"W/{etag}").status_code == 412


def test_a_merged_code_answers_409_with_if_match_as_without(steward, erp, code):
    other = erp.put(
        "customers", "SD01-2", {"name": "上海浦江物流有限公司", "customer_type": "org"}
    ).json()
    merged = steward.post(
        f"/api/v1/golden/customers/{code}/merge",
        {"other": other["golden_code"], "reason": "same company"},
        format="json",
    )
    assert merged.status_code == 200, merged.json()
    gone = other["golden_code"] if Customer.objects.get(code=code).status == "active" else code
    etag = read_etag(steward, gone)  # the read follows the merge to the survivor

    answer = lock(steward, gone, HTTP_IF_MATCH=etag)

    assert answer.status_code == 409  # not a 412 that reading again could never clear
    assert answer.json()["errors"]["non_field_errors"][0]["code"] == "not_active"


def test_the_schema_declares_the_etag_the_header_and_412_428_where_they_apply(steward):
    schema = steward.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    lock_op = paths["/api/v1/golden/{entity}/{code}/lock"]["post"]
    read_op = paths["/api/v1/golden/{entity}/{code}"]["get"]
    upsert = paths["/api/v1/sources/{system}/{entity}/{local_code}"]["put"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in lock_op["parameters"])
    assert {"412", "428"} <= set(lock_op["responses"])
    assert "ETag" in lock_op["responses"]["200"]["headers"]
    assert "ETag" in read_op["responses"]["200"]["headers"]
    assert "412" not in read_op["responses"] and "412" not in upsert["responses"]
    for path in ("merge", "unlock", "retire"):
        assert {"412", "428"} <= set(
            paths[f"/api/v1/golden/{{entity}}/{{code}}/{path}"]["post"]["responses"]
        )
