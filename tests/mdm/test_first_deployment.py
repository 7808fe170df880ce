"""A first deployment on PostgreSQL, as the README's "Deploy on PostgreSQL" section runs it.

The commands run in subprocesses against a database this test creates (not pytest's test
database) and drops afterwards: `migrate` on an empty database must leave a hub that imports,
matches, exports and reports without any other step.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from stdnum.cn import uscc

from dictionary.models import CodeValue, DataElement, ElementBinding, EntityType, ValueDomain

CC = "91110108MA01ABCD2" + uscc.calc_check_digit("91110108MA01ABCD2")


def _server() -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {"user": db["USER"], "host": db["HOST"], "port": str(db["PORT"] or 5432)}


@pytest.fixture
def fresh_database():
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    server = _server()
    name = f"{settings.DATABASES['default']['NAME']}_deploy_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(dbname="postgres", autocommit=True, **server)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{server['user']}@{server['host']}:{server['port']}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def manage(url: str, *args: str, **env: str) -> str:
    """``manage.py`` as an operator runs it; its stdout. A failure shows its stderr."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "PYTHONPATH": str(settings.BASE_DIR),
            "DATABASE_URL": url,
            "SECRET_KEY": "deploy-test-" + uuid.uuid4().hex,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_readme_deployment_steps_give_a_working_hub(fresh_database, tmp_path):
    url = fresh_database
    erp_file, crm_file = tmp_path / "erp_customers.csv", tmp_path / "crm_customers.csv"
    erp_file.write_text(
        "local_code,name,customer_type,credit_code,phone\n"
        f"SD01-1,北京华信科技有限公司,企业,{CC},010-62345678\n"
        "SD01-2,上海浦江物流有限公司,org,,13812345678\n",
        encoding="utf-8",
    )
    crm_file.write_bytes(
        f"local_code,name,credit_code,phone\nBJ-B-1,北京華信科技,{CC},\n".encode("gbk")
    )

    manage(url, "migrate", "--noinput")
    manage(
        url,
        "createsuperuser",
        "--noinput",
        "--username",
        "admin",
        "--email",
        "admin@example.com",
        DJANGO_SUPERUSER_PASSWORD="a-Long-pass-9",
    )
    erp_out = manage(url, "create_source_system", "ERP", "--name", "SAP ERP", "--priority", "10")
    manage(
        url,
        *("create_source_system", "CRM", "--name", "CRM", "--priority", "20"),
        *("--reads", "ERP", "--read-by", "ERP"),
    )
    erp_import = manage(
        url, "import_source", "--system", "ERP", "--entity", "customers", str(erp_file)
    )
    crm_import = manage(
        url, "import_source", "--system", "CRM", "--entity", "customers", str(crm_file)
    )
    match_out = manage(url, "match", "--entity", "customers", "--no-progress")
    crosswalk = manage(url, "export_crosswalk", "--entity", "customers")
    report = manage(url, "quality_report", "--format", "json")

    assert (
        erp_out.splitlines()[0] == "源系统 source system ERP (SAP ERP, CN) registered; API token:"
    )
    assert erp_out.splitlines()[1].startswith("mdm_")
    assert erp_import.splitlines()[-1] == (
        "erp_customers.csv (utf-8): rows=2 created=2 updated=0 unchanged=0 rejected=0 "
        "flagged=0 links[new=2]"
    )
    assert crm_import.splitlines()[-1] == (
        "crm_customers.csv (gb18030): rows=1 created=1 updated=0 unchanged=0 rejected=0 "
        "flagged=0 links[auto=1]"
    )
    # The learning step says why it left the rule alone (3 records are too few to fit on).
    assert match_out.splitlines()[0].startswith("learning refit: not applied: never fitted; ")
    assert match_out.splitlines()[-1].startswith("match customers: records=3 ")
    rows = list(csv.reader(io.StringIO(crosswalk)))
    assert rows[0] == ["system", "local_code", "golden_code"]
    codes = {(system, local): golden for system, local, golden in rows[1:]}
    assert sorted(codes) == [("CRM", "BJ-B-1"), ("ERP", "SD01-1"), ("ERP", "SD01-2")]
    assert codes["CRM", "BJ-B-1"] == codes["ERP", "SD01-1"] != codes["ERP", "SD01-2"]
    measured = json.loads(report)["customers"]["ALL"]
    assert measured["completeness"]["name"] == 1.0
    assert measured["completeness"]["credit_code"] == pytest.approx(2 / 3)


@pytest.mark.django_db
def test_quality_report_on_a_hub_without_a_dictionary_reports_nothing(restore_after_flush):
    """A hub whose dictionary was emptied: no elements to measure, still a report (PostgreSQL
    took the all-NULL table of no elements for text and refused ``required = 1``)."""
    ElementBinding.objects.all().delete()
    DataElement.objects.all().delete()
    CodeValue.objects.all().delete()
    ValueDomain.objects.all().delete()
    EntityType.objects.all().delete()
    out = io.StringIO()

    call_command("quality_report", stdout=out)

    assert "问题 issues: 新开 opened 0, 自动关闭 closed 0" in out.getvalue()
