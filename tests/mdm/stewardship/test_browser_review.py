"""A steward works the review queue in a real browser (Debian's Chromium, headless).

Installed by ``make test`` (target ``browser``) when missing; without it this test fails, it does
not skip. The screenshot is left in ``artifacts/review-queue.png``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from mdm.models import SourceRecord

PASSWORD = "correct horse battery"  # the password of ``steward_with_password``

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

# Selenium Manager must never go to the network (the machines have none).
os.environ["SE_OFFLINE"] = "true"
os.environ["SE_AVOID_STATS"] = "true"


@pytest.fixture
def chromium():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"Chromium is not installed ({', '.join(missing)}): run `make browser`")
    profile = tempfile.mkdtemp(prefix="mdm-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--lang=zh-CN",
        "--window-size=1400,1100",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, css: str):
    return WebDriverWait(driver, 15).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_steward_accepts_a_candidate_in_the_browser_and_finds_the_merged_record(
    restore_after_flush, live_server, chromium, steward_with_password, huaxin_pair, erp, crm
):
    erp.put("customers", "SD01-000200", {"name": "上海浦江物流有限公司", "customer_type": "org"})
    crm.put("customers", "SH-00077", {"name": "浦江物流", "customer_type": "org"})

    # given: the steward logs in through the login form
    chromium.get(f"{live_server.url}/admin/login/?next=/admin/")
    chromium.find_element(By.NAME, "username").send_keys(steward_with_password.username)
    chromium.find_element(By.NAME, "password").send_keys(PASSWORD)
    chromium.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(chromium, "#user-tools")

    # when: the queue, the comparison page, accept with a reason
    chromium.get(f"{live_server.url}/admin/matching/matchcandidate/")
    wait_for(chromium, "#result_list")
    assert "华信科技" in chromium.find_element(By.ID, "result_list").text
    ARTIFACTS.mkdir(exist_ok=True)
    chromium.save_screenshot(str(ARTIFACTS / "review-queue.png"))
    chromium.find_element(
        By.XPATH, "//tr[.//code[text()='SD01-000123']]//a[contains(@class, 'compare-link')]"
    ).click()
    wait_for(chromium, "#decision-form")
    different = chromium.find_elements(By.CSS_SELECTOR, "tr.mdm-diff-different")
    assert [row.get_attribute("data-attribute") for row in different] == ["name"]
    chromium.save_screenshot(str(ARTIFACTS / "review-compare.png"))
    chromium.find_element(By.ID, "id_reason").send_keys("同一家公司，电话一致 same company")
    chromium.find_element(By.ID, "decide-accept").click()
    wait_for(chromium, "#merged-golden-link").click()

    # then: the merged golden record lists both members
    members = wait_for(chromium, "#members").text
    chromium.save_screenshot(str(ARTIFACTS / "review-golden.png"))
    assert "SD01-000123" in members and "BJ-B-00042" in members
    code = SourceRecord.objects.get(local_code="SD01-000123").golden_code
    assert SourceRecord.objects.get(local_code="BJ-B-00042").golden_code == code
    assert code in chromium.find_element(By.CSS_SELECTOR, "#content h2").text
    assert (ARTIFACTS / "review-queue.png").stat().st_size > 10_000
