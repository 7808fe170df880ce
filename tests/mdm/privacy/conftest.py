"""Security personas (admin, auditor, a steward in the browser) and raw-SQL helpers."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.support.personas import (  # noqa: F401 - also imported from here by older tests
    LI_ID,
    PERSON,
    ZHANG_ID,
    api_client,
    browser_for,
    make_user,
)
from tests.support.sql import rows, table_text  # noqa: F401


@pytest.fixture
def transactional_db(restore_after_flush, transactional_db):
    """A flush wipes the dictionary and the roles: reload them after (the browser tests).

    ``live_server`` asks for ``transactional_db`` from an autouse fixture, before any fixture a
    test names: asking for ``restore_after_flush`` here puts its teardown after the flush.
    """
    return transactional_db


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db):
    """An mdm_admin by role only (no superuser flag): the role's own permissions count."""
    return make_user("admin.zhou", "mdm_admin")


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    return api_client(admin_user)


@pytest.fixture
def auditor_user(db):
    return make_user("audit.sun", "auditor")


@pytest.fixture
def auditor_api(auditor_user) -> APIClient:
    return api_client(auditor_user)


@pytest.fixture
def steward_user(db):
    return make_user("steward.wang", "data_steward")


@pytest.fixture
def person(erp):
    """A person customer sent by the ERP: its golden code."""
    response = erp.put("customers", "P-1", PERSON)
    assert response.status_code == 201, response.content
    return response.json()["golden_code"]
