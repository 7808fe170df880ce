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
