"""The merge form: find the other golden record by name, code or local code, preview both
records side by side (personal values masked), merge with a reason; errors are sentences."""

from __future__ import annotations

import re

import pytest

from mdm.models import Customer, SourceRecord

pytestmark = pytest.mark.django_db

PERSON_ERP = {"name": "冯亭颖", "customer_type": "person", "phone": "13712340001"}
PERSON_CRM = {"name": "冯亭颖", "customer_type": "person", "phone": "13600001111"}


def golden_of(local_code: str) -> Customer:
    return Customer.objects.get(code=SourceRecord.objects.get(local_code=local_code).golden_code)


def merge_url(golden: Customer) -> str:
    return f"/admin/mdm/customer/{golden.pk}/merge/"


@pytest.fixture
def english(steward_browser):
    steward_browser.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return steward_browser


@pytest.fixture
def two_companies(huaxin_pair):
    return golden_of("SD01-000123"), golden_of("BJ-B-00042")


@pytest.mark.parametrize("term", ["华信科技", "BJ-B-00042", "code"])
def test_the_search_finds_the_other_record_by_name_local_code_or_golden_code(
    english, two_companies, term
):
    huaxin, other = two_companies
    term = other.code if term == "code" else term

    page = english.get(merge_url(huaxin), {"q": term}).content.decode()

    results = page[page.index('id="merge-results"') :]
    assert re.findall(r'<tr data-code="([^"]+)">', results) == [other.code]
    assert f'href="?other={other.code}"' in results
    assert 'name="reason"' not in page  # no merge before a preview


def test_the_preview_shows_both_records_side_by_side_before_the_merge(english, two_companies):
    huaxin, other = two_companies

    page = english.get(merge_url(huaxin), {"other": other.code}).content.decode()

    preview = page[page.index('id="merge-preview"') :]
    row = re.search(
        r'<tr data-attribute="name" class="mdm-diff-different">(.*?)</tr>', preview, re.S
    )
    assert "北京华信科技有限公司" in row.group(1) and "华信科技" in row.group(1)
    members = re.search(r'id="merge-members">(.*?)</tr>', preview, re.S).group(1)
    assert "ERP:SD01-000123" in members and "CRM:BJ-B-00042" in members
    assert f'name="other" value="{other.code}"' in page
    assert Customer.objects.get(pk=other.pk).status == "active"


def test_merging_after_the_preview_merges_and_says_so(english, two_companies):
    huaxin, other = two_companies

    response = english.post(
        merge_url(huaxin), {"other": other.code, "reason": "same company"}, follow=True
    )

    assert Customer.objects.get(pk=other.pk).status == "merged"
    assert f"{other.code} was merged into {huaxin.code}." in response.content.decode()


def test_a_person_is_previewed_masked(english, erp, crm):
    erp.put("customers", "P-1", PERSON_ERP)
    crm.put("customers", "P-2", PERSON_CRM)
    one, two = golden_of("P-1"), golden_of("P-2")
    assert one.code != two.code

    page = english.get(merge_url(one), {"other": two.code}).content.decode()

    assert "冯亭颖" not in page
    assert "13712340001" not in page and "13600001111" not in page
    assert "137****0001" in page


@pytest.mark.parametrize(
    ("other", "sentence"),
    [
        ("CU0000099999X", "Golden code CU0000099999X does not exist."),
        ("self", "A record cannot be merged with itself; choose another golden record."),
    ],
)
def test_a_wrong_choice_is_answered_with_a_sentence_and_nothing_merges(
    english, two_companies, other, sentence
):
    huaxin, _ = two_companies
    other = huaxin.code if other == "self" else other

    response = english.post(merge_url(huaxin), {"other": other, "reason": "r"})

    content = response.content.decode()
    assert response.status_code == 200
    assert sentence in content
    assert "['" not in content and "[&#x27;" not in content
    assert Customer.objects.filter(status="merged").count() == 0
