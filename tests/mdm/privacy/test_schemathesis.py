"""Property-based bad input over the whole OpenAPI schema (schemathesis through the WSGI app).

Every operation of ``/api/schema/`` gets ``MAX_EXAMPLES`` generated requests (deterministic:
``derandomize``), as a source system and as a steward; no answer may be a 500, every status
must be one the operation documents, with the documented content type, headers and schema.
The same runs with invalid data (schemathesis' negative mode: wrong types, values outside the
declared enums, formats and limits, missing required parts) must also be refused with a 4xx
(``negative_data_rejection``), never accepted.

The operations are driven one by one with ``operation.as_strategy()`` (schemathesis' lazy
pytest integration does not run under pytest 9), the schema being loaded inside the test where
the database is available.
"""

from __future__ import annotations

import os
from contextlib import contextmanager, suppress

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from mdm.access.accounts import issue_token
from tests.support.personas import PERSON, make_user

pytestmark = pytest.mark.django_db

# Bounded so the suite stays quick (about 40 s on a loaded 2-core machine); a deeper run:
# MDM_FUZZ_EXAMPLES=200 pytest tests/mdm/privacy/test_schemathesis.py
MAX_EXAMPLES = int(os.environ.get("MDM_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@contextmanager
def keep_test_connection():
    """Django's test client keeps the test's connection (and its transaction) open across
    requests; a raw WSGI call would close it at the end of each request: not here."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db):
    """The schema, loaded through the WSGI app like every request after it."""
    from mdm.wsgi import application

    with keep_test_connection():
        return schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def seeded(erp, crm):
    """A few records, so that generated codes sometimes meet real ones."""
    erp.put("customers", "P-1", PERSON)
    erp.put("customers", "O-1", {"name": "北京华信科技有限公司", "customer_type": "org"})
    crm.put("customers", "C-1", {"name": "华信科技", "customer_type": "org"})
    erp.put("products", "G-1", {"name": "光纤", "uom": "m"})


#: Invalid data (schemathesis' negative mode): besides the checks above, every such request
#: must be refused with a 4xx, never accepted.
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]


def fuzz(schema, token: str, mode: GenerationMode = GenerationMode.POSITIVE) -> dict[str, int]:
    """Run every operation; the number of generated requests per operation label."""
    counts: dict[str, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        counts[operation.label] = 0
        run_operation(operation, token, counts, mode)
    return counts


def run_operation(operation, token: str, counts: dict[str, int], mode: GenerationMode) -> None:
    checks = NEGATIVE_CHECKS if mode == GenerationMode.NEGATIVE else CHECKS

    @HYPOTHESIS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        counts[operation.label] += 1
        with keep_test_connection():
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=checks)

    if mode == GenerationMode.POSITIVE:
        run()
        return
    # No invalid request may exist for an operation (free-text path parameters only).
    with suppress(Unsatisfiable):
        run()


def test_every_operation_as_a_source_system(api_schema, erp, seeded):
    counts = fuzz(api_schema, erp.token)

    assert all(n >= 1 for n in counts.values()), counts


def test_every_operation_as_a_steward(api_schema, seeded):
    token = issue_token(make_user("fuzz.steward", "data_steward")).key

    counts = fuzz(api_schema, token)

    assert all(n >= 1 for n in counts.values()), counts


def test_invalid_data_is_refused_by_every_operation_as_a_source_system(api_schema, erp, seeded):
    counts = fuzz(api_schema, erp.token, GenerationMode.NEGATIVE)

    assert sum(counts.values()) >= len(counts), counts


def test_invalid_data_is_refused_by_every_operation_as_a_steward(api_schema, seeded):
    token = issue_token(make_user("fuzz.steward", "data_steward")).key

    counts = fuzz(api_schema, token, GenerationMode.NEGATIVE)

    assert sum(counts.values()) >= len(counts), counts
