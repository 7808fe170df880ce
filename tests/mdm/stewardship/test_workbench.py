"""The steward's workbench on the admin index: the work queues, their counts, their links."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from matching.models import MatchCandidate
from mdm.models import (
    Event,
    JobRun,
    QualityIssue,
    SourceRecord,
    WebhookDelivery,
    WebhookSubscription,
)
from mdm.stewardship.actions import (
    decide_candidate,
    lock_attribute,
    merge_by_steward,
    unlock_attribute,
)
from mdm.stewardship.unmerge import unmerge_source_record
from tests.mdm.stewardship.conftest import browser_for, bulk_queue, make_user

pytestmark = pytest.mark.django_db


def english(user):
    browser = browser_for(user)
    browser.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


def cell(page: str, entity: str | None = None, **attrs: str) -> tuple[str, str | None]:
    """(count, link) of the table cell or row carrying ``data-…`` attributes ``attrs`` (in the
    row of ``entity`` when given)."""
    if entity is not None:
        row = re.search(rf'<tr data-entity="{entity}">(.*?)</tr>', page, flags=re.S)
        assert row, f"no row {entity}"
        page = row.group(1)
    selector = "".join(rf'[^>]*data-{k}="{re.escape(v)}"' for k, v in attrs.items())
    found = re.search(rf"<(td|tr){selector}[^>]*>(.*?)</\1>", page, flags=re.S)
    assert found, f"no cell {attrs}"
    body = found.group(2)
    link = re.search(r'<a href="([^"]+)"[^>]*>(\d+)</a>', body)
    if link:
        return link.group(2), unescape(link.group(1))
    return re.search(r">(\d+)<", body).group(1), None


def issue(element: str, department: str, status: str = "open", n: int = 0) -> QualityIssue:
    now = timezone.now()
    return QualityIssue.objects.create(
        key=f"invalid:{element}:{department}:{n}",
        entity="customers",
        kind="invalid",
        element=element,
        owner_department=department,
        status=status,
        opened_at=now,
        updated_at=now,
    )


@pytest.fixture
def steward(db):
    return make_user("bench.steward", "data_steward")


@pytest.fixture
def queues(erp, crm):
    """Pending candidates (scores 0.5 … 0.99), issues, a failed and a stuck run, a dead letter."""
    bulk_queue(erp, crm, records=10, per_record=2)
    for n in range(3):
        issue("phone", "销售部", n=n)
    issue("credit_code", "财务部")
    issue("credit_code", "财务部", status="closed", n=1)
    failed = JobRun.objects.create(kind="match", entity="customers", status="failed")
    stale = timezone.now() - timedelta(hours=2)
    stuck = JobRun.objects.create(
        kind="quality_report", status="running", heartbeat_at=stale, started_at=stale
    )
    JobRun.objects.create(kind="match", entity="products", status="running")  # alive
    event = Event.objects.create(entity="customers", golden_code="CU1", kind="created", payload={})
    subscription = WebhookSubscription.objects.create(
        system=erp.system, url="https://erp.example.com/hook", secret="s" * 32
    )
    WebhookDelivery.objects.create(subscription=subscription, event=event, status="dead")
    return {"failed": failed, "stuck": stuck}


def test_the_steward_lands_on_the_queues_with_counts_that_link_to_their_lists(steward, queues):
    expected = {
        band: MatchCandidate.objects.filter(status="pending", entity="customers")
        .filter(score__gte=low, score__lt=high)
        .count()
        for band, low, high in (("90", 0.9, 2), ("70", 0.7, 0.9), ("50", 0.5, 0.7))
    }
    browser = english(steward)

    page = browser.get("/admin/").content.decode()

    for band, count in expected.items():
        shown, link = cell(page, entity="customers", band=band)
        assert shown == str(count)
        assert link == f"/admin/matching/matchcandidate/?entity__exact=customers&band={band}"
        listed = browser.get(link).content.decode()
        assert listed.count('compare-link"') == count
    assert cell(page, entity="customers", band="total") == (
        "20",
        "/admin/matching/matchcandidate/?entity__exact=customers",
    )
    assert cell(page, entity="customers", band="0") == ("0", None)
    assert cell(page, entity="products", band="total")[0] == "0"


def test_open_issues_are_counted_by_element_and_department(steward, queues):
    browser = english(steward)

    page = browser.get("/admin/").content.decode()

    count, link = cell(page, element="phone", department="销售部")
    assert count == "3"
    assert (
        link
        == "/admin/mdm/qualityissue/?element=phone&owner_department=%E9%94%80%E5%94%AE%E9%83%A8"
    )
    listed = browser.get(link)
    assert listed.status_code == 200
    assert listed.content.decode().count('name="_selected_action"') == 3
    assert cell(page, element="credit_code", department="财务部")[0] == "1"  # the closed one not
    assert re.search(r'<a href="/admin/mdm/qualityissue/">4</a>', page)
    assert 'id="quality-dashboard" href="/admin/mdm/qualitysnapshot/dashboard/"' in page
    assert browser.get("/admin/mdm/qualitysnapshot/dashboard/").status_code == 200


def test_failed_and_stuck_runs_and_dead_letters_are_counted_and_listed(steward, queues):
    admin_user = make_user("bench.admin", "mdm_admin")
    browser = english(admin_user)

    page = browser.get("/admin/").content.decode()

    failed = re.search(r'id="jobs-failed">.*?<a href="([^"]+)"[^>]*>(\d+)</a>', page, re.S)
    stuck = re.search(r'id="jobs-stuck">.*?<a href="([^"]+)"[^>]*>(\d+)</a>', page, re.S)
    dead = re.search(r'id="dead-letters">.*?<a href="([^"]+)"[^>]*>(\d+)</a>', page, re.S)
    assert (unescape(failed.group(1)), failed.group(2)) == (
        "/admin/mdm/jobrun/?status__exact=failed",
        "1",
    )
    assert (unescape(stuck.group(1)), stuck.group(2)) == ("/admin/mdm/jobrun/?health=stuck", "1")
    assert (unescape(dead.group(1)), dead.group(2)) == (
        "/admin/mdm/webhookdelivery/?status__exact=dead",
        "1",
    )
    stuck_list = browser.get("/admin/mdm/jobrun/?health=stuck").content.decode()
    assert f"/admin/mdm/jobrun/{queues['stuck'].pk}/change/" in stuck_list
    assert f"/admin/mdm/jobrun/{queues['failed'].pk}/change/" not in stuck_list
    assert browser.get(unescape(dead.group(1))).status_code == 200


def test_recent_activity_names_the_decision_by_codes_who_and_why(steward, queues):
    candidate = MatchCandidate.objects.filter(status="pending").order_by("pk").first()
    decide_candidate(
        candidate_id=candidate.pk, accept=False, actor=steward, reason="different companies"
    )
    browser = english(steward)

    page = browser.get("/admin/").content.decode()

    activity = page[page.index('id="recent-activity"') :]
    compare = f"/admin/matching/matchcandidate/{candidate.pk}/compare/"
    assert compare in activity
    line = activity[activity.index(compare) : activity.index("</li>", activity.index(compare))]
    assert f"ERP:{candidate.left.local_code} ~ CRM:{candidate.right.local_code}" in line
    assert "pair rejected" in line
    assert "bench.steward" in line and "different companies" in line
    # Times in the hub's time zone, to the minute.
    local = timezone.localtime(MatchCandidate.objects.get(pk=candidate.pk).decided_at)
    assert local.strftime("%Y-%m-%d %H:%M") in line


def test_the_auditor_sees_no_queue_they_cannot_open(db, queues):
    auditor = make_user("bench.auditor", "auditor")

    page = english(auditor).get("/admin/").content.decode()

    assert 'id="queue-candidates"' not in page
    assert "/admin/matching/matchcandidate/?" not in page
    assert "/admin/mdm/historicalcustomer/" in page  # the history tables are theirs


def test_view_site_goes_to_the_workbench(steward, queues):
    page = english(steward).get("/admin/mdm/customer/").content.decode()

    assert re.search(r'<a href="/admin/">View site</a>', page)


def test_the_workbench_costs_a_fixed_number_of_queries(steward, queues, erp, crm):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = english(steward)
    browser.get("/admin/")
    with CaptureQueriesContext(connection) as before:
        browser.get("/admin/")
    bulk_queue(erp, crm, records=30, per_record=3, offset=100)
    for n in range(20):
        issue(f"element{n}", "物流部", n=n)
    with CaptureQueriesContext(connection) as after:
        browser.get("/admin/")

    assert len(after) == len(before)


def _activity_lines(page: str) -> list[str]:
    activity = page[page.index('id="recent-activity"') :]
    items = re.findall(r"<li[^>]*>(.*?)</li>", activity, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", unescape(item)).split()) for item in items]


def test_recent_activity_has_a_line_for_an_unmerge_and_for_a_lock(steward, huaxin_pair):
    survivor = SourceRecord.objects.get(local_code="SD01-000123").golden_code
    other = SourceRecord.objects.get(local_code="BJ-B-00042").golden_code
    merge_by_steward(
        entity="customers",
        survivor_code=survivor,
        other_code=other,
        actor=steward,
        reason="same company",
    )
    unmerge_source_record(
        entity="customers",
        system_code="CRM",
        local_code="BJ-B-00042",
        actor=steward,
        reason="not the same after all",
    )
    lock_attribute(
        entity="customers",
        code=survivor,
        attribute="email",
        value="sales@huaxin.example.com",
        actor=steward,
        reason="confirmed by phone",
    )

    found = _activity_lines(english(steward).get("/admin/").content.decode())

    unmerges = [line for line in found if "unmerged from" in line]
    assert len(unmerges) == 1, found
    assert f"CRM:BJ-B-00042 · unmerged from {survivor} to {other}" in unmerges[0]
    assert "bench.steward" in unmerges[0] and "not the same after all" in unmerges[0]
    locks = [line for line in found if "value locked" in line]
    assert len(locks) == 1 and "value locked: email" in locks[0], found
    assert "confirmed by phone" in locks[0]
    assert any(f"{other} · merged into another record" in line for line in found), found
    # The unmerge's own golden rows are not repeated as "changed" or "restored" lines.
    assert not any("restored by an unmerge" in line for line in found), found


def test_an_unlock_is_its_own_line(steward, huaxin_pair):
    code = SourceRecord.objects.get(local_code="SD01-000123").golden_code
    lock_attribute(
        entity="customers",
        code=code,
        attribute="email",
        value="sales@huaxin.example.com",
        actor=steward,
        reason="confirmed",
    )
    unlock_attribute(
        entity="customers", code=code, attribute="email", actor=steward, reason="wrong"
    )

    found = _activity_lines(english(steward).get("/admin/").content.decode())

    assert any(f"{code} · lock removed: email" in line for line in found), found
