"""Getting around the admin: the header's links, the index's order, the auditor's route."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.security.conftest import browser_for, make_user


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
