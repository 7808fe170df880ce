"""A system reads another system's local codes only where it is granted (issue 29, item 5):
the crosswalk translation, a golden record's members and lineage, the change feed, the
webhooks and ``export_crosswalk --for``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from stdnum.cn import uscc

from mdm.access.code_grants import readable_systems
from mdm.feed.webhooks import event_body
from mdm.models import CrosswalkGrant, Event, SourceRecord, SourceSystem
from tests.mdm.stewardship.conftest import browser_for, make_user

#: ``closed`` before the personas: they are registered under the production default.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("closed")]

NOT_GRANTED = {
    "errors": {
        "non_field_errors": [
            {
                "code": "not_granted",
                "message": "未获授权读取 ERP 的本地编码 / Not granted to read ERP's local codes",
                "message_zh": "未获授权读取 ERP 的本地编码",
                "message_en": "Not granted to read ERP's local codes",
            }
        ]
    }
}


def company() -> dict:
    base = "91110108MA0100001"
    return {
        "name": "北京华信科技有限公司",
        "customer_type": "org",
        "credit_code": base + uscc.calc_check_digit(base),
    }


@pytest.fixture
def closed(settings):
    """The production default: a new system reads no other system's codes until granted."""
    settings.MDM_CROSSWALK_OPEN = False


@pytest.fixture
def shared(erp, crm) -> str:
    """One company known to the ERP (E-1) and the CRM (C-1), no grant between them."""
    erp.put("customers", "E-1", company())
    crm.put("customers", "C-1", company())
    code = SourceRecord.objects.get(local_code="E-1").golden_code
    assert SourceRecord.objects.get(local_code="C-1").golden_code == code
    return code


def test_without_a_grant_a_system_translates_only_to_its_own_codes(crm, shared):
    own = crm.client.get("/api/v1/crosswalk/customers/CRM/C-1")
    to_erp = crm.client.get("/api/v1/crosswalk/customers/CRM/C-1?to=ERP")

    assert own.status_code == 200
    assert own.json() == {
        "golden_code": shared,
        "members": [{"system": "CRM", "local_code": "C-1"}],
    }
    assert to_erp.status_code == 403
    assert to_erp.json() == NOT_GRANTED


def test_without_a_grant_another_systems_code_is_no_key(crm, shared):
    by_erp_code = crm.client.get("/api/v1/crosswalk/customers/ERP/E-1")
    by_unknown_system = crm.client.get("/api/v1/crosswalk/customers/SAP/E-1")

    assert by_erp_code.status_code == 403
    assert by_erp_code.json() == NOT_GRANTED
    assert by_unknown_system.status_code == 404
    assert by_unknown_system.json()["errors"]["non_field_errors"][0]["code"] == "unknown_system"


def test_without_a_grant_the_golden_record_hides_the_other_systems_codes(crm, shared):
    body = crm.client.get(f"/api/v1/golden/customers/{shared}").json()

    assert body["members"] == [{"system": "CRM", "local_code": "C-1"}]
    # The ERP (more trusted) gave the name: the system and the rule show, its code does not.
    assert body["lineage"]["name"] == {"rule": "source_priority", "system": "ERP"}


def test_without_a_grant_the_change_feed_hides_the_other_systems_codes(crm, steward, shared):
    crm_view = crm.client.get("/api/v1/events/?entity=customers").json()["events"]
    steward_view = steward.get("/api/v1/events/?entity=customers").json()["events"]

    assert [e["payload"]["members"] for e in crm_view] == [
        [],  # created by the ERP's record
        [{"system": "CRM", "local_code": "C-1"}],
    ]
    assert steward_view[-1]["payload"]["members"] == [
        {"system": "CRM", "local_code": "C-1"},
        {"system": "ERP", "local_code": "E-1"},
    ]


def test_without_a_grant_the_webhook_body_hides_the_other_systems_codes(crm, shared):
    event = Event.objects.filter(golden_code=shared).order_by("-seq").first()

    body = json.loads(event_body(event, readable_systems(crm.system)))

    assert body["payload"]["members"] == [{"system": "CRM", "local_code": "C-1"}]


def test_a_grant_opens_one_direction_and_a_revoke_closes_it(erp, crm, shared):
    out = StringIO()
    call_command("grant_crosswalk", "CRM", to="ERP", stdout=out)
    granted = crm.client.get("/api/v1/crosswalk/customers/CRM/C-1?to=ERP")
    reverse = erp.client.get("/api/v1/crosswalk/customers/ERP/E-1?to=CRM")

    call_command("grant_crosswalk", "CRM", to="ERP", revoke=True, stdout=out)
    revoked = crm.client.get("/api/v1/crosswalk/customers/CRM/C-1?to=ERP")

    assert granted.status_code == 200
    assert granted.json() == {
        "golden_code": shared,
        "members": [{"system": "ERP", "local_code": "E-1"}],
    }
    assert reverse.status_code == 403
    assert revoked.status_code == 403
    assert not CrosswalkGrant.objects.exists()
    assert [r.history_type for r in CrosswalkGrant.history.order_by("history_id")] == ["+", "-"]


def test_a_switched_off_systems_codes_are_not_read_through_its_grant(erp, crm, shared):
    call_command("grant_crosswalk", "CRM", to="ERP", stdout=StringIO())
    SourceSystem.objects.filter(code="ERP").update(is_active=False)

    answer = crm.client.get("/api/v1/crosswalk/customers/CRM/C-1")

    assert readable_systems(SourceSystem.objects.get(code="CRM")) == {"CRM"}
    assert answer.status_code == 200
    assert answer.json() == {
        "golden_code": shared,
        "members": [{"system": "CRM", "local_code": "C-1"}],
    }


def test_granting_an_unknown_system_fails_and_grants_nothing(erp):
    with pytest.raises(CommandError, match="SAP"):
        call_command("grant_crosswalk", "ERP", to="SAP", stdout=StringIO())

    assert not CrosswalkGrant.objects.exists()


def test_users_read_every_systems_codes(viewer, shared):
    response = viewer.get("/api/v1/crosswalk/customers/ERP/E-1?to=CRM")

    assert response.status_code == 200
    assert response.json()["members"] == [{"system": "CRM", "local_code": "C-1"}]


def test_create_source_system_grants_what_it_is_told(erp, crm):
    call_command(
        "create_source_system",
        "SHOP",
        name="web shop",
        reads="ERP",
        read_by="CRM,ERP",
        stdout=StringIO(),
    )

    pairs = set(CrosswalkGrant.objects.values_list("reader__code", "owner__code"))
    assert pairs == {("SHOP", "ERP"), ("CRM", "SHOP"), ("ERP", "SHOP")}


def test_an_open_hub_grants_a_new_system_and_the_others_both_ways(settings, erp, crm):
    settings.MDM_CROSSWALK_OPEN = True

    call_command("create_source_system", "SHOP", name="web shop", stdout=StringIO())

    pairs = set(CrosswalkGrant.objects.filter(reader__code="SHOP").values_list("owner__code"))
    readers = set(CrosswalkGrant.objects.filter(owner__code="SHOP").values_list("reader__code"))
    assert (pairs, readers) == ({("CRM",), ("ERP",)}, {("CRM",), ("ERP",)})


def test_export_crosswalk_for_a_system_lists_only_what_it_may_read(shared):
    everything, for_crm = StringIO(), StringIO()

    call_command("export_crosswalk", entity="customers", stdout=everything)
    call_command("export_crosswalk", entity="customers", reader="CRM", stdout=for_crm)

    assert everything.getvalue().splitlines() == [
        "system,local_code,golden_code",
        f"CRM,C-1,{shared}",
        f"ERP,E-1,{shared}",
    ]
    assert for_crm.getvalue().splitlines() == [
        "system,local_code,golden_code",
        f"CRM,C-1,{shared}",
    ]


def test_an_mdm_admin_grants_and_revokes_in_the_admin(erp, crm):
    admin = browser_for(make_user("admin.zhou", "mdm_admin"))
    steward = browser_for(make_user("wang.fang", "data_steward"))
    url = "/admin/mdm/crosswalkgrant/"

    refused = steward.post(f"{url}add/", {"reader": crm.system.pk, "owner": erp.system.pk})
    added = admin.post(f"{url}add/", {"reader": crm.system.pk, "owner": erp.system.pk})
    listed = steward.get(url)
    grant = CrosswalkGrant.objects.get()
    row = grant.history.get()
    deleted = admin.post(f"{url}{grant.pk}/delete/", {"post": "yes"})

    assert refused.status_code == 403
    assert added.status_code == 302
    assert (grant.reader.code, grant.owner.code) == ("CRM", "ERP")
    assert (row.history_user.username, row.history_change_reason) == (
        "admin.zhou",
        "管理后台授权",
    )
    assert listed.status_code == 200 and "CRM" in listed.content.decode()
    assert deleted.status_code == 302
    assert not CrosswalkGrant.objects.exists()
    assert CrosswalkGrant.history.latest("history_id").history_user.username == "admin.zhou"
