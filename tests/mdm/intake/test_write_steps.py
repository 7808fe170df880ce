"""The steps of the write path (``mdm.intake.steps``), each on its own: lock, load, diff, link,
write, refresh. The end-to-end behaviour is covered by the other intake tests; these pin down
what each step hands the next."""

from __future__ import annotations

import pytest
from django.db import connections, transaction

from mdm.db.locks import _key_id
from mdm.intake import steps
from mdm.intake.prepare import source_key, validate_items
from mdm.intake.upsert import retire_source_record, upsert_source_record, upsert_source_records
from mdm.linking.realtime import MatchingLinker
from mdm.models import Customer, Event, SourceRecord
from tests.support.personas import PERSON, ZHANG_ID

pytestmark = pytest.mark.django_db

PUJIANG = {"name": "上海浦江物流有限公司", "customer_type": "org"}
QINGSONG = {"name": "杭州青松食品有限公司", "customer_type": "org"}


def pending(system, *items):
    results, pending = validate_items("customers", list(items), system.country)
    assert all(r is None for r in results), results
    return pending


def linker_for(system, items):
    linker = MatchingLinker("customers", system.code)
    linker.prepare_batch([(p.local_code, p.matching_attributes, p.checked.flagged) for p in items])
    return linker


def up_to_link(system, items):
    """lock, load, diff and link ``items`` in the current transaction."""
    linker = linker_for(system, items)
    kept = steps.lock(system, "customers", items, linker)
    stored = steps.load(system, "customers", kept)
    _, changes = steps.diff(system, "customers", kept, stored)
    live = {r.golden_code for r in stored.values() if r.golden_is_live}
    new_codes = steps.link("customers", linker, changes, live)
    return linker, changes, new_codes


def test_lock_keeps_every_item_when_it_may_wait(erp):
    items = pending(erp.system, ("C-1", PUJIANG), ("C-2", QINGSONG))
    with transaction.atomic():
        assert steps.lock(erp.system, "customers", items, linker_for(erp.system, items)) == items


def test_lock_leaves_out_an_item_whose_lock_another_session_holds(erp):
    items = pending(erp.system, ("C-1", PUJIANG), ("C-2", QINGSONG))
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            key = _key_id(source_key(erp.system, "customers", "C-2"))
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        with transaction.atomic():
            linker = linker_for(erp.system, items)
            kept = steps.lock(erp.system, "customers", items, linker, defer_contended=True)
    finally:
        other.close()

    assert [p.local_code for p in kept] == ["C-1"]


def test_load_reads_the_stored_records_and_whether_their_golden_record_is_live(erp):
    upsert_source_record(system=erp.system, entity="customers", local_code="C-1", payload=PUJIANG)
    upsert_source_record(system=erp.system, entity="customers", local_code="C-2", payload=QINGSONG)
    retire_source_record(system=erp.system, entity="customers", local_code="C-2")
    items = pending(erp.system, ("C-1", PUJIANG), ("C-2", QINGSONG), ("C-3", PUJIANG))

    with transaction.atomic():
        stored = steps.load(erp.system, "customers", items)

    assert {code: r.golden_is_live for code, r in stored.items()} == {"C-1": True, "C-2": False}


def test_diff_answers_an_unchanged_record_from_what_is_stored(erp):
    first = upsert_source_record(
        system=erp.system, entity="customers", local_code="C-1", payload=PUJIANG
    )
    items = pending(erp.system, ("C-1", PUJIANG))

    with transaction.atomic():
        stored = steps.load(erp.system, "customers", items)
        results, changes = steps.diff(erp.system, "customers", items, stored)

    assert changes == []
    assert results["C-1"] == steps.UpsertResult(
        first.golden_code, "new", False, False, first.warnings, first.score
    )


def test_diff_makes_a_change_of_a_new_and_of_an_edited_record(erp):
    first = upsert_source_record(
        system=erp.system, entity="customers", local_code="C-1", payload=PUJIANG
    )
    items = pending(erp.system, ("C-1", dict(PUJIANG, address="上海市浦东新区")), ("P-1", PERSON))

    with transaction.atomic():
        stored = steps.load(erp.system, "customers", items)
        results, changes = steps.diff(erp.system, "customers", items, stored)

    assert results == {}
    edited, new = changes
    assert (edited.is_new, edited.previous_code, edited.was_member) == (
        False,
        first.golden_code,
        True,
    )
    assert edited.record.attributes["address"] == "上海市浦东新区"
    assert (new.is_new, new.previous_code, new.was_member) == (True, "", False)
    # Sealed right after standardization: the resident ID is encrypted, its blind index kept.
    assert new.record.attributes["id_number"].startswith("enc:v1:")
    assert ZHANG_ID not in str(new.record.attributes)
    assert set(new.record.blind_index) == {"id_number"}


def test_link_keeps_a_member_in_its_golden_record_and_gives_a_new_one_a_code(erp):
    first = upsert_source_record(
        system=erp.system, entity="customers", local_code="C-1", payload=PUJIANG
    )

    with transaction.atomic():
        items = pending(erp.system, ("C-1", QINGSONG), ("C-2", PERSON))
        _, (kept, new), new_codes = up_to_link(erp.system, items)

    assert kept.record.golden_code == first.golden_code
    assert new_codes == {new.record.golden_code}
    assert new.record.golden_code.startswith("C") and not new.record.golden_code.startswith("new:")
    assert (kept.returning, new.returning) == (False, False)


def test_link_takes_a_record_sent_again_back_to_its_golden_record(erp):
    first = upsert_source_record(
        system=erp.system, entity="customers", local_code="C-1", payload=PUJIANG
    )
    retire_source_record(system=erp.system, entity="customers", local_code="C-1")

    with transaction.atomic():
        _, (change,), new_codes = up_to_link(erp.system, pending(erp.system, ("C-1", PUJIANG)))

    assert (change.record.golden_code, change.returning, new_codes) == (
        first.golden_code,
        True,
        set(),
    )


def test_write_stores_the_rows_with_history_and_no_golden_record_yet(erp):
    with transaction.atomic():
        linker, changes, _ = up_to_link(erp.system, pending(erp.system, ("C-1", PUJIANG)))
        steps.write(changes, linker, None, "first load")

    record = SourceRecord.objects.get(local_code="C-1")
    assert (record.is_active, record.fingerprint) == (True, changes[0].pending.print_)
    assert [h.history_change_reason for h in record.history.all()] == ["first load"]
    assert not Customer.objects.filter(code=record.golden_code).exists()


def test_refresh_builds_the_golden_records_and_writes_their_events(erp):
    before = Event.objects.count()
    with transaction.atomic():
        linker, changes, new_codes = up_to_link(erp.system, pending(erp.system, ("C-1", PUJIANG)))
        steps.write(changes, linker, None, "first load")
        steps.refresh(erp.system, "customers", changes, new_codes, None, "first load")

    (code,) = new_codes
    assert Customer.objects.get(code=code).name == PUJIANG["name"]
    assert list(Event.objects.filter(seq__gt=0).values_list("kind", "golden_code")[before:]) == [
        ("created", code)
    ]


def test_run_answers_every_item_and_an_empty_run_writes_nothing(erp):
    items = pending(erp.system, ("C-1", PUJIANG), ("C-2", QINGSONG))

    results = steps.run(erp.system, "customers", items, None, "")

    assert [(r.link, r.created, r.changed) for r in results] == [
        ("new", True, True),
        ("new", True, True),
    ]
    assert steps.run(erp.system, "customers", [], None, "") == []


def test_a_batch_with_more_locks_than_a_transaction_may_take_is_written_in_several(erp, settings):
    # Five locks a record at most (its local code, four identifier keys): two a transaction.
    settings.MDM_LOCKS_PER_TRANSACTION = 10
    cities = ["上海", "杭州", "南京", "苏州", "宁波"]
    items = [
        (f"C-{i}", {"name": f"{city}浦江物流有限公司", "customer_type": "org"})
        for i, city in enumerate(cities)
    ]
    taken: list[int] = []

    def count_locks(execute, sql, params, many, context):
        if "advisory_xact_lock" in sql:
            taken.append(len(params[0]))
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(count_locks):
        results = upsert_source_records(system=erp.system, entity="customers", items=items)

    assert [r.created for r in results] == [True] * 5
    assert len(taken) == 3 and max(taken) <= 10
    assert SourceRecord.objects.filter(system=erp.system).count() == 5
