"""``match --rekey``: after an upgrade that changed how block keys are made, the index is
rebuilt from the stored records, so records stored before it meet the new ones."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from matching.engine import prepare
from matching.models import BlockKey
from mdm.linking.block_index import rebuild_block_keys
from mdm.models import SourceRecord
from mdm.privacy.crypto import matching_view

pytestmark = pytest.mark.django_db

ORG = {"customer_type": "organization"}


def put(system, local_code: str, payload: dict) -> None:
    response = system.put("customers", local_code, ORG | payload)
    assert response.status_code in (200, 201), response.content


def index_of(local_code: str) -> set[str]:
    record = SourceRecord.objects.get(local_code=local_code)
    return set(BlockKey.objects.filter(record=record).values_list("key", flat=True))


def keys_made_of(local_code: str) -> set[str]:
    record = SourceRecord.objects.get(local_code=local_code)
    view = matching_view(record.attributes, record.blind_index)
    return set(prepare("customers", view, record.flagged).keys)


def match(*options: str) -> str:
    out = io.StringIO()
    call_command("match", "--entity", "customers", "--no-progress", *options, stdout=out)
    return out.getvalue()


def test_rekey_rebuilds_the_keys_an_older_release_did_not_make(erp, shop):
    put(erp, "E1", {"name": "比亚迪股份有限公司"})
    put(shop, "S1", {"name": "BYD Company Limited"})
    # As an older release left the index: no initials key, and a key no release makes now.
    BlockKey.objects.filter(key__startswith="tl:#").delete()
    record = SourceRecord.objects.get(local_code="E1")
    BlockKey.objects.create(entity="customers", key="tl:stale", record=record)
    assert "tl:#byd" not in index_of("E1") | index_of("S1")

    output = match("--rekey")

    assert "rekey customers: records=2 keys_changed=2" in output
    assert index_of("E1") == keys_made_of("E1")
    assert index_of("S1") == keys_made_of("S1")
    assert "tl:#byd" in index_of("E1") & index_of("S1")
    assert "tl:stale" not in index_of("E1")
    # Nothing left to change: a second rebuild writes nothing.
    again = rebuild_block_keys("customers")
    assert (again.records, again.changed) == (2, 0)


def test_rekey_leaves_deactivated_records_out(erp):
    put(erp, "E1", {"name": "比亚迪股份有限公司"})
    put(erp, "E2", {"name": "许继电气股份有限公司"})
    SourceRecord.objects.filter(local_code="E2").update(is_active=False)
    BlockKey.objects.filter(record__local_code="E2").delete()

    report = rebuild_block_keys("customers", batch=1)

    assert (report.records, report.changed) == (1, 0)
    assert index_of("E2") == set()


def test_rekey_is_refused_with_a_dry_run(erp):
    with pytest.raises(CommandError, match="--rekey"):
        match("--rekey", "--dry-run")


def test_a_batch_that_meets_a_deadlock_is_read_again(erp, monkeypatch):
    # PostgreSQL aborts one of two transactions that lock rows in different orders; the
    # rebuild's batch is the one tried again (a writer's own transaction is not ours to retry).
    from django.db import OperationalError
    from psycopg import errors

    from mdm.linking import block_index

    put(erp, "E1", {"name": "比亚迪股份有限公司"})
    BlockKey.objects.filter(key__startswith="tl:#").delete()
    real, calls = block_index._rekey_batch, []

    def deadlocked_once(*args):
        calls.append(args)
        if len(calls) == 1:
            error = OperationalError("deadlock detected")
            error.__cause__ = errors.DeadlockDetected("deadlock detected")
            raise error
        return real(*args)

    monkeypatch.setattr(block_index, "_rekey_batch", deadlocked_once)
    report = rebuild_block_keys("customers")

    assert (report.records, report.changed) == (1, 1)
    assert "tl:#byd" in index_of("E1")
    assert calls[0] == calls[1]  # the same batch again


def test_another_database_error_is_not_retried(erp, monkeypatch):
    from django.db import OperationalError

    from mdm.linking import block_index

    put(erp, "E1", {"name": "比亚迪股份有限公司"})
    calls = []

    def failing(*args):
        calls.append(args)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(block_index, "_rekey_batch", failing)
    with pytest.raises(OperationalError):
        rebuild_block_keys("customers")
    assert len(calls) == 1


def test_match_asks_for_a_rekey_when_an_older_release_keyed_the_records(erp):
    from matching.keys import keys_version
    from matching.models import BlockKeyScheme

    put(erp, "E1", {"name": "比亚迪股份有限公司"})
    BlockKeyScheme.objects.update_or_create(entity="customers", defaults={"version": 0})

    # In the run's report: the command prints it, the nightly job logs it.
    assert "run `match --entity customers --rekey`" in match()
    match("--rekey")
    assert BlockKeyScheme.objects.get(entity="customers").version == keys_version("customers")
    assert "--rekey" not in match()


def test_only_an_entity_whose_keys_changed_is_asked_for_a_rekey(erp):
    from matching.keys import keys_version
    from matching.models import BlockKeyScheme
    from mdm.linking.block_index import stale_keys_warning

    # A hub keyed by the release before: scheme 1 for every entity. This release changed the
    # customers' keys only.
    for entity in ("customers", "products", "materials"):
        BlockKeyScheme.objects.update_or_create(entity=entity, defaults={"version": 1})

    assert keys_version("customers") > 1
    assert "--entity customers --rekey" in (stale_keys_warning("customers") or "")
    assert stale_keys_warning("products") is None
    assert stale_keys_warning("materials") is None


def test_after_migrate_a_hub_with_records_is_marked_for_a_rekey(erp):
    from django.core.management.sql import emit_post_migrate_signal

    from matching.keys import keys_version
    from matching.models import BlockKeyScheme
    from mdm.linking.block_index import keys_scheme

    put(erp, "E1", {"name": "比亚迪股份有限公司"})
    BlockKeyScheme.objects.all().delete()  # as before the upgrade that brings the table

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    # Customers' keys changed in that release; products and materials have no records.
    assert keys_scheme("customers") == 0
    assert keys_scheme("products") == keys_version("products")
    # Marked once: a later migrate leaves the mark until the rekey clears it.
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert keys_scheme("customers") == 0
    rebuild_block_keys("customers")
    assert keys_scheme("customers") == keys_version("customers")


def test_a_failed_rekey_leaves_the_mark(erp, monkeypatch):
    from django.db import OperationalError

    from matching.models import BlockKeyScheme
    from mdm.linking import block_index

    put(erp, "E1", {"name": "比亚迪股份有限公司"})
    BlockKeyScheme.objects.update_or_create(entity="customers", defaults={"version": 0})

    def failing(*args):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(block_index, "_rekey_batch", failing)
    with pytest.raises(OperationalError):
        rebuild_block_keys("customers")
    assert block_index.keys_scheme("customers") == 0
