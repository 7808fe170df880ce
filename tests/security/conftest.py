"""Security personas (admin, auditor, a steward in the browser) and raw-SQL helpers."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from mdm.access.accounts import issue_token

ZHANG_ID = "11010519491231002X"  # GB 11643-1999's example: region 110105, born 1949-12-31
LI_ID = "110105194912310038"  # the same region and birth date, another person
PERSON = {
    "name": "张三",
    "customer_type": "person",
    "id_number": ZHANG_ID,
    "phone": "13812345678",
    "email": "zhang.san@example.com",
    "address": "北京市朝阳区建国路88号院3号楼",
}


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


def make_user(username: str, role: str | None, *, password: str | None = None, staff=True):
    user = get_user_model().objects.create_user(username, password=password, is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user).key}")
    client.user = user
    return client


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


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


def rows(sql: str, params=()) -> list[tuple]:
    """Raw rows, as someone holding only the database would read them."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def table_text(table: str) -> str:
    """Every column of every row of ``table`` as one text (row_to_json)."""
    return "\n".join(r[0] for r in rows(f"SELECT row_to_json(t)::text FROM {table} t"))  # noqa: S608
