"""The read-only helpers of the review screen: differences, explanation sides, next pending."""

from __future__ import annotations

import pytest
from django.utils import translation

from matching.models import MatchCandidate
from mdm.linking.review import (
    AttributeRow,
    candidate_reason,
    diff_attributes,
    element_labels,
    next_pending_candidate,
    orient_explanation,
    score_band,
)


def test_diff_marks_same_different_and_one_sided_attributes():
    rows = diff_attributes(
        {"name": "北京华信科技有限公司", "phone": "+861062345678", "customer_type": "org"},
        {"name": "华信科技", "customer_type": "ORG", "email": ""},
    )

    assert rows == [
        AttributeRow("customer_type", "org", "ORG", "same"),
        AttributeRow("name", "北京华信科技有限公司", "华信科技", "different"),
        AttributeRow("phone", "+861062345678", None, "left_only"),
    ]
    assert [r.is_different for r in rows] == [False, True, True]


def test_diff_follows_the_given_order_then_the_alphabet():
    rows = diff_attributes({"b": "1", "z": "1", "name": "x"}, {"a": "2"}, order=["name", "z"])

    assert [r.attribute for r in rows] == ["name", "z", "a", "b"]
    assert rows[2].kind == "right_only"


EXPLANATION = [
    {"field": "company_name", "left": "华信科技", "right": "北京华信科技有限公司", "weight": 19.5},
    {"field": "phone", "left": None, "right": "+861062345678", "weight": 0.0},
]
ERP = {"name": "北京华信科技有限公司", "phone": "+861062345678"}
CRM = {"name": "华信科技"}


def test_an_explanation_written_the_other_way_round_is_swapped_to_the_candidates_sides():
    rows = orient_explanation(EXPLANATION, ERP, CRM)

    assert [(r["left"], r["right"]) for r in rows] == [
        ("北京华信科技有限公司", "华信科技"),
        ("+861062345678", None),
    ]
    assert EXPLANATION[0]["left"] == "华信科技"  # the stored explanation is not modified


def test_an_explanation_already_on_the_right_sides_is_kept():
    rows = orient_explanation(EXPLANATION, CRM, ERP)

    assert [(r["left"], r["right"]) for r in rows] == [
        ("华信科技", "北京华信科技有限公司"),
        (None, "+861062345678"),
    ]


def test_an_explanation_that_matches_neither_side_is_kept_as_is():
    rows = orient_explanation(EXPLANATION, {"name": "x"}, {"name": "y"})

    assert rows == [dict(r) for r in EXPLANATION]


@pytest.mark.django_db
def test_element_labels_speak_the_stewards_language_in_binding_order():
    labels = element_labels("customers", ["phone", "name", "company_name", None])
    with translation.override("en"):
        english = element_labels("customers", ["phone", "name"])

    assert list(labels) == ["name", "phone"]
    assert labels == {"name": "名称", "phone": "联系电话"}
    assert english == {"name": "Name", "phone": "Telephone number"}


@pytest.mark.django_db
def test_next_pending_follows_the_queue_order_and_wraps_around(make_queue):
    make_queue(records=4, per_record=1)
    a, b, c, d = MatchCandidate.objects.order_by("pk")
    for candidate, score in ((a, 0.9), (b, 0.8), (c, 0.8), (d, 0.7)):
        MatchCandidate.objects.filter(pk=candidate.pk).update(score=score)
        candidate.score = score
    MatchCandidate.objects.filter(pk=c.pk).update(status="rejected")
    queue = MatchCandidate.objects.all()

    assert next_pending_candidate(queue, after=a) == b
    assert next_pending_candidate(queue, after=b) == d  # c is decided
    assert next_pending_candidate(queue, after=c) == d
    assert next_pending_candidate(queue, after=d) == a  # wraps to the top
    assert next_pending_candidate(queue.filter(pk=a.pk), after=a) is None


def test_the_attributes_that_tell_goods_apart_come_first_even_when_both_lack_them():
    rows = diff_attributes(
        {"name": "星辰移动电源", "model": "XC-1902", "uom": "PCE"},
        {"name": "星辰移动电源", "model": "XC-1901", "uom": "pce"},
        order=["name", "model", "uom", "gtin"],
        key_attributes=["model", "uom", "gtin"],
    )

    assert rows == [
        AttributeRow("model", "XC-1902", "XC-1901", "different", is_key=True),
        AttributeRow("uom", "PCE", "pce", "same", is_key=True),
        AttributeRow("gtin", None, None, "both_missing", is_key=True),
        AttributeRow("name", "星辰移动电源", "星辰移动电源", "same"),
    ]
    assert [r.is_different for r in rows] == [True, False, False, False]


@pytest.mark.parametrize(
    ("explanation", "band"),
    [
        ([{"field": "hard rule", "note": "veto: different_gtin", "weight": 0.0}], "veto"),
        ([{"field": "name", "note": "hard rule: Chinese names differ, review only"}], "capped"),
        ([{"field": "gtin", "note": "hard rule: same valid gtin", "weight": 0.0}], "high"),
        ([], "high"),
    ],
)
def test_a_hard_rule_against_the_pair_decides_its_badge(explanation, band):
    assert score_band(0.95, explanation) == band


@pytest.mark.parametrize(
    ("score", "band"), [(0.9, "high"), (0.89, "medium"), (0.7, "medium"), (0.5, "low")]
)
def test_score_bands(score, band):
    assert score_band(score) == band


def test_the_reason_of_a_pair_names_the_hard_rule_then_the_strongest_evidence():
    explanation = [
        {"field": "hard rule", "note": "veto: different_gtin", "weight": 0.0},
        {"field": "name", "note": "same name", "weight": 15.6, "left": "a", "right": "a"},
        {"field": "brand", "note": "same brand", "weight": 5.4},
        {"field": "uom", "note": "same unit", "weight": 1.2},
        {"field": "category", "note": "same category", "weight": 3.3},
        {
            "field": "model",
            "note": "different model",
            "weight": -3.8,
            "left": "QQ-7001",
            "right": "QQ8302",
        },
        {"field": "phone", "note": "different number", "weight": -2.0},
    ]

    assert candidate_reason(explanation) == (
        "veto: different_gtin; same name; same brand; same category; "
        "different model (QQ-7001 / QQ8302); phone: different number"
    )
