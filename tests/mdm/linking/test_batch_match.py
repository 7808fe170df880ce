"""`manage.py match`: batch scoring, clustering with conflict checks, merging, idempotence."""

from __future__ import annotations

import dataclasses
import io

import pytest
from django.core.management import call_command
from stdnum.cn import uscc

from matching.models import MatchCandidate, MatchRuleConfig
from matching.rules import (
    DEFAULT_RULES,
    probability_to_weight,
    rule_to_dict,
    weight_to_probability,
)
from mdm.linking.batch.match import run_batch_match
from mdm.models import Customer, Event, SourceRecord
from tests.support.matching import set_thresholds

pytestmark = pytest.mark.django_db


def cc(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def golden_codes_of(*local_codes: str) -> set[str]:
    return set(
        SourceRecord.objects.filter(local_code__in=local_codes).values_list(
            "golden_code", flat=True
        )
    )


@pytest.fixture
def unmatched(erp, crm, shop):
    """Three systems' versions of one company, stored while auto-linking was switched off."""
    set_thresholds(auto=0.999999999999, review=0.999999999)
    erp.put(
        "customers",
        "SD01-1",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    crm.put(
        "customers",
        "BJ-B-1",
        {"name": "华信科技（北京）有限公司", "customer_type": "org", "phone": "(010)62345678"},
    )
    shop.put(
        "customers",
        "WEB1",
        {
            "name": "Beijing Huaxin Technology Co., Ltd.",
            "customer_type": "org",
            "phone": "+86 10 62345678",
        },
    )
    erp.put(
        "customers",
        "SD01-2",
        {"name": "广州华信科技有限公司", "customer_type": "org", "phone": "020-87654321"},
    )
    assert Customer.objects.filter(status="active").count() == 4
    set_thresholds(auto=0.99)


def test_match_merges_the_duplicates_into_the_oldest_golden_record(unmatched):
    oldest = SourceRecord.objects.get(local_code="SD01-1").golden_code
    merged_codes = {SourceRecord.objects.get(local_code=c).golden_code for c in ("BJ-B-1", "WEB1")}

    report = run_batch_match(entity="customers")

    assert report.golden_merged == 2
    assert report.clusters_merged == 1
    assert golden_codes_of("SD01-1", "BJ-B-1", "WEB1") == {oldest}
    assert SourceRecord.objects.get(local_code="SD01-2").golden_code != oldest
    for code in merged_codes:
        merged = Customer.objects.get(code=code)
        assert (merged.status, merged.merged_into.code) == ("merged", oldest)
    assert Event.objects.filter(kind="merged").count() == 2


def test_merged_codes_keep_resolving_through_the_api(unmatched, erp):
    old = SourceRecord.objects.get(local_code="WEB1").golden_code
    run_batch_match(entity="customers")

    body = erp.client.get(f"/api/v1/golden/customers/{old}").json()

    assert body["merged_into"] == SourceRecord.objects.get(local_code="SD01-1").golden_code
    assert len(body["members"]) == 3


def test_running_match_twice_changes_nothing_the_second_time(unmatched):
    run_batch_match(entity="customers")
    events, candidates = Event.objects.count(), MatchCandidate.objects.count()
    history = SourceRecord.history.count() + Customer.history.count()

    report = run_batch_match(entity="customers")

    assert report.golden_merged == 0
    assert Event.objects.count() == events
    assert MatchCandidate.objects.count() == candidates
    assert SourceRecord.history.count() + Customer.history.count() == history


def test_a_cluster_never_holds_two_different_valid_credit_codes(erp, crm, shop):
    set_thresholds(auto=0.999999999999, review=0.999999999)
    erp.put(
        "customers",
        "A",
        {
            "name": "北京华信科技有限公司",
            "customer_type": "org",
            "phone": "010-62345678",
            "credit_code": cc("91110108MA01ABCD2"),
        },
    )
    # Bridges A and C by name and phone, with no credit code of its own.
    crm.put(
        "customers",
        "B",
        {"name": "华信科技(北京)有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    shop.put(
        "customers",
        "C",
        {
            "name": "北京华信科技有限公司",
            "customer_type": "org",
            "phone": "010-62345678",
            "credit_code": cc("91110108MA01ABCE2"),
        },
    )
    set_thresholds(auto=0.99)

    report = run_batch_match(entity="customers")

    codes = {lc: SourceRecord.objects.get(local_code=lc).golden_code for lc in "ABC"}
    assert codes["A"] != codes["C"]
    assert report.vetoed >= 1
    assert (
        len({c.credit_code for c in Customer.objects.filter(status="active") if c.credit_code}) == 2
    )


def test_a_rejected_pair_is_not_merged_by_the_batch(unmatched):
    a = SourceRecord.objects.get(local_code="SD01-1")
    b = SourceRecord.objects.get(local_code="BJ-B-1")
    c = SourceRecord.objects.get(local_code="WEB1")
    for left, right in ((a, b), (a, c), (b, c)):
        MatchCandidate.objects.update_or_create(
            left_id=min(left.pk, right.pk),
            right_id=max(left.pk, right.pk),
            defaults={"entity": "customers", "score": 0.9, "status": "rejected"},
        )

    report = run_batch_match(entity="customers")

    assert report.golden_merged == 0
    assert len({a.golden_code, b.golden_code, c.golden_code}) == 3


def test_uncertain_pairs_are_queued_for_review(erp, crm):
    set_thresholds(auto=0.999999999999, review=0.999999999)
    erp.put(
        "customers",
        "A",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    crm.put("customers", "B", {"name": "华信科技", "customer_type": "org"})
    set_thresholds(auto=0.99)

    report = run_batch_match(entity="customers")

    assert report.review_candidates == 1
    candidate = MatchCandidate.objects.get()
    assert (candidate.status, candidate.origin) == ("pending", "batch")


def test_match_command_prints_counts_and_timings(unmatched):
    out = io.StringIO()

    call_command("match", entity="customers", no_progress=True, stdout=out)

    assert "golden_merged=2" in out.getvalue()
    assert "total=" in out.getvalue()


def test_a_weak_key_shared_by_too_many_records_is_skipped_and_counted(erp, monkeypatch):
    """Five different companies in five cities share only the pinyin/name keys of 华信科技."""
    from mdm.linking.batch import pairs as batch_pairs

    set_thresholds(auto=0.999999999999, review=0.999999999)
    cities = ["北京", "上海", "广州", "深圳", "杭州"]
    for i, city in enumerate(cities):
        erp.put("customers", f"H{i}", {"name": f"{city}华信科技有限公司", "customer_type": "org"})
    set_thresholds(auto=0.99)
    monkeypatch.setattr(batch_pairs, "WEAK_BLOCK", 4)

    report = run_batch_match(entity="customers")

    assert report.skipped_keys >= 1
    assert report.pairs_scored == 0

    monkeypatch.setattr(batch_pairs, "WEAK_BLOCK", 24)
    report = run_batch_match(entity="customers")

    assert report.skipped_keys == 0
    assert report.pairs_scored == len(cities) * (len(cities) - 1) // 2


def test_a_small_feature_cache_gives_the_same_result(unmatched, monkeypatch, settings):
    """Records dropped from the bounded cache are prepared again, with the same answer."""
    from mdm.linking.batch import scoring as batch_scoring

    settings.MDM_MATCH_FEATURE_CACHE = 1
    monkeypatch.setattr(batch_scoring, "WINDOW_PAIRS", 1)

    report = run_batch_match(entity="customers")

    assert report.golden_merged == 2
    assert report.records_prepared > report.records
    assert len(golden_codes_of("SD01-1", "BJ-B-1", "WEB1")) == 1


def test_a_record_leaves_the_cache_after_its_last_window(erp, crm, monkeypatch, settings):
    """Three companies stored twice each, one pair per window: each record is prepared once
    and dropped once its pair is scored, so the cache never holds more than one pair's."""
    from mdm.linking.batch import scoring as batch_scoring

    set_thresholds(auto=0.999999999999, review=0.999999999)
    companies = [
        ("北京华信科技有限公司", "010-62345678"),
        ("上海东方明珠物流有限公司", "021-55501234"),
        ("深圳腾达电子有限公司", "0755-26661234"),
    ]
    for i, (name, phone) in enumerate(companies):
        erp.put("customers", f"E{i}", {"name": name, "customer_type": "org", "phone": phone})
        crm.put("customers", f"C{i}", {"name": name, "customer_type": "org", "phone": phone})
    set_thresholds(auto=0.99)
    settings.MDM_MATCH_FEATURE_CACHE = 1000
    monkeypatch.setattr(batch_scoring, "WINDOW_PAIRS", 1)

    report = run_batch_match(entity="customers")

    assert report.golden_merged == 3
    assert report.records_prepared == 6
    assert report.cache_peak == 2
    for i in range(3):
        assert len(golden_codes_of(f"E{i}", f"C{i}")) == 1


def test_next_uses_tell_the_next_window_and_the_records_no_window_ahead_needs():
    import numpy as np

    from mdm.linking.batch.scoring import NextUses

    windows = [np.array([10, 11]), np.array([11, 12]), np.array([12, 20]), np.array([11])]
    uses = NextUses(10, 20, windows)
    never = NextUses.NEVER

    assert uses.ahead(np.array([10, 11, 12, 13, 20, 99])).tolist() == [0, 0, 1, never, 2, never]
    assert uses.used(np.array([10, 11])).tolist() == [10]
    assert uses.ahead(np.array([10, 11, 12])).tolist() == [never, 1, 1]
    assert uses.used(np.array([11, 12])).tolist() == []
    assert uses.ahead(np.array([11, 12])).tolist() == [3, 2]
    # An id outside the range it was built for is never reported (it was not counted).
    assert uses.used(np.array([5, 12, 20, 99])).tolist() == [12, 20]
    assert uses.used(np.array([11])).tolist() == [11]


def test_past_the_limit_the_records_needed_furthest_ahead_go_first(erp, settings):
    """A cache of two records asked for a, b, c, a, b, c: the record needed furthest ahead is
    dropped (4 preparations), where the least recently used would be (6)."""
    import numpy as np

    from mdm.linking.batch.report import BatchMatchReport
    from mdm.linking.batch.scoring import FeatureCache, NextUses

    for code, name in (
        ("A", "北京华信科技有限公司"),
        ("B", "上海东方物流有限公司"),
        ("C", "深圳腾达电子有限公司"),
    ):
        erp.put("customers", code, {"name": name, "customer_type": "org"})
    a, b, c = (SourceRecord.objects.get(local_code=code).pk for code in "ABC")
    windows = [np.array([pk]) for pk in (a, b, c, a, b, c)]
    settings.MDM_MATCH_FEATURE_CACHE = 2

    def preparations(uses: NextUses | None) -> tuple[int, int]:
        report = BatchMatchReport(entity="customers")
        cache = FeatureCache("customers", report, uses=uses)
        for ids in windows:
            cache.fetch(ids)
            assert cache.get(int(ids[0])) is not None
            cache.scored(ids)
        return report.records_prepared, cache.peak

    assert preparations(NextUses(min(a, b, c), max(a, b, c), windows)) == (4, 3)
    assert preparations(None) == (6, 3)


def test_pairs_split_into_tiny_partitions_give_the_same_merge(unmatched, monkeypatch):
    """One record id per partition and a flush after every pair: the same cluster is merged."""
    from mdm.linking.batch import pairs as batch_pairs

    monkeypatch.setattr(batch_pairs, "PARTITION_IDS", 1)
    monkeypatch.setattr(batch_pairs, "FLUSH_PAIRS", 1)

    report = run_batch_match(entity="customers")

    assert report.golden_merged == 2
    assert len(golden_codes_of("SD01-1", "BJ-B-1", "WEB1")) == 1


def test_codes_merged_in_a_chain_resolve_to_the_live_golden_record_in_one_query_per_hop(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mdm.linking.batch.merge import _live_codes

    a, b, c, d = (Customer.objects.create(code=f"CU-H{i}", name=f"客户{i}") for i in range(4))
    Customer.objects.filter(pk=a.pk).update(status="merged", merged_into=b)
    Customer.objects.filter(pk=b.pk).update(status="merged", merged_into=c)

    with CaptureQueriesContext(connection) as captured:
        live = _live_codes("customers", {a.code, b.code, d.code, "CU-UNKNOWN"})

    assert live == {a.code: c.code, b.code: c.code, d.code: d.code, "CU-UNKNOWN": "CU-UNKNOWN"}
    assert len(captured.captured_queries) == 2  # the codes, then the one hop beyond them


def test_a_union_is_refused_when_it_would_put_a_branch_with_its_head_office(erp):
    from mdm.linking.batch.merge import _cluster_goldens
    from mdm.linking.batch.scoring import note_identity

    codes = [
        erp.put("customers", f"G-{i}", {"name": f"第{i}号测试贸易有限公司"}).json()["golden_code"]
        for i in range(3)
    ]
    head, link, branch = codes
    identities: dict = {}
    note_identity(identities, head, ("branch=", "kind=organization"))
    note_identity(identities, link, ("branch=", "kind=organization"))
    note_identity(identities, branch, ("branch=shanghaifengongsi", "kind=organization"))

    clusters, refused = _cluster_goldens(
        "customers", [(head, link, 0.999), (link, branch, 0.995)], identities
    )

    assert clusters == [[head, link]]
    assert refused == 1


def test_identity_tags_of_a_golden_record_collect_every_member_and_read_older_job_rows():
    from mdm.linking.batch.scoring import note_identity, stored_tags

    identities: dict = {}
    note_identity(identities, "CU1", ("kind=organization",))
    note_identity(identities, "CU1", ("credit_code=91110108MA01ABCDEF", "kind=organization"))

    assert identities["CU1"] == ("credit_code=91110108MA01ABCDEF", "kind=organization")
    assert stored_tags({"kind": ["person"], "id_number": ["x"]}) == ("id_number=x", "kind=person")
    assert stored_tags(["kind=person"]) == ("kind=person",)


def _spy_decisions(monkeypatch) -> list[bool]:
    """Whether each pair the batch decides came with its comparison levels already known."""
    from mdm.linking.batch import scoring as batch_scoring

    with_levels: list[bool] = []
    decide = batch_scoring.decide_and_trace

    def spy(rule, a, b, levels=None, **options):
        with_levels.append(levels is not None)
        return decide(rule, a, b, levels, **options)

    monkeypatch.setattr(batch_scoring, "decide_and_trace", spy)
    return with_levels


def test_a_match_after_a_refit_reuses_what_the_fit_prepared(unmatched, monkeypatch):
    from mdm.linking.rule_store import PreparedRecords, fit_rule_from_records

    prepared = PreparedRecords()
    fit_rule_from_records("customers", prepared=prepared)
    set_thresholds(auto=0.99)  # the shipped weights again: four records are too few to fit on
    with_levels = _spy_decisions(monkeypatch)

    report = run_batch_match(entity="customers", prepared=prepared)

    assert len(prepared.features) == 4 and prepared.levels
    assert report.records_prepared == 0
    assert with_levels and all(with_levels)
    assert report.golden_merged == 2
    assert len(golden_codes_of("SD01-1", "BJ-B-1", "WEB1")) == 1


def test_a_record_changed_after_the_refit_is_prepared_and_compared_again(
    unmatched, erp, monkeypatch
):
    from mdm.linking.rule_store import PreparedRecords, fit_rule_from_records

    prepared = PreparedRecords()
    fit_rule_from_records("customers", prepared=prepared)
    set_thresholds(auto=0.99)
    # The Guangzhou company is renamed: its features and its pairs from the fit are stale.
    erp.put(
        "customers",
        "SD01-2",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    with_levels = _spy_decisions(monkeypatch)

    report = run_batch_match(entity="customers", prepared=prepared)

    assert report.records_prepared == 1
    assert False in with_levels
    assert len(golden_codes_of("SD01-1", "BJ-B-1", "WEB1", "SD01-2")) == 1


def test_levels_from_a_rule_that_compares_differently_are_not_used(unmatched, monkeypatch):
    from mdm.linking.rule_store import PreparedRecords, fit_rule_from_records

    prepared = PreparedRecords()
    fit_rule_from_records("customers", prepared=prepared)
    set_thresholds(auto=0.99)
    prepared.signature = ("another", "rule")
    with_levels = _spy_decisions(monkeypatch)

    report = run_batch_match(entity="customers", prepared=prepared)

    assert with_levels and not any(with_levels)
    assert report.golden_merged == 2


def _rows(local_code: str) -> list[dict]:
    """The record's link explanation as a steward reads it."""
    from mdm.linking.merge_reasons import explanation_rows

    record = SourceRecord.objects.get(local_code=local_code)
    return explanation_rows(record.entity, record.link_explanation)


def test_each_record_the_batch_merged_is_stored_with_its_score_and_why(unmatched):
    survivor = SourceRecord.objects.get(local_code="SD01-1")
    before = {c: SourceRecord.objects.get(local_code=c).golden_code for c in ("BJ-B-1", "WEB1")}
    unmerged = _rows("SD01-2")

    run_batch_match(entity="customers")

    names = {r.local_code: r.attributes["name"] for r in SourceRecord.objects.all()}
    for local_code in ("BJ-B-1", "WEB1"):
        record = SourceRecord.objects.get(local_code=local_code)
        assert record.link_kind == "auto"
        assert record.link_score >= 0.99
        # Stored as the decision's evidence, without the values.
        stored = record.link_explanation
        assert stored["merge"] == [before[local_code], survivor.golden_code]
        assert stored["pair"][0] == record.pk
        assert names[local_code] not in str(stored)
        merge, *fields = _rows(local_code)
        assert merge["field"] == "merge"
        assert (merge["left"], merge["right"]) == (before[local_code], survivor.golden_code)
        assert "merged by the batch match" in merge["note"]
        name = next(row for row in fields if row["field"] == "company_name")
        # This record on the left, the record it matched (in the same cluster) on the right.
        assert name["left"] == names[local_code]
        assert name["right"] in {names[c] for c in ("SD01-1", "BJ-B-1", "WEB1")} - {name["left"]}
        assert name["similarity"] is not None and name["weight"] != 0 and name["note"]
        phone = next(row for row in fields if row["field"] == "phone")
        assert phone["similarity"] == 1.0
        # The weights are the ones that decided: they add up to the stored score.
        weight = probability_to_weight(DEFAULT_RULES["customers"].prior) + sum(
            row["weight"] for row in fields
        )
        assert abs(weight_to_probability(weight) - record.link_score) < 1e-3
        # Neither record changed since the merge: no row says so.
        assert len(stored["prints"]) == 2 and all(stored["prints"])
        assert not [row for row in fields if row["field"] == "changed"]
    # The records that did not move keep what the real-time match said.
    assert SourceRecord.objects.get(pk=survivor.pk).link_explanation == survivor.link_explanation
    assert _rows("SD01-2") == unmerged


def test_a_merge_explanation_says_when_a_record_changed_after_the_merge(unmatched, shop):
    run_batch_match(entity="customers")
    record = SourceRecord.objects.get(local_code="WEB1")
    partner = SourceRecord.objects.get(pk=record.link_explanation["pair"][1])
    phone_before = next(row for row in _rows("WEB1") if row["field"] == "phone")
    assert phone_before["similarity"] == 1.0

    # The shop corrects the phone later: the record stays with its golden record, and its
    # explanation still holds the similarities of the merge, which compared the old phone.
    answer = shop.put(
        "customers",
        "WEB1",
        {
            "name": "Beijing Huaxin Technology Co., Ltd.",
            "customer_type": "org",
            "phone": "+86 10 88889999",
        },
    )
    assert answer.status_code == 200, answer.content

    merge, changed, *fields = _rows("WEB1")
    assert merge["field"] == "merge"
    assert changed["field"] == "changed"
    assert changed["left"] == "ECOM/WEB1"
    assert changed["note"] == "changed since the merge: the values shown are current"
    phone = next(row for row in fields if row["field"] == "phone")
    assert phone["similarity"] == 1.0  # the decision's, shown beside the current values
    assert phone["left"] != phone_before["left"]
    # Only the record that changed is named.
    assert [row["left"] for row in _rows("WEB1") if row["field"] == "changed"] == ["ECOM/WEB1"]
    assert partner.pk != record.pk


def test_a_merge_explanation_names_the_partner_when_the_partner_changed(unmatched, erp, crm):
    run_batch_match(entity="customers")
    record = SourceRecord.objects.get(local_code="WEB1")
    partner = SourceRecord.objects.select_related("system").get(
        pk=record.link_explanation["pair"][1]
    )
    system = {"ERP": erp, "CRM": crm}[partner.system.code]
    payload = {**partner.raw, "phone": "010-66667777"}
    assert system.put("customers", partner.local_code, payload).status_code == 200

    changed = [row for row in _rows("WEB1") if row["field"] == "changed"]
    assert [row["left"] for row in changed] == [f"{partner.system.code}/{partner.local_code}"]


def test_the_explanation_of_a_merge_keeps_the_weights_that_decided_after_a_refit(unmatched):
    run_batch_match(entity="customers")
    decided = {row["field"]: row["weight"] for row in _rows("WEB1")}
    rule = DEFAULT_RULES["customers"]
    # The weights are re-estimated later: every level's m probability changes.
    refit = dataclasses.replace(
        rule,
        fields=[
            dataclasses.replace(
                f, levels=[dataclasses.replace(lv, m=lv.m * 0.5) for lv in f.levels]
            )
            for f in rule.fields
        ],
    )
    MatchRuleConfig.objects.update_or_create(
        entity="customers",
        defaults={"auto_threshold": 0.99, "review_threshold": 0.5, "config": rule_to_dict(refit)},
    )

    assert {row["field"]: row["weight"] for row in _rows("WEB1")} == decided


def test_the_other_members_of_a_merged_golden_record_name_the_pair_that_merged_it(erp, crm, shop):
    set_thresholds(auto=0.999999999999, review=0.999999999)
    code = cc("91110108MA01ABCD2")
    erp.put(
        "customers",
        "S",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    )
    crm.put(
        "customers",
        "X",
        {
            "name": "华信科技（北京）有限公司",
            "customer_type": "org",
            "phone": "(010)62345678",
            "credit_code": code,
        },
    )
    # The same valid credit code: linked to X's golden record in real time, whatever the name.
    shop.put(
        "customers", "Y", {"name": "华信数码商城", "customer_type": "org", "credit_code": code}
    )
    assert golden_codes_of("X") == golden_codes_of("Y") != golden_codes_of("S")
    set_thresholds(auto=0.99)

    report = run_batch_match(entity="customers")

    assert report.golden_merged == 1
    assert len(golden_codes_of("S", "X", "Y")) == 1
    x, y = SourceRecord.objects.get(local_code="X"), SourceRecord.objects.get(local_code="Y")
    merge, *fields = _rows("X")
    assert merge["field"] == "merge"
    assert {row["field"] for row in fields} >= {"company_name", "phone"}
    (line,) = _rows("Y")
    assert line["field"] == "merge"
    assert line["note"].endswith("moved with its golden record: CRM/X ~ ERP/S")
    assert y.link_score == x.link_score >= 0.99
    assert y.link_kind == "auto"


def test_a_merge_by_a_shared_identifier_says_so(erp, crm):
    set_thresholds(auto=0.999999999999, review=0.999999999)
    code = cc("91310115MA01PQRT3")
    erp.put("customers", "P1", {"name": "上海浦江物流有限公司", "customer_type": "org"})
    crm.put("customers", "P2", {"name": "浦江物流", "customer_type": "org", "credit_code": code})
    # The credit code arrives on the older record later, while auto-linking is still off.
    erp.put(
        "customers",
        "P1",
        {"name": "上海浦江物流有限公司", "customer_type": "org", "credit_code": code},
    )
    assert len(golden_codes_of("P1", "P2")) == 2
    set_thresholds(auto=0.99)

    run_batch_match(entity="customers")

    merge, rule, *fields = _rows("P2")
    assert (rule["field"], rule["left"], rule["note"]) == (
        "credit_code",
        code,
        "hard rule: same valid credit_code",
    )
    assert SourceRecord.objects.get(local_code="P2").link_score == 1.0


def test_a_steward_merge_clears_the_score_and_explanation_the_matcher_gave(unmatched):
    from mdm.linking.merge import merge_golden_records

    run_batch_match(entity="customers")
    keep = SourceRecord.objects.get(local_code="SD01-2").golden_code
    survivor = SourceRecord.objects.get(local_code="SD01-1").golden_code

    merge_golden_records(
        entity="customers", survivor_code=keep, other_codes=[survivor], link_kind="steward"
    )

    for local_code in ("SD01-1", "BJ-B-1", "WEB1"):
        record = SourceRecord.objects.get(local_code=local_code)
        assert (record.golden_code, record.link_kind) == (keep, "steward")
        assert record.link_score is None and record.link_explanation is None


def test_rescoring_the_queue_costs_the_same_queries_for_two_candidates_or_six(erp, crm):
    # Each pending pair: a legal name in the ERP, its short name in the CRM (a review pair).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mdm.linking.batch.match import rescore_pending

    trades = ["华信", "蓝天", "星河", "远航", "金桥", "新元"]
    for i, trade in enumerate(trades):
        erp.put("customers", f"E-{i}", {"name": f"北京{trade}科技有限公司", "customer_type": "org"})
        crm.put("customers", f"C-{i}", {"name": f"{trade}科技", "customer_type": "org"})
    pending = MatchCandidate.objects.filter(status="pending")
    assert pending.count() == len(trades)
    rule = DEFAULT_RULES["customers"]

    def queries_to_rescore(keep: int, prior: float) -> int:
        MatchCandidate.objects.filter(status="pending").exclude(
            pk__in=list(MatchCandidate.objects.order_by("pk").values_list("pk", flat=True)[:keep])
        ).update(status="rejected")
        with CaptureQueriesContext(connection) as captured:
            changed = rescore_pending("customers", dataclasses.replace(rule, prior=prior))
        assert changed == keep  # every score moves with the prior
        return len(captured)

    six = queries_to_rescore(6, 1e-3)
    two = queries_to_rescore(2, 1e-4)

    assert six == two
    reasons = {c.history.first().history_change_reason for c in pending.filter(status="pending")}
    assert reasons == {"rescored by the batch match"}
