"""The dictionary as every write path uses it: policies, derivations, live edits, export, schema."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from stdnum.cn import ric, uscc

from dictionary.models import CodeValue, DataElement, ValueDomain
from mdm.models import Customer, Product, QualityIssue, SourceRecord
from mdm.privacy import crypto
from mdm.quality.issues import reconcile_quality_issues

pytestmark = pytest.mark.django_db

PILOT_CODE = "91350100M0001TGQXM"  # legally issued in the 2015 pilot, fails the GB 32100 check


def valid_uscc(body: str = "91110108MA01ABCD2") -> str:
    return body + uscc.calc_check_digit(body)


def valid_resident_id(body: str = "11010519491231002") -> str:
    # stdnum's calc_check_digit takes the number with a (placeholder) check character.
    return body + ric.calc_check_digit(body + "0")


def test_a_credit_code_failing_its_checksum_is_flagged_not_rejected(erp):
    response = erp.put(
        "customers",
        "SD01-1",
        {"name": "福州某公司", "customer_type": "org", "credit_code": PILOT_CODE},
    )

    assert response.status_code == 201
    assert [(w["field"], w["code"]) for w in response.json()["warnings"]] == [
        ("credit_code", "invalid_checksum")
    ]
    record = SourceRecord.objects.get(local_code="SD01-1")
    assert record.attributes["credit_code"] == PILOT_CODE
    assert record.flagged == ["credit_code"]


def test_a_flagged_credit_code_is_not_used_to_link(erp, crm):
    first = erp.put(
        "customers", "SD01-1", {"name": "甲公司", "customer_type": "org", "credit_code": PILOT_CODE}
    )
    second = crm.put(
        "customers", "C-1", {"name": "乙公司", "customer_type": "org", "credit_code": PILOT_CODE}
    )

    assert first.json()["golden_code"] != second.json()["golden_code"]
    assert second.json()["link"] == "new"


def test_a_valid_value_wins_over_a_flagged_one_in_the_golden_record(erp, crm):
    cc = valid_uscc()
    code = erp.put(
        "customers", "SD01-1", {"name": "华信", "customer_type": "org", "credit_code": cc}
    ).json()["golden_code"]
    # The CRM is linked by the same valid code first, then sends a typo'd code.
    crm.put("customers", "C-1", {"name": "华信", "customer_type": "org", "credit_code": cc})
    crm.put(
        "customers",
        "C-1",
        {
            "name": "华信",
            "customer_type": "org",
            "credit_code": cc[:-1] + ("0" if cc[-1] != "0" else "1"),
        },
    )

    assert Customer.objects.get(code=code).credit_code == cc


def test_a_bad_date_is_rejected_with_a_field_error_where_the_dictionary_rejects(erp):
    DataElement.objects.filter(code="birth_date").update(on_invalid="reject")

    response = erp.put(
        "customers", "P-1", {"name": "张三", "customer_type": "person", "birth_date": "1985-02-30"}
    )

    assert response.status_code == 400
    error = response.json()["errors"]["birth_date"][0]
    assert error["code"] == "invalid_date"
    assert " / " in error["message"]
    assert SourceRecord.objects.count() == 0


@pytest.mark.parametrize("impossible", ["1985-13-01", "1985-02-32", "1028-05-01", "1985-02-30"])
def test_an_impossible_birth_date_is_kept_flagged_and_the_system_is_told(erp, impossible):
    response = erp.put(
        "customers", "P-1", {"name": "张三", "customer_type": "person", "birth_date": impossible}
    )

    assert response.status_code == 201
    assert [w["field"] for w in response.json()["warnings"]] == ["birth_date"]
    assert response.json()["warnings"][0]["code"] in ("invalid_date", "out_of_range")
    record = SourceRecord.objects.get(local_code="P-1")
    assert record.attributes["birth_date"] == impossible
    assert record.flagged == ["birth_date"]
    # The golden record's typed date column stays empty rather than holding a wrong date.
    assert Customer.objects.get(code=response.json()["golden_code"]).birth_date is None
    reconcile_quality_issues()  # what the nightly quality_report runs
    issue = QualityIssue.objects.get(element="birth_date")
    assert (issue.kind, issue.status) == ("invalid", "open")


def test_an_unknown_unit_is_rejected_and_a_synonym_is_standardized(erp):
    bad = erp.put("products", "P-1", {"name": "螺栓 M8", "uom": "furlong"})
    good = erp.put("products", "P-2", {"name": "螺栓 M8", "uom": "pcs"})

    assert bad.status_code == 400
    assert bad.json()["errors"]["uom"][0]["code"] == "not_in_domain"
    assert good.status_code == 201
    assert Product.objects.get(code=good.json()["golden_code"]).uom == "PCE"


def test_values_are_standardized_before_they_are_stored(erp):
    response = erp.put(
        "customers",
        "SD01-1",
        {
            "name": "北京華信科技有限公司（海淀）",
            "customer_type": "企业",
            "credit_code": " ".join(valid_uscc()[i : i + 4] for i in range(0, 18, 4)).lower(),
            "phone": "+86 (010) 6234-5678",
            "established_date": "2015年3月8日",
        },
    )

    attributes = SourceRecord.objects.get(local_code="SD01-1").attributes
    assert response.status_code == 201
    assert attributes["name"] == "北京华信科技有限公司(海淀)"
    assert attributes["customer_type"] == "org"
    assert attributes["credit_code"] == valid_uscc()
    assert attributes["phone"] == "+861062345678"
    assert attributes["established_date"] == "2015-03-08"


def test_region_is_derived_from_a_valid_credit_code(erp):
    erp.put(
        "customers",
        "SD01-1",
        {"name": "华信", "customer_type": "org", "credit_code": valid_uscc("91110108MA01ABCD2")},
    )

    assert SourceRecord.objects.get(local_code="SD01-1").attributes["region_code"] == "110108"


def test_birth_date_and_region_are_derived_from_a_resident_id_and_15_digits_are_upgraded(erp):
    eighteen = valid_resident_id("11010519491231002")
    fifteen = eighteen[:6] + eighteen[8:17]

    erp.put("customers", "P-1", {"name": "张三", "customer_type": "person", "id_number": fifteen})

    attributes = SourceRecord.objects.get(local_code="P-1").attributes
    # Stored encrypted (sensitive personal): the standardized value is inside the ciphertext.
    assert crypto.decrypt(attributes["id_number"]) == eighteen
    assert attributes["birth_date"] == "1949-12-31"
    assert attributes["region_code"] == "110105"


def test_a_birth_date_contradicting_the_resident_id_is_a_warning(erp):
    response = erp.put(
        "customers",
        "P-1",
        {
            "name": "张三",
            "customer_type": "person",
            "id_number": valid_resident_id(),
            "birth_date": "1950-01-01",
        },
    )

    assert response.status_code == 201
    assert ("birth_date", "derived_mismatch") in [
        (w["field"], w["code"]) for w in response.json()["warnings"]
    ]


def test_an_invalid_resident_id_is_rejected(erp):
    number = valid_resident_id()
    typo = number[:-1] + ("0" if number[-1] != "0" else "1")

    response = erp.put(
        "customers", "P-1", {"name": "张三", "customer_type": "person", "id_number": typo}
    )

    assert response.status_code == 400
    assert response.json()["errors"]["id_number"][0]["code"] == "invalid_checksum"


def test_a_new_code_value_takes_effect_without_a_restart(erp):
    assert erp.put("products", "P-1", {"name": "光纤", "uom": "furlong"}).status_code == 400

    CodeValue.objects.create(
        domain=ValueDomain.objects.get(code="unit_of_measure"),
        code="FUR",
        name_zh="浪",
        synonyms=["furlong"],
    )
    response = erp.put("products", "P-1", {"name": "光纤", "uom": "furlong"})

    assert response.status_code == 201
    assert Product.objects.get(code=response.json()["golden_code"]).uom == "FUR"


def test_a_changed_policy_takes_effect_without_a_restart(erp):
    element = DataElement.objects.get(code="credit_code")
    element.on_invalid = "reject"
    element.save()

    response = erp.put(
        "customers",
        "SD01-1",
        {"name": "福州某公司", "customer_type": "org", "credit_code": PILOT_CODE},
    )

    assert response.status_code == 400
    assert response.json()["errors"]["credit_code"][0]["code"] == "invalid_checksum"


def test_a_deprecated_element_is_accepted_with_a_warning(erp):
    element = DataElement.objects.get(code="website")
    element.status = "deprecated"
    element.save()

    response = erp.put(
        "customers",
        "SD01-1",
        {"name": "华信", "customer_type": "org", "website": "https://example.com"},
    )

    assert response.status_code == 201
    assert ("website", "deprecated_element") in [
        (w["field"], w["code"]) for w in response.json()["warnings"]
    ]


def test_a_draft_element_is_not_yet_accepted(erp):
    element = DataElement.objects.get(code="website")
    element.status = "draft"
    element.save()

    response = erp.put(
        "customers",
        "SD01-1",
        {"name": "华信", "customer_type": "org", "website": "https://example.com"},
    )

    assert response.status_code == 400
    assert response.json()["errors"]["website"][0]["code"] == "unknown_element"


def _export(fmt: str) -> str:
    out = io.StringIO()
    call_command("export_dictionary", "--format", fmt, stdout=out)
    return out.getvalue()


def test_export_dictionary_json_has_every_element_with_bindings_and_domains():
    document = json.loads(_export("json"))

    codes = {e["code"] for e in document["elements"]}
    assert len(codes) == DataElement.objects.count() >= 30
    credit = next(e for e in document["elements"] if e["code"] == "credit_code")
    assert credit["on_invalid"] == "flag"
    assert credit["bindings"][0]["entity"] == "customers"
    uom = next(d for d in document["domains"] if d["code"] == "unit_of_measure")
    assert "PCE" in {v["code"] for v in uom["values"]}
    assert {e["code"] for e in document["entities"]} == {"customers", "products", "materials"}


def test_export_dictionary_csv_has_a_row_per_element_binding():
    rows = list(csv.DictReader(io.StringIO(_export("csv"))))

    assert {r["code"] for r in rows} == set(DataElement.objects.values_list("code", flat=True))
    name_rows = [r for r in rows if r["code"] == "name"]
    assert sorted(r["entity"] for r in name_rows) == ["customers", "materials", "products"]


def test_export_dictionary_markdown_is_a_printable_document():
    text = _export("md")

    assert text.startswith("# 核心数据元字典 Core data-element dictionary")
    assert "### `credit_code` 统一社会信用代码" in text
    assert "与企业发生交易或存在潜在交易意向的组织或个人" in text
    assert "see the CSV/JSON export for the full list" in text  # region codes summarized


def test_openapi_upsert_body_is_described_by_the_dictionary(client):
    schema = client.get("/api/schema/?format=json").json()

    customer = schema["components"]["schemas"]["CustomersRecord"]
    assert customer["required"] == ["name"]
    assert "统一社会信用代码" in customer["properties"]["credit_code"]["description"]
    assert customer["properties"]["birth_date"]["format"] == "date"
    body = schema["paths"]["/api/v1/sources/{system}/{entity}/{local_code}"]["put"]["requestBody"]
    assert {"$ref": "#/components/schemas/ProductsRecord"} in body["content"]["application/json"][
        "schema"
    ]["oneOf"]


def test_dictionary_api_lists_domains_and_codes(erp):
    body = erp.client.get("/api/v1/dictionary/").json()

    domains = {d["code"]: d for d in body["domains"]}
    assert domains["region"]["value_count"] > 3000
    assert {"org", "person"} == {v["code"] for v in domains["customer_type"]["values"]}


def test_dictionary_api_needs_authentication(anonymous):
    assert anonymous.get("/api/v1/dictionary/").status_code == 401


def test_customer_type_is_derived_from_an_identifier_when_missing(erp):
    erp.put("customers", "O-1", {"name": "华信", "credit_code": valid_uscc()})
    erp.put("customers", "P-1", {"name": "张三", "id_number": valid_resident_id()})
    erp.put("customers", "U-1", {"name": "无名"})

    types = dict(SourceRecord.objects.values_list("local_code", "attributes__customer_type"))
    assert types == {"O-1": "org", "P-1": "person", "U-1": None}


def test_a_flagged_value_never_becomes_a_golden_value(erp):
    response = erp.put(
        "customers",
        "SD01-1",
        {"name": "福州某公司", "customer_type": "org", "credit_code": "9135 0100 M000 1TGQ XM"},
    )

    golden = Customer.objects.get(code=response.json()["golden_code"])
    assert golden.credit_code == ""
    assert "credit_code" not in golden.lineage
    assert (
        SourceRecord.objects.get(local_code="SD01-1").attributes["credit_code"]
        == "9135 0100 M000 1TGQ XM"
    )


def test_reloading_the_starter_dictionary_writes_nothing():
    from dictionary.services import load_starter_dictionary

    rows = (
        DataElement.history.count(),
        CodeValue.history.count(),
        list(DataElement.objects.values_list("updated_at", flat=True).order_by("pk")),
    )

    load_starter_dictionary()

    assert (
        DataElement.history.count(),
        CodeValue.history.count(),
        list(DataElement.objects.values_list("updated_at", flat=True).order_by("pk")),
    ) == rows


def test_every_kind_of_dictionary_write_raises_its_revision():
    from dictionary.services import dictionary_revision

    seen = [dictionary_revision()]
    value = CodeValue.objects.filter(domain__code="customer_type").first()
    value.synonyms = [*value.synonyms, "corp"]
    value.save()
    seen.append(dictionary_revision())
    CodeValue.objects.filter(pk=value.pk).update(is_active=False)
    seen.append(dictionary_revision())
    CodeValue.objects.filter(pk=value.pk).delete()
    seen.append(dictionary_revision())
    DataElement.objects.filter(code="phone").update(max_length=40)
    seen.append(dictionary_revision())

    assert len(set(seen)) == 5


def test_the_revision_is_one_row_read_and_unchanged_by_writes_elsewhere(erp):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dictionary.services import dictionary_revision

    before = dictionary_revision()
    erp.put("customers", "K-1", {"name": "北京华信科技有限公司", "customer_type": "org"})
    with CaptureQueriesContext(connection) as captured:
        after = dictionary_revision()

    assert after == before
    assert [q["sql"] for q in captured.captured_queries] == [
        "SELECT number FROM dictionary_dictionaryrevision WHERE id = 1"
    ]


def test_a_rolled_back_change_never_lends_its_revision_to_another():
    from django.db import transaction

    from dictionary.services import dictionary_revision

    value = CodeValue.objects.filter(domain__code="customer_type").first()
    with pytest.raises(RuntimeError), transaction.atomic():
        CodeValue.objects.filter(pk=value.pk).update(is_active=False)
        seen_inside = dictionary_revision()
        raise RuntimeError("rolled back")
    CodeValue.objects.filter(pk=value.pk).update(synonyms=["other"])

    assert dictionary_revision() != seen_inside
