"""Getting around the admin: the header's links, the index's order, the auditor's route."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.support.personas import browser_for, make_user


@pytest.fixture
def steward(db) -> Client:
    return browser_for(make_user("steward.wu", "data_steward"))


def test_view_site_leads_to_the_admin_index(steward):
    page = steward.get("/admin/mdm/customer/")

    links = re.findall(r'<a href="([^"]+)">查看站点</a>', page.content.decode())
    assert page.status_code == 200
    assert links == ["/admin/"]
    assert steward.get(links[0]).status_code == 200


def model_links(page) -> list[str]:
    """The changelist links of the index page, in the order shown (each once)."""
    links = re.findall(r'<th scope="row"[^>]*>\s*<a href="(/admin/[a-z_]+/[a-z_]+/)"', page)
    return list(dict.fromkeys(links))


WORK_FIRST = [
    "/admin/mdm/customer/",
    "/admin/mdm/product/",
    "/admin/mdm/material/",
    "/admin/mdm/sourcerecord/",
    "/admin/mdm/qualityissue/",
    "/admin/mdm/jobrun/",
]


def test_a_stewards_index_starts_with_the_work_and_hides_the_history_tables(steward):
    page = steward.get("/admin/")
    links = model_links(page.content.decode())

    assert page.status_code == 200
    assert links[:6] == WORK_FIRST
    matching = [u for u in links if u.startswith("/admin/matching/")]
    assert matching[0] == "/admin/matching/matchcandidate/"
    assert [u for u in links if "/historical" in u] == []
    apps = [u.split("/")[2] for u in links]
    assert apps[0] == "mdm" and apps.index("matching") < apps.index("dictionary")


def test_a_stewards_app_index_hides_the_history_tables_too(steward):
    page = steward.get("/admin/mdm/")

    assert page.status_code == 200
    assert model_links(page.content.decode())[:6] == WORK_FIRST
    assert "/admin/mdm/historical" not in page.content.decode()


@pytest.mark.parametrize("role", ["auditor", "mdm_admin"])
def test_auditors_and_admins_find_the_history_tables_on_the_index(db, role):
    page = browser_for(make_user(f"index.{role}", role)).get("/admin/")
    links = model_links(page.content.decode())

    assert page.status_code == 200
    assert "/admin/mdm/historicalcustomer/" in links
    assert "/admin/dictionary/historicaldataelement/" in links


def test_the_admins_index_puts_history_after_the_work(db):
    page = browser_for(make_user("index.admin", "mdm_admin")).get("/admin/")
    links = model_links(page.content.decode())

    assert links[:6] == WORK_FIRST
    mdm_links = [u for u in links if u.startswith("/admin/mdm/")]
    history = [u for u in mdm_links if "/historical" in u]
    assert mdm_links[-len(history) :] == history
    assert links.index("/admin/mdm/historicalsourcerecord/") > links.index("/admin/mdm/auditlog/")


# ---- the auditor's route to a record's history

COMPANY = {"name": "华信科技有限公司", "credit_code": "91110105MA01ABCD1X"}


@pytest.fixture
def auditor(db) -> Client:
    return browser_for(make_user("audit.qian", "auditor"))


def test_an_auditor_opening_a_golden_record_lands_on_its_history(auditor, erp):
    from mdm.models import Customer

    code = erp.put("customers", "A-1", COMPANY).json()["golden_code"]
    other = erp.put("customers", "A-2", {"name": "东方物流有限公司"}).json()["golden_code"]
    pk = Customer.objects.get(code=code).pk

    for url in (f"/admin/mdm/customer/{pk}/change/", f"/admin/mdm/customer/{pk}/history/"):
        response = auditor.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/mdm/historicalcustomer/?q={code}"

    page = auditor.get(f"/admin/mdm/customer/{pk}/change/", follow=True)
    content = page.content.decode()
    assert page.status_code == 200
    assert code in content and other not in content


def test_an_auditor_opening_a_source_record_lands_on_its_history(auditor, erp):
    from mdm.models import SourceRecord

    erp.put("customers", "A-1", COMPANY)
    erp.put("customers", "B-7", {"name": "东方物流有限公司"})
    pk = SourceRecord.objects.get(local_code="A-1").pk

    page = auditor.get(f"/admin/mdm/sourcerecord/{pk}/change/", follow=True)

    assert page.redirect_chain == [("/admin/mdm/historicalsourcerecord/?q=A-1", 302)]
    content = page.content.decode()
    assert page.status_code == 200
    assert "A-1" in content and "B-7" not in content


def test_a_steward_still_opens_the_record_itself(steward, erp):
    from mdm.models import Customer

    code = erp.put("customers", "A-1", COMPANY).json()["golden_code"]
    pk = Customer.objects.get(code=code).pk

    assert steward.get(f"/admin/mdm/customer/{pk}/change/").status_code == 200
    assert steward.get(f"/admin/mdm/customer/{pk}/history/").status_code == 200


def test_a_user_without_a_role_is_still_refused(db, erp):
    from mdm.models import Customer

    code = erp.put("customers", "A-1", COMPANY).json()["golden_code"]
    pk = Customer.objects.get(code=code).pk
    browser = browser_for(make_user("nobody", None))

    assert browser.get(f"/admin/mdm/customer/{pk}/change/").status_code == 403


@pytest.mark.parametrize("role", ["auditor", "mdm_admin"])
def test_the_history_tables_are_one_group_after_the_work(db, role):
    page = browser_for(make_user(f"group.{role}", role)).get("/admin/").content.decode()

    groups = re.findall(r'<div class="app-([a-z_]+) module', page)
    history = page[page.index('<div class="app-change_history module') :]
    links = model_links(history)
    assert groups[-1] == "change_history" and groups.count("change_history") == 1
    assert "/admin/mdm/historicalcustomer/" in links
    assert "/admin/dictionary/historicaldataelement/" in links
    assert all("/historical" in link for link in links)
    before = page[: page.index('<div class="app-change_history module')]
    assert "/historical" not in "".join(model_links(before))
