"""A steward's day in a real browser (Debian's Chromium, headless), at 1440 and 1280 px.

Landing page → review queue → comparison → decision → golden record → its history → a quality
issue → the fix (a locked value and the issue closed). Every screen is saved as
``artifacts/day-<step>-<width>.png`` for a human to look at; the assertions check what the
steward must see: nothing cut off or scrolled away at either width.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from mdm.models import Customer, QualityIssue, SourceRecord
from mdm.quality.snapshot import take_quality_snapshot
from mdm.stewardship.actions import decide_candidate
from tests.mdm.stewardship.conftest import make_user
from tests.mdm.stewardship.test_browser_review import ARTIFACTS, PASSWORD, chromium, wait_for

__all__ = ["chromium"]  # the fixture, imported for this module's tests

WIDTHS = (1440, 1280)
HEIGHT = 1000


def shoot(driver, step: str) -> None:
    """Screenshots of the current page at each width, the page's full height."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        driver.set_window_size(width, HEIGHT)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(height + 140, HEIGHT), 4000))
        driver.save_screenshot(str(ARTIFACTS / f"day-{step}-{width}.png"))
        assert_nothing_cut_off(driver, step, width)
    driver.set_window_size(WIDTHS[0], HEIGHT)


def assert_nothing_cut_off(driver, step: str, width: int) -> None:
    """No page scrolls sideways, and no list table hides columns behind a scroll."""
    page_width = driver.execute_script("return document.documentElement.scrollWidth")
    viewport = driver.execute_script("return document.documentElement.clientWidth")
    assert page_width <= viewport, f"{step} at {width}px scrolls sideways ({page_width}px)"
    for table in driver.find_elements(By.CSS_SELECTOR, "#changelist .results"):
        hidden = driver.execute_script(
            "return arguments[0].scrollWidth - arguments[0].clientWidth", table
        )
        boxes = driver.execute_script(
            "return ['#content', '#content-main', '#changelist', '.changelist-form-container',"
            " '#changelist-form', '.results'].map(s => { const e = document.querySelector(s);"
            " if (!e) return s; const r = e.getBoundingClientRect();"
            " return s + ' ' + Math.round(r.left) + '-' + Math.round(r.right); })"
        )
        assert hidden <= 1, f"{step} at {width}px: {hidden}px of the list behind a scroll {boxes}"


def column_width(driver, css: str) -> float:
    cell = driver.find_element(By.CSS_SELECTOR, css)
    return driver.execute_script("return arguments[0].getBoundingClientRect().width", cell)


@pytest.fixture
def issue(erp, crm):
    """ERP sends 滨海 with a malformed e-mail (flagged, kept); the quality report opens an issue."""
    response = erp.put(
        "customers",
        "SD01-000300",
        {"name": "天津滨海重型机械有限公司", "customer_type": "org", "email": "sales@binhai"},
    )
    assert response.status_code in (200, 201), response.json()
    take_quality_snapshot()  # the nightly report opens the issues
    return QualityIssue.objects.get(source_record__local_code="SD01-000300", element="email")


def test_a_stewards_day_from_the_landing_page_to_a_fixed_issue(
    restore_after_flush, live_server, chromium, steward_with_password, huaxin_pair, issue
):
    driver = chromium
    driver.set_window_size(WIDTHS[0], HEIGHT)

    # given: the steward logs in and lands on the admin's first page
    driver.get(f"{live_server.url}/admin/login/?next=/admin/")
    shoot(driver, "00-login")
    driver.find_element(By.NAME, "username").send_keys(steward_with_password.username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(driver, "#user-tools")
    assert driver.find_element(By.ID, "language-switcher").is_displayed()
    shoot(driver, "01-landing")

    # when: the review queue, then the comparison of the 华信 pair
    driver.get(f"{live_server.url}/admin/matching/matchcandidate/")
    wait_for(driver, "#result_list")
    shoot(driver, "02-queue")
    driver.find_element(
        By.XPATH, "//tr[.//code[text()='SD01-000123']]//a[contains(@class, 'compare-link')]"
    ).click()
    wait_for(driver, "#decision-form")
    shoot(driver, "03-compare")

    # the decision: accept with a reason, then open the merged golden record
    driver.find_element(By.ID, "id_reason").send_keys("同一家公司，电话一致")
    driver.find_element(By.ID, "decide-accept").click()
    wait_for(driver, "#merged-golden-link")
    shoot(driver, "04-decided")
    driver.find_element(By.ID, "merged-golden-link").click()
    members = wait_for(driver, "#members").text
    assert "SD01-000123" in members and "BJ-B-00042" in members
    shoot(driver, "05-golden")
    golden_url = driver.current_url

    # its history says who merged it and why
    driver.find_element(By.CSS_SELECTOR, "a.historylink").click()
    wait_for(driver, "#readable-history")
    shoot(driver, "06-history")

    # the golden list: the name column is wide enough to read a company name on one line
    driver.get(f"{live_server.url}/admin/mdm/customer/")
    wait_for(driver, "#result_list")
    shoot(driver, "07-golden-list")
    for width in WIDTHS:
        driver.set_window_size(width, HEIGHT)
        assert column_width(driver, "#result_list td.field-display_name") >= 160

    # the quality issue: the malformed e-mail, masked (personal data) but whole
    driver.get(f"{live_server.url}/admin/mdm/qualityissue/")
    wait_for(driver, "#result_list")
    assert "s***@binhai" in driver.find_element(By.ID, "result_list").text  # masked
    shoot(driver, "08-issues")
    driver.get(f"{live_server.url}/admin/mdm/qualityissue/{issue.pk}/change/")
    wait_for(driver, "#content-main")
    shoot(driver, "09-issue")

    # the fix: lock the right e-mail on the golden record, then close the issue with a reason
    golden = Customer.objects.get(
        code=SourceRecord.objects.get(local_code="SD01-000300").golden_code
    )
    driver.get(f"{live_server.url}/admin/mdm/customer/{golden.pk}/change/")
    wait_for(driver, "#action-lock").click()
    wait_for(driver, "#golden-action-form")
    Select(driver.find_element(By.ID, "id_attribute")).select_by_value("email")
    driver.find_element(By.ID, "id_value").send_keys("sales@binhai.com.cn")
    driver.find_element(By.ID, "id_reason").send_keys("客户来电确认邮箱")
    shoot(driver, "10-fix-lock")
    driver.find_element(By.ID, "action-submit").click()
    wait_for(driver, "#locks")
    shoot(driver, "11-fixed-golden")

    driver.get(f"{live_server.url}/admin/mdm/qualityissue/")
    wait_for(driver, "#result_list")
    driver.find_element(
        By.CSS_SELECTOR, f"input[name=_selected_action][value='{issue.pk}']"
    ).click()
    Select(driver.find_element(By.NAME, "action")).select_by_value("close_with_reason")
    driver.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    wait_for(driver, "#id_reason").send_keys("已锁定正确邮箱")
    shoot(driver, "12-close-issue")
    driver.find_element(By.CSS_SELECTOR, "input[type=submit].default").click()
    wait_for(driver, ".messagelist")
    shoot(driver, "13-closed")

    # the same golden record in English, switched from the header
    driver.get(f"{live_server.url}/admin/mdm/customer/{golden.pk}/change/")
    wait_for(driver, "#language-switcher button[value=en]").click()
    wait_for(driver, "html[lang=en] #members")
    assert "Attributes and lineage" in driver.find_element(By.ID, "content").text
    shoot(driver, "14-golden-english")

    # then: the value is locked, the issue is closed, and every screen was saved
    golden.refresh_from_db()
    issue.refresh_from_db()
    assert golden.email == "sales@binhai.com.cn"
    assert issue.status == "closed" and issue.close_reason == "已锁定正确邮箱"
    assert "/admin/mdm/customer/" in golden_url
    assert (
        len(list(ARTIFACTS.glob("day-*-1280.png")))
        == len(list(ARTIFACTS.glob("day-*-1440.png")))
        >= 15
    )


def test_an_auditor_reads_the_audit_log_and_history_without_anything_cut_off(
    restore_after_flush, live_server, chromium, steward_user, huaxin_pair
):
    driver = chromium
    auditor = make_user("audit.sun", "auditor", password=PASSWORD)
    # a steward's decision with a long reason: one audit row, one history row to read
    decide_candidate(
        candidate_id=huaxin_pair.pk,
        accept=False,
        actor=steward_user,
        reason="不同公司：注册地址、法定代表人与开户行均不一致，" * 3,
    )

    driver.set_window_size(WIDTHS[0], HEIGHT)
    driver.get(f"{live_server.url}/admin/login/?next=/admin/")
    driver.find_element(By.NAME, "username").send_keys(auditor.username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(driver, "#user-tools")
    shoot(driver, "20-auditor-landing")

    for step, url in (
        ("21-audit-log", "/admin/mdm/auditlog/"),
        ("22-customer-history", "/admin/mdm/historicalcustomer/"),
    ):
        driver.get(f"{live_server.url}{url}")
        wait_for(driver, "#content-main")
        shoot(driver, step)

    assert len(list(ARTIFACTS.glob("day-2*-1280.png"))) == 3
