"""Bulk import of source-system exports (CSV/XLSX) through the same write path as the API.

A file is read twice before anything is written (``tables.open_table``,
``import_plan.plan_import``): its kind and
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

import gc
import logging
import multiprocessing
import queue as queue_module
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, connections

from dictionary.services import compiled_elements
from dictionary.warm_up import warm_up_dictionary
from matching.engine import cluster, warm_up
from matching.forked import frozen_heap
from mdm.errors import ServiceError
from mdm.intake.import_plan import ImportPlan, plan_import
from mdm.intake.import_report import ImportReport, count_result, merge_reports
from mdm.intake.tables import LOCAL_CODE, open_table
from mdm.intake.upsert import upsert_source_records
from mdm.linking.rule_store import load_rule
from mdm.models import SourceSystem
from mdm.privacy.policy import redact_text
from mdm.records.entities import check_entity

logger = logging.getLogger(__name__)

#: Rows per transaction: large enough for set-based writes and for the batch's records to share
#: their candidates, small enough to keep locks short (a record takes up to five advisory locks,
#: and PostgreSQL's lock table holds 64 per connection by default).
IMPORT_BATCH = 500
#: Garbage-collector thresholds while an import runs (Python's defaults: 700, 10, 10).
IMPORT_GC_THRESHOLDS = (50_000, 20, 100)
#: Seconds between checks that every worker of a parallel import is still alive.
WORKER_POLL = 1.0


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
            count_result(report, item[0], item[1], result)
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
    failures: dict[int, tuple[str, str]] = {}
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
    return _with_plan(merge_reports([reports[k] for k in range(workers)]), plan, on_rows)


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
        # An exception's text may quote a row's values: masked, as job logs are.
        first_line = redact_text((str(exc).strip().splitlines() or [""])[0])
        messages.put(
            (
                "error",
                share,
                (f"{type(exc).__name__}: {first_line}", redact_text(traceback.format_exc())),
            )
        )
    finally:
        connections.close_all()
