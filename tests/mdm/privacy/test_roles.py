"""Each role sees and does what it should, and nothing more (a test per role and per denial)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from dictionary.models import DataElement
from mdm.models import AuditLog, Customer, Event, SourceRecord
from tests.support.personas import PERSON, api_client, browser_for, make_user

pytestmark = pytest.mark.django_db

HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org"}


def element_form(element: DataElement, **changes) -> dict:
    form = {
        f.name: getattr(element, f.attname)
        for f in DataElement._meta.fields
        if f.name
        not in ("id", "version", "updated_at", "value_domain", "validator_params", "standardizers")
    }
    form.update(
        {
            "value_domain": "",
            "validator_params": "{}",
            "standardizers": '["nfkc", "collapse_space", "lower"]',
            "bindings-TOTAL_FORMS": "0",
            "bindings-INITIAL_FORMS": "0",
        }
    )
    form.update(changes)
    return {k: ("" if v is None else v) for k, v in form.items()}


def test_the_four_roles_exist_with_their_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "mdm_admin",
        "data_steward",
        "data_viewer",
        "auditor",
    }


def test_only_mdm_admin_holds_view_personal_data_by_default():
    holders = Group.objects.filter(permissions__codename="view_personal_data")
    assert list(holders.values_list("name", flat=True)) == ["mdm_admin"]


# ---- data_viewer


def test_viewer_reads_golden_records_masked(viewer, person):
    response = viewer.get(f"/api/v1/golden/customers/{person}")

    assert response.status_code == 200
    assert response.json()["attributes"]["phone"] == "138****5678"


def test_viewer_cannot_write_a_source_record(viewer, erp):
    response = viewer.put("/api/v1/sources/ERP/customers/V-1", HUAXIN, format="json")

    assert response.status_code == 403
    assert SourceRecord.objects.count() == 0


def test_viewer_cannot_merge(viewer, person, crm):
    other = crm.put("customers", "C-9", HUAXIN).json()["golden_code"]

    response = viewer.post(
        f"/api/v1/golden/customers/{person}/merge", {"other": other, "reason": "x"}, format="json"
    )

    assert response.status_code == 403
    assert Customer.objects.filter(status="merged").count() == 0


def test_viewer_cannot_unmask(viewer, person):
    response = viewer.get(
        f"/api/v1/golden/customers/{person}?unmask=true", HTTP_X_ACCESS_REASON="curious"
    )

    assert response.status_code == 403
    assert AuditLog.objects.count() == 0


# ---- data_steward


def test_steward_locks_a_value(steward, person):
    response = steward.post(
        f"/api/v1/golden/customers/{person}/lock",
        {"attribute": "email", "value": "z.san@example.com", "reason": "customer called"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["locked"]["email"]["value"] == "z***@example.com"


def test_steward_cannot_unmask(steward, person):
    response = steward.get(
        f"/api/v1/golden/customers/{person}?unmask=true", HTTP_X_ACCESS_REASON="review"
    )

    assert response.status_code == 403
    assert AuditLog.objects.count() == 0


def test_steward_edits_an_element_but_not_its_sensitivity(steward_user):
    element = DataElement.objects.get(code="email")
    browser = browser_for(steward_user)

    page = browser.get(f"/admin/dictionary/dataelement/{element.pk}/change/").content.decode()
    response = browser.post(
        f"/admin/dictionary/dataelement/{element.pk}/change/",
        element_form(element, sensitivity="public", definition_en="Edited."),
    )

    element.refresh_from_db()
    assert 'name="sensitivity"' not in page
    assert response.status_code == 302, response.content.decode()[:1500]
    assert element.definition_en == "Edited."
    assert element.sensitivity == "personal"


def test_steward_cannot_manage_users(steward_user):
    browser = browser_for(steward_user)

    assert browser.get("/admin/auth/user/").status_code == 403
    assert browser.get("/admin/auth/group/").status_code == 403


def test_steward_cannot_read_the_audit_log(steward_user):
    assert browser_for(steward_user).get("/admin/mdm/auditlog/").status_code == 403


# ---- auditor


def test_auditor_reads_the_audit_log_and_the_change_history(auditor_user, person):
    browser = browser_for(auditor_user)

    assert browser.get("/admin/mdm/auditlog/").status_code == 200
    history = browser.get("/admin/mdm/historicalsourcerecord/")
    assert history.status_code == 200
    assert "P-1" in history.content.decode()
    assert "13812345678" not in history.content.decode()


def test_auditor_sees_which_fields_changed_but_not_the_values(auditor_user, erp, person):
    erp.put("customers", "P-1", dict(PERSON, phone="13900001111"))
    row = SourceRecord.history.filter(local_code="P-1").order_by("-history_id").first()

    page = browser_for(auditor_user).get(
        f"/admin/mdm/historicalsourcerecord/{row.history_id}/change/"
    )

    content = page.content.decode()
    assert page.status_code == 200
    assert "attributes" in content and "raw" in content
    assert "13900001111" not in content


def test_auditor_cannot_read_current_data(auditor_api, auditor_user, person):
    assert auditor_api.get(f"/api/v1/golden/customers/{person}").status_code == 403
    assert auditor_api.get("/api/v1/events/").status_code == 403
    assert browser_for(auditor_user).get("/admin/mdm/customer/").status_code == 403


def test_auditor_cannot_write(auditor_api, auditor_user, erp):
    response = auditor_api.put("/api/v1/sources/ERP/customers/A-1", HUAXIN, format="json")

    assert response.status_code == 403
    assert SourceRecord.objects.count() == 0
    assert browser_for(auditor_user).get("/admin/mdm/auditlog/add/").status_code == 403


# ---- mdm_admin


def test_admin_unmasks_with_a_reason(admin_api, person):
    response = admin_api.get(
        f"/api/v1/golden/customers/{person}?unmask=true", HTTP_X_ACCESS_REASON="ticket 42"
    )

    assert response.status_code == 200
    assert response.json()["attributes"]["phone"] == "+8613812345678"
    assert AuditLog.objects.get().reason == "ticket 42"


def test_admin_changes_an_elements_sensitivity(admin_user):
    element = DataElement.objects.get(code="email")

    response = browser_for(admin_user).post(
        f"/admin/dictionary/dataelement/{element.pk}/change/",
        element_form(element, sensitivity="sensitive_personal"),
    )

    element.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:1500]
    assert element.sensitivity == "sensitive_personal"


def test_admin_manages_users(admin_user):
    assert browser_for(admin_user).get("/admin/auth/user/").status_code == 200


# ---- source systems


def test_a_system_writes_only_its_own_records(erp, crm):
    response = crm.client.put("/api/v1/sources/ERP/customers/X-1", HUAXIN, format="json")

    assert response.status_code == 403
    assert SourceRecord.objects.count() == 0


def test_a_system_reads_and_writes_only_the_entities_it_is_granted(erp, shop, person):
    shop.system.granted_entities = ["products"]
    shop.system.save()

    assert shop.client.get(f"/api/v1/golden/customers/{person}").status_code == 403
    assert shop.client.get("/api/v1/golden/customers/").status_code == 403
    assert shop.client.get("/api/v1/crosswalk/customers/ERP/P-1").status_code == 403
    assert shop.client.get("/api/v1/events/?entity=customers").status_code == 403
    assert shop.put("customers", "S-1", HUAXIN).status_code == 403
    assert shop.put("products", "S-1", {"name": "光纤", "uom": "m"}).status_code == 201
    assert SourceRecord.objects.filter(system=shop.system).count() == 1


def test_a_system_follows_events_of_its_granted_entities_only(erp, shop, person):
    shop.system.granted_entities = ["products"]
    shop.system.save()
    shop.put("products", "S-1", {"name": "光纤", "uom": "m"})

    events = shop.client.get("/api/v1/events/").json()["events"]

    assert Event.objects.filter(entity="customers").exists()
    assert {e["entity"] for e in events} == {"products"}


def test_a_system_sees_others_records_masked_in_golden_records(erp, crm, person):
    body = crm.client.get(f"/api/v1/golden/customers/{person}").json()

    assert body["attributes"]["id_number"] == "110105********002X"
    assert body["attributes"]["name"] == "张*"


def test_anonymous_gets_401(anonymous, person):
    assert anonymous.get(f"/api/v1/golden/customers/{person}").status_code == 401


def test_a_user_without_role_reads_nothing(db, person):
    client = api_client(make_user("nobody", None))

    assert client.get(f"/api/v1/golden/customers/{person}").status_code == 403
