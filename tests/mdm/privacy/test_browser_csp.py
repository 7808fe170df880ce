"""The content security policy in a real browser: the Swagger UI and the admin still work.

Debian's Chromium, headless (``make browser`` installs it); without it this test fails.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
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
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def csp_violations(driver) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


def test_swagger_ui_renders_under_the_policy(live_server, chromium):
    chromium.get(f"{live_server.url}/api/docs/")

    title = WebDriverWait(chromium, 20).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title"))
    )
    WebDriverWait(chromium, 20).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, ".opblock-tag"))
    )

    assert "MDM hub API" in title.text
    assert csp_violations(chromium) == []


def test_admin_login_renders_under_the_policy(live_server, chromium):
    chromium.get(f"{live_server.url}/admin/login/")

    WebDriverWait(chromium, 20).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "input[name=username]"))
    )

    assert csp_violations(chromium) == []
