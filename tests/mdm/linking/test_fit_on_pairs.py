"""The batch match's re-fit estimates on the match's own candidate pairs: all of them, or a
uniform sample, the identifier vetoes dropped, the prior scaled by the sample's share."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matching.models import MatchRuleConfig
from matching.rules import DEFAULT_RULES
from mdm.linking import learning as match_learning
from mdm.linking import rule_store
from mdm.linking.batch.match import run_batch_match
from mdm.linking.batch.pairs import IdentifierVetoes, PairSample, candidate_pairs
from mdm.linking.batch.report import BatchMatchReport
from mdm.linking.rule_store import FitPairs, PreparedRecords, fit_rule_on_records
from mdm.models import SourceRecord
from tests.support.matching import set_thresholds

pytestmark = pytest.mark.django_db

RULE = DEFAULT_RULES["customers"]
PHONE = "010-62345678"


def code(*local_codes: str) -> int:
    low, high = sorted(
        SourceRecord.objects.filter(local_code__in=local_codes).values_list("pk", flat=True)
    )
    return (low << 32) | high


@pytest.fixture
def one_switchboard(erp, crm):
    """Four versions of one company on one switchboard, two of them with different valid
    credit codes (a pair the identifier veto drops), stored with auto-linking off."""
    set_thresholds(auto=0.999999999999, review=0.999999999)
    erp.put("customers", "A", {"name": "北京华信科技有限公司", "phone": PHONE})
    erp.put(
        "customers",
        "B",
        {"name": "北京华信科技有限公司", "phone": PHONE, "credit_code": "91110108551385082Q"},
    )
    crm.put("customers", "C", {"name": "华信科技", "phone": PHONE})
    crm.put(
        "customers",
        "D",
        {"name": "华信科技有限公司", "phone": PHONE, "credit_code": "91110000100003495Y"},
    )


def draw(limit: int, seed: int = 0, labelled: int = 0) -> PairSample:
    with candidate_pairs("customers", BatchMatchReport(entity="customers")) as found:
        return found.sample(IdentifierVetoes("customers", RULE), limit, seed, labelled)


def sample(limit: int, seed: int = 0) -> tuple[list[int], int]:
    drawn = draw(limit, seed)
    return drawn.codes.tolist(), drawn.total


def test_the_pairs_to_fit_on_leave_out_two_different_credit_codes(one_switchboard):
    codes, total = sample(100)

    assert total == 5  # six pairs of four records, less B-D
    assert code("B", "D") not in codes
    assert sorted(codes) == codes and len(set(codes)) == 5


def test_past_the_limit_a_sample_of_the_pairs_the_same_for_the_same_seed(one_switchboard):
    codes, total = sample(2, seed=7)

    assert total == 5 and len(codes) == 2
    assert sample(2, seed=7)[0] == codes
    assert set(codes) <= set(sample(100)[0])


def test_pairs_whose_identifiers_answer_for_them_are_drawn_with_the_answer(one_switchboard, erp):
    erp.put(
        "customers",
        "E",
        {"name": "北京华信科技有限公司", "phone": PHONE, "credit_code": "91110108551385082Q"},
    )

    drawn = draw(100, labelled=10)

    answers = dict(zip(drawn.labelled.tolist(), drawn.same.tolist(), strict=True))
    assert answers == {code("B", "D"): False, code("B", "E"): True, code("D", "E"): False}
    assert code("B", "E") in drawn.codes.tolist()  # the same credit code: kept to fit on
    assert code("B", "D") not in drawn.codes.tolist()
    assert len(draw(100, labelled=1).labelled) == 2  # one of each answer at most


def test_a_fit_on_given_pairs_compares_those_pairs_and_scales_the_prior(
    one_switchboard, monkeypatch
):
    codes, _total = sample(100)
    some = np.array(codes[:3], dtype=np.int64)
    prepared = PreparedRecords()
    totals: list[int] = []
    fit_rule = rule_store.fit_rule

    def spy(rule, records, **options):
        totals.append(options["total_pairs"])
        return fit_rule(rule, records, **options)

    monkeypatch.setattr(rule_store, "fit_rule", spy)

    fit_rule_on_records("customers", pairs=FitPairs(some, 3), prepared=prepared)
    fit_rule_on_records("customers", pairs=FitPairs(some, 12))

    assert set(prepared.levels) == set(codes[:3])
    assert len(prepared.features) == 4
    # EM's prior is a share of all pairs of the four records (6); three pairs said to be a
    # quarter of the candidates stand for a quarter of them.
    assert totals == [6, 2]


def test_the_batch_match_fits_on_the_pairs_it_scores(one_switchboard, monkeypatch):
    monkeypatch.setattr(match_learning, "REFIT_MIN_RECORDS", 2)
    given: list[FitPairs] = []
    fit_on_pairs = rule_store._fit_on_pairs

    def spy(entity, pairs, **options):
        given.append(pairs)
        # EM on four records: keep the shipped weights, the point is which pairs it saw.
        fit_on_pairs(entity, pairs, **options)
        return dataclasses.replace(RULE)

    monkeypatch.setattr(rule_store, "_fit_on_pairs", spy)

    report = run_batch_match(entity="customers")

    assert [p.codes.tolist() for p in given] == [sample(100)[0]]
    assert given[0].total == 5
    assert report.learning[0].startswith("learning refit: ")
    assert report.records_prepared == 0  # every record was prepared by the fit


def test_the_distributed_job_fits_on_the_pairs_it_plans(one_switchboard, monkeypatch):
    from mdm.jobs.runs import start_job
    from mdm.linking.batch import job as batch_match_job

    monkeypatch.setattr(match_learning, "REFIT_MIN_RECORDS", 2)
    given: list[FitPairs] = []

    def spy(entity, pairs, **options):
        given.append(pairs)
        return dataclasses.replace(RULE)

    monkeypatch.setattr(rule_store, "_fit_on_pairs", spy)
    run = start_job("match", "customers", params={"chunks": 2})

    batch_match_job.plan(run)

    assert [p.codes.tolist() for p in given] == [sample(100)[0]]
    run.refresh_from_db()
    assert "learning refit: " in run.log


def test_a_fit_that_links_different_credit_codes_by_its_weights_is_refused(
    one_switchboard, erp, monkeypatch
):
    # Two more companies of the switchboard, each with a credit code of its own.
    erp.put(
        "customers",
        "E",
        {"name": "北京华信科技有限公司", "phone": PHONE, "credit_code": "91310000607206953D"},
    )
    erp.put(
        "customers", "F", {"name": "华信科技", "phone": PHONE, "credit_code": "91110000100003495Y"}
    )
    monkeypatch.setattr(match_learning, "GROWTH_SLACK", 10**6)  # the flood check: not this test
    drawn = draw(100, labelled=100)
    given = FitPairs(drawn.codes, drawn.total, drawn.labelled, drawn.same)

    def fit(entity, *, base, prepared, processes, pairs):
        fit_rule_on_records(entity, base=base, prepared=prepared, pairs=pairs)
        # What EM finds when "same switchboard" passes for "same company".
        return dataclasses.replace(base, prior=0.3)

    rule, step = match_learning.refit_if_stale(
        "customers", min_records=2, fit=fit, pairs=lambda: given
    )

    figures = step.detail["identifier_pairs"]
    assert figures["different"] >= 3 and figures["linked_though_different"]["current"] == 0
    assert figures["linked_though_different"]["fitted"] >= 2
    assert step.applied is False
    assert "without their identifiers it would link" in step.message
    assert rule.prior == RULE.prior


def test_one_more_pair_of_different_credit_codes_is_within_the_allowance(
    one_switchboard, monkeypatch
):
    drawn = draw(100, labelled=100)
    given = FitPairs(drawn.codes, drawn.total, drawn.labelled, drawn.same)

    def fit(entity, *, base, prepared, processes, pairs):
        fit_rule_on_records(entity, base=base, prepared=prepared, pairs=pairs)
        return dataclasses.replace(base, prior=base.prior * 2)

    _rule, step = match_learning.refit_if_stale(
        "customers", min_records=2, fit=fit, pairs=lambda: given
    )

    # B and D (北京华信科技有限公司 / 华信科技有限公司, one switchboard) under the fitted cut.
    assert step.detail["identifier_pairs"]["linked_though_different"] == {
        "current": 0,
        "fitted": 1,
    }
    assert step.applied is True


def _given() -> FitPairs:
    drawn = draw(100, labelled=100)
    return FitPairs(drawn.codes, drawn.total, drawn.labelled, drawn.same)


def _degenerate(entity, *, base, prepared, processes, pairs):
    fit_rule_on_records(entity, base=base, prepared=prepared, pairs=pairs)
    return dataclasses.replace(base, prior=0.6)  # refused: outside (0, 0.5)


def test_a_refused_fit_falls_back_to_re_estimating_the_prior_alone(one_switchboard, erp):
    # Twenty other companies: the four of the switchboard are a few pairs among many.
    for i in range(20):
        erp.put(
            "customers",
            f"X{i}",
            {
                "name": f"{'东南西北春夏秋冬甲乙丙丁戊己庚辛壬癸天地'[i]}方{i}号贸易有限公司",
                "phone": f"021-6{i:03d}{i:04d}",
            },
        )
    given = _given()

    rule, step = match_learning.refit_if_stale(
        "customers", min_records=2, fit=_degenerate, pairs=lambda: given
    )

    assert step.applied is True
    assert "full fit refused: degenerate: prior 0.6" in step.message
    assert "the prior alone re-estimated on 24 records" in step.message
    assert rule.prior == step.detail["prior_only"]["prior"] != RULE.prior
    # Weights and thresholds are the current rule's.
    assert rule.fields == RULE.fields
    stored = MatchRuleConfig.objects.get(entity="customers")
    assert stored.config["prior"] == rule.prior
    assert (stored.auto_threshold, stored.review_threshold) == (0.999999999999, 0.999999999)


def test_a_prior_the_safeguards_refuse_leaves_the_rule_as_it_was(one_switchboard, monkeypatch):
    monkeypatch.setattr(match_learning, "MAX_DUPLICATES_PER_RECORD", 0.0)
    given = _given()

    rule, step = match_learning.refit_if_stale(
        "customers", min_records=2, fit=_degenerate, pairs=lambda: given
    )

    assert step.applied is False
    assert "the prior alone: degenerate: prior" in step.message
    assert rule.prior == RULE.prior


def test_too_few_records_for_weights_are_enough_for_the_prior(one_switchboard, erp, monkeypatch):
    for i in range(20):
        erp.put(
            "customers",
            f"X{i}",
            {"name": f"{'东南西北春夏秋冬甲乙丙丁戊己庚辛壬癸天地'[i]}方{i}号贸易有限公司"},
        )
    monkeypatch.setattr(match_learning, "PRIOR_MIN_RECORDS", 10)
    given = _given()
    fitted_weights = []

    def fit(entity, *, base, prepared, processes, pairs):
        fit_rule_on_records(entity, base=base, prepared=prepared, pairs=pairs)
        fitted_weights.append(True)
        return dataclasses.replace(base, prior=0.01)  # never applied: too few records

    rule, step = match_learning.refit_if_stale(
        "customers", min_records=100, fit=fit, pairs=lambda: given
    )

    assert fitted_weights  # the pairs were compared, for the prior
    assert step.applied is True
    assert "too few active records to estimate weights (24 < 100)" in step.message
    assert "the prior alone re-estimated on 24 records" in step.message
    assert rule.prior not in (RULE.prior, 0.01)
    assert rule.fields == RULE.fields


def test_fewer_records_than_the_prior_needs_leave_the_rule_alone(one_switchboard):
    given = _given()

    rule, step = match_learning.refit_if_stale(
        "customers", min_records=100, fit=_degenerate, pairs=lambda: given
    )

    assert step.applied is False
    assert "too few active records to estimate weights (4 < 100): the current rule" in step.message
    assert rule.prior == RULE.prior
    assert not MatchRuleConfig.objects.filter(entity="customers").exclude(config__prior=RULE.prior)
