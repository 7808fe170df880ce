"""A source system's trust decides what it may change: an identifier alone never overwrites the
values of a more trusted system (issue 29, item 5)."""

from __future__ import annotations

import pytest

from mdm.models import Customer
from mdm.privacy.masking import unmask_attributes
from mdm.records.survivorship import linked_by_identifier_alone
from tests.conftest import System

pytestmark = pytest.mark.django_db

RESIDENT_ID = "11010519491231002X"
PERSON = {
    "name": "张三",
    "customer_type": "person",
    "id_number": RESIDENT_ID,
    "phone": "13812345678",
    "address": "北京市海淀区中关村大街1号",
}


def golden_of(response) -> Customer:
    return Customer.objects.get(code=response.json()["golden_code"])


@pytest.fixture
def stranger(db) -> System:
    """A system registered with the default rank (100): less trusted than the ERP (10)."""
    return System("EVIL", "an untrusted shop")


def test_an_identifier_alone_does_not_overwrite_a_more_trusted_systems_values(erp, stranger):
    erp.put("customers", "P1", PERSON)

    response = stranger.put(
        "customers",
        "X1",
        {
            "name": "李四",
            "id_number": RESIDENT_ID,
            "phone": "13999999999",
            "address": "上海市浦东新区1号",
            "email": "someone@example.com",
        },
    )

    golden = golden_of(response)
    values = unmask_attributes(golden.attributes())
    assert response.json()["link"] == "auto"  # linked on the resident ID…
    assert (values["name"], values["phone"], values["address"]) == (
        "张三",
        "+8613812345678",
        "北京市海淀区中关村大街1号",
    )  # …but the ERP's values stay
    assert {golden.lineage[a]["system"] for a in ("name", "phone", "address")} == {"ERP"}
    # What nobody more trusted gave, it may fill.
    assert values["email"] == "someone@example.com"
    assert golden.lineage["email"]["system"] == "EVIL"


def test_a_corroborated_record_of_a_less_trusted_system_still_updates_recent_values(erp, crm):
    erp.put("customers", "P1", PERSON)

    response = crm.put("customers", "C1", PERSON | {"phone": "13999999999"})

    golden = golden_of(response)
    assert unmask_attributes(golden.attributes())["phone"] == "+8613999999999"
    assert golden.lineage["phone"]["system"] == "CRM"  # most_recent: the name agreed


def test_an_identifier_alone_of_an_equally_trusted_system_does_not_win_on_recency(erp):
    peer = System("ERP2", "a second ERP", priority=10)
    erp.put("customers", "P1", PERSON)

    response = peer.put(
        "customers",
        "Q1",
        {
            "name": "李四",
            "id_number": RESIDENT_ID,
            "phone": "13999999999",
            "email": "li.si@example.com",
        },
    )

    golden = golden_of(response)
    values = unmask_attributes(golden.attributes())
    assert response.json()["link"] == "auto"  # newer, same trust, linked on the ID alone…
    assert (values["name"], values["phone"]) == ("张三", "+8613812345678")  # …the ERP's stay
    assert {golden.lineage[a]["system"] for a in ("name", "phone", "address")} == {"ERP"}
    assert values["email"] == "li.si@example.com"  # what nobody else gave, it fills
    assert golden.lineage["email"]["system"] == "ERP2"


def test_an_identifier_alone_of_a_more_trusted_system_keeps_the_usual_rules(erp):
    master = System("HR", "the HR master", priority=5)
    erp.put("customers", "P1", PERSON)

    response = master.put(
        "customers", "H1", {"name": "李四", "id_number": RESIDENT_ID, "phone": "13999999999"}
    )

    golden = golden_of(response)
    assert unmask_attributes(golden.attributes())["phone"] == "+8613999999999"
    assert golden.lineage["phone"]["system"] == "HR"


def test_a_corroborated_record_of_the_same_trust_still_wins_on_recency(erp):
    peer = System("ERP2", "a second ERP", priority=10)
    erp.put("customers", "P1", PERSON)

    response = peer.put("customers", "Q1", PERSON | {"phone": "13999999999"})

    golden = golden_of(response)
    assert response.json()["link"] == "auto"
    assert golden.lineage["phone"]["system"] == "ERP2"


@pytest.mark.parametrize(
    ("explanation", "alone"),
    [
        (None, False),
        ([], False),
        ([{"field": "name", "weight": 5.0, "note": ""}], False),
        (
            [
                {"field": "id_number", "weight": 0.0, "note": "hard rule: same valid id_number"},
                {"field": "id_number", "weight": 9.0, "note": "exact"},
                {"field": "person_name", "weight": -4.0, "note": "different"},
                # Proven by the resident ID itself: no corroboration.
                {"field": "birth_date", "weight": 14.4, "note": "same date"},
                {"field": "region_code", "weight": 6.2, "note": "same division"},
            ],
            True,
        ),
        (
            [
                {"field": "id_number", "weight": 0.0, "note": "hard rule: same valid id_number"},
                {"field": "person_name", "weight": 6.2, "note": "exact"},
            ],
            False,
        ),
    ],
)
def test_which_links_rest_on_an_identifier_alone(explanation, alone):
    assert linked_by_identifier_alone(explanation) is alone
