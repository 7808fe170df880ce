"""The steward's admin: search by any code, members and lineage on one page, history, languages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from dictionary.models import DataElement
from mdm.models import Customer, SourceRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def steward_browser() -> Client:
    user = get_user_model().objects.create_user(
        "wang.fang", password="correct horse battery", is_staff=True
    )
    user.groups.add(Group.objects.get(name="data_steward"))
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def admin_browser() -> Client:
    user = get_user_model().objects.create_superuser("root", password="correct horse battery")
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def huaxin(erp, crm):
    code = erp.put(
        "customers", "SD01-000123", {"name": "北京华信科技有限公司", "customer_type": "org"}
    ).json()["golden_code"]
    crm.put("customers", "BJ-B-00042", {"name": "上海浦江物流有限公司", "customer_type": "org"})
    return code


def test_admin_speaks_simplified_chinese_by_default(steward_browser):
    page = steward_browser.get("/admin/")

    assert page.status_code == 200
    assert "主数据管理中心" in page.content.decode()
    assert 'lang="zh-hans"' in page.content.decode()


def test_admin_is_available_in_english(steward_browser):
    page = steward_browser.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")

    assert 'lang="en"' in page.content.decode()


def test_steward_finds_a_golden_record_by_a_systems_local_code(steward_browser, huaxin):
    page = steward_browser.get("/admin/mdm/customer/", {"q": "SD01-000123"})

    content = page.content.decode()
    assert page.status_code == 200
    assert huaxin in content
    assert "上海浦江物流有限公司" not in content


def test_steward_finds_a_golden_record_by_its_code_and_name(steward_browser, huaxin):
    by_code = steward_browser.get("/admin/mdm/customer/", {"q": huaxin}).content.decode()
    by_name = steward_browser.get("/admin/mdm/customer/", {"q": "华信"}).content.decode()

    assert huaxin in by_code and huaxin in by_name


def test_golden_record_page_shows_members_and_lineage(steward_browser, huaxin):
    pk = Customer.objects.get(code=huaxin).pk

    content = steward_browser.get(f"/admin/mdm/customer/{pk}/change/").content.decode()

    assert "SD01-000123" in content
    assert "source_priority" in content


def test_history_page_shows_who_changed_a_source_record(steward_browser, erp, huaxin):
    erp.put(
        "customers", "SD01-000123", {"name": "北京华信科技股份有限公司", "customer_type": "org"}
    )
    pk = SourceRecord.objects.get(local_code="SD01-000123").pk

    content = steward_browser.get(f"/admin/mdm/sourcerecord/{pk}/history/").content.decode()

    assert "system-erp" in content


def test_steward_edits_a_source_record_through_the_write_path(admin_browser, huaxin):
    record = SourceRecord.objects.get(local_code="SD01-000123")

    response = admin_browser.post(
        f"/admin/mdm/sourcerecord/{record.pk}/change/",
        {
            "payload": '{"name": "北京華信科技有限公司", "customer_type": "org", "phone": "010-62345678"}'
        },
    )

    record.refresh_from_db()
    assert response.status_code == 302
    assert record.attributes["phone"] == "+861062345678"
    assert record.attributes["name"] == "北京华信科技有限公司"
    assert Customer.objects.get(code=huaxin).phone == "+861062345678"
    assert record.history.first().history_user.username == "root"


def test_admin_edit_with_invalid_data_shows_the_dictionary_errors_and_stores_nothing(
    admin_browser, huaxin
):
    record = SourceRecord.objects.get(local_code="SD01-000123")

    response = admin_browser.post(
        f"/admin/mdm/sourcerecord/{record.pk}/change/",
        {"payload": '{"name": "华信", "customer_type": "alien"}'},
    )

    record.refresh_from_db()
    assert response.status_code == 200
    assert "not_in_domain" in response.content.decode() or "不在值域" in response.content.decode()
    assert record.attributes["customer_type"] == "org"


def test_editing_an_element_makes_a_new_version_with_history(admin_browser):
    element = DataElement.objects.get(code="email")
    form = {
        f.name: getattr(element, f.attname)
        for f in DataElement._meta.fields
        if f.name
        not in ("id", "version", "updated_at", "value_domain", "validator_params", "standardizers")
    }
    form.update(
        {
            "value_domain": "",
            "validator_params": "{}",
            "standardizers": '["nfkc", "lower"]',
            "definition_en": element.definition_en + " Edited.",
            "bindings-TOTAL_FORMS": "0",
            "bindings-INITIAL_FORMS": "0",
        }
    )
    form = {k: ("" if v is None else v) for k, v in form.items()}

    response = admin_browser.post(f"/admin/dictionary/dataelement/{element.pk}/change/", form)

    element.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert element.version == 2
    assert element.definition_en.endswith(" Edited.")
    history = admin_browser.get(
        f"/admin/dictionary/dataelement/{element.pk}/history/"
    ).content.decode()
    assert "definition_en" in history or "英文定义" in history


def test_viewer_cannot_change_golden_records_in_admin(db):
    user = get_user_model().objects.create_user("viewer", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="data_viewer"))
    browser = Client()
    browser.force_login(user)

    assert browser.get("/admin/mdm/customer/").status_code == 200
    assert browser.get("/admin/dictionary/dataelement/add/").status_code == 403


def test_a_source_record_page_explains_its_link_with_personal_values_masked(
    steward_browser, erp, crm
):
    erp.put(
        "customers",
        "SD01-7",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    crm.put(
        "customers",
        "BJ-B-7",
        {"name": "华信科技（北京）有限公司", "customer_type": "org", "phone": "(010)62345678"},
    )
    linked = SourceRecord.objects.get(local_code="BJ-B-7")
    first = SourceRecord.objects.get(local_code="SD01-7")

    page = steward_browser.get(f"/admin/mdm/sourcerecord/{linked.pk}/change/").content.decode()
    lonely = steward_browser.get(f"/admin/mdm/sourcerecord/{first.pk}/change/").content.decode()

    assert linked.link_kind == "auto"
    assert "匹配说明" in page
    assert "company_name" in page and "北京华信科技有限公司" in page
    assert "62345678" not in page  # the phone compared is personal: masked
    assert "没有候选" in lonely


def test_a_record_merged_by_the_batch_match_shows_why_on_its_page(steward_browser, erp, crm):
    from mdm.linking.batch.match import run_batch_match
    from tests.support.matching import set_thresholds

    set_thresholds(0.999999999999, 0.999999999)  # stored apart: the batch match merges them
    erp.put(
        "customers",
        "SD01-8",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    crm.put(
        "customers",
        "BJ-B-8",
        {"name": "华信科技（北京）有限公司", "customer_type": "org", "phone": "(010)62345678"},
    )
    set_thresholds(0.99)
    run_batch_match(entity="customers")
    moved = SourceRecord.objects.get(local_code="BJ-B-8")

    page = steward_browser.get(f"/admin/mdm/sourcerecord/{moved.pk}/change/").content.decode()

    assert "批量匹配合并" in page and "merged by the batch match" not in page  # Chinese admin
    assert "company_name" in page and "北京华信科技有限公司" in page
    assert "62345678" not in page  # masked, as in the real-time explanation
    assert "changed since the merge" not in page

    crm.put(
        "customers",
        "BJ-B-8",
        {"name": "华信科技（北京）有限公司", "customer_type": "org", "phone": "(010)87654321"},
    )
    page = steward_browser.get(f"/admin/mdm/sourcerecord/{moved.pk}/change/").content.decode()

    assert "合并后此记录已更改，显示的是当前值" in page
    assert "CRM/BJ-B-8" in page
    assert "87654321" not in page  # the current values are masked too


def test_a_us_systems_record_edited_in_admin_reads_its_phone_as_a_us_number(admin_browser, us_shop):
    us_shop.put("customers", "R-1", {"name": "Cafe Bizou", "customer_type": "org"})
    record = SourceRecord.objects.get(local_code="R-1")

    response = admin_browser.post(
        f"/admin/mdm/sourcerecord/{record.pk}/change/",
        {"payload": '{"name": "Cafe Bizou", "customer_type": "org", "phone": "818/788-3536"}'},
    )

    record.refresh_from_db()
    assert response.status_code == 302
    assert record.attributes["phone"] == "+18187883536"


def test_admin_sets_a_source_systems_country_from_a_list_of_names(admin_browser, erp):
    page = admin_browser.get(f"/admin/mdm/sourcesystem/{erp.system.pk}/change/")
    assert "US 美国 United States" in page.content.decode()

    response = admin_browser.post(
        f"/admin/mdm/sourcesystem/{erp.system.pk}/change/",
        {
            "code": "ERP",
            "name": "SAP ERP",
            "trust": "{}",
            "priority": "10",
            "is_active": "on",
            "granted_entities": '["customers", "products", "materials"]',
            "country": "GB",
        },
    )

    erp.system.refresh_from_db()
    assert response.status_code == 302
    assert erp.system.country == "GB"
