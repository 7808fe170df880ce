"""Personal data is masked everywhere, unless the sender reads its own record or an allowed
caller unmasks it with a reason (audited)."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from matching.models import MatchCandidate
from mdm.models import AuditLog, Customer, Event, SourceRecord
from mdm.privacy import crypto
from mdm.privacy.masking import mask_source_raw
from tests.support.personas import PERSON, ZHANG_ID, browser_for, make_user

pytestmark = pytest.mark.django_db


def test_the_sender_reads_its_own_record_in_clear_and_the_read_is_audited(erp, person):
    body = erp.client.get("/api/v1/sources/ERP/customers/P-1").json()

    assert body["raw"]["id_number"] == ZHANG_ID
    assert body["attributes"]["phone"] == "+8613812345678"
    assert body["attributes"]["name"] == "张三"
    entry = AuditLog.objects.get()
    assert (entry.action, entry.channel, entry.record) == ("read", "api", "ERP:P-1")
    assert entry.actor_name == "system-erp"
    assert set(entry.fields) >= {"id_number", "phone", "email", "name", "birth_date"}


def test_a_steward_reads_a_source_record_masked(steward, person):
    body = steward.get("/api/v1/sources/ERP/customers/P-1").json()

    assert body["raw"] == {
        "name": "张*",
        "customer_type": "person",
        "id_number": "110105********002X",
        "phone": "138****5678",
        "email": "z***@example.com",
        "address": "北京市朝阳****",
    }
    assert body["attributes"]["birth_date"] == "****-**-**"
    assert body["attributes"]["region_code"] == "110105"
    assert AuditLog.objects.count() == 0


def test_unmasking_a_source_record_needs_a_reason(admin_api, person):
    response = admin_api.get("/api/v1/sources/ERP/customers/P-1?unmask=true")

    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"][0]["code"] == "reason_required"
    assert AuditLog.objects.count() == 0


def test_an_admin_unmasks_a_source_record_and_the_read_is_audited(admin_api, person):
    response = admin_api.get(
        "/api/v1/sources/ERP/customers/P-1?unmask=true",
        HTTP_X_ACCESS_REASON="客户投诉核实 complaint 7",
        HTTP_USER_AGENT="pytest-agent",
        REMOTE_ADDR="10.1.2.3",
    )

    assert response.status_code == 200
    assert response.json()["attributes"]["id_number"] == ZHANG_ID
    entry = AuditLog.objects.get()
    assert (entry.action, entry.actor_name, entry.reason) == (
        "unmask",
        "admin.zhou",
        "客户投诉核实 complaint 7",
    )
    assert (entry.ip, entry.user_agent, entry.record) == ("10.1.2.3", "pytest-agent", "ERP:P-1")


def test_golden_list_is_masked_even_for_an_admin(admin_api, person):
    body = admin_api.get("/api/v1/golden/customers/").json()

    (item,) = body["results"]
    assert item["name"] == "张*"
    assert item["attributes"]["id_number"] == "110105********002X"
    assert item["attributes"]["email"] == "z***@example.com"


def test_an_organizations_name_is_not_personal(erp, steward):
    code = erp.put(
        "customers",
        "O-1",
        {"name": "北京华信科技有限公司", "customer_type": "org", "contact_name": "李四"},
    ).json()["golden_code"]

    body = steward.get(f"/api/v1/golden/customers/{code}").json()

    assert body["attributes"]["name"] == "北京华信科技有限公司"
    assert body["attributes"]["contact_name"] == "李*"


def test_events_are_stored_masked(erp, person):
    payload = Event.objects.get(golden_code=person).payload

    assert payload["attributes"]["id_number"] == "110105********002X"
    assert payload["attributes"]["phone"] == "138****5678"
    assert payload["attributes"]["name"] == "张*"


def test_the_event_feed_is_masked_for_the_sender_too(erp, person):
    (event,) = erp.client.get("/api/v1/events/").json()["events"]

    assert event["payload"]["attributes"]["phone"] == "138****5678"


def test_crosswalk_has_codes_only(erp, crm, person):
    body = crm.client.get("/api/v1/crosswalk/customers/ERP/P-1").json()

    assert body == {"golden_code": person, "members": [{"system": "ERP", "local_code": "P-1"}]}


def test_export_crosswalk_has_no_personal_data(person):
    out = io.StringIO()
    call_command("export_crosswalk", "--entity", "customers", stdout=out)

    assert out.getvalue().splitlines() == ["system,local_code,golden_code", f"ERP,P-1,{person}"]


def test_warnings_quoting_a_personal_value_are_masked_for_other_readers(erp, steward):
    erp.put("customers", "P-2", {"name": "王五", "customer_type": "person", "phone": "12345"})

    body = steward.get("/api/v1/sources/ERP/customers/P-2").json()

    assert body["warnings"] and "12345" not in str(body["warnings"])


def test_candidate_sides_and_explanations_are_masked_for_stewards(erp, crm, steward):
    erp.put("customers", "P-1", PERSON)
    crm.put("customers", "C-1", {"name": "北京华信科技有限公司", "customer_type": "org"})
    left, right = SourceRecord.objects.order_by("pk")
    MatchCandidate.objects.create(
        entity="customers",
        left=left,
        right=right,
        score=0.7,
        explanation=[
            {"field": "phone", "left": "+8613812345678", "right": "13812345678"},
            {"field": "person_name", "left": "张三", "right": "张三"},
        ],
    )

    (item,) = steward.get("/api/v1/candidates/?status=pending").json()["results"]

    assert item["left"]["attributes"]["phone"] == "138****5678"
    assert item["explanation"][0]["left"] == "138****5678"
    assert item["explanation"][1]["right"] == "张*"
    assert "13812345678" not in str(item) and ZHANG_ID not in str(item)


# ---- admin


def test_admin_pages_mask_personal_data_for_a_steward(steward_user, person):
    browser = browser_for(steward_user)
    golden_pk = Customer.objects.get(code=person).pk
    record_pk = SourceRecord.objects.get(local_code="P-1").pk

    pages = [
        browser.get("/admin/mdm/customer/").content.decode(),
        browser.get(f"/admin/mdm/customer/{golden_pk}/change/").content.decode(),
        browser.get(f"/admin/mdm/sourcerecord/{record_pk}/change/").content.decode(),
    ]

    for page in pages:
        assert "张三" not in page and ZHANG_ID not in page and "13812345678" not in page
    assert "张*" in pages[0] and "138****5678" in pages[1] and "110105********002X" in pages[2]
    assert "action-unmask" not in pages[1]


def test_admin_shows_personal_data_once_after_a_reason_and_audits_it(admin_user, person):
    browser = browser_for(admin_user)
    pk = Customer.objects.get(code=person).pk
    page = f"/admin/mdm/customer/{pk}/change/"

    assert "action-unmask" in browser.get(page).content.decode()
    response = browser.post(f"/admin/mdm/customer/{pk}/personal-data/", {"reason": "核对 check"})
    first = browser.get(page).content.decode()
    second = browser.get(page).content.decode()

    assert response.status_code == 302
    assert "+8613812345678" in first and ZHANG_ID in first
    assert "+8613812345678" not in second
    entry = AuditLog.objects.get()
    assert (entry.channel, entry.action, entry.record, entry.reason) == (
        "admin",
        "unmask",
        person,
        "核对 check",
    )


def test_admin_unmask_needs_the_permission(steward_user, person):
    pk = Customer.objects.get(code=person).pk
    response = browser_for(steward_user).post(
        f"/admin/mdm/customer/{pk}/personal-data/", {"reason": "x"}
    )

    assert response.status_code == 403
    assert AuditLog.objects.count() == 0


def test_a_steward_saving_a_masked_payload_keeps_the_stored_values(person):
    user = make_user("steward.li", "data_steward")
    user.user_permissions.add(Permission.objects.get(codename="change_sourcerecord"))
    browser = browser_for(user)
    record = SourceRecord.objects.get(local_code="P-1")
    masked = browser.get(f"/admin/mdm/sourcerecord/{record.pk}/change/").content.decode()
    assert "138****5678" in masked

    payload = dict(mask_source_raw(record), address="上海市浦东新区世纪大道100号")
    response = browser.post(
        f"/admin/mdm/sourcerecord/{record.pk}/change/",
        {"payload": json.dumps(payload, ensure_ascii=False)},
    )

    record.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert record.attributes["phone"] == "+8613812345678"
    assert record.attributes["address"] == "上海市浦东新区世纪大道100号"
    assert crypto.decrypt(record.attributes["id_number"]) == ZHANG_ID


def test_admin_shows_a_source_record_in_clear_once_after_a_reason(admin_user, person):
    browser = browser_for(admin_user)
    pk = SourceRecord.objects.get(local_code="P-1").pk
    page = f"/admin/mdm/sourcerecord/{pk}/change/"

    assert "action-unmask" in browser.get(page).content.decode()
    browser.post(f"/admin/mdm/sourcerecord/{pk}/personal-data/", {"reason": "核对 check"})
    first = browser.get(page).content.decode()
    second = browser.get(page).content.decode()

    assert ZHANG_ID in first and "+8613812345678" in first
    assert ZHANG_ID not in second and "110105********002X" in second
    assert AuditLog.objects.get().record == "ERP:P-1"
