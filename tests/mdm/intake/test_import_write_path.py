"""The set-based pieces of the write path an import leans on: rows and history by COPY, the
dictionary read once per batch, one query for all candidates of a batch."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from dictionary.models import CodeValue
from dictionary.services import compiled_elements, dictionary_snapshot
from matching.models import BlockKey
from mdm.db.bulk_copy import COPY_MIN_ROWS, create_objects_with_history
from mdm.intake.importing import import_rows
from mdm.intake.upsert import upsert_source_records
from mdm.models import Customer, SourceRecord

pytestmark = pytest.mark.django_db

TRACKED = [
    "system_id",
    "entity",
    "local_code",
    "raw",
    "attributes",
    "flagged",
    "warnings",
    "blind_index",
    "fingerprint",
    "golden_code",
    "link_kind",
    "link_score",
    "is_active",
]


def records(system, prefix: str, n: int) -> list[SourceRecord]:
    return [
        SourceRecord(
            system=system,
            entity="customers",
            local_code=f"{prefix}{i}",
            raw={"name": f"公司{i}", "note": 'a "quoted" \\ value\tand tab'},
            attributes={"name": f"公司{i}"},
            flagged=["phone"] if i % 2 else [],
            warnings=[{"field": "phone", "code": "invalid"}] if i % 2 else [],
            blind_index={},
            fingerprint=f"{i:064d}",
            golden_code=f"CU{i:011d}",
            link_kind="new",
            link_score=None if i % 3 else 0.25,
        )
        for i in range(n)
    ]


def stored(prefix: str) -> list[tuple]:
    return [
        tuple(row[1:])
        for row in SourceRecord.objects.filter(local_code__startswith=prefix)
        .order_by("pk")
        .values_list("pk", *TRACKED)
    ]


def history(prefix: str) -> list[tuple]:
    return list(
        SourceRecord.history.filter(local_code__startswith=prefix)
        .order_by("history_id")
        .values_list("history_type", "history_user_id", "history_change_reason", *TRACKED)
    )


@pytest.mark.parametrize("n", [3, COPY_MIN_ROWS + 5])
def test_copied_rows_and_history_are_the_ones_simple_history_writes(erp, steward, n):
    when = timezone.now()
    expected = records(erp.system, "A", n)
    bulk_create_with_history(
        expected,
        SourceRecord,
        default_user=steward.user,
        default_change_reason="import x",
        default_date=when,
    )
    copied = records(erp.system, "B", n)

    create_objects_with_history(
        copied, SourceRecord, user=steward.user, reason="import x", date=when
    )

    def renamed(rows):
        return [
            tuple(str(v).replace("A", "B", 1) if k == 2 else v for k, v in enumerate(r))
            for r in rows
        ]

    assert stored("B") == renamed(stored("A"))
    assert [r[:3] for r in history("B")] == [("+", steward.user.pk, "import x")] * n
    assert [r[3:] for r in history("B")] == stored("B")
    assert [o.pk for o in copied] == list(
        SourceRecord.objects.filter(local_code__startswith="B")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert set(
        SourceRecord.history.filter(local_code__startswith="B").values_list(
            "history_date", flat=True
        )
    ) == {when}
    assert all(
        r.created_at and r.updated_at
        for r in SourceRecord.objects.filter(local_code__startswith="B")
    )


def test_copied_golden_records_keep_typed_columns_and_json(erp):
    golden = [
        Customer(
            code=f"CU{i:010d}X", name=f"公司{i}", extra={"k": "v"}, lineage={"name": {"rule": "r"}}
        )
        for i in range(COPY_MIN_ROWS)
    ]

    create_objects_with_history(golden, Customer, reason="created")

    assert list(
        Customer.objects.order_by("pk").values_list("code", "name", "extra", "status", "birth_date")
    )[:2] == [
        ("CU0000000000X", "公司0", {"k": "v"}, "active", None),
        ("CU0000000001X", "公司1", {"k": "v"}, "active", None),
    ]
    assert (
        Customer.history.filter(history_type="+", history_change_reason="created").count()
        == COPY_MIN_ROWS
    )


def test_the_dictionary_revision_is_read_once_per_snapshot():
    compiled_elements("customers")

    with CaptureQueriesContext(connection) as inside, dictionary_snapshot():
        compiled_elements("customers")
        compiled_elements("customers")
        with dictionary_snapshot():
            compiled_elements("products")
    with CaptureQueriesContext(connection) as outside:
        compiled_elements("customers")
        compiled_elements("customers")

    def revisions(captured):
        return sum(
            "dictionary_dictionaryrevision" in q["sql"] or "MAX(updated_at)" in q["sql"]
            for q in captured.captured_queries
        )

    assert (revisions(inside), revisions(outside)) == (1, 2)


def test_a_dictionary_change_takes_effect_at_the_next_batch(erp):
    item = ("K-1", {"name": "北京华信科技有限公司", "customer_type": "corp"})
    (first,) = upsert_source_records(system=erp.system, entity="customers", items=[item])
    org = CodeValue.objects.get(domain__code="customer_type", code="org")
    org.synonyms = [*org.synonyms, "corp"]
    org.save()

    (second,) = upsert_source_records(system=erp.system, entity="customers", items=[item])

    assert first.errors["customer_type"][0]["code"] == "not_in_domain"
    assert second.created is True
    assert SourceRecord.objects.get(local_code="K-1").attributes["customer_type"] == "org"


def test_one_query_fetches_the_candidates_of_a_whole_batch(erp):
    rows = [
        {"local_code": f"Q-{i}", "name": f"北京{core}科技有限公司", "customer_type": "org"}
        for i, core in enumerate(["华信", "浦江", "长城", "青松", "蓝海", "金桥"])
    ]
    import_rows(system=erp.system, entity="customers", rows=rows)
    later = [
        {"local_code": f"R-{i}", "name": f"上海{core}科技有限公司", "customer_type": "org"}
        for i, core in enumerate(["华信", "浦江", "长城", "青松", "蓝海", "金桥"])
    ]

    with CaptureQueriesContext(connection) as captured:
        report = import_rows(system=erp.system, entity="customers", rows=later)

    candidate_queries = [q for q in captured.captured_queries if "matching_blockkey b" in q["sql"]]
    assert len(candidate_queries) == 1
    assert report.created == 6
    assert BlockKey.objects.filter(record__local_code__startswith="R-").exists()


def test_a_batch_of_events_goes_in_by_copy_in_order_with_personal_values_masked(erp):
    from mdm.feed.events import write_events
    from mdm.models import Event

    events = [
        Event(
            entity="customers",
            golden_code=f"CU{i:010d}X",
            kind="created",
            payload={"golden_code": f"CU{i:010d}X", "attributes": {"phone": "+8613812345678"}},
        )
        for i in range(COPY_MIN_ROWS + 5)
    ]

    with CaptureQueriesContext(connection) as captured:
        write_events(events)

    stored = list(Event.objects.order_by("seq").values_list("golden_code", "payload"))
    assert [code for code, _ in stored] == [e.golden_code for e in events]
    assert all("13812345678" not in str(payload) for _, payload in stored)
    assert not any("INSERT INTO" in q["sql"] for q in captured.captured_queries)


def test_a_cached_candidate_is_prepared_again_once_its_record_changes(erp, crm):
    from mdm.linking import block_index as matching

    name = {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-58123456"}
    erp.put("customers", "SD01-000001", name)
    record = SourceRecord.objects.get(local_code="SD01-000001")
    first = crm.put("customers", "BJ-A-1", {**name, "name": "北京华信科技"}).json()
    assert record.pk in matching._prepared  # scored as a candidate, kept for later batches

    erp.put("customers", "SD01-000001", {**name, "name": "深圳蓝海物流有限公司"})
    second = crm.put("customers", "BJ-A-2", {**name, "name": "北京华信科技"}).json()

    assert first["link"] == "auto"
    _, features = matching._prepared[record.pk]
    assert features.attrs["name"] == "深圳蓝海物流有限公司"
    assert second["golden_code"] == first["golden_code"]  # still one golden record


def test_new_golden_records_are_built_from_the_batch_without_reading_members_back(erp):
    from mdm.models import Event
    from mdm.records.golden import refresh_goldens

    rows = [
        {"local_code": "N-1", "name": "北京华信科技有限公司", "phone": "010-58123456"},
        {"local_code": "N-2", "name": "北京华信科技", "phone": "010-58123456", "email": "a@b.cn"},
        {"local_code": "N-3", "name": "深圳蓝海物流有限公司", "customer_type": "org"},
    ]

    with CaptureQueriesContext(connection) as captured:
        report = import_rows(system=erp.system, entity="customers", rows=rows)

    member_reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and '"mdm_sourcerecord"."golden_code" IN' in q["sql"]
    ]
    assert report.created == 3 and member_reads == []
    goldens = {g.code: g for g in Customer.objects.all()}
    assert len(goldens) == 2  # N-1 and N-2 are one company
    merged = goldens[SourceRecord.objects.get(local_code="N-2").golden_code]
    assert merged.email == "a@b.cn" and merged.phone == "+861058123456"
    # Recomputed from the stored members, each golden record is what the batch built.
    events = Event.objects.count()
    refreshed = refresh_goldens("customers", existing=list(Customer.objects.order_by("pk")))
    assert Event.objects.count() == events
    for code, golden in refreshed.items():
        assert golden.lineage == goldens[code].lineage
        assert golden.attributes() == goldens[code].attributes()
