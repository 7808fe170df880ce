"""The scale benchmark: N synthetic customer records through the batch `match` on PostgreSQL.

Loading bypasses the write path on purpose (a million upserts would measure the import, not
the match): each record is standardized by the dictionary's entry point, then stored with one
golden record each and its block keys through PostgreSQL COPY (rejected records are skipped).
"""

from __future__ import annotations

import json
import time

from django.db import connection

from dictionary.services import compiled_elements, encrypted_codes, standardize_and_validate
from matching.keys import block_keys
from mdm.access.accounts import create_source_system
from mdm.devtools.synth import iter_customers_fast
from mdm.models import SourceSystem
from mdm.privacy import crypto
from mdm.records.codes import allocate_golden_codes

CHUNK = 20_000


def reset_entity(entity: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE matching_blockkey, matching_matchcandidate, matching_historicalmatchcandidate, "
            "mdm_sourcerecord, mdm_historicalsourcerecord, mdm_customer, mdm_historicalcustomer, "
            "mdm_event, matching_blockkeyscheme RESTART IDENTITY CASCADE"
        )


_SNAPSHOT = {
    "mdm_customer": "_bench_snap_customer",
    "mdm_sourcerecord": "_bench_snap_sourcerecord",
    "matching_blockkey": "_bench_snap_blockkey",
}


def snapshot() -> None:
    """Keep a copy of the loaded customer records, golden records and block keys."""
    with connection.cursor() as cursor:
        for table, copy in _SNAPSHOT.items():
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE TABLE {copy} AS SELECT * FROM {table}")


def restore() -> None:
    """Back to the snapshot: a second run starts from the same records, without loading again."""
    reset_entity("customers")
    with connection.cursor() as cursor:
        for table, copy in _SNAPSHOT.items():
            cursor.execute(f"INSERT INTO {table} SELECT * FROM {copy}")
            # The truncation restarted the ids: continue after the restored ones.
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
    settle()


def snapshot_size() -> int:
    """Source records in the snapshot; an error when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {_SNAPSHOT['mdm_sourcerecord']}")
        return cursor.fetchone()[0]


def drop_snapshot() -> None:
    with connection.cursor() as cursor:
        for copy in _SNAPSHOT.values():
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")


def load(n: int, *, seed: int = 11, progress=None, export=None) -> float:
    """Store n synthetic customer records; returns seconds spent.

    ``export(record, attributes)`` is called for every record stored, with its standardized
    attributes in clear (before sensitive values are sealed): what another tool is given."""
    started = time.perf_counter()
    systems = {}
    for code in ("ERP", "CRM", "ECOM"):
        systems[code] = (
            SourceSystem.objects.filter(code=code).first()
            or create_source_system(code=code, name=code)[0]
        ).pk
    batch = []
    for record in iter_customers_fast(n, seed=seed):
        batch.append(record)
        if len(batch) == CHUNK:
            _store(batch, systems, export)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        _store(batch, systems, export)
        if progress:
            progress(len(batch))
    settle()
    return time.perf_counter() - started


def settle() -> None:
    """What autovacuum does on a live system after a bulk load (an insert-driven vacuum, then
    statistics): the visibility map lets the candidate look-up read the block-key index alone.
    Autovacuum may be off where the benchmark runs; outside a transaction VACUUM is run here,
    inside one (a test) only ANALYZE."""
    tables = ("mdm_customer", "mdm_sourcerecord", "matching_blockkey")
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {table}")


def _store(batch, systems, export=None) -> None:
    elements = compiled_elements("customers")
    sealed_codes = encrypted_codes(elements)
    checked = []
    for record in batch:
        payload = {k: v for k, v in record.attributes.items() if v}
        result = standardize_and_validate("customers", payload, elements=elements)
        if not result.errors:
            if export is not None:
                export(record, dict(result.attributes))
            # As the write path stores them: sensitive values encrypted, their blind indexes apart.
            index = crypto.blind_indexes(sealed_codes, result.attributes)
            result.attributes = crypto.seal(sealed_codes, result.attributes, index)
            payload = crypto.seal(sealed_codes, payload, index)
            checked.append((record, payload, result, index))
    codes = allocate_golden_codes("customers", len(checked))
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY mdm_customer (code, status, extra, lineage, locked, created_at, updated_at, name, "
            "customer_type, credit_code, id_number, phone, email, address, region_code, postal_code, "
            "contact_name) FROM STDIN"
        ) as copy:
            for code, (_, _, result, _) in zip(codes, checked, strict=True):
                name = result.attributes.get("name", "")[:200]
                empty = ("",) * 9  # values come with the first recompute (the match's merges)
                copy.write_row((code, "active", "{}", "{}", "{}", "now", "now", name, *empty))
        with raw.copy(
            "COPY mdm_sourcerecord (system_id, entity, local_code, raw, attributes, flagged, "
            "warnings, fingerprint, golden_code, link_kind, is_active, created_at, updated_at, "
            "blind_index) FROM STDIN"
        ) as copy:
            for code, (record, payload, result, index) in zip(codes, checked, strict=True):
                copy.write_row(
                    (
                        systems[record.system],
                        "customers",
                        record.local_code,
                        json.dumps(payload, ensure_ascii=False),
                        json.dumps(result.attributes, ensure_ascii=False),
                        json.dumps(result.flagged),
                        "[]",
                        "",
                        code,
                        "new",
                        True,
                        "now",
                        "now",
                        json.dumps(index),
                    )
                )
        raw.execute(
            "SELECT id, attributes, flagged, blind_index FROM mdm_sourcerecord "
            "WHERE golden_code = ANY(%s)",
            [codes],
        )
        rows = raw.fetchall()
        with raw.copy("COPY matching_blockkey (entity, key, record_id) FROM STDIN") as copy:
            for pk, attributes, flagged, index in rows:
                attributes = json.loads(attributes) if isinstance(attributes, str) else attributes
                flagged = json.loads(flagged) if isinstance(flagged, str) else flagged
                index = json.loads(index) if isinstance(index, str) else index
                view = crypto.matching_view(attributes, index)
                for key in block_keys("customers", view, flagged):
                    copy.write_row(("customers", key, pk))
