"""An integrator's client, generated from the live OpenAPI schema, drives the README tour.

``openapi-python-client`` (a dev dependency) generates a package from ``/api/schema/`` of a live
server; the test imports it and calls that server over HTTP: every success answers its typed
model, and every error kind (400 with field errors, 401, 403, 404, 409, 413, 429) answers the
typed ``ErrorResponse`` whose items carry ``code``, ``message_zh`` and ``message_en``.
Also: drf-spectacular validates the schema and generates it without a warning.
"""

from __future__ import annotations

import datetime
import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections

from mdm.access.accounts import create_api_user, create_source_system
from tests.conftest import restore_reference_data

PACKAGE = "hub_client"
TOUR_BODY = {
    "name": "北京華信科技有限公司",
    "customer_type": "企业",
    "credit_code": "9111 0108 MA01 ABCD 2H",
    "phone": "010-6234 5678",
}
SHANGHAI = datetime.timedelta(hours=8)


def generate_client(base_url: str, into: Path):
    """The package openapi-python-client generates from the live schema, imported."""
    schema = httpx.get(f"{base_url}/api/schema/?format=json", timeout=30)
    assert schema.status_code == 200
    (into / "schema.json").write_text(schema.text, encoding="utf-8")
    (into / "config.yaml").write_text(
        f"project_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\npost_hooks: []\n"
    )
    done = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(into / "schema.json"),
            "--config",
            str(into / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(into / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(into))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(into))


@pytest.fixture(scope="module", autouse=True)
def restore_after_module(django_db_blocker):
    """live_server's flush comes after every function fixture's teardown: the dictionary and
    the roles are put back once the module is done (and by each test for itself)."""
    yield
    with django_db_blocker.unblock():
        restore_reference_data()


@pytest.fixture
def hub(live_server, tmp_path, monkeypatch):
    """The live server, its generated client package, and the ERP's, CRM's and a steward's
    authenticated clients."""
    # The server's request threads end with their requests: each closes its connection then,
    # instead of leaving it open (CONN_MAX_AGE) until the test database is dropped.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    restore_reference_data()  # the previous live-server test flushed it
    cache.clear()  # throttle counters
    package = generate_client(live_server.url, tmp_path)
    tokens = {
        code: create_source_system(code=code, name=name, priority=rank)[1].key
        for code, name, rank in (("ERP", "SAP ERP", 10), ("CRM", "Salesforce CRM", 20))
    }
    tokens["steward"] = create_api_user(username="tour.steward", role="data_steward").key

    def client(who: str):
        return package.AuthenticatedClient(
            base_url=live_server.url, token=tokens[who], prefix="Token", timeout=30
        )

    yield package, client, live_server.url
    cache.clear()
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def api(name: str):
    return importlib.import_module(f"{PACKAGE}.api.v1.{name}")


def models():
    return importlib.import_module(f"{PACKAGE}.models")


def assert_error(response, status: int, field: str, code: str) -> None:
    """The answer parsed as the typed error, the field's first item with both languages."""
    m = models()
    assert response.status_code == status, response.content
    assert isinstance(response.parsed, m.ErrorResponse), response.parsed
    [item, *_] = response.parsed.errors[field]
    assert isinstance(item, m.ErrorItem)
    assert item.code == code
    assert item.message_zh and item.message_en
    assert item.message == (
        item.message_zh
        if item.message_zh == item.message_en
        else f"{item.message_zh} / {item.message_en}"
    )


def test_the_readme_tour_through_a_generated_client(hub):
    package, client, _ = hub
    m = models()
    erp, crm = client("ERP"), client("CRM")

    # 1-2. Upsert, then the same payload again.
    created = api("v1_sources_update").sync_detailed(
        "ERP",
        m.EntityEnum.CUSTOMERS,
        "SD01-009999",
        client=erp,
        body=m.CustomersRecord.from_dict(TOUR_BODY),
    )
    again = api("v1_sources_update").sync_detailed(
        "ERP",
        m.EntityEnum.CUSTOMERS,
        "SD01-009999",
        client=erp,
        body=m.CustomersRecord.from_dict(TOUR_BODY),
    )
    assert created.status_code == 201
    assert isinstance(created.parsed, m.UpsertResult)
    assert (created.parsed.link, created.parsed.changed) == (m.LinkEnum.NEW, True)
    assert (again.status_code, again.parsed.changed) == (200, False)
    golden = created.parsed.golden_code

    # 3. What the hub stored, typed.
    stored = api("v1_sources_retrieve").sync_detailed(
        "ERP", m.EntityEnum.CUSTOMERS, "SD01-009999", client=erp
    )
    assert isinstance(stored.parsed, m.SourceRecord)
    assert stored.parsed.raw["credit_code"] == "9111 0108 MA01 ABCD 2H"
    assert stored.parsed.attributes["credit_code"] == "91110108MA01ABCD2H"
    assert stored.parsed.attributes["customer_type"] == "org"
    assert stored.parsed.flagged == []
    assert stored.parsed.link == m.LinkEnum.NEW
    assert stored.parsed.created_at.utcoffset() == SHANGHAI

    # 4. The CRM holds the same company: the crosswalk translates the ERP's code.
    crm_put = api("v1_sources_update").sync_detailed(
        "CRM",
        m.EntityEnum.CUSTOMERS,
        "BJ-B-00166",
        client=crm,
        body=m.CustomersRecord.from_dict(
            {"name": "北京华信科技有限公司", "credit_code": "91110108MA01ABCD2H"}
        ),
    )
    assert (crm_put.parsed.golden_code, crm_put.parsed.link) == (golden, m.LinkEnum.AUTO)
    crosswalk = api("v1_crosswalk_retrieve").sync_detailed(
        m.EntityEnum.CUSTOMERS, "ERP", "SD01-009999", client=erp, to="CRM"
    )
    assert isinstance(crosswalk.parsed, m.Crosswalk)
    assert [(x.system, x.local_code) for x in crosswalk.parsed.members] == [("CRM", "BJ-B-00166")]

    # 5. The golden record and the search.
    detail = api("v1_golden_retrieve").sync_detailed(m.EntityEnum.CUSTOMERS, golden, client=erp)
    assert isinstance(detail.parsed, m.GoldenDetail)
    assert detail.parsed.status == m.GoldenStatusEnum.ACTIVE
    assert detail.parsed.created_at.utcoffset() == SHANGHAI
    found = api("v1_golden_list").sync_detailed(m.EntityEnum.CUSTOMERS, client=erp, q="华信")
    assert [g.golden_code for g in found.parsed.results] == [golden]

    # 6. Bad input: the field errors, typed.
    bad = api("v1_sources_update").sync_detailed(
        "ERP",
        m.EntityEnum.CUSTOMERS,
        "SD01-1",
        client=erp,
        body=m.CustomersRecord(name="x", customer_type="alien"),
    )
    assert_error(bad, 400, "customer_type", "not_in_domain")

    # 7. Bulk: a result per item.
    item = m.V1SourcesBulkCreateBodyItem.from_dict(
        {"local_code": "SD01-1", "name": "上海浦江物流有限公司", "customer_type": "org"}
    )
    bulk = api("v1_sources_bulk_create").sync_detailed(
        "ERP", m.EntityEnum.CUSTOMERS, client=erp, body=[item]
    )
    assert isinstance(bulk.parsed, m.BulkResult)
    assert (bulk.parsed.stored, bulk.parsed.results[0].link) == (1, m.LinkEnum.NEW)

    # 8. The change feed.
    feed = api("v1_events_retrieve").sync_detailed(
        client=erp, after=0, entity=m.EntityEnum.CUSTOMERS, limit=5
    )
    assert isinstance(feed.parsed, m.EventPage)
    assert feed.parsed.events[0].kind == m.EventKindEnum.CREATED
    assert feed.parsed.events[0].created_at.utcoffset() == SHANGHAI

    # 10. Delete, send again: the same golden code.
    deleted = api("v1_sources_destroy").sync_detailed(
        "ERP", m.EntityEnum.CUSTOMERS, "SD01-009999", client=erp
    )
    back = api("v1_sources_update").sync_detailed(
        "ERP",
        m.EntityEnum.CUSTOMERS,
        "SD01-009999",
        client=erp,
        body=m.CustomersRecord.from_dict(TOUR_BODY),
    )
    assert deleted.status_code == 204
    assert (back.status_code, back.parsed.golden_code) == (200, golden)
    assert package.__name__ == PACKAGE


def test_every_error_kind_parses_as_the_typed_error(hub, settings):
    package, client, base_url = hub
    m = models()
    erp, crm, steward = client("ERP"), client("CRM"), client("steward")
    upsert = api("v1_sources_update").sync_detailed
    body = m.CustomersRecord.from_dict({"name": "北京华信科技有限公司", "customer_type": "org"})
    upsert("ERP", m.EntityEnum.CUSTOMERS, "C-1", client=erp, body=body)
    crm_code = upsert(
        "CRM",
        m.EntityEnum.CUSTOMERS,
        "C-2",
        client=crm,
        body=m.CustomersRecord.from_dict({"name": "上海浦江物流有限公司", "customer_type": "org"}),
    ).parsed.golden_code

    # 400: a string element sent a boolean; a malformed cursor.
    wrong_type = upsert(
        "ERP",
        m.EntityEnum.CUSTOMERS,
        "C-3",
        client=erp,
        body=m.CustomersRecord.from_dict({"name": True}),
    )
    assert_error(wrong_type, 400, "name", "invalid_type")
    cursor = api("v1_golden_list").sync_detailed(
        m.EntityEnum.CUSTOMERS, client=erp, cursor="cD0nIE9SIDE9MS0t"
    )
    assert_error(cursor, 400, "cursor", "invalid")
    # 401: a wrong token.
    stranger = package.AuthenticatedClient(base_url=base_url, token="mdm_nope", prefix="Token")
    assert_error(
        api("v1_golden_list").sync_detailed(m.EntityEnum.CUSTOMERS, client=stranger),
        401,
        "non_field_errors",
        "authentication_failed",
    )
    # 403: the ERP reads the CRM's record.
    assert_error(
        api("v1_sources_retrieve").sync_detailed("CRM", m.EntityEnum.CUSTOMERS, "C-2", client=erp),
        403,
        "non_field_errors",
        "permission_denied",
    )
    # 404: an unknown golden code, an unknown system.
    assert_error(
        api("v1_golden_retrieve").sync_detailed(
            m.EntityEnum.CUSTOMERS, "CU0000000000X", client=erp
        ),
        404,
        "non_field_errors",
        "not_found",
    )
    assert_error(
        api("v1_sources_update").sync_detailed(
            "SAP", m.EntityEnum.CUSTOMERS, "C-1", client=erp, body=body
        ),
        404,
        "non_field_errors",
        "unknown_system",
    )
    # 409: locking a value of a golden record that a steward has just retired.
    retired = api("v1_golden_retire_create").sync_detailed(
        m.EntityEnum.CUSTOMERS, crm_code, client=steward, body=m.ReasonRequest(reason="closed")
    )
    assert retired.status_code == 200
    lock = m.LockRequest(attribute="name", value="上海浦江", reason="checked")
    assert_error(
        api("v1_golden_lock_create").sync_detailed(
            m.EntityEnum.CUSTOMERS, crm_code, client=steward, body=lock
        ),
        409,
        "non_field_errors",
        "not_active",
    )
    # 413: a body over the limit.
    settings.MDM_MAX_BODY_BYTES = 2_000
    big = m.CustomersRecord.from_dict({"name": "华" * 3_000})
    assert_error(
        upsert("ERP", m.EntityEnum.CUSTOMERS, "C-4", client=erp, body=big),
        413,
        "non_field_errors",
        "request_too_large",
    )
    # 429: over the token's rate.
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": {"token": "2/min", "user": "100/min", "anon": "100/min"}
    }
    cache.clear()
    events = api("v1_events_retrieve").sync_detailed
    assert [events(client=erp).status_code for _ in range(2)] == [200, 200]
    assert_error(events(client=erp), 429, "non_field_errors", "throttled")


def test_the_schema_validates_without_warnings(db, tmp_path):
    out = tmp_path / "schema.json"

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", out
    )

    schema = json.loads(out.read_text(encoding="utf-8"))
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"400", "401", "403", "404", "429"} <= declared, (method, path)
    assert schema["components"]["securitySchemes"]["tokenAuth"]["description"].startswith(
        "`Token <key>`"
    )
