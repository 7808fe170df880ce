"""Each metric's exact value, counted by hand from the five known records of ``customers``."""

from __future__ import annotations

import datetime as dt

import pytest

from dictionary.services import compiled_elements
from matching.models import MatchCandidate
from mdm.models import SourceRecord
from mdm.quality.metrics import compute_quality_metrics

from .known import T0, ZHANG_ID

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def test_completeness_is_the_share_of_records_with_a_value_per_element(customers):
    metrics, _ = compute_quality_metrics(now=T0)

    erp, crm, total = (metrics["customers"][s]["completeness"] for s in ("ERP", "CRM", "ALL"))
    # ERP: E1, E2, E3 have a credit code? E1 and E2 (2 of 3); a phone: E1 and E3 (2 of 3);
    # an email: E1 only; a region: E1 (sent) and E3 (derived from the ID).
    assert (erp["name"], erp["credit_code"], erp["phone"], erp["email"]) == (
        1.0,
        2 / 3,
        2 / 3,
        1 / 3,
    )
    assert (erp["region_code"], erp["birth_date"], erp["website"]) == (2 / 3, 1 / 3, 0.0)
    # CRM: C1 has the credit code, the phone and the derived region; C2 the email.
    assert (crm["credit_code"], crm["phone"], crm["email"], crm["region_code"]) == (0.5,) * 4
    assert (total["credit_code"], total["email"], total["id_number"]) == (3 / 5, 2 / 5, 1 / 5)
    assert set(total) == set(compiled_elements("customers"))


def test_validity_counts_a_flagged_value_as_invalid(customers):
    metrics, _ = compute_quality_metrics(now=T0)

    erp, crm, total = (metrics["customers"][s]["validity"] for s in ("ERP", "CRM", "ALL"))
    # ERP credit codes: E1 valid, E2 flagged; phones: E1 valid, E3 flagged; email: E1 flagged;
    # regions: E1 999999 flagged, E3 derived.
    assert (erp["credit_code"], erp["phone"], erp["email"], erp["region_code"]) == (
        0.5,
        0.5,
        0.0,
        0.5,
    )
    assert (crm["credit_code"], crm["phone"], crm["email"]) == (1.0, 1.0, 1.0)
    assert (total["credit_code"], total["phone"], total["email"]) == (2 / 3, 2 / 3, 1 / 2)
    # No value at all: nothing to measure, which is not 100 %.
    assert total["website"] is None


def test_uniqueness_counts_records_per_golden_record_and_open_candidates(customers):
    MatchCandidate.objects.create(
        entity="customers", left=customers["E2"], right=customers["C2"], score=0.8
    )

    metrics, _ = compute_quality_metrics(now=T0)

    assert metrics["customers"]["ERP"]["uniqueness"] == {
        "records": 3,
        "golden_records": 3,
        "records_per_golden": 1.0,
        "duplicate_rate": 0.0,
        "open_candidates": 1,
    }
    # E1 and C1 share one golden record: 5 records, 4 golden records.
    assert metrics["customers"]["ALL"]["uniqueness"] == {
        "records": 5,
        "golden_records": 4,
        "records_per_golden": 5 / 4,
        "duplicate_rate": 1 / 5,
        "open_candidates": 1,
    }
    assert metrics["customers"]["CRM"]["uniqueness"]["open_candidates"] == 1


def test_a_retired_record_leaves_the_metrics(customers, crm):
    crm.client.delete("/api/v1/sources/CRM/customers/C2")

    metrics, _ = compute_quality_metrics(now=T0)

    assert metrics["customers"]["CRM"]["uniqueness"]["records"] == 1
    assert metrics["customers"]["CRM"]["completeness"]["email"] == 0.0


def test_consistency_is_the_share_of_cross_system_golden_records_that_agree(customers):
    metrics, _ = compute_quality_metrics(now=T0)

    # Only E1 + C1 have members in two systems. Both sent name, type, credit code, phone and
    # region: they agree on the first three, not on the phone nor the region (999999 vs 110108).
    # E1's email has no CRM counterpart: nothing to compare.
    for scope in ("ERP", "CRM", "ALL"):
        consistency = metrics["customers"][scope]["consistency"]
        assert {k: v for k, v in consistency.items() if v is not None} == {
            "name": 1.0,
            "customer_type": 1.0,
            "credit_code": 1.0,
            "phone": 0.0,
            "region_code": 0.0,
        }


def test_timeliness_is_the_age_of_the_last_update_per_system(customers):
    SourceRecord.objects.filter(local_code="E1").update(updated_at=T0 - 1 * DAY)
    SourceRecord.objects.filter(local_code__in=["E2", "E3"]).update(updated_at=T0 - 3 * DAY)
    SourceRecord.objects.filter(local_code__in=["C1", "C2"]).update(updated_at=T0 - 10 * DAY)

    metrics, _ = compute_quality_metrics(now=T0 + 2 * DAY)

    assert metrics["customers"]["ERP"]["timeliness"] == {
        "last_update": (T0 - DAY).isoformat(),
        "age_days": 3.0,
        "mean_age_days": (3 + 5 + 5) / 3,
    }
    assert metrics["customers"]["CRM"]["timeliness"]["age_days"] == 12.0
    assert metrics["customers"]["ALL"]["timeliness"] == {
        "last_update": (T0 - DAY).isoformat(),
        "age_days": 3.0,
        "mean_age_days": (3 + 5 + 5 + 12 + 12) / 5,
    }


def test_scorecard_weights_completeness_and_validity_by_cells(customers):
    elements = len(compiled_elements("customers"))

    _, summary = compute_quality_metrics(now=T0)

    erp = summary["customers"]["ERP"]
    # ERP values: E1 6 (name, type, credit code, phone, email, region), E2 3, E3 6 (name,
    # type, ID, phone, derived birth date and region) = 15, of which 4 flagged.
    assert erp["completeness_required"] == 1.0
    assert erp["completeness_all"] == 15 / (3 * elements)
    assert erp["validity"] == 11 / 15
    # 5 comparable (golden record, element) pairs, 3 agree.
    assert summary["customers"]["ALL"]["consistency"] == 3 / 5
    assert summary["customers"]["ALL"]["validity"] == (11 + 8) / (15 + 8)


def test_an_entity_without_records_reports_nothing_to_measure(customers):
    metrics, _ = compute_quality_metrics(now=T0)

    products = metrics["products"]
    assert list(products) == ["ALL"]
    assert products["ALL"]["uniqueness"]["records"] == 0
    assert set(products["ALL"]["completeness"].values()) == {None}
    assert products["ALL"]["timeliness"] == {
        "last_update": None,
        "age_days": None,
        "mean_age_days": None,
    }


def test_consistency_of_an_encrypted_element_compares_blind_indexes(erp, crm):
    person = {"name": "张伟", "customer_type": "person", "id_number": ZHANG_ID}
    erp.put("customers", "P1", person)
    crm.put("customers", "C1", person)
    stored = SourceRecord.objects.filter(local_code__in=["P1", "C1"])
    assert len({r.attributes["id_number"] for r in stored}) == 2  # two ciphertexts
    assert len({r.golden_code for r in stored}) == 1

    metrics, _ = compute_quality_metrics(now=T0)

    for scope in ("ERP", "CRM", "ALL"):
        assert metrics["customers"][scope]["consistency"]["id_number"] == 1.0
