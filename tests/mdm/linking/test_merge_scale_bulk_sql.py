"""The set-based updates with history of ``mdm.db.bulk_sql``, against simple_history's."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import DataError, connection, transaction

from mdm.db import bulk_sql
from mdm.models import Customer, SourceRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(db):
    return [
        Customer.objects.create(code=f"CU-T{i}", name=f"客户{i}", extra={"n": i}) for i in range(3)
    ]


def test_objects_are_updated_with_one_history_row_each_in_the_given_order(write_path, customers):
    user = get_user_model().objects.create_user(username="matcher")
    first, second, third = customers
    third.name, third.extra = "新名称", {"n": 30}
    first.status = "retired"
    count = Customer.history.count()

    updated = bulk_sql.update_objects_with_history(
        [third, first], Customer, ["name", "extra", "status"], user=user, reason="recomputed"
    )

    assert updated == 2
    rows = {c.code: (c.name, c.extra, c.status) for c in Customer.objects.all()}
    assert rows == {
        "CU-T0": ("客户0", {"n": 0}, "retired"),
        "CU-T1": ("客户1", {"n": 1}, "active"),
        "CU-T2": ("新名称", {"n": 30}, "active"),
    }
    history = list(Customer.history.order_by("history_id")[count:])
    assert [
        (h.code, h.name, h.extra, h.status, h.history_type, h.history_change_reason)
        for h in history
    ] == [
        ("CU-T2", "新名称", {"n": 30}, "active", "~", "recomputed"),
        ("CU-T0", "客户0", {"n": 0}, "retired", "~", "recomputed"),
    ]
    assert {h.history_user_id for h in history} == {user.pk}


def test_an_objects_own_history_user_and_reason_win(write_path, customers):
    steward = get_user_model().objects.create_user(username="steward")
    first, second, _ = customers
    second._history_user = steward
    second._change_reason = "locked by steward"
    count = Customer.history.count()

    bulk_sql.update_objects_with_history([first, second], Customer, ["name"], reason="recomputed")

    history = list(Customer.history.order_by("history_id")[count:])
    assert [(h.code, h.history_user_id, h.history_change_reason) for h in history] == [
        ("CU-T0", None, "recomputed"),
        ("CU-T1", steward.pk, "locked by steward"),
    ]


def test_rows_are_updated_by_primary_key_with_their_history(write_path, customers):
    count = Customer.history.count()
    pks = [customers[1].pk, customers[0].pk]

    updated = bulk_sql.update_rows_with_history(
        Customer, pks, {"name": ["乙", "甲"], "credit_code": ["", ""]}, reason="moved"
    )

    assert updated == 2
    assert list(Customer.objects.order_by("pk").values_list("name", flat=True)) == [
        "甲",
        "乙",
        "客户2",
    ]
    history = list(Customer.history.order_by("history_id")[count:])
    assert [(h.id, h.name, h.extra, h.history_change_reason) for h in history] == [
        (customers[1].pk, "乙", {"n": 1}, "moved"),
        (customers[0].pk, "甲", {"n": 0}, "moved"),
    ]


def test_no_history_row_is_written_while_history_is_switched_off(write_path, customers, settings):
    settings.SIMPLE_HISTORY_ENABLED = False
    customers[0].name = "甲"
    count = Customer.history.count()

    updated = bulk_sql.update_objects_with_history(customers[:1], Customer, ["name"])

    assert updated == 1
    assert Customer.objects.get(pk=customers[0].pk).name == "甲"
    assert Customer.history.count() == count


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not check lengths")
def test_a_value_too_long_for_its_column_fails_and_writes_nothing(write_path, customers):
    customers[0].name = "长" * 201
    count = Customer.history.count()

    with pytest.raises(DataError), transaction.atomic():
        bulk_sql.update_objects_with_history(customers[:1], Customer, ["name"], reason="x")

    assert Customer.objects.get(pk=customers[0].pk).name == "客户0"
    assert Customer.history.count() == count


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics: PostgreSQL")
def test_missing_statistics_are_checked_once_per_process(django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(bulk_sql, "_CHECKED_TABLES", set())

    bulk_sql.ensure_statistics(SourceRecord)
    with django_assert_num_queries(0):
        bulk_sql.ensure_statistics(SourceRecord)

    checked = bulk_sql._CHECKED_TABLES
    assert checked == {"mdm_sourcerecord"}
