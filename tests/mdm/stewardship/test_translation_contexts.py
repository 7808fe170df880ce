"""One English word, several Chinese ones: each screen reads the word its place needs.

English msgids such as "Review" or "active" mean different things in different places (a link
kind waiting for review, a button that opens the review; a record still valid, a configuration
switched on). They carry a gettext context where the meaning differs, and the catalogue has a
Chinese word for every context the code uses.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from dictionary.models import DataElementStatusChoices
from matching.models import MatchRuleConfig
from mdm.feed.models.events import EventKindChoices
from mdm.models import Customer, GoldenStatusChoices, SourceRecord, SourceSystem

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
QUEUE = "/admin/matching/matchcandidate/"

PY_CONTEXT = re.compile(r'pgettext(?:_lazy)?\(\s*"([^"]+)",\s*"([^"]+)"')
TEMPLATE_CONTEXT = re.compile(r'\{% translate "([^"]+)" context "([^"]+)"')


def contexts_used_in_code() -> set[tuple[str, str]]:
    used: set[tuple[str, str]] = set()
    for folder in ("mdm", "matching", "dictionary"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            used |= set(PY_CONTEXT.findall(path.read_text(encoding="utf-8")))
        for path in (ROOT / folder).rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            used |= {(ctx, msgid) for msgid, ctx in TEMPLATE_CONTEXT.findall(text)}
    return used


def test_every_context_in_the_code_has_its_own_chinese_word():
    used = contexts_used_in_code()

    with translation.override("zh-hans"):
        missing = [
            (ctx, msgid)
            for ctx, msgid in sorted(used)
            if translation.pgettext(ctx, msgid) in (msgid, translation.gettext(msgid))
        ]
    assert ("link kind", "Review") in used
    assert missing == []


def test_the_catalogue_declares_each_context_once():
    text = CATALOGUE.read_text(encoding="utf-8")

    pairs = re.findall(r'^msgctxt "([^"]+)"\nmsgid "([^"]+)"', text, flags=re.M)

    assert len(pairs) == len(set(pairs))
    assert set(contexts_used_in_code()) <= set(pairs)


def test_words_that_differ_by_place_read_right_in_chinese():
    with translation.override("zh-hans"):
        assert str(dict(SourceRecord._meta.get_field("link_kind").choices)["review"]) == "待审核"
        assert str(SourceRecord._meta.get_field("is_active").verbose_name) == "有效"
        assert str(SourceSystem._meta.get_field("is_active").verbose_name) == "启用"
        assert str(MatchRuleConfig._meta.get_field("is_active").verbose_name) == "启用"
        assert str(GoldenStatusChoices.ACTIVE.label) == "有效"
        assert str(DataElementStatusChoices.ACTIVE.label) == "生效"
        assert str(EventKindChoices.CREATED.label) == "创建"
        assert str(EventKindChoices.UPDATED.label) == "更新"
        assert str(Customer._meta.get_field("created_at").verbose_name) == "创建时间"
        assert str(Customer._meta.get_field("updated_at").verbose_name) == "更新时间"


def test_english_keeps_the_one_word():
    with translation.override("en"):
        assert str(dict(SourceRecord._meta.get_field("link_kind").choices)["review"]) == "Review"
        assert str(SourceSystem._meta.get_field("is_active").verbose_name) == "active"
        assert str(EventKindChoices.CREATED.label) == "created"


def test_the_queue_button_says_review_and_the_record_says_waiting_for_review(
    steward_browser, huaxin_pair
):
    queue = steward_browser.get(QUEUE).content.decode()
    record = SourceRecord.objects.get(local_code="BJ-B-00042")
    records = steward_browser.get("/admin/mdm/sourcerecord/?link_kind__exact=review")

    assert re.search(r'class="button compare-link"[^>]*>审核</a>', queue)
    assert record.link_kind == "review"
    assert records.status_code == 200
    assert re.search(r"<td[^>]*>待审核</td>", records.content.decode())
