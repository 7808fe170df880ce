"""A golden record's history as a steward reads it: attributes under their dictionary names,
members joining and leaving with reasons, lineage as a table, local times, values masked."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.utils import timezone

from dictionary.models import DataElement
from mdm.models import Customer, SourceRecord
from mdm.stewardship.actions import merge_by_steward
from mdm.stewardship.unmerge import unmerge_source_record

pytestmark = pytest.mark.django_db

PERSON = {"name": "冯亭颖", "customer_type": "person", "phone": "13712340001"}


def golden_of(local_code: str) -> Customer:
    return Customer.objects.get(code=SourceRecord.objects.get(local_code=local_code).golden_code)


def history(browser, golden: Customer) -> str:
    page = browser.get(f"/admin/mdm/customer/{golden.pk}/history/")
    assert page.status_code == 200
    return unescape(page.content.decode())


def lines(page: str) -> list[str]:
    """The text of each history line, tags stripped, spaces collapsed."""
    body = page[page.index('id="readable-history"') :]
    rows = re.findall(r'<tr class="mdm-history-[a-z_]+">(.*?)</td>\s*</tr>', body, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


@pytest.fixture
def english(steward_browser):
    steward_browser.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return steward_browser


def label(code: str) -> str:
    element = DataElement.objects.get(code=code)
    return f"{element.name_zh} {element.name_en}"


def test_a_change_names_the_element_and_shows_old_and_new_values_masked(english, erp):
    erp.put("customers", "P-1", PERSON)
    erp.put("customers", "P-1", {**PERSON, "phone": "13600001111"})
    golden = golden_of("P-1")

    page = history(english, golden)

    changed = [line for line in lines(page) if "Values changed" in line]
    assert len(changed) == 1
    assert f"{label('phone')} 137****0001 → 136****1111" in changed[0]
    assert "13712340001" not in page and "13600001111" not in page and "enc:v1:" not in page
    assert "冯亭颖" not in page
    assert any("Golden record created" in line for line in lines(page))
    assert any("Member ERP:P-1 joined" in line for line in lines(page))


def test_merge_and_unmerge_lines_name_the_member_the_codes_and_the_reason(
    english, huaxin_pair, steward_user
):
    survivor, other = golden_of("SD01-000123"), golden_of("BJ-B-00042")
    merge_by_steward(
        entity="customers",
        survivor_code=survivor.code,
        other_code=other.code,
        actor=steward_user,
        reason="same company",
    )
    unmerge_source_record(
        entity="customers",
        system_code="CRM",
        local_code="BJ-B-00042",
        actor=steward_user,
        reason="not the same after all",
    )

    survivor_lines = lines(history(english, survivor))
    other_lines = lines(history(english, other))

    assert any(
        f"Member CRM:BJ-B-00042 joined from {other.code}" in line
        and "same company" in line
        and "wang.fang" in line
        for line in survivor_lines
    ), survivor_lines
    assert any(
        f"Member CRM:BJ-B-00042 left for {other.code}" in line and "not the same after all" in line
        for line in survivor_lines
    ), survivor_lines
    assert any(
        f"Merged into {survivor.code}" in line and "same company" in line for line in other_lines
    ), other_lines
    assert any("Restored by an unmerge" in line for line in other_lines), other_lines


def test_lineage_moves_are_a_table_of_sources(english, erp):
    erp.put("customers", "P-1", PERSON)
    erp.put("customers", "P-1", {**PERSON, "email": "feng.ty@example.com"})
    golden = golden_of("P-1")
    rule = golden.lineage["email"]["rule"]

    page = history(english, golden)

    lineage = re.search(r'<table class="mdm-diff mdm-lineage">(.*?)</table>', page, re.S).group(1)
    row = re.search(r'<tr data-lineage="email"><th>(.*?)</th>(.*?)</tr>', lineage, re.S)
    assert row.group(1) == label("email")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(2))
    assert cells == ["—", "→", f"ERP:P-1 · {rule}"]
    assert "feng.ty@" not in page


def test_times_are_local_to_the_second(english, erp):
    erp.put("customers", "P-1", PERSON)
    golden = golden_of("P-1")
    created = timezone.localtime(golden.history.earliest("history_date").history_date)

    page = history(english, golden)

    assert f'<td class="mdm-when">{created:%Y-%m-%d %H:%M:%S}</td>' in page
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", page)


def test_the_golden_page_shows_the_same_lines(english, huaxin_pair, steward_user):
    survivor, other = golden_of("SD01-000123"), golden_of("BJ-B-00042")
    merge_by_steward(
        entity="customers",
        survivor_code=survivor.code,
        other_code=other.code,
        actor=steward_user,
        reason="same company",
    )

    page = unescape(english.get(f"/admin/mdm/customer/{survivor.pk}/change/").content.decode())

    recent = page[page.index('id="recent-history"') :]
    assert f"Member CRM:BJ-B-00042 joined from {other.code}" in " ".join(
        re.sub(r"<[^>]+>", " ", recent).split()
    )


def test_a_source_records_history_names_elements_and_its_golden_moves(english, erp, steward_user):
    erp.put("customers", "P-1", PERSON)
    erp.put("customers", "P-1", {**PERSON, "phone": "13600001111"})
    record = SourceRecord.objects.get(local_code="P-1")

    page = english.get(f"/admin/mdm/sourcerecord/{record.pk}/history/")

    content = unescape(page.content.decode())
    found = lines(content)
    assert page.status_code == 200
    assert any(f"{label('phone')} 137****0001 → 136****1111" in line for line in found), found
    assert any(f"Received; linked to {record.golden_code}" in line for line in found), found
    assert "13712340001" not in content and "13600001111" not in content
    assert "冯亭颖" not in content and "enc:v1:" not in content
