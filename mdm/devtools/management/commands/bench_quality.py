"""`manage.py bench_quality --records 1000000`: time ``quality_report`` on PostgreSQL.

1. Refuses to run unless the database is PostgreSQL and its name contains "bench": it empties
   the source-record, issue and snapshot tables.
2. Loads synthetic source records directly with COPY (a benchmark may skip the write path):
   customers, products and materials from ERP, CRM and ECOM; golden records with one to three
   members from different systems; a few per cent invalid (flagged) values with their
   warnings, missing required values (old data), cross-system disagreements, spread-out
   update times, retired records and pending match candidates. Reuses the loaded data when
   the count already matches (``--reload`` forces a new load).
3. Runs ``take_quality_snapshot`` (what ``quality_report`` does) ``--runs`` times: the first
   opens every issue, the next ones find the steady state. Prints the timings per phase, then
   what the write path's ``sync_quality_issues`` costs per batch of 1, 100 and 1,000 records.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time
from collections.abc import Iterator

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from stdnum import ean
from stdnum.cn import uscc

from dictionary.models import CodeValue
from dictionary.regions import load_regions
from dictionary.services import load_starter_dictionary
from matching.models import BlockKey, MatchCandidate
from mdm.access.accounts import create_source_system
from mdm.models import QualityIssue, QualitySnapshot, SourceRecord, SourceSystem
from mdm.quality.issues import sync_quality_issues
from mdm.quality.snapshot import take_quality_snapshot
from mdm.quality.sql import table

TARGET_SECONDS = 60
SYSTEMS = ("ERP", "CRM", "ECOM")
ENTITY_SHARE = (("customers", 0.6), ("products", 0.25), ("materials", 0.15))
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
WORDS = ("华信", "浦江", "白云", "长城", "东方", "恒通", "瑞丰", "新世纪", "金桥", "远大", "天成")
SUFFIXES = ("科技有限公司", "贸易有限公司", "物流有限公司", "制造有限公司", "实业有限公司")
OLD_DATA_MISSING = {"customers": "name", "products": "uom", "materials": "base_uom"}
STREETS = ("中关村大街", "南京路", "人民路", "解放路", "建设路", "和平路", "长安街")


def _warning(field: str, code: str, value: str) -> dict[str, str]:
    zh, en = f"{value} 不合规 ({code})", f"{value} is not valid ({code})"
    return {
        "field": field,
        "code": code,
        "message": f"{zh} / {en}",
        "message_zh": zh,
        "message_en": en,
    }


class Synthesizer:
    """Synthetic golden records and their members, reproducible from a seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.regions = [
            r.code for r in load_regions() if r.is_current and not r.code.endswith("00")
        ]
        domain: dict[str, list[str]] = {}
        for key in ("unit_of_measure", "material_group", "material_type"):
            domain[key] = list(
                CodeValue.objects.filter(domain__code=key, is_active=True).values_list(
                    "code", flat=True
                )
            )
        self.domain = domain

    def credit_code(self) -> str:
        body = "91" + self.rng.choice(self.regions) + "".join(self.rng.choices(USCC_CHARS, k=9))
        return body + uscc.calc_check_digit(body)

    def customer(self) -> dict[str, str]:
        rng = self.rng
        if rng.random() < 0.8:
            name = rng.choice(WORDS) + rng.choice(WORDS)
            attrs = {
                "name": name + rng.choice(SUFFIXES),
                "customer_type": "org",
                "credit_code": self.credit_code(),
            }
        else:
            attrs = {
                "name": rng.choice(SURNAMES) + rng.choice(WORDS)[:1],
                "customer_type": "person",
            }
        attrs["phone"] = f"+86138{rng.randrange(10**8):08d}"
        if rng.random() < 0.6:
            attrs["email"] = f"u{rng.randrange(10**7)}@example.cn"
        attrs["address"] = f"{rng.choice(STREETS)}{rng.randrange(1, 999)}号"
        attrs["region_code"] = attrs.get("credit_code", "91" + rng.choice(self.regions))[2:8]
        return attrs

    def product(self) -> dict[str, str]:
        rng = self.rng
        body = f"69{rng.randrange(10**10):010d}"
        return {
            "name": rng.choice(WORDS) + rng.choice(("电钻", "螺丝刀", "扳手", "台灯", "水杯")),
            "model": f"M-{rng.randrange(10000)}",
            "brand": rng.choice(WORDS),
            "uom": rng.choice(self.domain["unit_of_measure"]),
            "gtin": body + ean.calc_check_digit(body),
            "net_weight": f"{rng.randrange(1, 5000) / 100:.2f}",
            "hs_code": f"{rng.randrange(10**8):08d}",
        }

    def material(self) -> dict[str, str]:
        rng = self.rng
        return {
            "name": rng.choice(("冷轧钢板", "铜线", "ABS颗粒", "包装箱", "螺栓")),
            "spec": f"{rng.randrange(1, 50)}x{rng.randrange(1, 50)}",
            "material_group": rng.choice(self.domain["material_group"]),
            "base_uom": rng.choice(self.domain["unit_of_measure"]),
            "material_type": rng.choice(self.domain["material_type"]),
        }

    def member(self, entity: str, base: dict[str, str]) -> tuple[dict, list, list]:
        """One system's copy of a golden record: disagreements, invalid and missing values."""
        rng = self.rng
        attrs = dict(base)
        if entity == "customers":
            if rng.random() < 0.10:
                attrs["phone"] = f"+86139{rng.randrange(10**8):08d}"
            if rng.random() < 0.15:
                attrs["address"] = f"{rng.choice(STREETS)}{rng.randrange(1, 999)}号"
        if rng.random() < 0.005:
            # Old data, from before the element became required.
            attrs.pop(OLD_DATA_MISSING[entity], None)
        flagged, warnings = [], []
        invalid = {
            "customers": (
                ("credit_code", 0.02, lambda v: v[:-1] + ("0" if v[-1] != "0" else "1")),
                ("phone", 0.03, lambda v: "12345"),
                ("email", 0.02, lambda v: "bad@"),
                ("region_code", 0.01, lambda v: "999999"),
            ),
            "products": (("net_weight", 0.02, lambda v: "-1"), ("hs_code", 0.02, lambda v: "12AB")),
            "materials": (("material_group", 0.03, lambda v: "ZZZ"),),
        }[entity]
        for element, rate, spoil in invalid:
            if element in attrs and rng.random() < rate:
                attrs[element] = spoil(attrs[element])
                flagged.append(element)
                warnings.append(_warning(element, "invalid_format", attrs[element]))
        return attrs, flagged, warnings


class Command(BaseCommand):
    help = "Benchmark quality_report on synthetic source records (PostgreSQL, a *bench* database)."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, default=1_000_000)
        parser.add_argument("--runs", type=int, default=2)
        parser.add_argument("--seed", type=int, default=8)
        parser.add_argument("--reload", action="store_true", help="load new data even if loaded")

    def handle(self, *args, records: int, runs: int, seed: int, reload: bool, **options):
        name = connection.settings_dict["NAME"] or ""
        if connection.vendor != "postgresql" or "bench" not in name:
            raise CommandError(
                "bench_quality empties tables: run it on a PostgreSQL database whose name "
                "contains 'bench', e.g. DATABASE_URL=postgres://…/mdm_quality_bench"
            )
        call_command("migrate", verbosity=0)
        load_starter_dictionary()
        systems = {
            code: SourceSystem.objects.filter(code=code).first()
            or create_source_system(code=code, name=code)[0]
            for code in SYSTEMS
        }
        loaded = SourceRecord.objects.count()
        if reload or loaded != records:
            self._load(systems, records, seed)
        else:
            self.stdout.write(f"{loaded:,} source records already loaded (--reload to renew)")
        self._reset_results()
        self._report(records, runs)

    # --- loading ------------------------------------------------------------------------------

    def _reset_results(self) -> None:
        with connection.cursor() as cursor:
            for model in (QualityIssue, QualitySnapshot):
                cursor.execute(f"TRUNCATE {table(model)}, {table(model.history.model)}")

    def _load(self, systems: dict[str, SourceSystem], records: int, seed: int) -> None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {table(SourceRecord)}, {table(BlockKey)}, {table(MatchCandidate)}, "
                f"{table(QualityIssue)} CASCADE"
            )
        synth = Synthesizer(seed)
        system_ids = [systems[code].pk for code in SYSTEMS]
        columns = (
            "system_id, entity, local_code, raw, attributes, flagged, warnings, fingerprint, "
            "golden_code, link_kind, link_score, is_active, created_at, updated_at"
        )
        with connection.cursor() as cursor:
            raw_cursor = cursor.cursor  # psycopg's own cursor: COPY is not in the DB-API
            with raw_cursor.copy(f"COPY {table(SourceRecord)} ({columns}) FROM STDIN") as copy:
                for row in self._rows(synth, system_ids, records):
                    copy.write_row(row)
            cursor.execute(
                f"""
                INSERT INTO {table(MatchCandidate)}
                    (entity, left_id, right_id, score, explanation, status, origin, reason,
                     created_at)
                SELECT a.entity, a.id, b.id, 0.8, '[]', 'pending', 'bench', '', now()
                FROM {table(SourceRecord)} AS a
                JOIN {table(SourceRecord)} AS b ON b.id = a.id + 1 AND b.entity = a.entity
                WHERE a.id % 200 = 0
                """  # noqa: S608
            )
            cursor.execute(f"ANALYZE {table(SourceRecord)}")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"loaded {records:,} source records with COPY in {elapsed:.1f} s "
            f"({records / elapsed:,.0f} records/s)"
        )

    def _rows(self, synth: Synthesizer, system_ids: list[int], records: int) -> Iterator[tuple]:
        rng = synth.rng
        now = timezone.now()
        made = 0
        golden = 0
        for entity, share in ENTITY_SHARE:
            target = records if entity == "materials" else made + int(records * share)
            make = {"customers": synth.customer, "products": synth.product}.get(
                entity, synth.material
            )
            prefix = {"customers": "CU", "products": "PR", "materials": "MA"}[entity]
            while made < target:
                golden += 1
                code = f"{prefix}{golden:010d}X"
                base = make()
                members = rng.choices((1, 2, 3), weights=(40, 40, 20))[0]
                for system_id in rng.sample(system_ids, min(members, target - made)):
                    attrs, flagged, warnings = synth.member(entity, base)
                    updated = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
                    document = json.dumps(attrs, ensure_ascii=False)
                    yield (
                        system_id,
                        entity,
                        f"{entity[0].upper()}{made:09d}",
                        document,
                        document,
                        json.dumps(flagged),
                        json.dumps(warnings, ensure_ascii=False),
                        f"{made:064x}",
                        code,
                        "auto" if members > 1 else "new",
                        None,
                        rng.random() >= 0.02,
                        updated,
                        updated,
                    )
                    made += 1

    # --- timing -------------------------------------------------------------------------------

    def _sync_latency(self) -> None:
        """What the write path pays per batch: ``sync_quality_issues`` on random records."""
        ids = list(
            SourceRecord.objects.filter(entity="customers")
            .order_by("?")
            .values_list("pk", flat=True)[:1000]
        )
        sync_quality_issues("customers", ids[:1])  # warm the dictionary cache
        for size in (1, 100, 1000):
            timings = []
            for start in range(0, 5 * size, size):
                batch = (ids * 5)[start : start + size]
                started = time.perf_counter()
                sync_quality_issues("customers", batch)
                timings.append((time.perf_counter() - started) * 1000)
            self.stdout.write(
                f"  sync_quality_issues, batch of {size:>4}: median {statistics.median(timings):7.1f} ms"
            )

    def _report(self, records: int, runs: int) -> None:
        active = SourceRecord.objects.filter(is_active=True).count()
        self.stdout.write(
            f"\nbench-quality (PostgreSQL {connection.cursor().connection.info.server_version}, "
            f"{records:,} source records, {active:,} active)"
        )
        for run in range(1, runs + 1):
            started = time.perf_counter()
            snapshot = take_quality_snapshot(reason="bench_quality")
            elapsed = time.perf_counter() - started
            opened = sum(c["opened"] for c in snapshot.issue_changes.values())
            closed = sum(c["closed"] for c in snapshot.issue_changes.values())
            phases = ", ".join(f"{k} {v / 1000:.1f} s" for k, v in snapshot.phase_ms.items())
            verdict = "OK" if elapsed < TARGET_SECONDS else "OVER TARGET"
            self.stdout.write(
                f"  run {run}: quality_report {elapsed:6.1f} s  ({phases}; issues opened "
                f"{opened:,}, closed {closed:,})  target < {TARGET_SECONDS} s: {verdict}"
            )
        self._sync_latency()
        unresolved = QualityIssue.objects.unresolved().count()
        summary = snapshot.summary
        self.stdout.write(f"  open issues: {unresolved:,}")
        for entity, scopes in summary.items():
            total = scopes.get("ALL", {})
            self.stdout.write(
                f"  {entity:<10} records {total.get('records', 0):>9,}  validity "
                f"{(total.get('validity') or 0) * 100:5.1f}%  consistency "
                f"{(total.get('consistency') or 0) * 100:5.1f}%  required completeness "
                f"{(total.get('completeness_required') or 0) * 100:5.1f}%"
            )
