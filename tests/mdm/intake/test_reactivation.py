"""Codes survive a delete: a source record its system deleted and sends again comes back to the
golden record it had (or to the survivor of that record's merge), and the feed says so."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from mdm.models import Customer, SourceRecord

pytestmark = pytest.mark.django_db


def credit_code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


HUAXIN = {
    "name": "北京华信科技有限公司",
    "customer_type": "org",
    "credit_code": credit_code("91110108MA01ABCD2"),
}
PUJIANG = {
    "name": "上海浦江物流有限公司",
    "customer_type": "org",
    "credit_code": credit_code("91310115MA1K4LXR2"),
}


def events_after(system, seq: int) -> list[dict]:
    return system.client.get(f"/api/v1/events/?after={seq}").json()["events"]


def last_seq(system) -> int:
    return system.client.get("/api/v1/events/?after=0&limit=1000").json()["next_after"]


def test_the_only_member_sent_again_reactivates_its_golden_record_with_the_same_code(erp):
    first = erp.put("customers", "SD01-1", HUAXIN).json()
    erp.client.delete("/api/v1/sources/ERP/customers/SD01-1")
    assert Customer.objects.get(code=first["golden_code"]).status == "retired"
    seq = last_seq(erp)

    response = erp.put("customers", "SD01-1", HUAXIN)

    body = response.json()
    assert (response.status_code, body["golden_code"], body["link"]) == (
        200,
        first["golden_code"],
        "new",
    )
    assert Customer.objects.get(code=first["golden_code"]).status == "active"
    assert Customer.objects.count() == 1
    (event,) = events_after(erp, seq)
    assert (event["kind"], event["golden_code"], event["payload"]["status"]) == (
        "updated",
        first["golden_code"],
        "active",
    )
    assert event["payload"]["reactivated"] == [{"system": "ERP", "local_code": "SD01-1"}]
    crosswalk = erp.client.get("/api/v1/crosswalk/customers/ERP/SD01-1").json()
    assert crosswalk["golden_code"] == first["golden_code"]


def test_a_member_sent_again_joins_its_live_golden_record_again(erp, crm):
    code = erp.put("customers", "SD01-1", HUAXIN).json()["golden_code"]
    assert crm.put("customers", "BJ-B-1", HUAXIN).json()["golden_code"] == code
    erp.client.delete("/api/v1/sources/ERP/customers/SD01-1")
    seq = last_seq(erp)

    response = erp.put("customers", "SD01-1", dict(HUAXIN, name="北京华信科技股份有限公司"))

    assert response.json()["golden_code"] == code
    (event,) = events_after(erp, seq)
    assert event["kind"] == "updated"  # the ERP's new name wins by its priority
    assert event["payload"]["reactivated"] == [{"system": "ERP", "local_code": "SD01-1"}]
    assert event["payload"]["members"] == [
        {"system": "CRM", "local_code": "BJ-B-1"},
        {"system": "ERP", "local_code": "SD01-1"},
    ]


def test_a_member_of_a_merged_golden_record_comes_back_to_the_survivor(erp, crm, steward):
    merged = erp.put("customers", "SD01-1", HUAXIN).json()["golden_code"]
    crm.put("customers", "BJ-B-1", HUAXIN)
    survivor = erp.put("customers", "SD01-2", PUJIANG).json()["golden_code"]
    erp.client.delete("/api/v1/sources/ERP/customers/SD01-1")
    merge = steward.post(
        f"/api/v1/golden/customers/{survivor}/merge",
        {"other": merged, "reason": "同一家公司 same company"},
        format="json",
    )
    assert merge.status_code == 200
    seq = last_seq(erp)

    response = erp.put("customers", "SD01-1", HUAXIN)

    assert response.json()["golden_code"] == survivor
    assert SourceRecord.objects.get(local_code="SD01-1").golden_code == survivor
    assert Customer.objects.get(code=merged).status == "merged"
    events = events_after(erp, seq)
    # The ERP member brings its values back (lineage and values from the ERP change).
    assert [(e["kind"], e["golden_code"]) for e in events] == [("updated", survivor)]
    assert events[0]["payload"]["reactivated"] == [{"system": "ERP", "local_code": "SD01-1"}]


def test_a_deleted_record_imported_again_reactivates_its_golden_record(erp, tmp_path):
    from django.core.management import call_command

    code = erp.put("customers", "SD01-1", HUAXIN).json()["golden_code"]
    erp.client.delete("/api/v1/sources/ERP/customers/SD01-1")
    path = tmp_path / "erp.csv"
    path.write_text(
        "local_code,name,customer_type,credit_code\n"
        f"SD01-1,{HUAXIN['name']},org,{HUAXIN['credit_code']}\n",
        encoding="utf-8",
    )

    call_command(
        "import_source", str(path), "--system", "ERP", "--entity", "customers", "--no-progress"
    )

    record = SourceRecord.objects.get(local_code="SD01-1")
    assert (record.is_active, record.golden_code) == (True, code)
    assert Customer.objects.get(code=code).status == "active"
