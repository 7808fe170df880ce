"""The score of a pair is its probability after the hard rules: what the review queue shows."""

from __future__ import annotations

from matching.engine import score_pair
from matching.rules import DEFAULT_RULES

CUSTOMERS = DEFAULT_RULES["customers"]
HOME = "上海市宝山区延安路411号世纪花城26栋2单元2101室"


def person(name: str, **attrs: str) -> dict[str, str]:
    return {"name": name, "customer_type": "person", **attrs}


def test_twins_capped_by_the_chinese_name_rule_score_at_the_review_threshold():
    score = score_pair(
        CUSTOMERS,
        person("金秀敏", birth_date="1965-04-02", address=HOME, phone="13812345678"),
        person("金浩国", birth_date="1965-04-02", address=HOME, phone="13812345678"),
    )

    assert score.decision == "review"
    assert score.score == CUSTOMERS.review_threshold == 0.5
    assert score.match_weight > 10  # the other fields alone would say "certain"
    assert score.explanation[0].note == "hard rule: Chinese names differ, review only"


def test_twins_with_phones_of_their_own_are_two_persons_not_a_review():
    score = score_pair(
        CUSTOMERS,
        person("邓丽君", birth_date="1988-03-12", address=HOME, phone="13512345425"),
        person("邓军", birth_date="1988-03-12", address=HOME, phone="15687655532"),
    )

    assert (score.decision, score.score, score.veto) == ("new", 0.0, "different_persons")
    assert [e.note for e in score.explanation[:2]] == [
        "veto: different_persons",
        "hard rule: Chinese names differ, no phone or e-mail shared",
    ]


def test_persons_of_one_household_whose_mailboxes_differ_are_two_persons():
    score = score_pair(
        CUSTOMERS,
        person("邓丽君", birth_date="1988-03-12", address=HOME, email="deng.lj@163.com"),
        person("邓军", birth_date="1988-03-12", address=HOME, email="dengjun@126.com"),
    )

    assert (score.decision, score.veto) == ("new", "different_persons")


def test_differing_names_without_contacts_on_both_sides_stay_a_review():
    score = score_pair(
        CUSTOMERS,
        person("邓丽君", birth_date="1988-03-12", address=HOME, phone="13512345425"),
        person("邓军", birth_date="1988-03-12", address=HOME),
    )

    assert (score.decision, score.score, score.veto) == ("review", 0.5, None)


def test_a_homophone_typo_with_other_phones_is_not_taken_for_another_person():
    score = score_pair(
        CUSTOMERS,
        person("冯亭颖", birth_date="1988-03-12", address=HOME, phone="13512345425"),
        person("冯婷颖", birth_date="1988-03-12", address=HOME, phone="15687655532"),
    )

    assert score.veto is None
    assert score.decision in ("auto", "review")


def test_a_vetoed_pair_scores_zero_and_is_not_queued():
    org = {"customer_type": "org", "name": "北京华信科技有限公司", "phone": "010-62345678"}
    score = score_pair(
        CUSTOMERS,
        org | {"credit_code": "91110108MA01A2B3C1"},
        org | {"credit_code": "91110108MA01A2B3D8"},
    )

    assert (score.veto, score.decision, score.score) == ("different_credit_code", "new", 0.0)


def test_a_pair_the_hard_rules_leave_alone_keeps_its_model_probability():
    score = score_pair(
        CUSTOMERS,
        person("金秀敏", birth_date="1965-04-02", address=HOME),
        person("金秀敏", birth_date="1965-04-02", address=HOME),
    )

    assert score.decision == "auto"
    assert score.score > 0.99
