"""The operations page (运行监控): API figures, sync success per system and channel, jobs and
backlogs over time, read from the hub's own tables."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from mdm import instruments
from mdm.db import timeline
from mdm.jobs.runs import finish_job, plan_chunks, start_job
from mdm.models import OperationsMinute
from mdm.operations import timeline as backlog
from mdm.operations.overview import overview, percentile
from tests.support.waiting import wait_until

PAGE = "/admin/mdm/operationsminute/"
GOOD = {"name": "北京华信科技有限公司", "customer_type": "org"}


@pytest.fixture
def written_at_once(db, settings):
    """Counts go to the database with each request, and nothing from earlier tests does."""
    settings.MDM_OPERATIONS_FLUSH_SECONDS = 0
    timeline._buffer.take()
    # Servers started by other tests (gunicorn) commit their own figures: start from none.
    OperationsMinute.objects.all().delete()
    yield
    timeline._buffer.take()


def _login(role: str) -> Client:
    user = get_user_model().objects.create_user(f"ops-{role}", password="x-Pass-12345!")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


def test_requests_and_syncs_show_on_the_operations_page(written_at_once, erp, crm, client):
    assert erp.put("customers", "C-1", GOOD).status_code in (200, 201)
    assert erp.put("customers", "C-2", {**GOOD, "name": "上海浦江物流有限公司"}).status_code in (
        200,
        201,
    )
    assert erp.put("customers", "C-3", {"customer_type": "org"}).status_code == 400  # no name
    assert crm.put("customers", "K-1", GOOD).status_code in (200, 201)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200

    page = _login("data_steward").get(PAGE)

    assert page.status_code == 200
    syncs = {(line.system, line.channel): line for line in page.context["view"].syncs}
    assert (syncs[("ERP", "api")].succeeded, syncs[("ERP", "api")].failed) == (2, 1)
    assert (syncs[("CRM", "api")].succeeded, syncs[("CRM", "api")].failed) == (1, 0)
    routes = {line.route: line for line in page.context["view"].routes}
    assert routes["healthz"].count == 3 and routes["healthz"].failed == 0
    html = page.content.decode()
    assert "66.7 %" in html and "100.0 %" in html  # ERP's and CRM's success rates
    # API (3), sync (1, and 1 per system and channel: 2), backlogs.
    assert html.count('<svg class="ops-chart"') == 4 + 2 + len(backlog.BACKLOGS)
    stored = OperationsMinute.objects.filter(series="http", name="healthz", detail="GET")
    assert sum(stored.values_list("count", flat=True)) == 3


def test_an_import_counts_as_its_own_channel(written_at_once, erp, tmp_path):
    data = tmp_path / "customers.csv"
    data.write_text(
        "local_code,name,customer_type\nA-1,北京华信科技有限公司,org\nA-2,,org\n", encoding="utf-8"
    )

    with pytest.raises(CommandError) as rejected:  # exit status 1: a row was rejected
        call_command("import_source", "--system", "ERP", "--entity", "customers", str(data))

    assert rejected.value.returncode == 1
    line = next(s for s in overview("1h").syncs if s.channel == "import")
    assert (line.system, line.succeeded, line.failed) == ("ERP", 1, 1)


def test_counts_from_several_flushes_add_up_in_one_row(written_at_once):
    timeline.record_request("api:crosswalk", "GET", 200, 0.004)
    timeline.record_request("api:crosswalk", "GET", 503, 0.3)
    timeline.record_request("api:crosswalk", "GET", 200, 0.02)

    (row,) = OperationsMinute.objects.filter(series="http", name="api:crosswalk")
    assert (row.count, row.failed) == (3, 1)
    assert row.buckets == {"le_0_005": 1, "le_0_025": 1, "le_0_5": 1}
    assert percentile(row.buckets, 0.5) == 0.025
    assert percentile(row.buckets, 0.95) == 0.5


def test_the_backlog_is_sampled_once_a_minute_and_old_rows_go(db, settings):
    settings.MDM_OPERATIONS_RETENTION_DAYS = 7
    old = OperationsMinute.objects.create(
        minute=timezone.now() - timedelta(days=8), series="backlog", name="review_queue"
    )
    start_job("test_ops", "")  # one unfinished run

    first = backlog.sample_backlog()
    second = backlog.sample_backlog()

    assert first == second
    assert first["running_jobs"] == 1 and first["review_queue"] == 0
    assert not OperationsMinute.objects.filter(pk=old.pk).exists()
    rows = OperationsMinute.objects.filter(series="backlog", name="running_jobs")
    assert list(rows.values_list("count", flat=True)) == [1]  # the minute's row, set twice


def test_job_durations_are_shown_per_kind(db):
    run = start_job("test_ops", "")
    plan_chunks(run.pk, [])
    finish_job(run.pk)

    page = _login("mdm_admin").get(PAGE + "?window=7d")

    (line,) = [j for j in page.context["view"].jobs if j.kind == "test_ops"]
    assert (line.runs, line.failed) == (1, 0)
    assert page.context["view"].window == "7d"
    assert "test_ops" in page.content.decode()


def test_an_unknown_window_falls_back_to_a_day(db):
    assert overview("forever").window == "24h"


def test_the_page_needs_its_view_permission(db):
    assert _login("auditor").get(PAGE).status_code == 403
    assert _login("data_viewer").get(PAGE).status_code == 200


def test_nobody_edits_the_figures_by_hand(db):
    admin = _login("mdm_admin")
    assert admin.get(PAGE + "add/").status_code == 403


def test_the_stored_histogram_has_the_prometheus_bounds():
    assert timeline.REQUEST_BUCKETS == instruments.REQUEST_BUCKETS


def test_a_process_that_ends_before_the_next_flush_writes_its_counts_as_it_exits(
    restore_after_flush, transactional_db
):
    # A command (an import, setup_demo) often ends within the flush interval.
    db = connection.settings_dict
    url = f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
    url += f"{db.get('PORT') or 5432}/{db['NAME']}"
    code = (
        "import django; django.setup()\n"
        "from mdm.db import timeline\n"
        "timeline.record_sync('ERP', 'import', succeeded=2, failed=1)\n"
    )
    env = {**os.environ, "DATABASE_URL": url, "MDM_OPERATIONS_FLUSH_SECONDS": "3600"}
    env["DJANGO_SETTINGS_MODULE"] = "mdm.settings"

    subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, check=True, timeout=120
    )

    (row,) = OperationsMinute.objects.filter(series="sync", name="ERP", detail="import")
    assert (row.count, row.failed) == (2, 1)


def test_counts_of_a_process_that_goes_quiet_are_written_within_the_interval(
    restore_after_flush, transactional_db, settings
):
    """The last requests before a quiet hour (or a worker's last deliveries) reach the page
    without a later count or the process's exit to carry them."""
    settings.MDM_OPERATIONS_FLUSH_SECONDS = 1
    timeline._buffer.take()

    timeline.record_sync("CRM", "webhook", succeeded=3, failed=1)

    wait_until(
        lambda: OperationsMinute.objects.filter(name="CRM", detail="webhook").exists(),
        timeout=15,
        what="the quiet process's counts",
    )
    (row,) = OperationsMinute.objects.filter(series="sync", name="CRM", detail="webhook")
    assert (row.count, row.failed) == (3, 1)
    assert timeline._buffer.cells == {}


def test_the_sync_success_rate_is_drawn_over_time_per_system_and_channel(db):
    now = timezone.now().replace(second=0, microsecond=0)
    early, late = now - timedelta(minutes=30), now - timedelta(minutes=5)
    for minute, name, detail, count, failed in [
        (early, "ERP", "api", 3, 1),
        (late, "ERP", "api", 1, 1),
        (late, "CRM", "webhook", 0, 2),
    ]:
        OperationsMinute.objects.create(
            minute=minute, series="sync", name=name, detail=detail, count=count, failed=failed
        )

    page = _login("data_steward").get(PAGE + "?window=1h")

    lines = {(line.system, line.channel): line for line in page.context["view"].syncs}
    erp = {point.at: point.value for point in lines[("ERP", "api")].points}
    assert (erp[early], erp[late]) == (75.0, 50.0)
    assert [p.value for p in lines[("ERP", "api")].points if p.value is not None] == [75.0, 50.0]
    assert [p.value for p in lines[("CRM", "webhook")].points if p.value is not None] == [0.0]
    html = page.content.decode()
    assert "ERP · api" in html and "CRM · webhook" in html
    assert 'aria-label="CRM webhook"' in html


def test_job_durations_are_drawn_over_time_per_kind(db):
    now = timezone.now()
    for ended, seconds in [(now - timedelta(days=2), 100), (now - timedelta(hours=1), 10)]:
        run = start_job("test_ops", "")
        plan_chunks(run.pk, [])
        finish_job(run.pk)
        type(run).objects.filter(pk=run.pk).update(
            started_at=ended - timedelta(seconds=seconds), finished_at=ended
        )

    page = _login("mdm_admin").get(PAGE + "?window=7d")

    (line,) = [j for j in page.context["view"].jobs if j.kind == "test_ops"]
    assert (line.runs, line.max_s) == (2, 100.0)
    assert [p.value for p in line.points if p.value is not None] == [100.0, 10.0]
    assert 'aria-label="test_ops"' in page.content.decode()
