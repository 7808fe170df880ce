"""The hub learns: stale weights re-fitted with safeguards, thresholds from steward decisions."""

from __future__ import annotations

import dataclasses
import io

import pytest
from django.core.management import call_command

from matching.engine import score_pair
from matching.models import MatchCandidate, MatchRuleChange, MatchRuleConfig
from matching.rules import (
    DEFAULT_RULES,
    probability_to_weight,
    weight_to_probability,
)
from mdm.linking import learning as match_learning
from mdm.linking.batch.match import run_batch_match
from mdm.linking.learning import recalibrate_thresholds, refit_if_stale
from mdm.models import SourceRecord

pytestmark = pytest.mark.django_db

RULE = DEFAULT_RULES["customers"]
HUAXIN = {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"}


def org(name: str, **attrs: str) -> dict[str, str]:
    return {"name": name, "customer_type": "org", **attrs}


def fitting(prior: float):
    """An estimator that returns the current rule with this prior (what EM would find)."""
    calls = []

    def fit(entity, *, base, prepared, processes):
        calls.append(entity)
        return dataclasses.replace(base, prior=prior)

    fit.calls = calls
    return fit


def decide(left: str, right: str, status: str) -> MatchCandidate:
    low, high = sorted(
        SourceRecord.objects.filter(local_code__in=[left, right]).values_list("pk", flat=True)
    )
    candidate, _ = MatchCandidate.objects.update_or_create(
        left_id=low,
        right_id=high,
        defaults={"entity": "customers", "score": 0.0, "status": status, "reason": "test"},
    )
    return candidate


@pytest.fixture
def companies(erp, crm):
    erp.put("customers", "SD01-1", HUAXIN)
    crm.put("customers", "BJ-1", org("华信科技"))
    erp.put("customers", "SD01-2", org("广州华信科技有限公司", phone="020-87654321"))


# --------------------------------------------------------------------------- re-fit


def test_a_stale_rule_is_refitted_and_the_step_recorded(companies):
    rule, step = refit_if_stale("customers", min_records=2, fit=fitting(4e-5))

    stored = MatchRuleConfig.objects.get(entity="customers")
    assert rule.prior == stored.config["prior"] == 4e-5
    assert step.applied is True
    assert step.message == "never fitted; weights re-fitted on 3 records (prior 2e-05 -> 4e-05)"
    row = MatchRuleChange.objects.get()
    assert (row.kind, row.applied, row.records) == ("refit", True, 3)
    assert stored.history.first().history_change_reason == "re-fitted by the batch match"


def test_the_rule_is_fitted_again_only_when_the_records_change_by_a_quarter(companies, shop):
    refit_if_stale("customers", min_records=2, fit=fitting(4e-5))

    again = fitting(5e-5)
    _rule, quiet = refit_if_stale("customers", min_records=2, fit=again)
    for i in range(2):
        shop.put("customers", f"WEB{i}", org(f"深圳新公司{i}有限公司"))
    _rule, stale = refit_if_stale("customers", min_records=2, fit=again)

    assert quiet is None
    assert again.calls == ["customers"]
    assert stale.message.startswith("active records 3 -> 5 (more than 25% since the last fit)")


def test_a_degenerate_fit_is_refused_and_the_current_rule_kept(companies):
    rule, step = refit_if_stale("customers", min_records=2, fit=fitting(0.5))

    assert rule.prior == RULE.prior
    assert step.applied is False
    assert step.message == (
        "never fitted; fit refused: degenerate: prior 0.5 outside (0, 0.5); the current rule stays"
    )
    assert not MatchRuleConfig.objects.exists()
    assert MatchRuleChange.objects.get().applied is False


def test_a_fit_expecting_many_duplicates_per_record_is_refused(erp):
    for i in range(8):
        erp.put("customers", f"SD01-{i}", org(f"第{i}号测试有限公司"))

    _rule, step = refit_if_stale("customers", min_records=2, fit=fitting(0.49))

    assert step.applied is False
    assert step.message == (
        "never fitted; fit refused: degenerate: prior 0.49 means 3.4 duplicates per record "
        "(at most 3 expected); the current rule stays"
    )
    assert step.detail["expected_duplicates_per_record"] == 3.43


def test_a_fit_that_misclassifies_more_steward_decisions_is_refused(companies, monkeypatch):
    monkeypatch.setattr(match_learning, "MIN_DECIDED", 1)
    decide("SD01-1", "BJ-1", "rejected")  # the rule queues it (0.94): right; auto would be wrong

    rule, step = refit_if_stale("customers", min_records=2, fit=fitting(0.3))

    assert rule.prior == RULE.prior
    assert step.message == (
        "never fitted; fit refused: it misclassifies 1 of 1 steward decisions against 0 now; "
        "the current rule stays"
    )
    assert step.detail["misclassified"] == {"current": 0, "fitted": 1}
    assert not MatchRuleConfig.objects.exists()


def test_the_batch_match_leaves_a_small_entity_alone_and_says_so(companies):
    report = run_batch_match(entity="customers")

    assert report.learning == [
        "learning refit: not applied: never fitted; too few active records to estimate "
        "weights (3 < 1000): the current rule stays"
    ]
    assert not MatchRuleConfig.objects.exists()
    assert run_batch_match(entity="customers").learning == []  # nothing new since


def test_the_real_estimator_on_a_small_entity_is_checked_like_any_fit(companies):
    rule, step = refit_if_stale("customers", min_records=2)

    assert step.kind == "refit"
    assert step.detail["records"] == 3
    assert (rule is not None) and (step.applied == MatchRuleConfig.objects.exists())


# --------------------------------------------------------------------------- thresholds


@pytest.fixture
def decisions(erp, crm, monkeypatch):
    """A rejected pair the rule would link (same name and phone: 1.0 without a hard rule) and
    an accepted one it would not even queue (another city's company, 0.14)."""
    monkeypatch.setattr(match_learning, "MIN_SIDE", 1)
    erp.put("customers", "SD01-1", HUAXIN)
    crm.put("customers", "BJ-1", HUAXIN)
    erp.put("customers", "SD01-3", org("北京华信科技有限公司"))
    crm.put("customers", "SH-1", org("上海华信科技有限公司"))
    decide("SD01-1", "BJ-1", "rejected")
    decide("SD01-3", "SH-1", "accepted")


def test_decisions_move_the_thresholds_within_bounds_and_say_why(decisions):
    rejected = score_pair(RULE, HUAXIN, HUAXIN).match_weight
    accepted = score_pair(RULE, org("北京华信科技有限公司"), org("上海华信科技有限公司"))

    rule, step = recalibrate_thresholds("customers", RULE)

    auto = weight_to_probability(probability_to_weight(0.99) + match_learning.MAX_STEP)
    review = weight_to_probability(accepted.match_weight - match_learning.MARGIN)
    assert rejected > probability_to_weight(auto)  # one step at a time: 4 bits up
    assert (rule.auto_threshold, rule.review_threshold) == pytest.approx((auto, review))
    assert step.message == (
        f"2 steward decisions: auto 0.990000 -> {auto:.6f}, review 0.5000 -> {review:.4f}: "
        "auto raised: 1 rejected pair(s) at or above it, the strongest at 1.000000 "
        "(auto set 1 bit above it); review lowered: 1 accepted pair(s) below it, the weakest at "
        f"{accepted.score:.4f} (review set 1 bit below it)"
    )
    stored = MatchRuleConfig.objects.get(entity="customers")
    assert (stored.auto_threshold, stored.review_threshold) == pytest.approx((auto, review))
    assert stored.history.first().history_change_reason == "thresholds recalibrated from decisions"


def test_thresholds_move_again_only_when_there_are_new_decisions(decisions, erp, crm):
    recalibrate_thresholds("customers", RULE)
    stored = MatchRuleConfig.objects.get(entity="customers")

    _rule, step = recalibrate_thresholds("customers", RULE)

    assert step is None
    assert MatchRuleConfig.objects.get(entity="customers").auto_threshold == stored.auto_threshold


def test_a_pair_decided_by_a_hard_rule_does_not_move_the_thresholds(erp, crm, monkeypatch):
    monkeypatch.setattr(match_learning, "MIN_SIDE", 1)
    person = {"name": "金秀敏", "customer_type": "person", "birth_date": "1965-04-02"}
    erp.put("customers", "P-1", person | {"phone": "13812345678"})
    crm.put("customers", "P-2", person | {"name": "金浩国", "phone": "13812345678"})
    decide("P-1", "P-2", "rejected")  # capped by the Chinese-name rule: never auto anyway

    rule, step = recalibrate_thresholds("customers", RULE)

    assert (rule.auto_threshold, rule.review_threshold) == (0.99, 0.5)
    assert step.applied is False
    assert step.message == "1 steward decisions: thresholds kept (auto 0.990000, review 0.5000)"


def test_the_match_command_prints_what_it_learned(decisions):
    out = io.StringIO()

    call_command("match", entity="customers", no_progress=True, processes=1, stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("learning refit: not applied: never fitted; too few")
    assert lines[1].startswith("learning thresholds: applied: 2 steward decisions: auto 0.990000")


def test_a_fit_that_would_flood_the_queue_is_refused(companies, monkeypatch):
    monkeypatch.setattr(match_learning, "GROWTH_SLACK", 0)
    monkeypatch.setattr(match_learning, "MAX_GROWTH", 1.0)  # three records: few pairs

    def fit(entity, *, base, prepared, processes):
        match_learning.fit_rule_on_records(entity, base=base, prepared=prepared)
        return dataclasses.replace(base, prior=0.2)  # 13.6 bits more for every pair

    rule, step = refit_if_stale("customers", min_records=2, fit=fit)

    counts = step.detail["linked_or_queued"]
    assert counts["current"] >= 1 and counts["fitted"] > counts["current"]
    assert step.applied is False
    assert (
        f"it would link or queue {counts['fitted']} of the compared pairs against "
        f"{counts['current']} now" in step.message
    )
    assert rule.prior == RULE.prior


def test_operators_read_what_was_learned_in_the_admin(companies, admin_client):
    refit_if_stale("customers", min_records=2, fit=fitting(0.5))

    page = admin_client.get("/admin/matching/matchrulechange/").content.decode()

    assert "never fitted; fit refused: degenerate: prior 0.5 outside (0, 0.5)" in page
    assert admin_client.get("/admin/matching/matchrulechange/add/").status_code == 403


def test_the_review_threshold_rises_only_with_rejected_noise_below_and_twice_the_margin():
    rejected = [match_learning.DecidedPair(False, w, False, False) for w in (-5, -4, -3, -2, -1)]
    accepted = [match_learning.DecidedPair(True, w, False, False) for w in (5, 6, 7, 8, 9)]

    auto, review, reasons = match_learning.propose_thresholds(RULE, rejected + accepted)
    kept = match_learning.propose_thresholds(RULE, rejected[:4] + accepted)

    assert auto == 0.99  # two accepted pairs above the rejected ones are too few to lower it
    assert review == pytest.approx(weight_to_probability(3.0))  # 5 - 2 bits
    assert reasons == [
        "review raised: 5 rejected pair(s) below every accepted one, the weakest accepted at "
        "0.9697 (review set 2 bits below it)"
    ]
    assert kept == (0.99, 0.5, [])  # four rejected pairs: not enough to move anything


def test_a_manual_fit_counts_as_a_fit_for_the_batch_match(companies):
    call_command("fit_match_rule", entity="customers", processes=1, stdout=io.StringIO())

    fit = fitting(4e-5)
    _rule, step = refit_if_stale("customers", min_records=2, fit=fit)

    assert step is None and fit.calls == []
    row = MatchRuleChange.objects.get()
    assert (row.applied, row.records, row.message) == (
        True,
        3,
        "fitted by fit_match_rule on 3 records, without safeguards",
    )


def test_the_nightly_match_keeps_what_it_learned_in_the_job_log(decisions):
    from mdm.operations.nightly_steps import run_match

    run = run_match("customers")

    assert run.status == "succeeded"
    assert "learning refit: not applied: never fitted; too few active records" in run.log
    assert "learning thresholds: applied: 2 steward decisions: auto 0.990000 ->" in run.log


# --------------------------------------------------------------------------- auto-link cut

#: Persons of RLdata's kind (German names, birth dates): each held by the ERP and the CRM alike.
PERSONS = [
    ("MATTHIAS MOELLER", "1956-06-28"),
    ("HARALD FUCHS", "1954-11-20"),
    ("ELISABETH PETERS", "1943-02-09"),
    ("GERD HOFFMANN", "1992-05-08"),
    ("UWE FRANK", "1966-08-27"),
    ("BIRGIT MUELLER", "1997-05-07"),
    ("WOLFGANG HAAS", "1965-02-09"),
    ("ANNA BECKER", "1970-02-06"),
    ("ROBERT WEBER", "1926-06-16"),
    ("CHRISTIANE SCHMIDT", "1982-02-05"),
]


def person(name: str, birth_date: str) -> dict[str, str]:
    return {"name": name, "customer_type": "person", "birth_date": birth_date}


def calibrated(prior: float = 1.2e-4):
    """An estimator that compares the records as the real one does (the pairs the cut is chosen
    on) and returns the shipped weights with this prior: the same name with a birth date one
    digit off then scores 0.948, the same name and date 0.9998."""

    def fit(entity, *, base, prepared, processes):
        match_learning.fit_rule_on_records(entity, base=base, prepared=prepared)
        return dataclasses.replace(base, prior=prior)

    return fit


@pytest.fixture
def persons(erp, crm):
    for i, (name, born) in enumerate(PERSONS):
        erp.put("customers", f"P{i}", person(name, born))
        crm.put("customers", f"C{i}", person(name, born))
    erp.put("customers", "P-LEHMANN", person("FRANK LEHMANN", "1951-08-18"))
    crm.put("customers", "C-LEHMANN", person("FRANK LEHMANN", "1952-08-18"))
    erp.put("customers", "P-GUENTHER", person("STEFAN GUENTHER", "1924-04-28"))
    crm.put("customers", "C-GUENTHER", person("STEFAN GUENTHER", "1969-01-05"))


def golden_of(local_code: str) -> str:
    return SourceRecord.objects.get(local_code=local_code).golden_code


def test_a_fit_lowers_the_auto_threshold_to_what_its_links_can_afford(persons):
    assert MatchCandidate.objects.get().status == "pending"  # the ERP/CRM Lehmann pair, 0.75

    rule, step = refit_if_stale("customers", min_records=2, fit=calibrated())
    report = run_batch_match(entity="customers")

    cut = step.detail["auto_cut"]
    assert (cut["ceiling"], cut["floor"], cut["target"], cut["links"]) == (0.99, 0.85, 0.97, 11)
    assert round(rule.auto_threshold, 4) == 0.9474
    assert MatchRuleConfig.objects.get(entity="customers").auto_threshold == rule.auto_threshold
    assert step.message.endswith(
        "; auto-link threshold 0.990000 -> 0.947374 (11 of the compared pairs at or above it, "
        "expected precision 0.9951)"
    )
    assert golden_of("P-LEHMANN") == golden_of("C-LEHMANN")
    assert golden_of("P-GUENTHER") != golden_of("C-GUENTHER")  # another date: two persons
    candidate = MatchCandidate.objects.get()
    assert (candidate.status, candidate.reason) == ("accepted", match_learning.JOINED_REASON)
    # The batch closed that candidate; no steward decided anything, so nothing is recalibrated.
    assert report.learning == []
    assert run_batch_match(entity="customers").learning == []  # still none the next night


def test_a_strict_precision_target_keeps_the_fixed_threshold(persons, settings):
    settings.MDM_AUTO_LINK_PRECISION = 0.99

    rule, step = refit_if_stale("customers", min_records=2, fit=calibrated())
    run_batch_match(entity="customers", learn=False)

    assert rule.auto_threshold == 0.99
    assert step.detail["auto_cut"]["links"] == 10
    assert golden_of("P-LEHMANN") != golden_of("C-LEHMANN")
    assert MatchCandidate.objects.get().status == "pending"


def test_the_cut_stays_above_a_pair_a_steward_rejected(persons, erp, crm):
    erp.put("customers", "P-KOCH", person("PETRA KOCH", "1977-03-12"))
    crm.put("customers", "C-KOCH", person("PETRA KOCH", "1977-03-13"))
    decide("P-KOCH", "C-KOCH", "rejected")  # mother and daughter? the steward knows

    rule, step = refit_if_stale("customers", min_records=2, fit=calibrated())

    assert rule.auto_threshold == 0.99
    assert step.detail["auto_cut"]["floor"] == pytest.approx(
        weight_to_probability(
            score_pair(
                rule, person("PETRA KOCH", "1977-03-12"), person("PETRA KOCH", "1977-03-13")
            ).match_weight
            + 1
        )
    )


def test_the_next_fit_chooses_its_cut_under_the_same_ceiling(persons):
    rule, _step = refit_if_stale("customers", min_records=2, fit=calibrated())

    assert match_learning.cut_ceiling("customers", rule) == 0.99
    steward_set = dataclasses.replace(rule, auto_threshold=0.995)
    assert match_learning.cut_ceiling("customers", steward_set) == 0.995
