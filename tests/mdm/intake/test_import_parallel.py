"""`import_source --workers N`: processes writing disjoint shares of a file through the write path.

These tests commit (the worker processes open their own connections), so they use
``transactional_db`` and wipe the customers between a serial and a parallel import.
"""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from stdnum.cn import uscc

from mdm.access.accounts import create_source_system
from mdm.db.locks import lock_keys
from mdm.devtools.benchmarks.scale import reset_entity
from mdm.errors import ServiceError
from mdm.intake.importing import assign_workers, import_file, import_rows
from mdm.intake.upsert import upsert_source_records
from mdm.models import Customer, SourceRecord, SourceSystem

CITIES = [
    ("北京", "110108", "010-6234"),
    ("上海", "310115", "021-5888"),
    ("广州", "440106", "020-3871"),
    ("杭州", "330106", "0571-8766"),
    ("成都", "510107", "028-8526"),
]
CORES = ["华信", "浦江", "长城", "青松", "蓝海", "金桥", "星河", "鼎盛"]
INDUSTRIES = ["科技", "物流", "化工", "食品"]
HEADER = ["local_code", "name", "customer_type", "credit_code", "phone", "region_code"]


def cc(n: int, region: str) -> str:
    body = f"91{region}MA{n:07d}"[:17]
    return body + uscc.calc_check_digit(body)


def company_rows() -> list[list[str]]:
    """Companies that cannot be one another (each its own valid credit code), the same company
    sent again under another local code (the same credit code), and rows the dictionary
    rejects."""
    rows = []
    n = 0
    for city, region, phone in CITIES:
        for core in CORES:
            n += 1
            industry = INDUSTRIES[n % len(INDUSTRIES)]
            name = f"{city}{core}{industry}有限公司"
            rows.append(
                [f"SD-{n:04d}", name, "org", cc(n, region), f"{phone}{n:04d}", region],
            )
    # Twins: the first rows' companies once more, far down the file, written otherwise.
    for k in (1, 2, 9, 17):
        code, name, _, credit, phone, region = rows[k - 1]
        city = name[:2]
        rows.append([f"TW-{k:04d}", f"{name[2:-4]}（{city}）有限公司", "B", credit, phone, region])
    rows.insert(5, ["BAD-0001", "", "org", "", "", ""])  # name is required
    rows.insert(23, ["BAD-0002", "某公司", "alien", "", "", ""])  # not a customer type
    return rows


def write_csv(path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)


def crosswalk() -> dict[str, tuple[str, frozenset[str]]]:
    """local code -> (link kind, the local codes of its golden record), codes left out."""
    by_golden: dict[str, set[str]] = {}
    records = list(
        SourceRecord.objects.filter(is_active=True).values_list(
            "local_code", "golden_code", "link_kind"
        )
    )
    for local_code, golden_code, _ in records:
        by_golden.setdefault(golden_code, set()).add(local_code)
    return {
        local_code: (link, frozenset(by_golden[golden_code]))
        for local_code, golden_code, link in records
    }


@pytest.fixture
def erp_system(restore_after_flush, transactional_db) -> SourceSystem:
    return create_source_system(code="ERP", name="ERP")[0]


def run_import(path, *args) -> str:
    """The command's output, and its exit status on a last line ``exit=N``."""
    out = io.StringIO()
    status = 0
    try:
        call_command(
            "import_source",
            str(path),
            "--system",
            "ERP",
            "--entity",
            "customers",
            "--no-progress",
            *args,
            stdout=out,
            stderr=io.StringIO(),
        )
    except CommandError as error:
        if error.returncode != 1:
            raise
        status = error.returncode
    return out.getvalue() + f"exit={status}\n"


def test_a_parallel_import_gives_the_crosswalk_of_a_serial_one(erp_system, tmp_path):
    path = tmp_path / "erp.csv"
    rows = company_rows()
    write_csv(path, rows)
    serial_out = run_import(path, "--batch-size", "7")
    serial = crosswalk()
    reset_entity("customers")

    parallel_out = run_import(path, "--workers", "2", "--batch-size", "7")

    assert "rows=46 created=44 updated=0 unchanged=0 rejected=2" in serial_out
    assert "rows=46 created=44 updated=0 unchanged=0 rejected=2" in parallel_out
    assert Customer.objects.filter(status="active").count() == 40
    # The same golden records with the same members and links, twins included: a twin shares
    # its credit code with its first occurrence, so both are written by one worker, in order.
    assert crosswalk() == serial
    assert sum(1 for _, members in serial.values() if len(members) > 1) == 8


def test_rows_that_share_a_code_or_a_contact_go_to_one_worker():
    rows = [
        {"local_code": "A", "credit_code": "91110108MA0000001D"},
        {"local_code": "B", "phone": "010-6234 5678"},
        {"local_code": "C", "credit_code": "91110108ma0000001d"},  # A's, lower case
        {"local_code": "D", "phone": "+86 10 62345678"},  # B's
        {"local_code": "E", "email": "Info@HuaXin.cn"},
        {"local_code": "F", "email": "info@huaxin.cn", "phone": "1"},  # E's; "1" is no phone
        {"local_code": "A", "name": "A again"},
        {"local_code": "G"},
        {"local_code": "H"},
    ]

    assignment = assign_workers(rows, 2)

    assert assignment[0] == assignment[2] == assignment[6]
    assert assignment[1] == assignment[3]
    assert assignment[4] == assignment[5]
    assert sorted(assignment) == [0, 0, 0, 0, 1, 1, 1, 1, 1] or sorted(assignment) == [
        0,
        0,
        0,
        0,
        0,
        1,
        1,
        1,
        1,
    ]


def test_a_parallel_import_reports_bad_rows_in_line_order(erp_system, tmp_path):
    path = tmp_path / "erp.csv"
    write_csv(path, company_rows())

    out = run_import(path, "--workers", "2", "--batch-size", "5")

    assert "rejected=2" in out
    with (tmp_path / "erp.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        report = list(csv.DictReader(handle))
    assert [(r["line"], r["local_code"], r["field"], r["code"]) for r in report] == [
        ("7", "BAD-0001", "name", "required"),
        ("25", "BAD-0002", "customer_type", "not_in_domain"),
    ]


def test_a_local_code_repeated_in_the_file_is_rejected_by_every_worker(erp_system, tmp_path):
    rows = company_rows()[:12]
    first = rows[0]
    rows.append([first[0], first[1].replace("有限公司", "股份有限公司"), *first[2:]])
    rows.append([first[0], first[1].replace("有限公司", "集团有限公司"), *first[2:]])
    path = tmp_path / "erp.csv"
    write_csv(path, rows)

    out = run_import(path, "--workers", "3", "--batch-size", "2")

    assert out.endswith(
        "rows=14 created=10 updated=0 unchanged=0 rejected=4 flagged=0 links[new=10]\nexit=1\n"
    )
    assert not SourceRecord.objects.filter(local_code=first[0]).exists()
    assert SourceRecord.objects.count() == 10  # 14 rows: 3 repeats and BAD-0001 rejected
    with (tmp_path / "erp.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        report = [(r["line"], r["code"]) for r in csv.DictReader(handle)]
    assert report == [
        ("2", "duplicate_local_code"),
        ("7", "required"),
        ("14", "duplicate_local_code"),
        ("15", "duplicate_local_code"),
    ]


def test_parallel_writers_of_one_company_make_one_golden_record(erp_system, tmp_path):
    """Rows of one company known only by its name (no code, no phone) land in every worker:
    they queue on the lock of its name, and the later ones link to the golden record the
    first one made."""
    rows = [[f"X-{i:03d}", "北京华信科技有限公司", "org", "", "", "110108"] for i in range(24)]
    path = tmp_path / "erp.csv"
    write_csv(path, rows)
    assert set(assign_workers([{"local_code": r[0]} for r in rows], 3)) == {0, 1, 2}

    run_import(path, "--workers", "3", "--batch-size", "2")

    assert SourceRecord.objects.count() == 24
    assert Customer.objects.count() == 1
    assert SourceRecord.objects.filter(link_kind="new").count() == 1


def test_a_contended_record_is_deferred_not_waited_for(erp_system):
    """``defer_contended``: an item whose lock another transaction holds is left out (None)."""
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def holder():
        with transaction.atomic():
            lock_keys([f"source:{erp_system.pk}:customers:C-2"])
            held.set()
            release.wait(10)
        connection.close()
        done.set()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    try:
        results = upsert_source_records(
            system=erp_system,
            entity="customers",
            items=[
                ("C-1", {"name": "上海浦江物流有限公司", "customer_type": "org"}),
                ("C-2", {"name": "杭州青松食品有限公司", "customer_type": "org"}),
                ("C-3", {"name": "成都鼎盛化工有限公司", "customer_type": "org"}),
                ("C-2", {"name": "杭州青松食品股份有限公司", "customer_type": "org"}),
            ],
            defer_contended=True,
        )
    finally:
        release.set()
        thread.join()

    assert [r is None for r in results] == [False, True, False, True]
    assert sorted(SourceRecord.objects.values_list("local_code", flat=True)) == ["C-1", "C-3"]


def test_a_concurrent_import_writes_its_deferred_rows_after_the_batch(erp_system, tmp_path):
    """The rows a worker deferred are written (waiting now) before its next batch: all stored,
    in the order of the file for a local code."""
    held, done = threading.Event(), threading.Event()

    def holder():
        with transaction.atomic():
            lock_keys([f"source:{erp_system.pk}:customers:D-2"])
            held.set()
            time.sleep(1.0)
        connection.close()
        done.set()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    rows = [
        {"local_code": "D-1", "name": "北京长城科技有限公司", "customer_type": "org"},
        {"local_code": "D-2", "name": "上海蓝海物流有限公司", "customer_type": "org"},
        {"local_code": "D-3", "name": "广州金桥化工有限公司", "customer_type": "org"},
        {"local_code": "D-2", "name": "上海蓝海物流股份有限公司", "customer_type": "org"},
        {"local_code": "D-4", "name": "杭州星河食品有限公司", "customer_type": "org"},
    ]
    from mdm.intake.importing import _import_lines

    report = _import_lines(
        system=erp_system,
        entity="customers",
        lines=enumerate(rows, start=2),
        actor=None,
        on_rows=None,
        batch_size=3,
        reason="import",
        concurrent=True,
    )
    thread.join()

    assert (report.rows, report.created, report.updated, report.rejected) == (5, 4, 1, 0)
    assert (
        SourceRecord.objects.get(local_code="D-2").attributes["name"] == "上海蓝海物流股份有限公司"
    )
    assert done.is_set()


def test_one_worker_is_the_serial_import(erp_system, tmp_path):
    path = tmp_path / "erp.csv"
    write_csv(path, company_rows()[:10])

    report = import_file(path=path, system=erp_system, entity="customers", workers=1)

    assert (report.rows, report.created, report.rejected) == (10, 9, 1)
    assert import_rows(system=erp_system, entity="customers", rows=[]).rows == 0


def test_an_upsert_does_not_lock_its_source_system(erp_system):
    """Writers of one system must not queue on its row (a FOR UPDATE that followed the model's
    ordering into the source system table did: and deadlocked with the outbox lock)."""
    item = ("L-1", {"name": "上海浦江物流有限公司", "customer_type": "org"})
    upsert_source_records(system=erp_system, entity="customers", items=[item])
    written, release = threading.Event(), threading.Event()

    def writer():
        with transaction.atomic():
            changed = ("L-1", {**item[1], "phone": "021-58881234"})
            upsert_source_records(system=erp_system, entity="customers", items=[changed])
            written.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    written.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM mdm_sourcesystem WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                [erp_system.pk],
            )
            assert cursor.fetchone() == (erp_system.pk,)
    finally:
        release.set()
        thread.join()
    assert SourceRecord.objects.get(local_code="L-1").attributes["phone"] == "+862158881234"


def test_fit_match_rule_in_two_processes_stores_the_rule_one_process_fits(
    erp_system, tmp_path, monkeypatch
):
    from matching.engine import batch
    from matching.models import MatchRuleConfig

    path = tmp_path / "erp.csv"
    write_csv(path, company_rows())
    run_import(path)
    monkeypatch.setattr(batch, "PARALLEL_FIT_PAIRS", 1)

    def fit(processes: str) -> dict:
        MatchRuleConfig.objects.all().delete()  # each fit starts from the shipped rule
        out = io.StringIO()
        call_command(
            "fit_match_rule", "--entity", "customers", "--processes", processes, stdout=out
        )
        assert "rule for customers fitted" in out.getvalue()
        return MatchRuleConfig.objects.get(entity="customers").config

    one = fit("1")
    two = fit("2")

    assert two == one
    assert SourceRecord.objects.count() == 44  # the connection closed before forking reopens


def test_a_failing_worker_reports_without_a_personal_value(
    erp_system, tmp_path, monkeypatch, caplog
):
    """A worker's exception may quote a row's value (here a phone): the error the operator gets
    and the log carry it masked, as job logs do."""
    from mdm.intake import importing

    def broken(**kwargs):
        raise ValueError("cannot write the row with phone 13800138000")

    monkeypatch.setattr(importing, "_import_lines", broken)  # the forked workers inherit it
    path = tmp_path / "erp.csv"
    write_csv(path, company_rows())

    with pytest.raises(ServiceError) as failed:
        import_file(path=path, system=erp_system, entity="customers", workers=2)

    assert "Parallel import failed" in str(failed.value)
    assert "13800138000" not in str(failed.value)
    assert "import worker" in caplog.text and "13800138000" not in caplog.text
