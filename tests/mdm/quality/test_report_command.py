"""`manage.py quality_report`: stored snapshot, table / JSON / CSV output, file exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from mdm.models import QualityIssue, QualitySnapshot

pytestmark = pytest.mark.django_db
METRICS = {"completeness", "validity", "uniqueness", "consistency", "timeliness"}


def run(*args) -> str:
    out = io.StringIO()
    call_command("quality_report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_json_is_shaped_entity_then_system_then_metric(customers):
    data = json.loads(run("--format", "json"))

    assert list(data) == ["customers", "products", "materials"]
    assert list(data["customers"]) == ["CRM", "ERP", "ALL"]
    assert all(set(figures) == METRICS for figures in data["customers"].values())
    assert data["customers"]["ERP"]["completeness"]["credit_code"] == 2 / 3
    assert data["customers"]["ERP"]["validity"]["email"] == 0.0
    assert data["customers"]["ALL"]["consistency"]["phone"] == 0.0
    assert data["customers"]["ALL"]["uniqueness"]["records_per_golden"] == 1.25
    assert data["products"]["ALL"]["completeness"]["name"] is None


def test_the_report_is_stored_as_a_snapshot_with_history(customers):
    data = json.loads(run("--format", "json"))

    snapshot = QualitySnapshot.objects.get()
    assert snapshot.metrics == data
    assert snapshot.summary["customers"]["ERP"]["open_issues"] == 4
    assert snapshot.summary["customers"]["ALL"]["open_issues"] == 6
    assert snapshot.issue_changes == {"customers": {"opened": 6, "closed": 0}}
    assert snapshot.history.count() == 1


def test_the_report_reconciles_the_issues(customers):
    run()

    assert QualityIssue.objects.unresolved().count() == 6


def test_csv_has_one_row_per_figure(customers):
    rows = list(csv.reader(io.StringIO(run("--format", "csv"))))

    assert rows[0] == ["entity", "system", "metric", "key", "value"]
    assert ["customers", "ERP", "validity", "email", "0.0"] in rows
    assert ["customers", "ALL", "uniqueness", "golden_records", "4"] in rows
    assert ["customers", "ERP", "validity", "website", ""] in rows


def test_the_table_shows_a_scorecard_per_entity_and_the_elements(customers):
    table = run()

    assert "客户 Customer (customers)" in table
    erp_row = next(line for line in table.splitlines() if line.strip().startswith("ERP"))
    # records, golden, rec/golden, required, all, validity (11/15), consistency (3/5)
    assert erp_row.split()[:4] == ["ERP", "3", "3", "1.00"]
    assert "73.3%" in erp_row and "60.0%" in erp_row
    assert "问题 issues: 新开 opened 6, 自动关闭 closed 0" in table


def test_scorecard_and_open_issues_are_exported_to_xlsx_and_csv(customers, tmp_path):
    scorecard, open_issues = tmp_path / "scorecard.xlsx", tmp_path / "issues.csv"

    run("--scorecard-file", str(scorecard), "--issues-file", str(open_issues))

    book = load_workbook(scorecard)
    assert book.sheetnames == ["记分卡 scorecard", "数据元 elements"]
    rows = list(book["记分卡 scorecard"].values)
    erp = next(r for r in rows if r[:2] == ("customers", "ERP"))
    header = rows[0]
    assert erp[header.index("有效性 validity")] == 11 / 15
    assert erp[header.index("未关闭问题 open issues")] == 4
    text = open_issues.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # Excel reads the Chinese headers as UTF-8
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(lines) == 1 + 6
    values = {(r[3], r[9]) for r in lines[1:]}
    # Personal values are masked in files that leave the hub; others are not.
    # (The hub's one masking policy, as on the pages: the e-mail's mailbox, the phone's end.)
    assert ("email", "B***@") in values and ("phone", "***45") in values
    assert ("credit_code", "91310115MA1K3YJ12X") in values


def test_an_export_file_must_be_csv_or_xlsx():
    with pytest.raises(CommandError):
        run("--scorecard-file", "report.pdf")


def test_the_benchmark_refuses_a_database_that_is_not_a_bench_database():
    with pytest.raises(CommandError, match="bench"):
        call_command("bench_quality", records=10, stdout=io.StringIO())
