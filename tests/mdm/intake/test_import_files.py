"""`import_source` with the files operators really have: encodings, XLSX, broken files, duplicated
codes, unknown columns, extra cells, flagged values, and the exit status scripts read."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from openpyxl import Workbook
from stdnum.cn import uscc

from mdm.models import Customer, Event, SourceRecord

pytestmark = pytest.mark.django_db

CC = "91110108MA01ABCD2" + uscc.calc_check_digit("91110108MA01ABCD2")
HEADER = "local_code,name,customer_type,credit_code,phone\n"
HUAXIN = f"SD01-1,北京华信科技有限公司,企业,{CC},010-62345678\n"
PUJIANG = "SD01-2,上海浦江物流有限公司,org,,13812345678\n"


def run_import(path: Path, *args: str, system: str = "ERP") -> tuple[int, str]:
    """(exit status, stdout) of ``import_source`` as an operator runs it."""
    out = io.StringIO()
    try:
        call_command(
            "import_source",
            str(path),
            "--system",
            system,
            "--entity",
            "customers",
            "--no-progress",
            *args,
            stdout=out,
            stderr=io.StringIO(),
        )
    except CommandError as error:
        if error.returncode != 1:  # 1: rows rejected; anything else is the caller's to see
            raise
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def report_rows(path: Path) -> list[tuple[str, str, str, str, str]]:
    with path.with_name(path.name + ".errors.csv").open(encoding="utf-8-sig") as handle:
        return [
            (r["line"], r["local_code"], r["outcome"], r["field"], r["code"])
            for r in csv.DictReader(handle)
        ]


def database_url() -> str:
    """The test database, for a command run in a subprocess."""
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def unreadable(path: Path, *args: str) -> str:
    """The one error line of an import that could not read its file (exit status 2)."""
    with pytest.raises(CommandError) as error:
        run_import(path, *args)
    assert error.value.returncode == 2
    message = str(error.value)
    assert "\n" not in message
    assert SourceRecord.objects.count() == 0
    return message


def test_a_gbk_csv_from_excel_on_chinese_windows_is_detected_and_imported(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_bytes((HEADER + HUAXIN + PUJIANG).encode("gbk"))

    status, out = run_import(path)

    assert status == 0
    assert out.splitlines()[-1] == (
        "erp.csv (gb18030): rows=2 created=2 updated=0 unchanged=0 rejected=0 flagged=0 "
        "links[new=2]"
    )
    assert Customer.objects.get(credit_code=CC).name == "北京华信科技有限公司"
    assert (
        SourceRecord.objects.get(local_code="SD01-2").attributes["name"] == "上海浦江物流有限公司"
    )


def test_a_short_gbk_file_is_read_as_gb18030_not_big5(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_bytes("local_code,name\nA-1,华信\n".encode("gbk"))

    status, out = run_import(path)

    assert (status, "(gb18030)" in out) == (0, True)
    assert SourceRecord.objects.get(local_code="A-1").attributes["name"] == "华信"


def test_a_utf8_file_with_a_bom_is_imported(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_bytes((HEADER + HUAXIN).encode("utf-8-sig"))

    status, out = run_import(path)

    assert status == 0
    assert "erp.csv (utf-8-sig): rows=1 created=1" in out
    assert SourceRecord.objects.get(local_code="SD01-1").attributes["customer_type"] == "org"


def test_the_encoding_can_be_named(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_bytes((HEADER + HUAXIN).encode("gb18030"))

    status, out = run_import(path, "--encoding", "GB18030")

    assert status == 0
    assert "erp.csv (gb18030): rows=1 created=1" in out


def test_a_gbk_file_read_as_utf8_is_one_error_line_and_nothing_is_stored(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_bytes((HEADER + HUAXIN).encode("gbk"))

    message = unreadable(path, "--encoding", "utf-8")

    assert message == (
        "无法读取 erp.csv：第 1 行附近的字节不是 utf-8 编码（可用 --encoding 指定编码） / "
        "cannot read erp.csv: bytes near line 1 are not utf-8; name the encoding with --encoding"
    )


def test_an_xlsx_workbook_is_imported_with_its_dates_and_numbers(erp, tmp_path):
    book = Workbook()
    book.active.append(["local_code", "name", "customer_type", "established_date"])
    book.active.append(["X-1", "北京华信科技有限公司", "org", "2019-05-06"])
    book.active.append([2, "上海浦江物流有限公司", "org", None])
    path = tmp_path / "crm.xlsx"
    book.save(path)

    status, out = run_import(path)

    assert status == 0
    assert "crm.xlsx (xlsx): rows=2 created=2" in out
    assert sorted(SourceRecord.objects.values_list("local_code", flat=True)) == ["2", "X-1"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "无法读取 erp.csv：文件不存在 / cannot read erp.csv: file not found"),
        (b"", "无法读取 erp.csv：文件为空 / cannot read erp.csv: the file is empty"),
        (
            b"\n\n",
            "无法读取 erp.csv：没有表头行 / cannot read erp.csv: there is no header line",
        ),
        (
            "编号,名称\n1,华信\n".encode(),
            "无法读取 erp.csv：表头须含 local_code 列（第 1 行：编号,名称） / "
            "cannot read erp.csv: the header must have a local_code column (line 1: 编号,名称)",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
            "无法读取 erp.csv：不支持 Excel 97-2003 (.xls) 文件，请另存为 XLSX 或 CSV / "
            "cannot read erp.csv: Excel 97-2003 (.xls) files are not supported; "
            "save as XLSX or CSV",
        ),
        (
            b"PK\x03\x04" + bytes(200),
            "无法读取 erp.csv：不是可读的 XLSX 工作簿 / cannot read erp.csv: not a readable "
            "XLSX workbook",
        ),
        (
            b"local_code,name\nA,\x00x\n",
            "无法读取 erp.csv：第 2 行含 NUL 字符（二进制文件？） / "
            "cannot read erp.csv: line 2 holds a NUL character (a binary file?)",
        ),
    ],
    ids=["missing", "empty", "blank", "no-local-code", "xls", "broken-zip", "nul"],
)
def test_a_file_that_cannot_be_read_is_one_error_line_and_exit_status_2(
    erp, tmp_path, content, expected
):
    path = tmp_path / "erp.csv"
    if content is not None:
        path.write_bytes(content)

    assert unreadable(path) == expected


def test_an_unknown_encoding_name_is_one_error_line(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_text(HEADER + HUAXIN, encoding="utf-8")

    assert unreadable(path, "--encoding", "klingon") == (
        "无法读取 erp.csv：未知编码 klingon / cannot read erp.csv: unknown encoding klingon"
    )


def test_an_unreadable_file_from_the_shell_exits_2_with_one_line_and_no_traceback(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 8)

    result = subprocess.run(
        [sys.executable, "manage.py", "import_source", str(path), "--system", "ERP"]
        + ["--entity", "customers"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "PYTHONPATH": str(settings.BASE_DIR), "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "CommandError: 无法读取 photo.csv：不是可识别编码的文本文件（不是 CSV？可用 --encoding "
        "指定编码） / cannot read photo.csv: not text in any encoding found (not a CSV?); name "
        "one with --encoding\n"
    )


def test_a_local_code_twice_in_a_file_rejects_both_rows_and_stores_the_others(erp, tmp_path):
    path = tmp_path / "erp.csv"
    again = "SD01-1,北京华信科技股份有限公司,org,,\n"
    path.write_text(HEADER + HUAXIN + PUJIANG + again, encoding="utf-8")

    status, out = run_import(path)

    assert status == 1
    assert out.splitlines()[-1] == (
        "erp.csv (utf-8): rows=3 created=1 updated=0 unchanged=0 rejected=2 flagged=0 links[new=1]"
    )
    assert list(SourceRecord.objects.values_list("local_code", flat=True)) == ["SD01-2"]
    assert report_rows(path) == [
        ("2", "SD01-1", "rejected", "local_code", "duplicate_local_code"),
        ("4", "SD01-1", "rejected", "local_code", "duplicate_local_code"),
    ]
    with path.with_name("erp.csv.errors.csv").open(encoding="utf-8-sig") as handle:
        message = next(csv.DictReader(handle))["message"]
    assert message == (
        "本地编码在文件中出现 2 次（第 2, 4 行），均未导入 / "
        "the local code occurs 2 times in the file (lines 2, 4); none of them was imported"
    )


def test_reimporting_a_file_with_a_repeated_code_changes_nothing_and_emits_no_event(erp, tmp_path):
    path = tmp_path / "erp.csv"
    again = "SD01-1,北京华信科技股份有限公司,org,,\n"
    path.write_text(HEADER + HUAXIN + PUJIANG + again, encoding="utf-8")
    run_import(path)
    events, history = Event.objects.count(), SourceRecord.history.count()

    status, out = run_import(path)

    assert status == 1
    assert "rows=3 created=0 updated=0 unchanged=1 rejected=2" in out
    assert (Event.objects.count(), SourceRecord.history.count()) == (events, history)


def test_reimporting_the_same_file_changes_nothing_and_emits_no_event(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_text(HEADER + HUAXIN + PUJIANG + "SD01-3,广州某公司,org,,12345\n", "utf-8")
    run_import(path)
    events, history = Event.objects.count(), SourceRecord.history.count()
    prints = dict(SourceRecord.objects.values_list("local_code", "fingerprint"))

    status, out = run_import(path)

    assert status == 0
    assert out.splitlines()[-1] == (
        "erp.csv (utf-8): rows=3 created=0 updated=0 unchanged=3 rejected=0 flagged=1 links[new=3]"
    )
    assert (Event.objects.count(), SourceRecord.history.count()) == (events, history)
    assert dict(SourceRecord.objects.values_list("local_code", "fingerprint")) == prints


def test_an_unknown_column_is_one_header_problem_and_the_rows_are_stored(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_text(
        "local_code,name,remark,customer_type\n"
        "A-1,北京华信科技有限公司,大客户,org\n"
        "A-2,上海浦江物流有限公司,,org\n"
        "A-3,广州长城化工有限公司,老客户,org\n",
        encoding="utf-8",
    )

    status, out = run_import(path)

    assert status == 1
    assert "rows=3 created=3 updated=0 unchanged=0 rejected=0 flagged=0" in out
    assert "(0 rejected rows, 0 rows with flagged values, 1 columns not imported)" in out
    assert report_rows(path) == [("1", "", "ignored", "remark", "unknown_element")]
    assert "remark" not in SourceRecord.objects.get(local_code="A-1").raw


def test_a_repeated_and_a_blank_column_are_reported_once(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_text(
        "local_code,name,,name\nA-1,北京华信科技有限公司,x,华信\nA-2,上海浦江物流有限公司,y,浦江\n",
        encoding="utf-8",
    )

    status, _ = run_import(path)

    assert status == 1
    assert report_rows(path) == [
        ("1", "", "ignored", "name", "duplicate_column"),
        ("1", "", "ignored", "", "blank_column_name"),
    ]
    assert SourceRecord.objects.get(local_code="A-1").attributes["name"] == "北京华信科技有限公司"


def test_a_row_with_more_cells_than_the_header_is_rejected_and_reported(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_text(
        HEADER
        + "SD01-5,北京,华信科技有限公司,org,,010-62345678\n"
        + PUJIANG
        + "SD01-6,广州长城化工有限公司,org,,,\n",
        encoding="utf-8",
    )

    status, out = run_import(path)

    assert status == 1
    assert "rows=3 created=2 updated=0 unchanged=0 rejected=1" in out
    assert report_rows(path) == [("2", "SD01-5", "rejected", "", "extra_cells")]
    assert not SourceRecord.objects.filter(local_code="SD01-5").exists()


def test_flagged_values_are_in_the_report_with_their_codes_and_the_row_is_stored(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_text(
        "local_code,name,phone,email,region_code,credit_code\n"
        "F-1,北京华信科技有限公司,12345,a@@b,999999,91110108MA01ABCD2X\n"
        "F-2,上海浦江物流有限公司,13812345678,info@pujiang.cn,310115,\n",
        encoding="utf-8",
    )

    status, out = run_import(path)

    assert status == 0
    assert out.splitlines()[-1] == (
        "erp.csv (utf-8): rows=2 created=2 updated=0 unchanged=0 rejected=0 flagged=1 links[new=2]"
    )
    assert report_rows(path) == [
        ("2", "F-1", "flagged", "phone", "invalid_phone_number"),
        ("2", "F-1", "flagged", "email", "invalid_email"),
        ("2", "F-1", "flagged", "region_code", "not_in_domain"),
        ("2", "F-1", "flagged", "credit_code", "invalid_checksum"),
    ]
    assert sorted(SourceRecord.objects.get(local_code="F-1").flagged) == [
        "credit_code",
        "email",
        "phone",
        "region_code",
    ]


def test_an_import_whose_rows_are_all_rejected_exits_1(erp, tmp_path):
    path = tmp_path / "erp.csv"
    path.write_text("local_code,name,customer_type\nB-1,,org\nB-2,某公司,alien\n", "utf-8")

    status, out = run_import(path)

    assert status == 1
    assert out.splitlines()[-1] == (
        "erp.csv (utf-8): rows=2 created=0 updated=0 unchanged=0 rejected=2 flagged=0 links[]"
    )
    assert report_rows(path) == [
        ("2", "B-1", "rejected", "name", "required"),
        ("3", "B-2", "rejected", "customer_type", "not_in_domain"),
    ]
    assert SourceRecord.objects.count() == 0


def test_an_unknown_system_is_a_usage_error_with_exit_status_2(tmp_path):
    path = tmp_path / "erp.csv"
    path.write_text(HEADER + HUAXIN, encoding="utf-8")

    with pytest.raises(CommandError) as error:
        run_import(path, system="NOPE")

    assert error.value.returncode == 2
    assert str(error.value) == "未知源系统 unknown source system: NOPE (create_source_system)"
