"""Match explanations in the steward's language: the engine's notes are stored in English (a
source system reads them so through the API) and shown translated in the admin."""

from __future__ import annotations

import pytest
from django.utils import translation

from matching.engine import frequency
from matching.models import MatchCandidate
from matching.rules import default_rule
from mdm.linking.notes import LEVEL_LABELS, note_label
from mdm.models import SourceRecord
from tests.mdm.linking.test_common_values import MAILBOX, NAMESAKES, person, write_namesakes

QUEUE = "/admin/matching/matchcandidate/"
RECORDS = "/admin/mdm/sourcerecord/"


def test_every_level_of_the_shipped_rules_reads_in_chinese():
    labels = {
        level.label
        for entity in ("customers", "products", "materials")
        for field in default_rule(entity).fields
        for level in field.levels
    }

    with translation.override("zh-hans"):
        untranslated = sorted(
            label for label in labels if label not in LEVEL_LABELS or note_label(label) == label
        )

    assert untranslated == []


@pytest.mark.parametrize(
    ("note", "chinese", "english"),
    [
        ("same name", "名称相同", "same name"),
        ("one typo; a value 24 records share", "一处笔误；该值由 24 条记录共用", ...),
        (
            frequency.common_value_note("same name", frequency.CAP),
            "名称相同；该值由超过 50 条记录共用",
            "same name; a value more than 50 records share",
        ),
        (
            "veto: different_credit_code",
            "否决：统一社会信用代码不同",
            "veto: different credit code",
        ),
        (
            "veto: person_vs_organization",
            "否决：一方为个人，一方为组织",
            "veto: a person and an organization",
        ),
        (
            "veto: conflicting_volume (golden records)",
            "否决：容量冲突（黄金记录）",
            "veto: conflicting volume (golden records)",
        ),
        (
            "hard rule: same valid credit_code",
            "硬性规则：统一社会信用代码相同且有效",
            "hard rule: same valid credit code",
        ),
        ("missing on one side", "一方缺失", "missing on one side"),
        ("merged by the batch match", "批量匹配合并", "merged by the batch match"),
        ("moved with its golden record: CRM/X ~ ERP/S", "随黄金记录合并：CRM/X ~ ERP/S", ...),
        # A level a steward named in an edited rule, and the goods notes in both languages.
        ("Kundennummer gleich", "Kundennummer gleich", "Kundennummer gleich"),
        ("规格冲突 conflicting attribute: 容量 volume 5L ≠ 6L",) * 3,
    ],
)
def test_a_stored_note_is_shown_in_the_admins_language(note, chinese, english):
    labels = {"credit_code": "统一社会信用代码"}

    with translation.override("zh-hans"):
        shown_zh = note_label(note, labels)
    with translation.override("en"):
        shown_en = note_label(note, {"credit_code": "credit code"})

    assert shown_zh == chinese
    assert shown_en == (note if english is ... else english)


def test_the_comparison_page_states_a_common_value_in_chinese(steward_browser, erp, crm):
    write_namesakes(erp)
    crm.put("customers", "C-1", person("王伟", email=MAILBOX[1]))
    candidate = MatchCandidate.objects.get(status="pending")

    page = steward_browser.get(f"{QUEUE}{candidate.pk}/compare/").content.decode()

    assert f"名称相同；该值由 {NAMESAKES + 1} 条记录共用" in page
    assert "records share" not in page
    steward_browser.post("/i18n/setlang/", {"language": "en", "next": QUEUE})
    english = steward_browser.get(f"{QUEUE}{candidate.pk}/compare/").content.decode()
    assert f"same name; a value {NAMESAKES + 1} records share" in english
    assert "名称相同" not in english


def test_a_linked_records_page_explains_the_link_in_chinese(steward_browser, erp, crm):
    erp.put("customers", "P-1", person("欧阳修远", "1980-02-03", MAILBOX[0]))
    crm.put("customers", "C-1", person("欧阳修远", "1980-02-03", MAILBOX[0]))
    record = SourceRecord.objects.get(local_code="C-1")
    assert record.link_kind == "auto"

    page = steward_browser.get(f"{RECORDS}{record.pk}/change/").content.decode()

    assert "名称相同" in page
    assert "日期相同" in page
    assert ">same name<" not in page


def test_an_identifier_a_steward_adds_to_the_hard_rules_is_named_by_its_label(db):
    from matching.models import MatchRuleConfig
    from matching.rules import DEFAULT_RULES, rule_to_dict
    from mdm.linking.notes import hard_rule_fields
    from mdm.linking.review import element_labels

    config = rule_to_dict(DEFAULT_RULES["customers"])
    config["hard"]["veto_on_different"].append("website")
    MatchRuleConfig.objects.update_or_create(
        entity="customers",
        defaults={"config": config, "auto_threshold": 0.99, "review_threshold": 0.5},
    )

    fields = hard_rule_fields("customers")
    with translation.override("zh-hans"):
        shown = note_label("veto: different_website", element_labels("customers", fields))

    assert "website" in fields and "credit_code" in fields
    assert shown == "否决：网站不同"
