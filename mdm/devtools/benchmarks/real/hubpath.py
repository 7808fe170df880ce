"""The hub's public path, as an integrator and an operator use it.

1. each source system is registered with `create_source_system` (with its country when the
   command knows the option);
2. each system's export is written as a CSV file and loaded with `import_source`;
3. `match --entity E` runs the batch match;
4. the crosswalk is read back with `export_crosswalk`, and the pending review queue in the order
   the admin lists it (the `MatchCandidate` model's ordering).

No rule is fitted by hand and the dictionary is the starter one: what a new user gets.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Model

from matching.models import (
    BlockKey,
    BlockKeyScheme,
    MatchCandidate,
    MatchCandidateStatusChoices,
    MatchRuleChange,
    MatchRuleConfig,
    MatchRuleRollout,
)
from mdm.devtools.benchmarks.common import crosswalk
from mdm.devtools.benchmarks.real.metrics import Key, QueueEntry
from mdm.models import GOLDEN_MODELS, Event, GoldenAlias, SourceRecord, SourceSystem

Row = dict[str, str]


@dataclass(frozen=True)
class SystemExport:
    """One source system's file: its code, its country (None: the hub's default) and its rows.

    Every row has a ``local_code`` and element codes as keys, as `import_source` expects.
    """

    code: str
    rows: list[Row]
    country: str | None = None


@dataclass
class HubRun:
    links: dict[Key, str]
    queue: list[QueueEntry]
    rejected: int
    seconds: dict[str, float] = field(default_factory=dict)


def reset_hub() -> None:
    """Empty every record, golden record, candidate, block key, event and learned rule.

    Each data set starts from an empty hub, as a new installation would (a rule learned on the
    previous set must not score the next one).
    """
    models: list[type[Model]] = [
        SourceRecord,
        *GOLDEN_MODELS.values(),
        MatchCandidate,
        BlockKey,
        Event,
    ]
    # The learning log too: its record counts decide whether the next set's rule is stale.
    models += [MatchRuleConfig, MatchRuleChange, MatchRuleRollout, GoldenAlias]
    # No records left: nothing keyed by an older release (``match`` would ask for a rekey).
    models.append(BlockKeyScheme)
    tables = []
    for model in models:
        tables.append(model._meta.db_table)
        history = getattr(model, "history", None)
        if history is not None:
            tables.append(history.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def ensure_system(code: str, country: str | None) -> None:
    if SourceSystem.objects.filter(code=code).exists():
        return
    options = {"name": f"{code} (bench)", "stdout": io.StringIO()}
    if country:
        try:
            call_command("create_source_system", code, country=country, **options)
            return
        except TypeError:  # this release has no --country yet: the hub's default country
            pass
    call_command("create_source_system", code, **options)


def _columns(rows: list[Row]) -> list[str]:
    return ["local_code", *sorted({k for row in rows for k in row} - {"local_code"})]


_REJECTED = re.compile(r"rejected=(\d+)")


def import_exports(entity: str, exports: Sequence[SystemExport], *, bulk: bool = False) -> int:
    """Write each export as CSV and load it with `import_source`; the rows rejected in total.

    ``bulk``: `import_source --bulk --no-match` (an initial load: no real-time matching; the
    `match` that follows links everything once)."""
    rejected = 0
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-real-") as folder:
        for export in exports:
            ensure_system(export.code, export.country)
            path = Path(folder) / f"{export.code.lower()}_{entity}.csv"
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=_columns(export.rows))
                writer.writeheader()
                writer.writerows(export.rows)
            out = io.StringIO()
            try:
                call_command(
                    "import_source",
                    str(path),
                    system=export.code,
                    entity=entity,
                    no_progress=True,
                    workers=workers,
                    stdout=out,
                    **({"bulk": True, "no_match": True} if bulk else {}),
                )
            except CommandError as error:
                if error.returncode != 1:  # 1: some rows rejected, counted below
                    raise
            found = _REJECTED.search(out.getvalue())
            rejected += int(found.group(1)) if found else 0
    return rejected


def match(entity: str) -> None:
    call_command("match", entity=entity, no_progress=True, stdout=io.StringIO())


def pending_queue(entity: str) -> list[QueueEntry]:
    """The pending candidates in the admin's order (the model's ``ordering``)."""
    rows = (
        MatchCandidate.objects.filter(entity=entity, status=MatchCandidateStatusChoices.PENDING)
        .order_by(*(MatchCandidate._meta.ordering or ()))
        .values_list(
            "left__system__code",
            "left__local_code",
            "right__system__code",
            "right__local_code",
            "score",
        )
    )
    return [QueueEntry((a, b), (c, d), score) for a, b, c, d, score in rows.iterator()]


def run_hub(entity: str, exports: Sequence[SystemExport], *, bulk: bool = False) -> HubRun:
    """Empty hub -> import every export -> match -> crosswalk and queue, with the seconds.
    ``bulk``: the exports are loaded with `import_source --bulk --no-match`."""
    reset_hub()
    started = time.perf_counter()
    rejected = import_exports(entity, exports, bulk=bulk)
    imported = time.perf_counter()
    match(entity)
    matched = time.perf_counter()
    return HubRun(
        links=crosswalk(entity),
        queue=pending_queue(entity),
        rejected=rejected,
        seconds={
            "import": imported - started,
            "match": matched - imported,
            "total": matched - started,
        },
    )
