"""The golden record page: one screen for members, lineage, candidates, locks and history,
and the object actions (lock, unlock, merge, unmerge, retire) that always ask why."""

from __future__ import annotations

import pytest

from mdm.models import Customer, Event, SourceRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def huaxin(huaxin_pair) -> Customer:
    """The ERP's golden record, with one open candidate towards the CRM's record."""
    return Customer.objects.get(code=SourceRecord.objects.get(local_code="SD01-000123").golden_code)


@pytest.fixture
def merged(huaxin, steward_browser) -> Customer:
    """ERP and CRM records merged into the ERP's golden record by a steward."""
    crm_code = SourceRecord.objects.get(local_code="BJ-B-00042").golden_code
    steward_browser.post(
        act(huaxin, "merge/"), {"other": crm_code, "reason": "同一家公司 same company"}
    )
    return huaxin


def page(golden) -> str:
    return f"/admin/mdm/customer/{golden.pk}/change/"


def act(golden, action: str) -> str:
    return f"/admin/mdm/customer/{golden.pk}/{action}"


def test_one_screen_shows_members_lineage_candidates_locks_and_history(steward_browser, huaxin):
    content = steward_browser.get(page(huaxin)).content.decode()

    assert 'id="members"' in content and "SD01-000123" in content
    assert 'id="lineage"' in content and "source_priority" in content
    # The phone is personal data: masked for a steward without view_personal_data.
    assert "北京华信科技有限公司" in content and "106****5678" in content
    assert "+861062345678" not in content
    assert 'id="open-candidates"' in content and "BJ-B-00042" in content
    assert "/admin/matching/matchcandidate/" in content and "/compare/" in content
    assert 'id="locks"' in content and 'id="recent-history"' in content
    assert "system-erp" in content  # the history row of the ERP's write
    lineage = content[content.index('id="lineage"') : content.index('id="locks"')]
    assert lineage.count('data-attribute="customer_type"') == 1


def test_steward_sees_the_object_actions_viewer_does_not(steward_browser, viewer_browser, huaxin):
    steward_page = steward_browser.get(page(huaxin)).content.decode()
    viewer_page = viewer_browser.get(page(huaxin))

    assert 'id="action-lock"' in steward_page and 'id="action-retire"' in steward_page
    assert 'id="action-merge"' in steward_page
    assert viewer_page.status_code == 200
    assert "SD01-000123" in viewer_page.content.decode()
    assert 'id="action-lock"' not in viewer_page.content.decode()
    assert 'name="_save"' not in steward_page


@pytest.mark.parametrize("action", ["lock", "unlock", "merge", "retire"])
def test_viewer_cannot_open_or_post_an_action(viewer_browser, huaxin, action):
    assert viewer_browser.get(act(huaxin, f"{action}/")).status_code == 403
    assert viewer_browser.post(act(huaxin, f"{action}/"), {"reason": "x"}).status_code == 403
    assert Customer.objects.get(pk=huaxin.pk).status == "active"


def test_locking_a_value_wins_and_is_shown_with_the_steward_and_reason(steward_browser, huaxin):
    response = steward_browser.post(
        act(huaxin, "lock/"),
        {
            "attribute": "phone",
            "value": "010-88886666",
            "reason": "客户来电确认 confirmed by phone",
        },
    )

    huaxin.refresh_from_db()
    content = steward_browser.get(page(huaxin)).content.decode()
    assert response.status_code == 302
    assert huaxin.phone == "+861088886666"
    assert huaxin.locked["phone"]["by"] == "wang.fang"
    assert huaxin.lineage["phone"]["rule"] == "steward_locked"
    assert "客户来电确认 confirmed by phone" in content
    assert "steward_locked" in content


def test_an_invalid_locked_value_shows_the_dictionary_error_and_changes_nothing(
    steward_browser, huaxin
):
    response = steward_browser.post(
        act(huaxin, "lock/"),
        {"attribute": "customer_type", "value": "alien", "reason": "test"},
    )

    huaxin.refresh_from_db()
    assert response.status_code == 200
    assert "customer_type:" in response.content.decode()
    assert "not_in_domain" in response.content.decode()
    assert 'class="errorlist' in response.content.decode()
    assert huaxin.locked == {}


def test_a_value_that_fails_a_flag_validator_cannot_be_locked(steward_browser, huaxin):
    response = steward_browser.post(
        act(huaxin, "lock/"),
        {"attribute": "email", "value": "not an email", "reason": "客户坚持 customer insists"},
        follow=True,
    )

    huaxin.refresh_from_db()
    assert huaxin.locked == {}
    assert 'class="errorlist' in response.content.decode()
    assert "不是有效的电子邮箱地址" in response.content.decode()


def test_an_action_without_a_reason_is_refused(steward_browser, huaxin):
    response = steward_browser.post(act(huaxin, "retire/"), {"reason": ""})

    huaxin.refresh_from_db()
    assert response.status_code == 200
    assert "请填写理由" in response.content.decode()
    assert huaxin.status == "active"


def test_unlocking_gives_the_attribute_back_to_survivorship(steward_browser, huaxin):
    steward_browser.post(
        act(huaxin, "lock/"), {"attribute": "phone", "value": "010-88886666", "reason": "a"}
    )

    form = steward_browser.get(act(huaxin, "unlock/?attribute=phone"))
    response = steward_browser.post(act(huaxin, "unlock/"), {"attribute": "phone", "reason": "b"})

    huaxin.refresh_from_db()
    # The locked phone is personal data: the form names it masked.
    assert form.status_code == 200 and "108****6666" in form.content.decode()
    assert "88886666" not in form.content.decode()
    assert response.status_code == 302
    assert huaxin.locked == {}
    assert huaxin.phone == "+861062345678"


def test_merging_another_golden_code_moves_its_members_here(steward_browser, merged):
    content = steward_browser.get(page(merged)).content.decode()

    members = SourceRecord.objects.filter(golden_code=merged.code)
    assert sorted(members.values_list("local_code", flat=True)) == ["BJ-B-00042", "SD01-000123"]
    assert "BJ-B-00042" in content[content.index('id="members"') : content.index('id="lineage"')]
    assert "同一家公司 same company" in content  # in the recent history
    # the pending candidate between the two was accepted by the merge
    assert 'id="open-candidates"' in content and "没有待审核的候选" in content


def test_merging_an_unknown_code_shows_the_error_on_the_form(steward_browser, huaxin):
    response = steward_browser.post(
        act(huaxin, "merge/"), {"other": "CU0000099999X", "reason": "r"}
    )

    assert response.status_code == 200
    assert "CU0000099999X" in response.content.decode()
    assert 'class="errorlist' in response.content.decode()


def test_unmerging_a_member_from_its_row_restores_its_golden_record(steward_browser, merged):
    crm = SourceRecord.objects.get(local_code="BJ-B-00042")
    content = steward_browser.get(page(merged)).content.decode()
    unmerge = act(merged, f"unmerge/{crm.pk}/")

    response = steward_browser.post(unmerge, {"reason": "不是同一家 not the same"})

    crm.refresh_from_db()
    assert unmerge in content
    assert response.status_code == 302
    assert crm.golden_code != merged.code
    assert Customer.objects.get(code=crm.golden_code).status == "active"


def test_the_only_member_has_no_unmerge_button(steward_browser, huaxin):
    content = steward_browser.get(page(huaxin)).content.decode()

    assert "unmerge-link" not in content


def test_retiring_retires_every_member_and_sends_events(steward_browser, merged):
    response = steward_browser.post(act(merged, "retire/"), {"reason": "公司注销 dissolved"})

    merged.refresh_from_db()
    content = steward_browser.get(page(merged)).content.decode()
    assert response.status_code == 302
    assert merged.status == "retired"
    assert not SourceRecord.objects.filter(golden_code=merged.code, is_active=True).exists()
    assert Event.objects.filter(golden_code=merged.code).exists()
    assert 'id="action-retire"' not in content


def test_golden_record_page_in_english(steward_browser, huaxin):
    content = steward_browser.get(page(huaxin), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'lang="en"' in content
    assert "Member source records" in content and "Open match candidates" in content
