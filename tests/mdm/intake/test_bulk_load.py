"""`import_source --bulk`: a whole export written without real-time matching, then one batch
match; it ends where a record-by-record import followed by `match` ends.

These tests commit (a parallel load's workers and the batch match's scorers open their own
connections), so they use ``transactional_db``.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mdm.access.accounts import create_source_system
from mdm.devtools.benchmarks.scale import reset_entity
from mdm.models import Customer, SourceRecord, SourceSystem
from tests.mdm.intake.test_import_parallel import (  # the same export, twins included
    company_rows,
    crosswalk,
    run_import,
    write_csv,
)


@pytest.fixture
def erp_system(restore_after_flush, transactional_db) -> SourceSystem:
    return create_source_system(code="ERP", name="ERP")[0]


def members() -> dict[str, frozenset[str]]:
    """local code -> the local codes of its golden record (how records are grouped, not how
    each was linked: a bulk load links in the batch, an import partly in real time)."""
    return {code: group for code, (_link, group) in crosswalk().items()}


def person_rows() -> list[list[str]]:
    """Persons: the same person held twice with one phone (linked by the batch), namesakes in
    other cities without shared contacts (kept apart)."""
    return [
        ["PS-0001", "张伟", "person", "", "13812345678", "110108"],
        ["PS-0002", "张 伟", "person", "", "138-1234-5678", "110108"],
        ["PS-0003", "张伟", "person", "", "13998765432", "440106"],
        ["PS-0004", "李娜", "person", "", "13700001111", "310115"],
    ]


def test_a_bulk_load_ends_with_the_golden_records_of_an_import_and_a_match(erp_system, tmp_path):
    path = tmp_path / "erp.csv"
    write_csv(path, company_rows() + person_rows())
    one_by_one = run_import(path, "--batch-size", "7")
    call_command("match", entity="customers", no_progress=True, stdout=io.StringIO())
    expected = members()
    reset_entity("customers")

    out = run_import(path, "--bulk", "--workers", "2", "--batch-size", "7")

    assert "rows=50 created=48 updated=0 unchanged=0 rejected=2" in one_by_one
    assert "rows=50 created=48 updated=0 unchanged=0 rejected=2" in out
    assert "links[new=48]" in out  # nothing was matched while writing
    assert "match customers: records=48" in out
    assert "bulk load: write " in out and "rows/s with matching" in out
    assert members() == expected
    # Each twin (same credit code) joined its company; the same person's two records one.
    assert expected["TW-0001"] == {"SD-0001", "TW-0001"}
    assert expected["PS-0001"] == {"PS-0001", "PS-0002"}
    assert expected["PS-0003"] == {"PS-0003"}
    assert Customer.objects.filter(status="active").count() == 48 - 4 - 1


def test_a_bulk_load_without_matching_leaves_every_record_on_its_own(erp_system, tmp_path):
    path = tmp_path / "erp.csv"
    write_csv(path, company_rows())

    out = run_import(path, "--bulk", "--no-match")

    assert "links[new=44]" in out and "match customers" not in out
    assert "rows/s)" in out and "with matching" not in out
    assert Customer.objects.filter(status="active").count() == 44
    # The block keys are written: the batch match run afterwards finds the twins.
    call_command("match", entity="customers", no_progress=True, stdout=io.StringIO())
    assert Customer.objects.filter(status="active").count() == 40
    assert members()["TW-0017"] == {"SD-0017", "TW-0017"}


def test_loading_the_same_file_in_bulk_again_changes_nothing(erp_system, tmp_path):
    path = tmp_path / "erp.csv"
    write_csv(path, company_rows())
    run_import(path, "--bulk")
    before = crosswalk()

    out = run_import(path, "--bulk")

    assert "rows=46 created=0 updated=0 unchanged=44 rejected=2" in out
    assert "golden_merged=0" in out
    assert crosswalk() == before


def test_a_changed_record_keeps_its_golden_record_in_a_bulk_load(erp_system, tmp_path):
    path = tmp_path / "erp.csv"
    rows = company_rows()
    write_csv(path, rows)
    run_import(path, "--bulk")
    golden = SourceRecord.objects.get(local_code="TW-0001").golden_code
    rows[-4][1] = rows[-4][1].replace("有限公司", "股份有限公司")  # TW-0001, renamed
    write_csv(path, rows)

    out = run_import(path, "--bulk")

    assert "updated=1 unchanged=43" in out
    assert SourceRecord.objects.get(local_code="TW-0001").golden_code == golden


def test_no_match_goes_only_with_bulk(erp_system, tmp_path):
    path = tmp_path / "erp.csv"
    write_csv(path, company_rows())

    with pytest.raises(CommandError, match="--no-match") as error:
        run_import(path, "--no-match")

    assert error.value.returncode == 2
    assert not SourceRecord.objects.exists()
