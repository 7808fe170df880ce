"""The relay benchmark (`make bench-relay`): business documents translated and delivered.

Loading bypasses the write path on purpose (the benchmark measures the relay, not 200,000
upserts): N golden customers and M golden products are stored by PostgreSQL COPY, each with a
CRM and an ERP source record under the system's own code (``C-000001`` / ``100001``, ``P-0001``
/ ``MAT-0001``), as the crosswalk has them after matching.

Then two runs through the service the API calls (``receive_document``):

1. translation: documents of 10 lines each (a random customer, 10 random products) sent by the
   CRM to the ERP one after the other; each is validated, stored, its 11 references translated
   through the crosswalk and the result put in the ERP's inbox (delivered for the pull channel),
   one transaction per document. Documents per second.
2. the bus: the same, with a publisher draining the outbox to RabbitMQ in its own process (as a
   Celery worker does) and a consumer on the ERP's durable queue in this one; the latency is
   accepted (``receive_document`` returned, committed) -> the message read from the queue.
"""

from __future__ import annotations

import json
import random
import time

from django.db import connection

from mdm.access.accounts import create_source_system
from mdm.documents.monitoring import quantile
from mdm.models import SourceSystem
from mdm.records.codes import allocate_golden_codes

CHUNK = 20_000


def crm_customer(n: int) -> str:
    return f"C-{n:06d}"


def erp_customer(n: int) -> str:
    return f"{100000 + n}"


def crm_product(n: int) -> str:
    return f"P-{n:05d}"


def erp_product(n: int) -> str:
    return f"MAT-{n:05d}"


def systems() -> tuple[SourceSystem, SourceSystem]:
    found = []
    for code, name in (("CRM", "Salesforce CRM"), ("ERP", "SAP ERP")):
        system = SourceSystem.objects.filter(code=code).first()
        found.append(system or create_source_system(code=code, name=name)[0])
    return found[0], found[1]


def loaded(entity: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM mdm_sourcerecord WHERE entity = %s AND is_active", [entity]
        )
        return cursor.fetchone()[0] // 2


def load(customers: int, products: int) -> float:
    """Store the golden records and both systems' source records; returns seconds spent."""
    started = time.perf_counter()
    crm, erp = systems()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE mdm_customer, mdm_historicalcustomer, mdm_product, mdm_historicalproduct, "
            "mdm_sourcerecord, mdm_historicalsourcerecord, matching_blockkey, mdm_event "
            "RESTART IDENTITY CASCADE"
        )
    for entity, count, columns in (
        (
            "customers",
            customers,
            (
                "customer_type",
                "credit_code",
                "id_number",
                "phone",
                "email",
                "address",
                "region_code",
                "postal_code",
                "contact_name",
            ),
        ),
        ("products", products, ("model", "brand", "category", "uom", "gtin")),
    ):
        for start in range(1, count + 1, CHUNK):
            numbers = range(start, min(start + CHUNK, count + 1))
            _store(entity, list(numbers), columns, crm.pk, erp.pk)
    with connection.cursor() as cursor:
        for table in ("mdm_customer", "mdm_product", "mdm_sourcerecord"):
            cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - started


def _store(entity: str, numbers: list[int], columns: tuple[str, ...], crm: int, erp: int) -> None:
    table = "mdm_customer" if entity == "customers" else "mdm_product"
    codes = allocate_golden_codes(entity, len(numbers))
    local = (crm_customer, erp_customer) if entity == "customers" else (crm_product, erp_product)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            f"COPY {table} (code, status, extra, lineage, locked, created_at, updated_at, name, "
            f"{', '.join(columns)}) FROM STDIN"
        ) as copy:
            for code, n in zip(codes, numbers, strict=True):
                name = f"北京华信{n}科技有限公司" if entity == "customers" else f"产品 {n}"
                copy.write_row(
                    (code, "active", "{}", "{}", "{}", "now", "now", name, *("",) * len(columns))
                )
        with raw.copy(
            "COPY mdm_sourcerecord (system_id, entity, local_code, raw, attributes, flagged, "
            "warnings, fingerprint, golden_code, link_kind, is_active, created_at, updated_at, "
            "blind_index) FROM STDIN"
        ) as copy:
            for code, n in zip(codes, numbers, strict=True):
                for system, make in ((crm, local[0]), (erp, local[1])):
                    payload = json.dumps({"name": str(n)})
                    copy.write_row(
                        (
                            system,
                            entity,
                            make(n),
                            payload,
                            payload,
                            "{}",
                            "[]",
                            "",
                            code,
                            "auto",
                            True,
                            "now",
                            "now",
                            "{}",
                        )
                    )


def order(rng: random.Random, customers: int, products: int, lines: int = 10) -> dict:
    return {
        "customer": crm_customer(rng.randint(1, customers)),
        "contact_name": "张伟",
        "lines": [
            {
                "product": crm_product(rng.randint(1, products)),
                "qty": rng.randint(1, 20),
                "uom": "个",
            }
            for _ in range(lines)
        ],
    }


def percentile(values: list[float], share: float) -> float:
    """The monitoring page's quantile, of latencies the benchmark always has some of."""
    found = quantile(values, share)
    assert found is not None, "no latency measured"
    return found
