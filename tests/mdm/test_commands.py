"""Operator commands: create_source_system, create_api_user, import_source, export_crosswalk."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook
from rest_framework.test import APIClient
from stdnum.cn import uscc

from mdm.models import Customer, SourceRecord, SourceSystem

pytestmark = pytest.mark.django_db

CC = "91110108MA01ABCD2" + uscc.calc_check_digit("91110108MA01ABCD2")


def run(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


def test_create_source_system_prints_a_working_token_on_its_last_line():
    out = run("create_source_system", "ERP", "--name", "SAP ERP")

    token = out.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.put(
        "/api/v1/sources/ERP/customers/1", {"name": "华信", "customer_type": "org"}, format="json"
    )
    assert response.status_code == 201
    assert SourceSystem.objects.get(code="ERP").name == "SAP ERP"


def test_create_source_system_twice_is_an_error():
    run("create_source_system", "ERP", "--name", "ERP")

    with pytest.raises(CommandError):
        run("create_source_system", "ERP", "--name", "ERP")


def test_create_api_user_puts_the_user_in_the_role_and_prints_a_token(erp):
    out = run("create_api_user", "li.lei", "--role", "data_viewer")

    token = out.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/events/").status_code == 200
    assert client.put("/api/v1/sources/ERP/customers/1", {}, format="json").status_code == 403


def test_create_api_user_with_a_password_read_from_stdin_can_sign_in_to_the_admin():
    out = run(
        "create_api_user",
        "han.mei",
        "--role",
        "data_steward",
        "--password",
        stdin=io.StringIO("Qingdao-harbour-2026\n"),
    )

    assert out.splitlines()[0] == (
        "用户 user han.mei created in role data_steward; admin login enabled; API token:"
    )
    browser = Client()
    page = browser.post(
        "/admin/login/?next=/admin/",
        {"username": "han.mei", "password": "Qingdao-harbour-2026", "next": "/admin/"},
    )
    assert page.status_code == 302 and page["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200


def test_create_api_user_refuses_a_weak_password_and_creates_no_user():
    with pytest.raises(CommandError) as error:
        run(
            "create_api_user",
            "han.mei",
            "--role",
            "auditor",
            "--password",
            stdin=io.StringIO("12345678\n"),
        )

    assert str(error.value).startswith("密码不可用：")
    assert not get_user_model().objects.filter(username="han.mei").exists()


def test_create_api_user_without_a_password_has_no_admin_login():
    run("create_api_user", "li.lei", "--role", "data_viewer")

    assert not get_user_model().objects.get(username="li.lei").has_usable_password()


def _write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(rows)


ROWS = [
    ["local_code", "name", "customer_type", "credit_code", "phone"],
    ["SD01-1", "北京华信科技有限公司", "org", CC, "010-62345678"],
    ["SD01-2", "上海浦江物流有限公司", "org", "", "13812345678"],
    ["SD01-3", "", "org", "", ""],
    ["SD01-4", "广州某公司", "alien", "", ""],
]


def test_import_source_csv_stores_valid_rows_and_reports_the_others(tmp_path):
    run("create_source_system", "ERP", "--name", "ERP")
    path = tmp_path / "erp.csv"
    _write_csv(path, ROWS)

    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command(
            *["import_source", str(path), "--system", "ERP", "--entity", "customers"],
            "--no-progress",
            stdout=out,
        )

    assert error.value.returncode == 1  # some rows rejected
    assert "rows=4 created=2 updated=0 unchanged=0 rejected=2" in out.getvalue()
    assert sorted(SourceRecord.objects.values_list("local_code", flat=True)) == ["SD01-1", "SD01-2"]
    with (tmp_path / "erp.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        report = list(csv.DictReader(handle))
    assert [(r["line"], r["local_code"], r["field"], r["code"]) for r in report] == [
        ("4", "SD01-3", "name", "required"),
        ("5", "SD01-4", "customer_type", "not_in_domain"),
    ]


def test_import_source_twice_changes_nothing(tmp_path):
    run("create_source_system", "ERP", "--name", "ERP")
    path = tmp_path / "erp.csv"
    _write_csv(path, ROWS[:3])
    run("import_source", str(path), "--system", "ERP", "--entity", "customers", "--no-progress")
    history = SourceRecord.history.count()

    out = run(
        "import_source", str(path), "--system", "ERP", "--entity", "customers", "--no-progress"
    )

    assert "created=0 updated=0 unchanged=2 rejected=0" in out
    assert SourceRecord.history.count() == history
    assert not (tmp_path / "erp.csv.errors.csv").exists()


def test_import_source_reads_xlsx(tmp_path):
    run("create_source_system", "CRM", "--name", "CRM")
    book = Workbook()
    for row in ROWS[:3]:
        book.active.append(row)
    path = tmp_path / "crm.xlsx"
    book.save(path)

    out = run(
        "import_source", str(path), "--system", "CRM", "--entity", "customers", "--no-progress"
    )

    assert "created=2" in out
    assert Customer.objects.filter(credit_code=CC).exists()


def test_import_source_unknown_system_is_an_error(tmp_path):
    path = tmp_path / "x.csv"
    _write_csv(path, ROWS[:2])

    with pytest.raises(CommandError):
        run("import_source", str(path), "--system", "NOPE", "--entity", "customers")


def test_export_crosswalk_prints_one_row_per_active_record(tmp_path):
    run("create_source_system", "ERP", "--name", "ERP")
    run("create_source_system", "CRM", "--name", "CRM")
    erp_file, crm_file = tmp_path / "erp.csv", tmp_path / "crm.csv"
    _write_csv(erp_file, ROWS[:3])
    _write_csv(crm_file, [ROWS[0], ["BJ-B-1", "华信科技", "org", CC, ""]])
    run("import_source", str(erp_file), "--system", "ERP", "--entity", "customers", "--no-progress")
    run("import_source", str(crm_file), "--system", "CRM", "--entity", "customers", "--no-progress")
    huaxin = Customer.objects.get(credit_code=CC).code
    pujiang = SourceRecord.objects.get(local_code="SD01-2").golden_code

    out = run("export_crosswalk", "--entity", "customers")

    assert out.splitlines() == [
        "system,local_code,golden_code",
        f"CRM,BJ-B-1,{huaxin}",
        f"ERP,SD01-1,{huaxin}",
        f"ERP,SD01-2,{pujiang}",
    ]


def test_import_source_keeps_a_person_whose_birth_date_is_impossible(tmp_path):
    run("create_source_system", "CRM", "--name", "CRM")
    path = tmp_path / "crm.csv"
    _write_csv(
        path,
        [
            ["local_code", "name", "customer_type", "birth_date"],
            ["P-1", "Wolfgang Becker", "person", "2007-04-75"],
            ["P-2", "Erich Huber", "person", "1943-13-17"],
            ["P-3", "Jutta Schneider", "person", "1028-05-01"],
            ["P-4", "Helga Mueller", "person", "1960-06-11"],
        ],
    )

    out = run(
        "import_source", str(path), "--system", "CRM", "--entity", "customers", "--no-progress"
    )

    assert "rows=4 created=4 updated=0 unchanged=0 rejected=0" in out
    records = SourceRecord.objects.order_by("local_code")
    assert [(r.local_code, r.attributes["birth_date"], r.flagged) for r in records] == [
        ("P-1", "2007-04-75", ["birth_date"]),
        ("P-2", "1943-13-17", ["birth_date"]),
        ("P-3", "1028-05-01", ["birth_date"]),
        ("P-4", "1960-06-11", []),
    ]
    assert [w["code"] for w in records[0].warnings] == ["invalid_date"]
    # No row is rejected; the report lists each flagged date so that the file can be fixed.
    with (tmp_path / "crm.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        flagged = [
            (r["local_code"], r["outcome"], r["field"], r["code"]) for r in csv.DictReader(handle)
        ]
    assert flagged == [
        ("P-1", "flagged", "birth_date", "invalid_date"),
        ("P-2", "flagged", "birth_date", "invalid_date"),
        ("P-3", "flagged", "birth_date", "out_of_range"),
    ]
