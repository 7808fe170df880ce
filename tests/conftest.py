"""Personas and reference data for the suite (runs against the real PostgreSQL of `make test`)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from dictionary.services import load_starter_dictionary
from mdm.access.accounts import create_api_user, create_source_system
from mdm.access.roles import ensure_roles


def restore_reference_data() -> None:
    """Dictionary and roles: loaded once per session, and again after a test flushed the tables."""
    load_starter_dictionary()
    ensure_roles(Group, Permission)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        restore_reference_data()


@pytest.fixture
def restore_after_flush(django_db_blocker):
    """Request it *before* ``transactional_db``: its teardown runs after the flush."""
    yield
    with django_db_blocker.unblock():
        restore_reference_data()


class System:
    """A source system persona: its model row, its token and an authenticated API client."""

    def __init__(self, code: str, name: str, priority: int = 100, country: str = "CN"):
        self.system, issued = create_source_system(
            code=code, name=name, priority=priority, country=country
        )
        self.code = code
        self.token = issued.key
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {self.token}")

    def put(self, entity: str, local_code: str, payload, **extra):
        return self.client.put(
            f"/api/v1/sources/{self.code}/{entity}/{local_code}", payload, format="json", **extra
        )


@pytest.fixture
def erp(db) -> System:
    return System("ERP", "SAP ERP", priority=10)


@pytest.fixture
def crm(db) -> System:
    return System("CRM", "Salesforce CRM", priority=20)


@pytest.fixture
def us_shop(db) -> System:
    """A web shop in the United States: its phone numbers are US numbers."""
    return System("SHOP", "US web shop", priority=30, country="US")


@pytest.fixture
def shop(db) -> System:
    return System("ECOM", "网店 e-shop", priority=30)


def _user_client(username: str, role: str) -> APIClient:
    issued = create_api_user(username=username, role=role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    client.user = issued.token.user
    return client


@pytest.fixture
def steward(db) -> APIClient:
    return _user_client("steward", "data_steward")


@pytest.fixture
def viewer(db) -> APIClient:
    return _user_client("viewer", "data_viewer")


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()
