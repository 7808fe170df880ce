"""The admin speaks Simplified Chinese by default and English when the steward switches."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.utils import formats, timezone, translation
from rest_framework.test import APIClient

from mdm.models import SourceRecord
from mdm.stewardship.actions import lock_attribute
from tests.mdm.stewardship.test_review_queue import compare_url

CATALOGUE = Path(__file__).resolve().parents[3] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def switch_to(browser: Client, language: str, next_url: str = "/admin/"):
    return browser.post("/i18n/setlang/", {"language": language, "next": next_url})


def test_the_admin_is_in_chinese_by_default_with_a_language_switcher(steward_browser):
    page = steward_browser.get("/admin/").content.decode()

    assert '<html lang="zh-hans"' in page
    assert "数据管理" in page and "Data stewardship" not in page
    assert 'id="language-switcher"' in page and 'action="/i18n/setlang/"' in page
    assert 'value="en" lang="en"' in page and ">English</button>" in page


def test_a_steward_who_picks_english_sees_the_comparison_in_english_only(
    steward_browser, huaxin_pair
):
    response = switch_to(steward_browser, "en", compare_url(huaxin_pair))
    page = steward_browser.get(compare_url(huaxin_pair)).content.decode()

    assert response.status_code == 302 and response["Location"] == compare_url(huaxin_pair)
    assert '<html lang="en"' in page
    assert "Why the engine proposed this pair" in page and "Your decision" in page
    assert "评分说明" not in page and "您的决定" not in page


def test_switching_back_to_chinese_translates_the_same_page(steward_browser, huaxin_pair):
    switch_to(steward_browser, "en")
    switch_to(steward_browser, "zh-hans")

    page = steward_browser.get(compare_url(huaxin_pair)).content.decode()

    assert "评分说明" in page and "您的决定" in page
    assert "Why the engine proposed this pair" not in page


def test_the_login_page_offers_the_switch_before_anyone_logs_in(db):
    page = Client().get("/admin/login/").content.decode()

    assert 'id="language-switcher"' in page
    assert "主数据管理中心" in page


def test_drf_messages_carry_both_languages_whatever_the_request_language(db):
    chinese = APIClient().get("/api/v1/golden/customers/")
    english = APIClient().get("/api/v1/golden/customers/", HTTP_ACCEPT_LANGUAGE="en")

    assert chinese.status_code == english.status_code == 401
    for reply in (chinese, english):
        (item,) = reply.json()["errors"]["non_field_errors"]
        assert item["message_zh"] == "身份认证信息未提供。"
        assert item["message_en"] == "Authentication credentials were not provided."
        assert (
            item["message"]
            == "身份认证信息未提供。 / Authentication credentials were not provided."
        )


def test_validation_errors_keep_both_languages_whatever_the_request_language(erp):
    response = erp.put("customers", "BAD-1", {"customer_type": "org"}, HTTP_ACCEPT_LANGUAGE="en")

    problem = response.json()["errors"]["name"][0]
    assert response.status_code == 400
    assert problem["message_zh"] and problem["message_en"]
    assert problem["message"] == f"{problem['message_zh']} / {problem['message_en']}"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_one_date_time_format_in_the_local_zone(language, settings):
    moment = dt.datetime(2026, 12, 7, 6, 5, tzinfo=dt.UTC)

    with translation.override(language), timezone.override(settings.TIME_ZONE):
        shown = formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")

    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert shown == "2026-12-07 14:05"


def test_every_msgid_of_the_catalogue_has_its_chinese_translation():
    text = CATALOGUE.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]

    empty = [e for e in entries if e.rstrip().endswith('msgstr ""')]
    assert len(entries) > 400
    assert empty == []
    with translation.override("zh-hans"):
        assert translation.gettext("Data stewardship") == "数据管理"
        assert translation.gettext("golden code") == "全局编码"


def test_a_lock_time_is_shown_in_the_local_zone_like_every_other_time(
    steward_browser, steward_user, huaxin_pair
):
    code = SourceRecord.objects.get(local_code="SD01-000123").golden_code
    golden = lock_attribute(
        entity="customers",
        code=code,
        attribute="name",
        value="北京华信科技股份有限公司",
        actor=steward_user,
        reason="营业执照",
    )
    stored = golden.locked["name"]["at"]
    local = timezone.localtime(dt.datetime.fromisoformat(stored)).strftime("%Y-%m-%d %H:%M")

    page = steward_browser.get(f"/admin/mdm/customer/{golden.pk}/change/").content.decode()

    assert "T" in stored
    assert f"<td>{local}</td>" in page
    assert stored[:16] not in page
