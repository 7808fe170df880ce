"""A query parameter that is present is checked, even empty (found by negative fuzzing)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def field_error(answer, field: str) -> dict:
    assert answer.status_code == 400, answer.content
    return answer.json()["errors"][field][0]


@pytest.mark.parametrize("value", ["", "100.0", "1", "yes"])
def test_the_dictionarys_values_flag_is_true_or_false(erp, value):
    answer = erp.client.get("/api/v1/dictionary/", {"values": value})

    error = field_error(answer, "values")
    assert error["message_en"] == "Must be true or false."
    assert error["message_zh"] == "必须为 true 或 false。"


def test_the_dictionarys_values_flag_still_works(erp):
    without = erp.client.get("/api/v1/dictionary/?values=false").json()
    with_values = erp.client.get("/api/v1/dictionary/?values=true").json()

    assert without != with_values


def test_an_empty_updated_after_is_no_date_time(erp):
    answer = erp.client.get("/api/v1/golden/customers/", {"updated_after": ""})

    assert field_error(answer, "updated_after")["code"] == "invalid"


@pytest.mark.parametrize("size", ["false", "0", "-3", "1.5", ""])
def test_a_page_size_is_a_positive_whole_number(steward, size):
    answer = steward.get("/api/v1/candidates/", {"page_size": size})

    assert "positive whole number" in field_error(answer, "page_size")["message_en"]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"entity": ""}, 404),
        ({"status": ""}, 400),
        ({"min_score": ""}, 400),
        ({"max_score": "nan"}, 400),
        ({"min_score": "inf"}, 400),
    ],
)
def test_empty_or_non_finite_candidate_filters_are_refused(steward, params, status):
    assert steward.get("/api/v1/candidates/", params).status_code == status


def test_valid_candidate_filters_still_answer(steward):
    answer = steward.get(
        "/api/v1/candidates/", {"entity": "customers", "min_score": "0.5", "max_score": "1"}
    )

    assert answer.status_code == 200
