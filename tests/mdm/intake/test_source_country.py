"""A source system's country: phone numbers are read in it, on every write path."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from matching.engine import score_pair
from matching.keys import block_keys, contact_digest
from matching.rules import DEFAULT_RULES
from mdm.access.accounts import create_source_system
from mdm.errors import ServiceError
from mdm.models import SourceRecord, SourceSystem

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_create_source_system_takes_the_country():
    out = run("create_source_system", "SHOP", "--name", "US shop", "--country", "us")

    assert "(US shop, US) registered" in out
    assert SourceSystem.objects.get(code="SHOP").country == "US"


def test_a_system_is_in_china_unless_it_says_otherwise():
    run("create_source_system", "ERP", "--name", "ERP")

    assert SourceSystem.objects.get(code="ERP").country == "CN"


@pytest.mark.parametrize("country", ["USA", "XX", "", "001"])
def test_an_unknown_country_is_refused_and_nothing_is_created(country):
    with pytest.raises(CommandError, match="ISO 3166-1"):
        run("create_source_system", "SHOP", "--name", "shop", "--country", country)

    assert not SourceSystem.objects.filter(code="SHOP").exists()


def test_the_service_refuses_an_unknown_country():
    with pytest.raises(ServiceError) as raised:
        create_source_system(code="SHOP", name="shop", country="Amerika")

    assert raised.value.code == "invalid_country"


def test_a_us_systems_number_is_a_us_number(us_shop):
    response = us_shop.put("customers", "R-1", {"name": "Arnie Mortons", "phone": "310/246-1501"})

    assert response.status_code == 201
    assert response.json()["warnings"] == []
    assert SourceRecord.objects.get(local_code="R-1").attributes["phone"] == "+13102461501"


def test_a_cn_systems_number_is_chinese_and_a_prefixed_one_keeps_its_country(erp):
    erp.put("customers", "C-1", {"name": "华信", "customer_type": "org", "phone": "13800138000"})
    erp.put(
        "customers", "C-2", {"name": "Acme", "customer_type": "org", "phone": "+44 20 7946 0958"}
    )

    phones = dict(SourceRecord.objects.values_list("local_code", "attributes__phone"))
    assert phones == {"C-1": "+8613800138000", "C-2": "+442079460958"}


def test_import_reads_phones_in_the_systems_country(tmp_path):
    run("create_source_system", "ZAGAT", "--name", "Zagat", "--country", "US")
    path = tmp_path / "zagat.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["local_code", "name", "customer_type", "phone"],
                ["219", "arnie mortons of chicago", "org", "310-246-1501"],
                ["220", "arts deli", "org", "818/762-1221"],
            ]
        )

    run("import_source", str(path), "--system", "ZAGAT", "--entity", "customers", "--no-progress")

    phones = dict(SourceRecord.objects.values_list("local_code", "attributes__phone"))
    assert phones == {"219": "+13102461501", "220": "+18187621221"}


def test_bulk_reads_phones_in_the_systems_country(us_shop):
    response = us_shop.client.post(
        "/api/v1/sources/SHOP/customers/bulk",
        [{"local_code": "R-1", "name": "Hotel Bel-Air", "phone": "310/472-1211"}],
        format="json",
    )

    assert response.status_code == 200
    assert SourceRecord.objects.get(local_code="R-1").attributes["phone"] == "+13104721211"


def test_an_unreadable_number_is_kept_flagged_and_still_compared_by_its_digits(erp, crm):
    erp.put(
        "customers", "C-1", {"name": "华信科技", "customer_type": "org", "phone": "12-3456-789"}
    )
    crm.put("customers", "K-1", {"name": "华信", "customer_type": "org", "phone": "123456789"})

    left = SourceRecord.objects.get(local_code="C-1")
    right = SourceRecord.objects.get(local_code="K-1")
    assert (left.attributes["phone"], left.flagged) == ("12-3456-789", ["phone"])
    assert [w["code"] for w in left.warnings] == ["invalid_phone_number"]
    same_digits = "ph:" + contact_digest("ph", "123456789")
    assert same_digits in block_keys("customers", left.attributes, left.flagged)
    assert same_digits in block_keys("customers", right.attributes, right.flagged)
    score = score_pair(
        DEFAULT_RULES["customers"],
        left.attributes,
        right.attributes,
        a_flagged=left.flagged,
        b_flagged=right.flagged,
    )
    phone = next(e for e in score.explanation if e.field == "phone")
    assert (phone.similarity, phone.note) == (1.0, "same number")


def test_a_postal_code_is_checked_as_one_of_the_systems_country(erp, us_shop):
    us = us_shop.put("customers", "R-1", {"name": "Spago", "postal_code": "90210"})
    cn = erp.put(
        "customers", "C-1", {"name": "华信", "customer_type": "org", "postal_code": "2000"}
    )

    assert (us.status_code, us.json()["warnings"]) == (201, [])
    assert SourceRecord.objects.get(local_code="R-1").flagged == []
    assert [w["code"] for w in cn.json()["warnings"]] == ["invalid_postal_code"]
    assert SourceRecord.objects.get(local_code="C-1").flagged == ["postal_code"]
