"""The stewards' admin: issue list with filters and bulk actions, dashboard, downloads."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from mdm.jobs.runs import start_job
from mdm.models import JobRun, QualityIssue, QualitySnapshot
from mdm.quality.issues import reconcile_quality_issues
from mdm.quality.snapshot import take_quality_snapshot

pytestmark = pytest.mark.django_db
ISSUES = "/admin/mdm/qualityissue/"
DASHBOARD = "/admin/mdm/qualitysnapshot/dashboard/"
TAKE_SNAPSHOT = "/admin/mdm/qualitysnapshot/dashboard/snapshot/"
QUALITY_PERMISSIONS = ("view_qualityissue", "change_qualityissue", "view_qualitysnapshot")


def browser_for(username: str, *codenames: str) -> Client:
    user = get_user_model().objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name="data_steward"))
    # The quality permissions are granted here: mdm.access.roles does not list them yet.
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    browser = Client()
    browser.force_login(user)
    browser.user = user
    return browser


@pytest.fixture
def steward_browser() -> Client:
    return browser_for("wang.fang", *QUALITY_PERMISSIONS)


@pytest.fixture
def reconciled(customers):
    reconcile_quality_issues()
    return customers


def test_issue_list_shows_unresolved_issues_by_default(steward_browser, reconciled):
    credit = QualityIssue.objects.get(element="credit_code")
    QualityIssue.objects.filter(pk=credit.pk).update(status="closed")

    page = steward_browser.get(ISSUES)

    content = page.content.decode()
    assert page.status_code == 200
    # The e-mail is personal: listed masked (B***@), never as received.
    assert "B***@" in content and "Bad-Email@" not in content
    assert "91310115MA1K3YJ12X" not in content
    everything = steward_browser.get(ISSUES, {"state": "all"}).content.decode()
    assert "91310115MA1K3YJ12X" in everything


def test_issue_list_filters_by_system_and_element(steward_browser, reconciled):
    crm_id = reconciled["C1"].system_id

    page = steward_browser.get(ISSUES, {"system__id__exact": crm_id})
    by_element = steward_browser.get(ISSUES, {"element": "email"}).content.decode()

    assert page.status_code == 200 and "B***@" not in page.content.decode()
    assert "B***@" in by_element and "***45" not in by_element


def test_issue_page_shows_the_issue_and_its_history(steward_browser, reconciled):
    region = QualityIssue.objects.get(kind="invalid", element="region_code")

    page = steward_browser.get(f"{ISSUES}{region.pk}/change/")
    history = steward_browser.get(f"{ISSUES}{region.pk}/history/")

    assert page.status_code == 200 and "110108" in page.content.decode()
    assert history.status_code == 200 and "quality_report" in history.content.decode()


def test_bulk_acknowledge(steward_browser, reconciled):
    ids = list(QualityIssue.objects.filter(system__code="ERP").values_list("pk", flat=True))

    steward_browser.post(ISSUES, {"action": "acknowledge", "_selected_action": ids})

    assert QualityIssue.objects.filter(status="acknowledged").count() == 4
    assert set(
        QualityIssue.objects.filter(status="acknowledged").values_list("acknowledged_by", flat=True)
    ) == {steward_browser.user.pk}


def test_bulk_close_asks_for_a_reason_first(steward_browser, reconciled):
    ids = list(QualityIssue.objects.filter(kind="inconsistent").values_list("pk", flat=True))

    form = steward_browser.post(ISSUES, {"action": "close_with_reason", "_selected_action": ids})
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    assert QualityIssue.objects.unresolved().count() == 6

    steward_browser.post(
        ISSUES,
        {
            "action": "close_with_reason",
            "_selected_action": ids,
            "apply": "1",
            "reason": "已核实 verified",
        },
    )

    closed = QualityIssue.objects.filter(status="closed")
    assert sorted(closed.values_list("pk", flat=True)) == sorted(ids)
    assert set(closed.values_list("resolution", "close_reason")) == {
        ("dismissed", "已核实 verified")
    }


def test_bulk_reassign_to_another_department(steward_browser, reconciled):
    ids = list(QualityIssue.objects.filter(element="phone").values_list("pk", flat=True))

    steward_browser.post(
        ISSUES,
        {"action": "reassign", "_selected_action": ids, "apply": "1", "owner_department": "客服部"},
    )

    assert set(
        QualityIssue.objects.filter(element="phone").values_list("owner_department", flat=True)
    ) == {"客服部"}
    assert QualityIssue.objects.filter(owner_department="销售管理部").count() == 1  # the email


def test_dashboard_shows_scorecards_charts_and_worst_elements(steward_browser, customers):
    take_quality_snapshot()
    take_quality_snapshot()

    page = steward_browser.get(DASHBOARD)

    content = page.content.decode()
    assert page.status_code == 200
    # Customers only (no products or materials yet): bars, 3 trends, 3 heat maps.
    assert content.count('class="quality-chart"') == 7
    assert "board-customers" in content and "73.3%" in content
    assert "<polyline" in content  # two snapshots make a trend line
    worst = content.split("最差数据元")[1].split("</table>")[0]
    assert "email" in worst and "0.0%" in worst


def test_dashboard_before_any_snapshot_offers_a_button_not_a_shell_command(steward_browser):
    content = steward_browser.get(DASHBOARD).content.decode()

    assert "manage.py" not in content
    assert "尚无快照" in content
    assert f'action="{TAKE_SNAPSHOT}"' in content and "立即生成快照" in content


def test_the_button_takes_the_snapshot_as_a_job_run(
    steward_browser, customers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = steward_browser.post(TAKE_SNAPSHOT)

    run = JobRun.objects.get(kind="quality_report")
    assert answer.status_code == 302 and answer["Location"] == DASHBOARD
    assert run.status == "succeeded"
    assert run.params == {"requested_by": steward_browser.user.pk}
    assert run.counts["issues_opened"] == QualityIssue.objects.count() > 0
    assert "customers" in run.log
    snapshot = QualitySnapshot.objects.get()
    assert snapshot.history.get().history_user == steward_browser.user
    page = steward_browser.get(DASHBOARD).content.decode()
    # The test's transaction holds the worker back until the view has answered: "started".
    assert f"快照已作为任务运行 #{run.pk} 开始" in page
    assert "board-customers" in page and "尚无快照" not in page


def test_a_snapshot_being_taken_is_shown_and_not_started_twice(steward_browser, customers):
    running = start_job("quality_report")

    page = steward_browser.get(DASHBOARD).content.decode()
    answer = steward_browser.post(TAKE_SNAPSHOT, follow=True)

    assert f"正在生成快照（任务运行 #{running.pk}" in page
    assert f'action="{TAKE_SNAPSHOT}"' not in page
    assert "已有快照正在生成" in answer.content.decode()
    assert list(JobRun.objects.values_list("pk", flat=True)) == [running.pk]
    assert not QualitySnapshot.objects.exists()


def test_only_those_who_work_the_issues_may_take_a_snapshot(customers):
    viewer = get_user_model().objects.create_user("li.na", is_staff=True)
    viewer.groups.add(Group.objects.get(name="data_viewer"))
    browser = Client()
    browser.force_login(viewer)
    steward = browser_for("wang.fang", *QUALITY_PERMISSIONS)

    page = browser.get(DASHBOARD).content.decode()
    refused = browser.post(TAKE_SNAPSHOT)
    not_a_get = steward.get(TAKE_SNAPSHOT)

    assert f'action="{TAKE_SNAPSHOT}"' not in page and "数据管理员可以在本页立即生成快照" in page
    assert refused.status_code == 403
    assert not_a_get.status_code == 405
    assert not JobRun.objects.exists() and not QualitySnapshot.objects.exists()


def test_scorecard_and_issues_download_as_csv_and_xlsx(steward_browser, customers):
    take_quality_snapshot()

    csv_page = steward_browser.get("/admin/mdm/qualitysnapshot/export/scorecard.csv")
    xlsx_page = steward_browser.get("/admin/mdm/qualitysnapshot/export/issues.xlsx")

    body = b"".join(csv_page.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff实体 entity,系统 system")
    assert "customers,ERP,3,3" in body
    assert xlsx_page["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx_page.content[:2] == b"PK"


def test_quality_pages_need_the_quality_permissions(customers):
    take_quality_snapshot()
    user = get_user_model().objects.create_user("zhao.lei", is_staff=True)
    user.groups.add(Group.objects.get(name="auditor"))  # reads history and logs only
    browser = Client()
    browser.force_login(user)

    assert browser.get(DASHBOARD).status_code == 403
    assert browser.get("/admin/mdm/qualitysnapshot/export/issues.csv").status_code == 403
    assert browser.get(ISSUES).status_code == 403
