"""Personas and reference data for the suite (runs against the real PostgreSQL of `make test`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from dictionary.services import load_starter_dictionary
from mdm.access.accounts import create_api_user, create_source_system
from mdm.access.roles import ensure_roles
from mdm.db import timeline
from mdm.documents.models import DocumentType
from mdm.documents.starter import ensure_starter_document_types

CATALOGUE = (
    Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
)


def pytest_configure(config) -> None:
    """Compile the Chinese catalogue when it is newer than its .mo (``make messages`` does the
    same): the suite asserts the Chinese pages a steward sees by default."""
    compiled = CATALOGUE.with_suffix(".mo")
    if compiled.exists() and compiled.stat().st_mtime >= CATALOGUE.stat().st_mtime:
        return
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        raise pytest.UsageError("msgfmt is missing: `make messages` installs GNU gettext")
    subprocess.run([msgfmt, "--check", "-o", str(compiled), str(CATALOGUE)], check=True)


def restore_reference_data() -> None:
    """Dictionary and roles: loaded once per session, and again after a test flushed the tables."""
    load_starter_dictionary()
    ensure_roles(Group, Permission)
    ensure_starter_document_types(DocumentType)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        restore_reference_data()


@pytest.fixture(scope="session", autouse=True)
def operations_figures_kept_in_memory():
    """The operations page's counts are written only by the tests about them (they set
    ``MDM_OPERATIONS_FLUSH_SECONDS`` to 0): elsewhere a flush would add a query to a random
    request and break the tests that count queries. What they counted is dropped at the end,
    before the process's exit flush could reach for a database that is gone."""
    settings.MDM_OPERATIONS_FLUSH_SECONDS = 10**9
    yield
    timeline._buffer.take()


@pytest.fixture
def restore_after_flush(django_db_blocker):
    """Request it *before* ``transactional_db``: its teardown runs after the flush."""
    yield
    with django_db_blocker.unblock():
        restore_reference_data()


@pytest.fixture(autouse=True)
def crosswalk_open(settings):
    """The personas read each other's local codes, as every system did before crosswalk grants
    (``MDM_CROSSWALK_OPEN``); the grant tests turn it off to test the production default."""
    settings.MDM_CROSSWALK_OPEN = True


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
