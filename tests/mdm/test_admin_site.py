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
