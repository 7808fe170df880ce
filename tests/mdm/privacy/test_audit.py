"""The audit log: append-only for everyone, exported by auditors; writes carry actor and reason."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import DatabaseError, transaction

from mdm.models import AuditLog, SourceRecord
from mdm.privacy import audit
from mdm.privacy.masking import mask_source_raw
from mdm.privacy.models import AppendOnlyError
from tests.support.personas import PERSON, browser_for, make_user
from tests.support.sql import rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(db) -> AuditLog:
    return audit.log_personal_data_access(
        actor=None,
        action=audit.UNMASK,
        channel=audit.API,
        entity="customers",
        record="CU1",
        fields=["phone"],
        reason="ticket 1",
    )


def test_an_entry_cannot_be_changed(entry):
    entry.reason = "nothing happened"

    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.update(reason="x")
    assert AuditLog.objects.get().reason == "ticket 1"


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.count() == 1


def test_the_database_refuses_update_and_delete(entry):
    for statement in ("UPDATE mdm_auditlog SET reason = 'x'", "DELETE FROM mdm_auditlog"):
        with pytest.raises(DatabaseError), transaction.atomic():
            rows(statement)
    assert AuditLog.objects.get().reason == "ticket 1"


def test_not_even_a_superuser_edits_or_deletes_in_admin(entry):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    browser = browser_for(root)

    assert browser.get("/admin/mdm/auditlog/add/").status_code == 403
    assert browser.post(f"/admin/mdm/auditlog/{entry.pk}/delete/").status_code == 403
    page = browser.get(f"/admin/mdm/auditlog/{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert AuditLog.objects.count() == 1


def test_an_auditor_exports_the_log_as_csv(auditor_user, entry):
    response = browser_for(auditor_user).get("/admin/mdm/auditlog/export.csv?action=unmask")

    text = response.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert table[0][:4] == ["at", "actor_name", "action", "channel"]
    assert table[1][2:8] == ["unmask", "api", "customers", "CU1", "phone", "ticket 1"]


def test_an_auditor_exports_selected_entries(auditor_user, entry):
    response = browser_for(auditor_user).post(
        "/admin/mdm/auditlog/", {"action": "export_csv", "_selected_action": [entry.pk]}
    )

    assert response.status_code == 200
    assert "ticket 1" in response.content.decode("utf-8-sig")


def test_a_viewer_cannot_export_the_log(entry):
    browser = browser_for(make_user("viewer.x", "data_viewer"))

    assert browser.get("/admin/mdm/auditlog/export.csv").status_code == 403


# ---- every write records actor and reason (history)


def test_an_api_write_records_the_system_and_the_reason(erp):
    erp.put("customers", "P-1", PERSON, HTTP_X_CHANGE_REASON="nightly sync " + "x" * 300)

    row = SourceRecord.history.get()
    assert row.history_user.username == "system-erp"
    assert row.history_change_reason.startswith("nightly sync")


def test_an_import_records_the_service_account_and_the_file(erp, tmp_path: Path):
    path = tmp_path / "erp_customers.csv"
    path.write_text("local_code,name,customer_type\nSD01-1,北京华信科技有限公司,org\n")

    call_command(
        "import_source",
        str(path),
        "--system",
        "ERP",
        "--entity",
        "customers",
        "--no-progress",
        stdout=io.StringIO(),
    )

    row = SourceRecord.history.get()
    assert (row.history_user.username, row.history_change_reason) == (
        "system-erp",
        "import erp_customers.csv",
    )


def test_an_admin_edit_records_the_steward(person):
    user = make_user("steward.zhao", "data_steward")
    user.user_permissions.add(Permission.objects.get(codename="change_sourcerecord"))
    record = SourceRecord.objects.get(local_code="P-1")

    browser_for(user).post(
        f"/admin/mdm/sourcerecord/{record.pk}/change/",
        {
            "payload": json.dumps(
                dict(mask_source_raw(record), address="上海市"), ensure_ascii=False
            )
        },
    )

    row = SourceRecord.history.order_by("-history_id").first()
    assert (row.history_user.username, row.history_change_reason) == (
        "steward.zhao",
        "steward edit in admin",
    )
