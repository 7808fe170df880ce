"""Dictionary forms a steward can use: lists typed as text, the validator as a choice, errors as
sentences, and an element in use deprecated, never deleted."""

from __future__ import annotations

import re
from html import unescape

import pytest

from dictionary.models import CodeValue, DataElement, ElementBinding
from tests.mdm.privacy.conftest import browser_for, make_user
from tests.mdm.stewardship.forms import form_data

pytestmark = pytest.mark.django_db


def english(role: str, name: str):
    browser = browser_for(make_user(name, role))
    browser.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


@pytest.fixture
def steward():
    return english("data_steward", "dict.steward")


@pytest.fixture
def admin_browser():
    return english("mdm_admin", "dict.admin")


def change_url(model: str, pk: int) -> str:
    return f"/admin/dictionary/{model}/{pk}/change/"


def submit(browser, url: str, form_id: str, **changes):
    data = form_data(browser.get(url).content.decode(), form_id)
    data.update(changes)
    data["_continue"] = "1"
    return browser.post(url, data)


def errors(response) -> list[str]:
    page = response.content.decode()
    return [
        unescape(e) for e in re.findall(r'<ul class="errorlist[^"]*"[^>]*><li>(.*?)</li>', page)
    ]


def test_standardizers_are_typed_as_a_list_and_the_validator_is_a_choice(steward):
    element = DataElement.objects.get(code="email")
    url = change_url("dataelement", element.pk)

    page = steward.get(url).content.decode()
    response = submit(steward, url, "dataelement_form", standardizers="nfkc\nlower")

    assert re.search(r'<select name="validator"[^>]*>.*?<option value="uscc"', page, re.S)
    assert '<option value="email" selected>' in page
    assert response.status_code == 302, errors(response)
    element.refresh_from_db()
    assert element.standardizers == ["nfkc", "lower"]
    assert element.version == 2


def test_an_unknown_standardizer_is_refused_with_a_sentence(steward):
    element = DataElement.objects.get(code="email")
    before = element.standardizers

    response = submit(
        steward,
        change_url("dataelement", element.pk),
        "dataelement_form",
        standardizers="trim, lower",
    )

    assert response.status_code == 200
    found = errors(response)
    assert any(e.startswith("trim is not one of the allowed entries: nfkc, ") for e in found), found
    assert "JSON" not in " ".join(found) and "['" not in " ".join(found)
    element.refresh_from_db()
    assert element.standardizers == before


def test_validator_parameters_that_do_not_fit_are_explained(steward):
    element = DataElement.objects.get(code="email")

    response = submit(
        steward,
        change_url("dataelement", element.pk),
        "dataelement_form",
        validator="regex",
        validator_params="{}",
    )

    assert response.status_code == 200
    assert (
        "The validator's parameters are not valid: 'pattern' is required and must be a string."
        in errors(response)
    )
    element.refresh_from_db()
    assert element.validator == "email"


def test_synonyms_are_typed_with_commas(steward):
    value = CodeValue.objects.filter(domain__code="unit_of_measure").first()
    url = change_url("codevalue", value.pk)

    response = submit(steward, url, "codevalue_form", synonyms="包, 提，pack\n包")

    assert response.status_code == 302, errors(response)
    value.refresh_from_db()
    assert value.synonyms == ["包", "提", "pack"]
    assert "包\n提\npack" in steward.get(url).content.decode()


def test_tie_breakers_are_a_list_of_survivorship_rules(steward):
    binding = ElementBinding.objects.filter(entity="customers").first()
    url = change_url("elementbinding", binding.pk)

    refused = submit(steward, url, "elementbinding_form", tie_breakers="newest")
    accepted = submit(
        steward, url, "elementbinding_form", tie_breakers="source_priority, most_recent"
    )

    assert any(e.startswith("newest is not one of the allowed entries:") for e in errors(refused))
    assert accepted.status_code == 302, errors(accepted)
    binding.refresh_from_db()
    assert binding.tie_breakers == ["source_priority", "most_recent"]


def test_an_element_in_use_cannot_be_deleted_only_deprecated(admin_browser):
    element = DataElement.objects.get(code="email")
    delete = f"/admin/dictionary/dataelement/{element.pk}/delete/"

    page = admin_browser.get(change_url("dataelement", element.pk)).content.decode()
    response = admin_browser.post(delete, {"post": "yes"}, follow=True)

    assert delete not in page  # no delete button
    content = unescape(response.content.decode())
    assert (
        "A data element in use cannot be deleted: email (customers). Deprecate it instead: set "
        "its status to Deprecated, or use the action “Deprecate selected elements”."
    ) in content
    assert DataElement.objects.filter(code="email").exists()


def test_the_bulk_delete_refuses_elements_in_use_and_deprecate_works(admin_browser):
    element = DataElement.objects.get(code="email")
    unused = DataElement.objects.create(
        code="spare",
        name_zh="备用",
        name_en="spare",
        definition_zh="-",
        definition_en="-",
        data_type="string",
        status="draft",
    )

    refused = admin_browser.post(
        "/admin/dictionary/dataelement/",
        {"action": "delete_selected", "_selected_action": [element.pk, unused.pk]},
        follow=True,
    )
    deprecated = admin_browser.post(
        "/admin/dictionary/dataelement/",
        {"action": "deprecate", "_selected_action": [element.pk]},
        follow=True,
    )
    deleted = admin_browser.post(
        "/admin/dictionary/dataelement/",
        {"action": "delete_selected", "_selected_action": [unused.pk], "post": "yes"},
        follow=True,
    )

    assert "A data element in use cannot be deleted: email (customers)." in unescape(
        refused.content.decode()
    )
    assert "1 element deprecated." in deprecated.content.decode()
    element.refresh_from_db()
    assert element.status == "deprecated" and element.version == 2
    assert deleted.status_code == 200
    assert not DataElement.objects.filter(code="spare").exists()
    assert DataElement.objects.filter(code="email").exists()


def test_a_steward_without_delete_right_sees_no_delete_and_gets_a_403(steward):
    element = DataElement.objects.get(code="email")

    response = steward.post(f"/admin/dictionary/dataelement/{element.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert DataElement.objects.filter(code="email").exists()
