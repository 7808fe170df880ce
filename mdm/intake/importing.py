"""Bulk import of source-system exports (CSV/XLSX) through the same write path as the API.

A file is read twice before anything is written (``open_table``, ``plan_import``): its kind and
encoding (a BOM, UTF-8, else charset-normalizer's guess with GB18030 first), its header (unknown
or repeated columns are reported once and not imported) and its rows (a local code on several
rows, or cells beyond the header, refuse those rows). A file that cannot be read raises
``UnreadableFile`` before anything is written.

An import runs in one process, or in several (``workers``) on PostgreSQL. The rows are first
grouped: rows that share a local code, or a value of an identifying or contact column (credit
code, resident ID, GTIN, phone, e-mail…), are one group, and a group is written by one worker in
the order of the file, as a single process would: the occurrences of a local code keep their
order (a file holds each at most once, but
rows given to ``import_rows`` may repeat one), and the rows most likely to be the same thing see each other. Across workers, writers go
through the same write path as API clients, whose advisory locks on a record's identifying keys
(credit code, name…) make a worker wait for another that is writing the same thing, so two
workers never create two golden records for it. Two rows of different groups that are the same
thing only by fuzzier evidence (a homophone name at the same address) may be written at the
same moment without seeing each other, as two API clients may: both get a golden record, and
the nightly batch match links them.
"""

from __future__ import annotations

import codecs
import csv
import gc
import logging
import multiprocessing
import queue as queue_module
import traceback
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
from django.contrib.auth import get_user_model
from django.db import connection, connections

from dictionary.services import compiled_elements
from dictionary.warm_up import warm_up_dictionary
from matching.engine import cluster, warm_up
from matching.forked import frozen_heap
from mdm.errors import RecordRejected, ServiceError
from mdm.intake.upsert import upsert_source_records
from mdm.linking.realtime import load_rule
from mdm.models import SourceSystem
from mdm.records.entities import check_entity

logger = logging.getLogger(__name__)

LOCAL_CODE = "local_code"
#: Rows per transaction: large enough for set-based writes and for the batch's records to share
#: their candidates, small enough to keep locks short (a record takes up to five advisory locks,
#: and PostgreSQL's lock table holds 64 per connection by default).
IMPORT_BATCH = 500
#: Garbage-collector thresholds while an import runs (Python's defaults: 700, 10, 10).
IMPORT_GC_THRESHOLDS = (50_000, 20, 100)
#: Seconds between checks that every worker of a parallel import is still alive.
WORKER_POLL = 1.0


@dataclass
class ImportReport:
    """Counts of an import and its report: one row per problem, each with its ``outcome``.

    ``rejected`` (the row was not stored: a field error, a duplicated local code, extra cells),
    ``flagged`` (the row was stored, this value kept as received with a warning: an invalid
    phone, e-mail, region, credit code…) or ``ignored`` (a header problem: the column was not
    imported, reported once on line 1).
    """

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    #: Rows stored with at least one flagged value or warning.
    flagged: int = 0
    links: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def ignored_columns(self) -> int:
        return sum(1 for e in self.errors if e["outcome"] == IGNORED)

    @property
    def exit_status(self) -> int:
        """``import_source``'s exit status: 0 every row stored with every column, else 1."""
        return 1 if self.rejected or self.ignored_columns else 0

    def summary(self) -> str:
        links = ", ".join(f"{k}={v}" for k, v in sorted(self.links.items()))
        return (
            f"rows={self.rows} created={self.created} updated={self.updated} "
            f"unchanged={self.unchanged} rejected={self.rejected} flagged={self.flagged} "
            f"links[{links}]"
        )


REJECTED, FLAGGED, IGNORED = "rejected", "flagged", "ignored"
REPORT_COLUMNS = ["line", "local_code", "outcome", "field", "code", "message"]


class UnreadableFile(ServiceError):
    """A file the import cannot read at all: missing, empty, not a table, no header, not in
    the encoding it was read with. Nothing was imported."""

    code = "unreadable_file"

    def __init__(self, path: Path, message_zh: str, message_en: str):
        super().__init__(
            f"无法读取 {path.name}：{message_zh}", f"cannot read {path.name}: {message_en}"
        )


#: Encodings preferred among charset-normalizer's equally good guesses: GB18030 (a superset of
#: GBK and GB 2312, what Excel writes for "CSV" on Chinese Windows), then Big5. A short file
#: (a few Chinese words) decodes without a fault in several East Asian encodings.
PREFERRED_ENCODINGS = ("gb18030", "big5")
#: Bytes of a file that charset-normalizer looks at (cut at a line end).
DETECTION_SAMPLE = 4 << 20
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def detect_encoding(path: Path) -> str:
    """The encoding of a text file: a BOM's, else UTF-8 if every byte decodes as UTF-8, else
    charset-normalizer's guess (GB18030 first among equals)."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        handle.seek(0)
        sample = handle.read(DETECTION_SAMPLE)
    if len(sample) == DETECTION_SAMPLE and b"\n" in sample:
        # A line end never falls inside a multi-byte character of these encodings.
        sample = sample[: sample.rindex(b"\n") + 1]
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        raise UnreadableFile(
            path,
            "不是可识别编码的文本文件（不是 CSV？可用 --encoding 指定编码）",
            "not text in any encoding found (not a CSV?); name one with --encoding",
        )
    least = min(m.chaos for m in matches)
    best = [m.encoding for m in matches if m.chaos == least]
    return next((e for e in PREFERRED_ENCODINGS if e in best), best[0])


@dataclass(frozen=True)
class Table:
    """A CSV or XLSX file, and how to read it."""

    path: Path
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ","

    def lines(self) -> Iterator[tuple[int, list[str]]]:
        """``(line number, cells)`` of every non-blank line, the header first.

        Raises ``UnreadableFile`` where a CSV turns out not to be in its encoding or not CSV.
        """
        if self.kind == "xlsx":
            yield from self._sheet_lines()
            return
        start = 1
        try:
            with self.path.open(encoding=self.encoding, newline="") as handle:
                reader = csv.reader(handle, delimiter=self.delimiter)
                for cells in reader:
                    if any("\x00" in cell for cell in cells):
                        raise UnreadableFile(
                            self.path,
                            f"第 {start} 行含 NUL 字符（二进制文件？）",
                            f"line {start} holds a NUL character (a binary file?)",
                        )
                    if any(cell.strip() for cell in cells):
                        yield start, cells
                    start = reader.line_num + 1
        except UnicodeDecodeError:
            raise UnreadableFile(
                self.path,
                f"第 {start} 行附近的字节不是 {self.encoding} 编码（可用 --encoding 指定编码）",
                f"bytes near line {start} are not {self.encoding}; name the encoding "
                "with --encoding",
            ) from None
        except csv.Error as exc:
            raise UnreadableFile(
                self.path,
                f"第 {start} 行不是有效的 CSV（{exc}）",
                f"line {start} is not valid CSV ({exc})",
            ) from None

    def _sheet_lines(self) -> Iterator[tuple[int, list[str]]]:
        from openpyxl import load_workbook

        workbook = load_workbook(self.path, read_only=True, data_only=True)
        try:
            for line, values in enumerate(workbook.active.iter_rows(values_only=True), start=1):
                cells = [_cell(v) for v in values or ()]
                while cells and not cells[-1].strip():
                    cells.pop()
                if cells:
                    yield line, cells
        finally:
            workbook.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if hasattr(value, "hour") else value.isoformat()
    return str(value)


def open_table(path: Path, encoding: str | None = None) -> Table:
    """The table in ``path``: an XLSX workbook (by its content, whatever its name) or a CSV in
    ``encoding`` (detected when not given; comma- or tab-separated). Raises ``UnreadableFile``."""
    if not path.is_file():
        raise UnreadableFile(path, "文件不存在", "file not found")
    with path.open("rb") as handle:
        head = handle.read(4)
    if not head:
        raise UnreadableFile(path, "文件为空", "the file is empty")
    if head == OLE_MAGIC:
        raise UnreadableFile(
            path,
            "不支持 Excel 97-2003 (.xls) 文件，请另存为 XLSX 或 CSV",
            "Excel 97-2003 (.xls) files are not supported; save as XLSX or CSV",
        )
    if head == ZIP_MAGIC:
        return _open_workbook(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise UnreadableFile(path, "不是 XLSX 工作簿", "not an XLSX workbook")
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise UnreadableFile(
                path, f"未知编码 {encoding}", f"unknown encoding {encoding}"
            ) from None
    else:
        encoding = detect_encoding(path)
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        first = handle.readline()
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return Table(path, "csv", encoding, delimiter)


def _open_workbook(path: Path) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        load_workbook(path, read_only=True).close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise UnreadableFile(
            path, "不是可读的 XLSX 工作簿", "not a readable XLSX workbook"
        ) from None
    return Table(path, "xlsx")


@dataclass
class ImportPlan:
    """What a first pass over a file found, before anything is written.

    ``columns``: the cells imported (cell index -> ``local_code`` or element code);
    ``problems``: header problems (once each) and the rows refused before writing (a local
    code that occurs on several lines, cells beyond the header), whose lines are ``refused``.
    """

    table: Table
    entity: str
    columns: dict[int, str]
    rows: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    refused: set[int] = field(default_factory=set)

    def kept_rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """``(line, row)`` of the rows to write, in file order, with the imported columns."""
        lines = self.table.lines()
        next(lines, None)  # the header
        for line, cells in lines:
            if line in self.refused:
                continue
            yield line, {name: cells[i] for i, name in self.columns.items() if i < len(cells)}


#: Line numbers listed in a duplicate's message (the rest are counted).
LISTED_LINES = 10


def plan_import(table: Table, entity: str) -> ImportPlan:
    """Read the header and every row once: the columns to import, header problems, rows refused.

    1. The header must name a ``local_code`` column (else ``UnreadableFile``). A column that
       is not an element of the entity, a second column of the same name, cells under a
       blank column name: reported once, not imported.
    2. A row with non-empty cells beyond the header is refused (its values cannot be matched
       to columns: often a comma inside an unquoted value).
    3. A local code on several rows is refused on every one of them: which row is the record
       cannot be told, and applying them in turn would lose the first rows' data and make
       every re-import of the file change the record back and forth.
    """
    check_entity(entity)
    lines = table.lines()
    first = next(lines, None)
    if first is None:
        raise UnreadableFile(table.path, "没有表头行", "there is no header line")
    header_line, header = first
    names = [unicodedata.normalize("NFC", h).strip().lstrip("\ufeff").strip() for h in header]
    if LOCAL_CODE not in names:
        shown = ",".join(names)[:80]
        raise UnreadableFile(
            table.path,
            f"表头须含 local_code 列（第 {header_line} 行：{shown}）",
            f"the header must have a local_code column (line {header_line}: {shown})",
        )
    elements = compiled_elements(entity)
    plan = ImportPlan(table=table, entity=entity, columns={})
    blank: list[int] = []
    for index, name in enumerate(names):
        if not name:
            blank.append(index)
        elif name in plan.columns.values():
            plan.problems.append(
                _header_problem(
                    name,
                    "duplicate_column",
                    f"第 {index + 1} 列与前面的列同名，未导入",
                    f"column {index + 1} repeats an earlier column's name; not imported",
                )
            )
        elif name == LOCAL_CODE or name in elements:
            plan.columns[index] = name
        else:
            plan.problems.append(
                _header_problem(
                    name,
                    "unknown_element",
                    f"{name} 不是{entity}的数据元，该列未导入",
                    f"{name} is not an element of {entity} in the dictionary; "
                    "the column was not imported",
                )
            )
    local_index = names.index(LOCAL_CODE)
    width = len(names)
    first_line: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    blank_used = False
    for line, cells in lines:
        plan.rows += 1
        code = cells[local_index].strip() if local_index < len(cells) else ""
        extra = sum(1 for cell in cells[width:] if cell.strip())
        if extra:
            plan.refused.add(line)
            plan.problems.append(
                _row_problem(
                    line,
                    code,
                    "extra_cells",
                    f"本行比表头多 {extra} 个非空单元格（值中含逗号？），未导入",
                    f"{extra} non-empty cells beyond the header's {width} columns (a comma "
                    "inside a value?); the row was not imported",
                )
            )
        if not blank_used and any(i < len(cells) and cells[i].strip() for i in blank):
            blank_used = True
        if code:
            seen = first_line.setdefault(code, line)
            if seen != line:
                repeated.setdefault(code, [seen]).append(line)
    if blank_used:
        plan.problems.append(
            _header_problem(
                "",
                "blank_column_name",
                "有值的列没有列名，未导入",
                "a column with values has no name in the header; not imported",
            )
        )
    for code, where in repeated.items():
        listed = ", ".join(str(n) for n in where[:LISTED_LINES])
        if len(where) > LISTED_LINES:
            listed += f", … ({len(where)})"
        for line in where:
            if line in plan.refused:
                continue  # already refused for its cells
            plan.refused.add(line)
            plan.problems.append(
                _row_problem(
                    line,
                    code,
                    "duplicate_local_code",
                    f"本地编码在文件中出现 {len(where)} 次（第 {listed} 行），均未导入",
                    f"the local code occurs {len(where)} times in the file (lines {listed}); "
                    "none of them was imported",
                )
            )
    return plan


def _header_problem(name: str, code: str, zh: str, en: str) -> dict[str, str]:
    return {
        "line": "1",
        "local_code": "",
        "outcome": IGNORED,
        "field": name,
        "code": code,
        "message": f"{zh} / {en}",
    }


def _row_problem(line: int, local_code: str, code: str, zh: str, en: str) -> dict[str, str]:
    return {
        "line": str(line),
        "local_code": local_code,
        "outcome": REJECTED,
        "field": LOCAL_CODE if code == "duplicate_local_code" else "",
        "code": code,
        "message": f"{zh} / {en}",
    }


def import_rows(
    *,
    system: SourceSystem,
    entity: str,
    rows: Iterable[dict[str, str]],
    actor=None,
    on_rows: Callable[[int], None] | None = None,
    batch_size: int = IMPORT_BATCH,
    reason: str = "import",
) -> ImportReport:
    """Upsert rows already in memory (dicts) in batches through the hub's write path; empty
    cells are missing values. Re-running the same rows changes nothing: every row answers
    "unchanged". A local code given twice is written twice, in order (a file's repeated codes
    are refused by ``plan_import``).
    """
    return _import_lines(
        system=system,
        entity=entity,
        lines=enumerate(rows, start=2),  # line 1 is the header
        actor=actor,
        on_rows=on_rows,
        batch_size=batch_size,
        reason=reason,
    )


def _import_lines(
    *,
    system: SourceSystem,
    entity: str,
    lines: Iterable[tuple[int, dict[str, str]]],
    actor,
    on_rows: Callable[[int], None] | None,
    batch_size: int,
    reason: str,
    concurrent: bool = False,
) -> ImportReport:
    """``import_rows`` of ``(line number, row)`` pairs: the numbers go to the error report.

    ``concurrent`` (a worker of a parallel import): a row whose locks another worker holds is
    not waited for, it is carried to the next batch and written first in it (by then the other
    worker's batch has mostly committed); one still contended is carried again, and what is
    carried past the last batch is written waiting. One contended row would otherwise make the
    whole batch wait for the other worker's whole batch, and a batch of its own for the few
    carried rows cost as much as a tenth of a full one.
    """
    check_entity(entity)
    with _few_collections():
        return _import_batches(
            system, entity, lines, actor, on_rows, batch_size, reason, concurrent
        )


@contextmanager
def _few_collections() -> Iterator[None]:
    """Collect garbage less often during an import, then as before.

    An import allocates millions of short-lived objects while the matching engine's caches
    hold hundreds of thousands of long-lived ones (parsed company names, pinyin tables): with
    the default thresholds every few batches a full collection walks all of them again, which
    was a fifth of an import's CPU. Batches leave little cyclic garbage, so fewer, larger
    collections cost little memory.
    """
    previous = gc.get_threshold()
    gc.set_threshold(*IMPORT_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _import_batches(
    system, entity, lines, actor, on_rows, batch_size, reason, concurrent
) -> ImportReport:
    report = ImportReport()
    batch: list[tuple[int, str, dict[str, str]]] = []
    carried: list[tuple[int, str, dict[str, str]]] = []

    def write(rows: list[tuple[int, str, dict[str, str]]], defer: bool) -> None:
        results = upsert_source_records(
            system=system,
            entity=entity,
            items=[(code, payload) for _, code, payload in rows],
            actor=actor,
            reason=reason,
            defer_contended=defer,
            channel="import",
        )
        done = 0
        for item, result in zip(rows, results, strict=True):
            if result is None:
                carried.append(item)
                continue
            _count(report, item[0], item[1], result)
            done += 1
        if on_rows and done:
            on_rows(done)

    def write_carried() -> None:
        rows = carried[:]
        carried.clear()
        write(rows, defer=False)

    def flush() -> None:
        # Rows carried from the last batch go first in this one (file order is kept); one still
        # contended is carried again, and the last ones are written waiting, at the end.
        rows = [*carried, *batch]
        carried.clear()
        batch.clear()
        write(rows, defer=concurrent)

    for line, row in lines:
        local_code = (row.get(LOCAL_CODE) or "").strip()
        payload = {
            k: v
            for k, v in row.items()
            if k != LOCAL_CODE and v is not None and str(v).strip() != ""
        }
        batch.append((line, local_code, payload))
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    if carried:
        write_carried()
    return report


def import_file(
    *,
    path: Path,
    system: SourceSystem,
    entity: str,
    encoding: str | None = None,
    actor=None,
    workers: int = 1,
    on_rows: Callable[[int], None] | None = None,
    batch_size: int = IMPORT_BATCH,
    reason: str = "import",
) -> ImportReport:
    """Import a CSV/XLSX export: ``open_table``, ``plan_import``, then ``import_plan``.

    Raises ``UnreadableFile`` (nothing imported) for a file that cannot be read.
    """
    plan = plan_import(open_table(path, encoding), entity)
    return import_plan(
        plan=plan,
        system=system,
        actor=actor,
        workers=workers,
        on_rows=on_rows,
        batch_size=batch_size,
        reason=reason,
    )


def import_plan(
    *,
    plan: ImportPlan,
    system: SourceSystem,
    actor=None,
    workers: int = 1,
    on_rows: Callable[[int], None] | None = None,
    batch_size: int = IMPORT_BATCH,
    reason: str = "import",
) -> ImportReport:
    """Write the rows of a planned file, in ``workers`` processes on PostgreSQL.

    1. One worker (or another database than PostgreSQL): the kept rows through
       ``_import_lines`` in this process.
    2. Else the rows are grouped (``assign_workers``), the database connections of this
       process are closed and ``workers`` processes are forked; worker ``k`` reads the file and
       imports, in file order, the rows assigned to it.
    3. Their reports are merged: counts added, errors in line order. A worker that fails makes
       the import fail after the others have finished; what they stored stays stored, and
       running the file again completes it (stored rows answer "unchanged").
    4. The plan's problems (header, rows refused before writing) join the report.

    Must not run inside a transaction when ``workers`` > 1: the workers could not see what it
    holds.
    """
    entity = plan.entity
    if workers <= 1 or connection.vendor != "postgresql":
        report = _import_lines(
            system=system,
            entity=entity,
            lines=plan.kept_rows(),
            actor=actor,
            on_rows=on_rows,
            batch_size=batch_size,
            reason=reason,
        )
        return _with_plan(report, plan, on_rows)
    if connection.in_atomic_block:
        raise ServiceError(
            "并行导入不能在事务中运行",
            "A parallel import cannot run inside a transaction",
            code="import_in_transaction",
        )
    assignment = assign_workers((row for _, row in plan.kept_rows()), workers)
    # Tables the write path builds on first use are built once here and shared by the workers.
    warm_up(load_rule(entity))
    warm_up_dictionary()
    compiled_elements(entity)
    context = multiprocessing.get_context("fork")
    messages = context.Queue()
    # A forked child must open its own connections: a socket shared by two processes would mix
    # their conversations with the server.
    connections.close_all()
    processes = [
        context.Process(
            target=_import_share,
            args=(
                messages,
                share,
                assignment,
                plan,
                system.pk,
                getattr(actor, "pk", None),
                batch_size,
                reason,
            ),
            daemon=True,
        )
        for share in range(workers)
    ]
    with frozen_heap():  # see matching.forked
        for process in processes:
            process.start()
    reports: dict[int, ImportReport] = {}
    failures: dict[int, str] = {}
    try:
        while pending := [k for k in range(workers) if k not in reports and k not in failures]:
            try:
                kind, share, value = messages.get(timeout=WORKER_POLL)
            except queue_module.Empty:
                # Nothing queued for a while: a worker that is gone without its report was
                # killed (a worker flushes its messages before it exits).
                for share in pending:
                    if not processes[share].is_alive():
                        code = processes[share].exitcode
                        failures[share] = (f"exited with code {code}", "")
                continue
            if kind == "rows":
                if on_rows:
                    on_rows(value)
            elif kind == "done":
                reports[share] = value
            else:
                failures[share] = value
    finally:
        for process in processes:
            process.join()
    if failures:
        for share, (_, trace) in sorted(failures.items()):
            logger.error("import worker %s failed:\n%s", share, trace)
        details = "; ".join(f"worker {k}: {summary}" for k, (summary, _) in failures.items())
        raise ServiceError(
            f"并行导入失败（已写入的记录保留，可重新运行）：{details}",
            f"Parallel import failed (what was stored stays; run the file again): {details}",
            code="import_failed",
        )
    return _with_plan(_merge_reports([reports[k] for k in range(workers)]), plan, on_rows)


def _with_plan(
    report: ImportReport, plan: ImportPlan, on_rows: Callable[[int], None] | None
) -> ImportReport:
    """The report with the rows the plan refused counted and its problems listed, by line."""
    refused = len(plan.refused)
    report.rows += refused
    report.rejected += refused
    report.errors.extend(plan.problems)
    report.errors.sort(key=lambda e: int(e["line"]))
    if on_rows and refused:
        on_rows(refused)
    return report


#: Columns whose equal values put two rows in one group (see the module docstring).
AFFINITY_COLUMNS = ("credit_code", "id_number", "org_code", "gtin", "phone", "email")


def assign_workers(rows: Iterable[dict[str, str]], workers: int) -> bytearray:
    """The worker of each row (by position): groups of rows that share a local code or an
    affinity value, each group to the worker with the fewest rows so far, in file order.

    Values are compared loosely (width, case and separators folded; a phone by its last eight
    digits): a group too many is harmless, a group split in two is what this avoids.
    """
    first: dict[str, int] = {}
    links: list[tuple[int, int, float]] = []
    n = 0
    for i, row in enumerate(rows):
        n = i + 1
        for token in _affinity_tokens(row):
            j = first.setdefault(token, i)
            if j != i:
                links.append((j, i, 1.0))
    load = [0] * workers
    assignment = bytearray(n)
    # Union-find as the batch match clusters (nothing refused); groups come by their first row.
    for group in cluster(n, links, lambda _a, _b: False):
        worker = load.index(min(load))
        load[worker] += len(group)
        for i in group:
            assignment[i] = worker
    return assignment


def _affinity_tokens(row: dict[str, str]) -> list[str]:
    tokens = ["local_code:" + (row.get(LOCAL_CODE) or "").strip()]
    for column in AFFINITY_COLUMNS:
        value = unicodedata.normalize("NFKC", row.get(column) or "").casefold()
        if column == "phone":
            value = "".join(ch for ch in value if ch.isdigit())[-8:]
        elif column != "email":
            value = "".join(ch for ch in value if ch.isalnum())
        if len(value.strip()) >= 5:
            tokens.append(f"{column}:{value.strip()}")
    return tokens


def _import_share(
    messages,
    share: int,
    assignment: bytearray,
    plan: ImportPlan,
    system_id,
    actor_id,
    batch_size,
    reason,
) -> None:
    """One worker process of ``import_plan``: its rows, reported on ``messages``."""
    try:
        system = SourceSystem.objects.get(pk=system_id)
        actor = get_user_model().objects.get(pk=actor_id) if actor_id else None
        report = _import_lines(
            system=system,
            entity=plan.entity,
            lines=(
                line_row
                for position, line_row in enumerate(plan.kept_rows())
                if assignment[position] == share
            ),
            actor=actor,
            concurrent=True,
            on_rows=lambda n: messages.put(("rows", share, n)),
            batch_size=batch_size,
            reason=reason,
        )
        messages.put(("done", share, report))
    except BaseException as exc:  # reported to the parent, which fails the import
        first_line = (str(exc).strip().splitlines() or [""])[0]
        messages.put(
            ("error", share, (f"{type(exc).__name__}: {first_line}", traceback.format_exc()))
        )
    finally:
        connections.close_all()


def _merge_reports(reports: list[ImportReport]) -> ImportReport:
    merged = ImportReport()
    for report in reports:
        merged.rows += report.rows
        merged.created += report.created
        merged.updated += report.updated
        merged.unchanged += report.unchanged
        merged.rejected += report.rejected
        merged.flagged += report.flagged
        for link, n in report.links.items():
            merged.links[link] = merged.links.get(link, 0) + n
        merged.errors.extend(report.errors)
    merged.errors.sort(key=lambda e: int(e["line"]))
    return merged


def _count(report: ImportReport, line: int, local_code: str, result) -> None:
    report.rows += 1
    where = {"line": str(line), "local_code": local_code}
    if isinstance(result, RecordRejected):
        report.rejected += 1
        for name, problems in result.errors.items():
            for problem in problems:
                report.errors.append(
                    {**where, "outcome": REJECTED, "field": name, **_short(problem)}
                )
    elif isinstance(result, ServiceError):
        report.rejected += 1
        report.errors.append(
            {
                **where,
                "outcome": REJECTED,
                "field": LOCAL_CODE,
                "code": result.code,
                "message": result.message,
            }
        )
    else:
        if result.created:
            report.created += 1
        elif result.changed:
            report.updated += 1
        else:
            report.unchanged += 1
        report.links[result.link] = report.links.get(result.link, 0) + 1
        if result.warnings:
            report.flagged += 1
            for warning in result.warnings:
                report.errors.append(
                    {
                        **where,
                        "outcome": FLAGGED,
                        "field": warning.get("field", ""),
                        **_short(warning),
                    }
                )


def _short(problem: dict[str, str]) -> dict[str, str]:
    return {"code": problem["code"], "message": problem["message"]}


def write_error_report(path: Path, report: ImportReport) -> None:
    """The report as CSV (UTF-8 with a BOM, which Excel needs to read it as UTF-8)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(report.errors)
