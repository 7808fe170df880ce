"""Quality issues: opened by the data, closed when the data is fixed, worked off by stewards."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from dictionary.models import ElementBinding
from mdm.errors import ServiceError
from mdm.models import QualityIssue, SourceRecord
from mdm.quality import issues as issues_service
from mdm.quality.actions import acknowledge_issues, close_issues, reassign_issues
from mdm.quality.issues import reconcile_quality_issues, sync_quality_issues

from .known import HUAXIN_CC, ZHANG_ID, record

pytestmark = pytest.mark.django_db

E1_FIXED = {
    "name": "北京华信科技有限公司",
    "customer_type": "org",
    "credit_code": HUAXIN_CC,
    "phone": "13900139000",
    "email": "info@huaxin.cn",
    "region_code": "110108",
}


def issues(**filters) -> list[tuple]:
    return sorted(
        QualityIssue.objects.filter(**filters).values_list(
            "kind", "element", "system__code", "value", "status"
        )
    )


def test_each_flagged_value_opens_an_issue_for_the_owner_department(customers):
    changes = reconcile_quality_issues()

    assert changes.as_dict()["customers"] == {"opened": 6, "closed": 0}
    email = QualityIssue.objects.get(element="email")
    assert (email.kind, email.rule, email.problem) == ("invalid", "email", "invalid_email")
    # As received, not standardized; an e-mail is personal: stored and shown masked.
    assert email.value == "B***@"
    assert email.owner_department == "销售管理部"
    assert (email.system.code, email.source_record, email.status) == (
        "ERP",
        customers["E1"],
        "open",
    )
    assert email.golden_code == customers["E1"].golden_code
    credit = QualityIssue.objects.get(element="credit_code")
    assert (credit.owner_department, credit.problem) == ("财务部", "invalid_checksum")


def test_a_region_code_that_the_valid_credit_code_proves_is_the_suggested_fix(customers):
    reconcile_quality_issues()

    region = QualityIssue.objects.get(kind="invalid", element="region_code")
    assert (region.value, region.suggested_fix) == ("999999", "110108")
    assert region.owner_department == "数据管理部"
    # No fact, no suggestion: nothing proves what the email should be.
    assert QualityIssue.objects.get(element="email").suggested_fix == ""


def test_cross_system_disagreements_open_one_issue_per_golden_record_and_element(customers):
    reconcile_quality_issues()

    assert issues(kind="inconsistent") == [
        ("inconsistent", "phone", None, "CRM: 139****9000 | ERP: 138****8000", "open"),
        ("inconsistent", "region_code", None, "CRM: 110108 | ERP: 999999", "open"),
    ]
    phone = QualityIssue.objects.get(kind="inconsistent", element="phone")
    assert (phone.golden_code, phone.source_record) == (customers["E1"].golden_code, None)


def test_a_value_contradicting_a_valid_identifier_suggests_the_proven_value(erp):
    erp.put(
        "customers",
        "P1",
        {
            "name": "张伟",
            "customer_type": "person",
            "id_number": ZHANG_ID,
            "birth_date": "1950-01-01",
        },
    )

    reconcile_quality_issues()

    issue = QualityIssue.objects.get()
    assert (issue.kind, issue.element, issue.problem) == (
        "contradiction",
        "birth_date",
        "derived_mismatch",
    )
    # A birth date is personal: the issue holds masks, never the dates.
    assert (issue.value, issue.suggested_fix) == ("****-**-**", "****-**-**")
    assert "1950-01-01" not in issue.message and "1949-12-31" not in issue.message
    assert "****-**-**" in issue.message


def test_fixing_the_data_closes_its_issues_through_the_write_path_sync(customers, erp):
    reconcile_quality_issues()

    erp.put("customers", "E1", E1_FIXED)
    changes = sync_quality_issues("customers", [customers["E1"].pk])

    assert changes.as_dict()["customers"] == {"opened": 0, "closed": 4}
    # E1's email and region, and the golden record's phone and region disagreements: fixed.
    assert issues(status="closed") == [
        ("inconsistent", "phone", None, "CRM: 139****9000 | ERP: 138****8000", "closed"),
        ("inconsistent", "region_code", None, "CRM: 110108 | ERP: 999999", "closed"),
        ("invalid", "email", "ERP", "B***@", "closed"),
        ("invalid", "region_code", "ERP", "999999", "closed"),
    ]
    assert set(
        QualityIssue.objects.filter(status="closed").values_list("resolution", flat=True)
    ) == {"fixed"}
    # The other records' issues are not the sync's business: still open.
    assert issues(status="open") == [
        ("invalid", "credit_code", "ERP", "91310115MA1K3YJ12X", "open"),
        ("invalid", "phone", "ERP", "***45", "open"),
    ]


def test_a_full_reconciliation_also_closes_fixed_issues(customers, erp):
    reconcile_quality_issues()
    erp.put("customers", "E1", E1_FIXED)

    changes = reconcile_quality_issues()

    assert changes.as_dict()["customers"] == {"opened": 0, "closed": 4}
    assert QualityIssue.objects.unresolved().count() == 2


def test_reconciling_twice_changes_nothing(customers):
    reconcile_quality_issues()
    history = QualityIssue.history.count()

    changes = reconcile_quality_issues()

    assert changes.as_dict() == {}
    assert QualityIssue.history.count() == history


def test_a_new_bad_value_is_a_new_issue(customers, erp):
    reconcile_quality_issues()

    erp.put("customers", "E1", dict(E1_FIXED, email="still-bad"))
    sync_quality_issues("customers", [customers["E1"].pk])

    assert issues(element="email") == [
        ("invalid", "email", "ERP", "B***@", "closed"),
        ("invalid", "email", "ERP", "s***", "open"),
    ]


def test_retiring_a_record_closes_its_issues(customers, erp):
    reconcile_quality_issues()

    erp.client.delete("/api/v1/sources/ERP/customers/E3")
    sync_quality_issues("customers", [customers["E3"].pk])

    assert issues(element="phone", kind="invalid") == [
        ("invalid", "phone", "ERP", "***45", "closed")
    ]


def test_missing_required_values_open_issues_once_a_binding_becomes_required(customers, erp):
    binding = ElementBinding.objects.get(entity="customers", element__code="email")
    binding.required = True
    binding.save()

    reconcile_quality_issues()

    missing = issues(kind="missing_required")
    assert [(m[1], m[2]) for m in missing] == [("email", "CRM"), ("email", "ERP"), ("email", "ERP")]
    assert (
        QualityIssue.objects.filter(kind="missing_required").first().owner_department
        == "销售管理部"
    )

    erp.put(
        "customers",
        "E2",
        {"name": "上海浦江物流有限公司", "customer_type": "org", "email": "a@pj.cn"},
    )
    sync_quality_issues("customers", [customers["E2"].pk])

    assert (
        QualityIssue.objects.filter(kind="missing_required", status="closed").get().source_record
        == customers["E2"]
    )


def test_changes_by_the_data_are_in_the_history(customers, erp):
    reconcile_quality_issues()
    erp.put("customers", "E1", E1_FIXED)
    sync_quality_issues("customers", [customers["E1"].pk])

    email = QualityIssue.objects.get(element="email")
    assert list(email.history.order_by("history_id").values_list("history_type", "status")) == [
        ("+", "open"),
        ("~", "closed"),
    ]


@pytest.fixture
def steward_user():
    return get_user_model().objects.create_user("li.na", is_staff=True)


def test_a_steward_closes_an_issue_with_a_reason_and_it_stays_closed(customers, steward_user):
    reconcile_quality_issues()
    credit = QualityIssue.objects.get(element="credit_code")

    close_issues(issue_ids=[credit.pk], actor=steward_user, reason="境外注册 registered abroad")
    reconcile_quality_issues()

    credit.refresh_from_db()
    assert (credit.status, credit.resolution, credit.closed_by) == (
        "closed",
        "dismissed",
        steward_user,
    )
    assert QualityIssue.objects.filter(element="credit_code").count() == 1
    assert credit.history.first().history_change_reason == "境外注册 registered abroad"


def test_closing_without_a_reason_is_refused_and_changes_nothing(customers, steward_user):
    reconcile_quality_issues()

    with pytest.raises(ServiceError):
        close_issues(
            issue_ids=QualityIssue.objects.values_list("pk", flat=True),
            actor=steward_user,
            reason=" ",
        )

    assert QualityIssue.objects.unresolved().count() == 6


def test_acknowledged_and_reassigned_issues_still_close_when_fixed(customers, erp, steward_user):
    reconcile_quality_issues()
    email = QualityIssue.objects.get(element="email")

    acknowledge_issues(issue_ids=[email.pk], actor=steward_user)
    reassign_issues(
        issue_ids=[email.pk], actor=steward_user, owner_department="客服部", assignee=steward_user
    )
    email.refresh_from_db()
    assert (email.status, email.owner_department, email.assignee) == (
        "acknowledged",
        "客服部",
        steward_user,
    )

    erp.put("customers", "E1", E1_FIXED)
    sync_quality_issues("customers", [customers["E1"].pk])

    email.refresh_from_db()
    assert (email.status, email.resolution) == ("closed", "fixed")


def test_sync_rechecks_a_golden_record_a_record_left(customers, crm):
    reconcile_quality_issues()
    golden = customers["E1"].golden_code
    c1 = record(crm, "C1")

    # C1 moves out of E1's golden record (as an unmerge would do).
    SourceRecord.objects.filter(pk=c1.pk).update(golden_code="CU_ELSEWHERE")
    sync_quality_issues("customers", [c1.pk], golden_codes=[golden])

    assert QualityIssue.objects.filter(kind="inconsistent").unresolved().count() == 0


def test_records_written_while_the_full_run_computes_are_left_to_their_sync(
    customers, erp, monkeypatch
):
    reconcile_quality_issues()
    take_lock = issues_service._lock_entities

    def writer_fixes_e1_then_lock(entities, *, exclusive):
        if exclusive:
            # The full run has computed its result from the old E1; a writer fixes E1 and
            # syncs before the full run gets to apply anything.
            erp.put("customers", "E1", E1_FIXED)
            sync_quality_issues("customers", [customers["E1"].pk])
        take_lock(entities, exclusive=exclusive)

    monkeypatch.setattr(issues_service, "_lock_entities", writer_fixes_e1_then_lock)
    changes = reconcile_quality_issues()

    # Nothing stale reopened: E1's issues and its golden record's disagreements stay fixed.
    assert changes.as_dict() == {}
    assert QualityIssue.objects.unresolved().count() == 2
    assert issues(element="email") == [("invalid", "email", "ERP", "B***@", "closed")]


def test_one_resident_id_in_two_systems_is_consistent_and_opens_no_issue(erp, crm):
    person = {"name": "张伟", "customer_type": "person", "id_number": ZHANG_ID}
    erp.put("customers", "P1", person)
    crm.put("customers", "C1", {**person, "id_number": ZHANG_ID.lower()})
    assert record(erp, "P1").golden_code == record(crm, "C1").golden_code

    reconcile_quality_issues()

    # Each system's ciphertext differs (salted encryption); their blind indexes are equal.
    assert not QualityIssue.objects.filter(element="id_number").exists()
    assert not QualityIssue.objects.filter(value__contains="enc:v1:").exists()


def test_issue_keys_hold_no_unkeyed_digest_of_a_personal_value(customers):
    import hashlib

    reconcile_quality_issues()

    phone = QualityIssue.objects.get(kind="invalid", element="phone")
    assert hashlib.md5(b"12345").hexdigest() not in phone.key  # noqa: S324
    assert phone.key.startswith(f"invalid:{customers['E3'].pk}:phone:")
    assert phone.value == "***45"


def test_the_migration_masks_stored_issues_and_salts_their_keys(customers):
    import hashlib
    import importlib

    from django.apps import apps

    migration = importlib.import_module("mdm.migrations.0011_mask_quality_issue_values")
    reconcile_quality_issues()
    phone = QualityIssue.objects.get(kind="invalid", element="phone")
    salted_key = phone.key
    head = salted_key.rpartition(":")[0]
    # As an older release stored it: the value in clear, an unkeyed digest of it in the key.
    QualityIssue.objects.filter(pk=phone.pk).update(
        value="12345",
        key=f"{head}:{hashlib.md5(b'12345').hexdigest()}",  # noqa: S324
    )

    migration.mask_issues(apps, None)

    phone.refresh_from_db()
    assert (phone.key, phone.value) == (salted_key, "***45")
    assert reconcile_quality_issues().as_dict() == {}  # recognised: nothing closed or opened
