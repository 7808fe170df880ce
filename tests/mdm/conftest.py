"""Fixtures shared by the hub's service tests."""

from __future__ import annotations

import pytest
from django.db import connection

from mdm.db import bulk_sql


@pytest.fixture(params=["set_based", "orm"])
def write_path(request, monkeypatch):
    """Each test once through ``UPDATE … FROM unnest`` and once through simple_history."""
    if request.param == "orm":
        monkeypatch.setattr(bulk_sql, "_set_based", lambda model: False)
    elif connection.vendor != "postgresql":
        pytest.skip("the set-based path is PostgreSQL only")
    return request.param
