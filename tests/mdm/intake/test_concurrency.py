"""Concurrent writers against the real PostgreSQL: no duplicate golden records, no code collisions."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from stdnum.cn import uscc

from mdm.access.accounts import create_source_system
from mdm.intake.upsert import upsert_source_record
from mdm.models import Customer, SourceRecord, SourceSystem
from mdm.records.codes import allocate_golden_code


def _run_in_threads(targets) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def wrap(target):
        try:
            barrier.wait()
            target()
        except BaseException as exc:  # collected and asserted by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_upserts_of_one_company_from_different_systems_make_one_golden_record(
    restore_after_flush, transactional_db, round_
):
    systems = [create_source_system(code=c, name=c)[0] for c in ("ERP", "CRM", "ECOM", "SRM")]
    body = f"9111010{round_}MA01ABCD2"
    payload = {
        "name": "北京华信科技有限公司",
        "customer_type": "org",
        "credit_code": body + uscc.calc_check_digit(body),
    }

    def writer(system: SourceSystem):
        return lambda: upsert_source_record(
            system=SourceSystem.objects.get(pk=system.pk),
            entity="customers",
            local_code="X-1",
            payload=payload,
        )

    errors = _run_in_threads([writer(s) for s in systems])

    assert errors == []
    assert SourceRecord.objects.count() == 4
    assert Customer.objects.count() == 1
    assert SourceRecord.objects.values("golden_code").distinct().count() == 1


def test_concurrent_upserts_of_the_same_local_code_store_one_record(
    restore_after_flush, transactional_db
):
    system = create_source_system(code="ERP", name="ERP")[0]

    def writer(i: int):
        return lambda: upsert_source_record(
            system=SourceSystem.objects.get(pk=system.pk),
            entity="customers",
            local_code="SD01-1",
            payload={"name": f"华信科技{i % 2}", "customer_type": "org"},
        )

    errors = _run_in_threads([writer(i) for i in range(6)])

    assert errors == []
    assert SourceRecord.objects.count() == 1
    assert Customer.objects.filter(status="active").count() == 1


def test_concurrent_code_allocation_never_collides(restore_after_flush, transactional_db):
    codes: list[str] = []
    lock = threading.Lock()

    def allocate():
        for _ in range(50):
            code = allocate_golden_code("customers")
            with lock:
                codes.append(code)

    errors = _run_in_threads([allocate for _ in range(4)])

    assert errors == []
    assert len(codes) == 200
    assert len(set(codes)) == 200
