"""/metrics as a Prometheus server scrapes it: the text format, who may read it, and figures
that move with what the hub does."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from matching.models import MatchCandidate
from mdm.feed.webhooks import create_subscription
from mdm.models import Event, JobRun, QualityIssue, SourceRecord
from mdm.operations import metrics

pytestmark = pytest.mark.django_db

COMPANY = {"name": "北京华信科技有限公司", "customer_type": "org"}


def parse(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, keyed by (name, sorted labels)."""
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def scrape(**headers) -> dict[tuple[str, tuple], float]:
    response = Client().get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return parse(response.content.decode())


def value(samples, metric: str, /, **labels) -> float:
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


def grew(before, after, metric: str, /, **labels) -> float:
    return value(after, metric, **labels) - value(before, metric, **labels)


def test_metrics_are_open_to_loopback_by_default():
    assert [
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
    ] == settings.MDM_METRICS_ALLOWED_NETWORKS

    samples = scrape()

    assert value(samples, "mdm_metrics_database_up") == 1.0


@override_settings(MDM_METRICS_TOKEN="s3cret-token", MDM_METRICS_ALLOWED_NETWORKS=[])
def test_metrics_need_the_bearer_token_when_no_network_is_allowed():
    anonymous = Client().get("/metrics")
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer other")
    other_scheme = Client().get("/metrics", HTTP_AUTHORIZATION="Token s3cret-token")

    assert anonymous.status_code == wrong.status_code == other_scheme.status_code == 401
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"mdm_" not in anonymous.content
    assert value(scrape(HTTP_AUTHORIZATION="Bearer s3cret-token"), "mdm_metrics_database_up") == 1


@override_settings(MDM_METRICS_ALLOWED_NETWORKS=[ipaddress.ip_network("10.0.0.0/8")])
def test_metrics_answer_an_allowed_network_only():
    inside = Client(REMOTE_ADDR="10.1.2.3").get("/metrics")
    outside = Client(REMOTE_ADDR="192.168.1.9").get("/metrics")
    loopback = Client().get("/metrics")

    assert inside.status_code == 200
    assert outside.status_code == loopback.status_code == 401


def test_requests_are_counted_by_route_name_never_by_path(erp):
    before = scrape()

    created = erp.put("customers", "C-7781", COMPANY)
    erp.client.get("/api/v1/sources/ERP/customers/C-7781")
    erp.client.get("/api/v1/sources/ERP/customers/NOPE-1")
    after = scrape()

    route = "source-record"
    status = str(created.status_code)
    assert (
        grew(before, after, "mdm_http_requests_total", route=route, method="PUT", status=status)
        == 1
    )
    assert (
        grew(before, after, "mdm_http_requests_total", route=route, method="GET", status="200") == 1
    )
    assert (
        grew(before, after, "mdm_http_requests_total", route=route, method="GET", status="404") == 1
    )
    assert (
        grew(before, after, "mdm_http_request_duration_seconds_count", route=route, method="GET")
        == 2.0
    )
    assert not any("C-7781" in str(labels) or "NOPE" in str(labels) for _, labels in after)


def test_each_request_counts_once(erp):
    before = scrape()

    erp.client.get("/api/v1/sources/ERP/customers/NOPE-2")
    after = scrape()

    labels = {"route": "source-record", "method": "GET", "status": "404"}
    assert grew(before, after, "mdm_http_requests_total", **labels) == 1.0


def test_upserts_are_counted_by_link_and_outcome(erp, crm):
    before = scrape()

    erp.put("customers", "C-1", COMPANY)
    erp.put("customers", "C-1", COMPANY)
    erp.put("customers", "C-1", dict(COMPANY, phone="010-62345678"))
    crm.put("customers", "K-1", COMPANY)
    erp.put("customers", "C-2", {"customer_type": "spaceship"})
    after = scrape()

    link = SourceRecord.objects.get(local_code="K-1").link_kind
    name = "mdm_upserts_total"
    assert grew(before, after, name, entity="customers", link="new", outcome="created") == 1
    assert grew(before, after, name, entity="customers", link="new", outcome="unchanged") == 1
    assert grew(before, after, name, entity="customers", link="new", outcome="changed") == 1
    assert link == "auto"
    assert grew(before, after, name, entity="customers", link="auto", outcome="created") == 1
    assert grew(before, after, name, entity="customers", link="none", outcome="rejected") == 1


def test_queue_issues_jobs_and_webhook_backlog_are_read_from_the_database(erp, crm):
    erp.put("customers", "C-1", COMPANY)
    crm.put("customers", "K-1", dict(COMPANY, name="华信科技"))
    left, right = SourceRecord.objects.order_by("pk")
    MatchCandidate.objects.filter(left=left, right=right).delete()
    MatchCandidate.objects.create(entity="customers", left=left, right=right, score=0.8)
    started = timezone.now() - timedelta(seconds=90)
    QualityIssue.objects.create(
        key="k1",
        entity="customers",
        kind="invalid",
        element="phone",
        opened_at=started,
        updated_at=started,
    )
    QualityIssue.objects.create(
        key="k2",
        entity="customers",
        kind="invalid",
        element="email",
        status="closed",
        opened_at=started,
        updated_at=started,
    )
    JobRun.objects.create(
        kind="match",
        entity="customers",
        status="succeeded",
        started_at=started,
        finished_at=started + timedelta(seconds=42),
        counts={"merged": 3, "queued": 5},
    )
    subscription, _ = create_subscription(system=crm.system, url="https://crm.example.com/hook")
    last_seq = Event.objects.order_by("-seq").first().seq

    samples = scrape()

    assert value(samples, "mdm_review_queue_pending", entity="customers") == 1
    assert value(samples, "mdm_quality_issues_open", entity="customers", kind="invalid") == 1
    assert value(samples, "mdm_job_runs", kind="match", status="succeeded") == 1
    job = {"kind": "match", "entity": "customers"}
    assert value(samples, "mdm_job_last_run_duration_seconds", status="succeeded", **job) == 42
    assert value(samples, "mdm_job_last_run_count", name="merged", **job) == 3
    assert value(samples, "mdm_job_last_run_count", name="queued", **job) == 5
    hook = {"subscription": str(subscription.pk), "system": "CRM"}
    assert value(samples, "mdm_webhook_backlog_events", **hook) == last_seq - subscription.cursor
    assert value(samples, "mdm_outbox_last_seq") == last_seq
    assert value(samples, "mdm_outbox_backlog_events") == last_seq - subscription.cursor
    assert value(samples, "mdm_db_max_connections") >= 1
    assert sum(v for (name, _), v in samples.items() if name == "mdm_db_connections") >= 1


def test_every_process_sharing_the_directory_is_counted(tmp_path, monkeypatch):
    """Two processes (two gunicorn or Celery workers) count; one scrape adds them up."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    code = (
        "import django; django.setup();"
        "from mdm.instruments import record_request, record_webhook_attempt;"
        "record_request('golden-detail', 'GET', 200, 0.003); record_webhook_attempt(500)"
    )
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=Path(settings.BASE_DIR),
            env=env | {"DJANGO_SETTINGS_MODULE": "mdm.settings"},
            check=True,
            timeout=120,
        )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))

    samples = parse(metrics.render().decode())

    labels = {"route": "golden-detail", "method": "GET", "status": "200"}
    assert value(samples, "mdm_http_requests_total", **labels) == 2
    assert value(samples, "mdm_webhook_attempts_total", outcome="failed") == 2
    assert value(samples, "mdm_metrics_database_up") == 1


@override_settings(MDM_METRICS_QUERY_TIMEOUT_MS=200)
def test_slow_document_figures_do_not_cost_the_other_database_figures(monkeypatch):
    from django.db import connection

    from mdm.operations import collector

    def slow_documents():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")  # PostgreSQL cancels it at the timeout
        return []

    monkeypatch.setattr(collector, "document_families", slow_documents)

    samples = scrape()

    assert value(samples, "mdm_metrics_database_up") == 1.0
    # The figures read before the documents, in the same scrape, are there.
    assert any(metric.startswith("mdm_db_connections") for metric, _labels in samples)
