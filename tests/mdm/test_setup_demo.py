"""`make run`'s setup_demo: one token per system, printed; rejected rows explained; a summary
whose review queue is the pending candidates; a re-run that leaves one token per system."""

from __future__ import annotations

import csv
import io
import re
import shutil

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from matching.models import MatchCandidate
from mdm.management.commands import setup_demo
from mdm.models import ApiToken, JobRun, QualitySnapshot, SourceSystem

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    return out.getvalue()


def printed_tokens(out: str) -> dict[str, str]:
    return dict(re.findall(r"^  (ERP|CRM|ECOM): (mdm_\S+)$", out, flags=re.MULTILINE))


def test_the_demo_prints_one_working_token_per_system_and_explains_its_rejections(
    tmp_path, monkeypatch
):
    reports = tmp_path / "artifacts" / "demo"
    monkeypatch.setattr(setup_demo, "REPORT_DIR", reports)
    # The demo's exports import whole: one row with a unit the dictionary does not know.
    demo = tmp_path / "demo"
    shutil.copytree(setup_demo.DEMO_DIR, demo)
    with (demo / "erp_products.csv").open("a", encoding="utf-8") as handle:
        handle.write("PD09-000999,安居抽纸3层100抽,AJ3999,安居,日化用品,垛,\n")
    monkeypatch.setattr(setup_demo, "DEMO_DIR", demo)

    out = run_demo()

    tokens = printed_tokens(out)
    assert sorted(tokens) == ["CRM", "ECOM", "ERP"]
    for system in SourceSystem.objects.all():
        assert ApiToken.objects.usable().filter(user=system.service_user).count() == 1
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens['ERP']}")
    crosswalk = client.get("/api/v1/crosswalk/customers/ERP/SD01-000635?to=CRM")
    assert crosswalk.status_code == 200
    # The README tour's record: the CRM holds the same company (the same credit code).
    assert crosswalk.json()["members"] == [{"system": "CRM", "local_code": "BJ-B-00166"}]

    assert "  erp_products.csv: 178 rows, 177 new, 0 unchanged, 1 rejected\n" in out
    assert "  ecom_products.csv: 154 rows, 154 new, 0 unchanged, 0 rejected\n" in out
    assert (
        "    1 × uom not_in_domain: 值 垛 不在值域 unit_of_measure 中 / "
        "Value 垛 is not in the value domain unit_of_measure\n"
    ) in out
    assert f"    错误报告 error report: {reports}/erp_products.csv.errors.csv\n" in out
    with (reports / "erp_products.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        assert [(r["local_code"], r["field"], r["code"]) for r in csv.DictReader(handle)] == [
            ("PD09-000999", "uom", "not_in_domain")
        ]

    for entity in ("customers", "products", "materials"):
        pending = MatchCandidate.objects.filter(entity=entity, status="pending").count()
        assert f"待审核 review queue: {pending} candidates" in out
        line = next(x for x in out.splitlines() if x.startswith(f"  {entity}: "))
        links = dict(re.findall(r"(auto|new|review|steward)=(\d+)", line))
        records = int(re.search(r"(\d+) source records in", line).group(1))
        assert sum(int(n) for n in links.values()) == records

    # The jobs page lists the demo's runs and the quality dashboard has its snapshot.
    runs = set(JobRun.objects.values_list("kind", "entity", "status"))
    assert runs == {
        ("match", "customers", "succeeded"),
        ("match", "products", "succeeded"),
        ("match", "materials", "succeeded"),
        ("quality_report", "", "succeeded"),
    }
    assert QualitySnapshot.objects.count() == 1
    assert re.search(r"^quality_report: succeeded run #\d+", out, flags=re.MULTILINE)

    again = printed_tokens(run_demo())
    assert set(again.values()).isdisjoint(tokens.values())
    for system in SourceSystem.objects.all():
        assert ApiToken.objects.usable().filter(user=system.service_user).count() == 1
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens['ERP']}")
    assert client.get("/api/v1/crosswalk/customers/ERP/SD01-000635").status_code == 401
