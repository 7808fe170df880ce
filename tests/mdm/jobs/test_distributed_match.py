"""The batch match as a distributed job on a real Celery worker: same result for 1 or 4 chunks."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from matching.models import BatchMatchMerge, BatchMatchPair, BatchMatchPlan
from mdm.jobs import runner as job_runner
from mdm.jobs.runs import plan_chunks, start_job
from mdm.linking.batch import job as batch_match_job
from mdm.linking.batch.match import run_batch_match
from mdm.linking.merge_reasons import explanation_rows
from mdm.models import JobRun, SourceRecord
from tests.support.matching import set_thresholds
from tests.support.waiting import wait_until

COMPANIES = [
    (
        "ERP",
        "SD01-1",
        {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"},
    ),
    (
        "CRM",
        "BJ-B-1",
        {"name": "华信科技（北京）有限公司", "customer_type": "org", "phone": "(010)62345678"},
    ),
    (
        "ECOM",
        "WEB1",
        {
            "name": "Beijing Huaxin Technology Co., Ltd.",
            "customer_type": "org",
            "phone": "+86 10 62345678",
        },
    ),
    (
        "ERP",
        "SD01-2",
        {"name": "广州华信科技有限公司", "customer_type": "org", "phone": "020-87654321"},
    ),
    (
        "ERP",
        "SD01-3",
        {"name": "上海浦江物流有限公司", "customer_type": "org", "phone": "021-55556666"},
    ),
    (
        "CRM",
        "SH-B-1",
        {"name": "浦江物流(上海)有限公司", "customer_type": "org", "phone": "021 5555 6666"},
    ),
]


def _store_unmatched(systems) -> None:
    """The companies stored while auto-linking was off, so the batch has the merging to do."""
    set_thresholds(auto=0.999999999999, review=0.999999999)
    for code, local_code, payload in COMPANIES:
        systems[code].put("customers", local_code, payload)
    set_thresholds(auto=0.99)


def _partition() -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for local_code, golden in SourceRecord.objects.values_list("local_code", "golden_code"):
        groups.setdefault(golden, set()).add(local_code)
    return {frozenset(g) for g in groups.values()}


def _assert_merges_explained() -> None:
    """Each record the match moved says why: a merge line, then the pair's fields."""
    for local_code in ("BJ-B-1", "WEB1", "SH-B-1"):
        record = SourceRecord.objects.get(local_code=local_code)
        assert record.link_kind == "auto" and record.link_score >= 0.99
        merge, *fields = explanation_rows("customers", record.link_explanation)
        assert merge["field"] == "merge" and merge["right"] == record.golden_code
        assert {row["field"] for row in fields} >= {"company_name", "phone"}


EXPECTED = {
    frozenset({"SD01-1", "BJ-B-1", "WEB1"}),
    frozenset({"SD01-2"}),
    frozenset({"SD01-3", "SH-B-1"}),
}


@pytest.mark.parametrize("chunks", [1, 4])
def test_the_distributed_match_gives_the_same_result_for_any_number_of_chunks(
    restore_after_flush, transactional_db, celery_worker, erp, crm, shop, chunks
):
    _store_unmatched({"ERP": erp, "CRM": crm, "ECOM": shop})
    assert len(_partition()) == 6

    run = job_runner.launch_job("match", "customers", params={"chunks": chunks})
    wait_until(lambda: JobRun.objects.get(pk=run.pk).is_finished, timeout=60, what="the match job")

    run = JobRun.objects.get(pk=run.pk)
    assert run.status == "succeeded", run.error
    assert run.total_chunks == run.done_chunks >= 1
    assert run.counts["golden_merged"] == 3
    assert _partition() == EXPECTED
    _assert_merges_explained()
    assert run.counts["pairs_considered"] >= run.counts["pairs_scored"] >= 3
    assert BatchMatchPair.objects.count() == 0
    assert BatchMatchPlan.objects.count() == 0


def test_the_one_process_match_agrees_with_the_distributed_one(
    restore_after_flush, transactional_db, erp, crm, shop
):
    _store_unmatched({"ERP": erp, "CRM": crm, "ECOM": shop})

    report = run_batch_match(entity="customers")

    assert report.golden_merged == 3
    assert _partition() == EXPECTED


@pytest.mark.parametrize("processes", [2, 3])
def test_match_in_several_processes_agrees_with_one_process(
    restore_after_flush, transactional_db, erp, crm, shop, processes, monkeypatch
):
    _store_unmatched({"ERP": erp, "CRM": crm, "ECOM": shop})
    # One cluster per merge batch: the batches are merged by the forked processes too.
    monkeypatch.setattr("mdm.linking.batch.merge.MERGE_BATCH", 1)

    report = run_batch_match(entity="customers", processes=processes)

    assert (report.golden_merged, report.clusters_merged) == (3, 2)
    assert report.pairs_scored >= 3
    assert 0 < report.fork_mb_per_process <= report.peak_mb_per_process
    assert report.cache_peak >= 2  # the children's cache high marks reach the parent
    assert _partition() == EXPECTED
    _assert_merges_explained()


def test_a_rerun_of_the_merge_round_or_the_end_step_merges_nothing_twice(
    restore_after_flush, transactional_db, erp, crm, shop
):
    _store_unmatched({"ERP": erp, "CRM": crm, "ECOM": shop})
    run = start_job("match", "customers", params={"chunks": 2})
    keys = batch_match_job.plan(run)
    plan_chunks(run.pk, keys)
    for key in keys:
        batch_match_job.run_chunk(run, key)

    merges = batch_match_job.next_round(run)
    # A crash after the clusters were stored: asked again, the same round, clustered once.
    assert batch_match_job.next_round(run) == merges == ["merge-0"]
    first = [batch_match_job.run_chunk(run, key) for key in merges]
    # A merge batch done again (its "done" lost with a worker): its clusters are one already.
    second = [batch_match_job.run_chunk(run, key) for key in merges]
    batch_match_job.finalize(run)
    batch_match_job.finalize(run)  # a crash after the end step's work: it runs again

    assert sum(c["golden_merged"] for c in first) == 3
    assert sum(c["golden_merged"] for c in second) == 0
    assert _partition() == EXPECTED
    _assert_merges_explained()
    assert BatchMatchMerge.objects.count() == 0


def test_the_merges_are_a_round_of_chunks_of_their_own(
    restore_after_flush, transactional_db, celery_worker, erp, crm, shop
):
    _store_unmatched({"ERP": erp, "CRM": crm, "ECOM": shop})

    # One cluster per merge chunk: two clusters, two merge chunks.
    params = {"chunks": 2, "merge_batch": 1}
    run = job_runner.launch_job("match", "customers", params=params)
    wait_until(lambda: JobRun.objects.get(pk=run.pk).is_finished, timeout=60, what="the match job")

    run = JobRun.objects.get(pk=run.pk)
    assert run.status == "succeeded", run.error
    keys = set(run.chunks.values_list("key", flat=True))
    assert {"merge-0", "merge-1"} <= keys
    assert run.total_chunks == run.done_chunks == len(keys)
    assert run.counts["clusters_merged"] == 2 and run.counts["golden_merged"] == 3
    assert _partition() == EXPECTED


def test_match_distributed_command_prints_the_job_summary(
    restore_after_flush, transactional_db, celery_worker, erp, crm, shop
):
    _store_unmatched({"ERP": erp, "CRM": crm, "ECOM": shop})
    out = io.StringIO()

    call_command("match", entity="customers", distributed=True, chunks=3, timeout=60, stdout=out)

    assert "succeeded" in out.getvalue()
    assert "golden_merged=3" in out.getvalue()
