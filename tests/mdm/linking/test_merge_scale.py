"""Merging many clusters in one call (the batch match's merge step): exact rows, history, events.

The set-based writes of ``mdm.db.bulk_sql`` (PostgreSQL) and simple_history's
``bulk_update_with_history`` (SQLite, and any model it cannot plan) must write the same rows:
every test that writes runs once per path.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from matching.models import MatchRuleConfig
from matching.rules import DEFAULT_RULES, rule_to_dict
from mdm.errors import Conflict, NotFound
from mdm.linking.merge import merge_clusters
from mdm.models import Customer, Event, SourceRecord

COMPANIES = {
    # local code: (system, payload); each one its own golden record (auto-linking is off).
    "A1": ("erp", {"name": "北京华信科技有限公司", "customer_type": "org"}),
    "B1": ("crm", {"name": "华信科技(北京)有限公司", "phone": "010-62345678"}),
    "C1": ("shop", {"name": "Beijing Huaxin Technology", "email": "info@huaxin.example"}),
    "D1": ("erp", {"name": "上海浦江物流有限公司", "customer_type": "org"}),
    "E1": ("crm", {"name": "浦江物流", "address": "上海市浦东新区张江路1号"}),
    "F1": ("shop", {"name": "广州南方贸易有限公司", "customer_type": "org"}),
}


def load_companies(personas) -> dict[str, str]:
    """Six golden records of one member each (auto-linking off): {"A": code, …}."""
    MatchRuleConfig.objects.update_or_create(
        entity="customers",
        defaults={
            "auto_threshold": 0.999999999999,
            "review_threshold": 0.999999999,
            "config": rule_to_dict(DEFAULT_RULES["customers"]),
        },
    )
    codes = {}
    for local_code, (system, payload) in COMPANIES.items():
        response = personas[system].put("customers", local_code, payload)
        assert response.status_code in (200, 201), response.content
        codes[local_code[0]] = response.json()["golden_code"]
    assert len(set(codes.values())) == 6
    return codes


@pytest.fixture
def goldens(db, erp, crm, shop):
    """The six golden records, plus an inactive member of B's golden record."""
    codes = load_companies({"erp": erp, "crm": crm, "shop": shop})
    # A member that left B's golden record earlier: it moves along, but keeps its link kind.
    old = SourceRecord.objects.get(local_code="B1")
    SourceRecord.objects.create(
        system=old.system,
        entity="customers",
        local_code="B0",
        attributes={"name": "华信科技"},
        fingerprint="x",
        golden_code=codes["B"],
        link_kind="new",
        is_active=False,
    )
    return codes


@pytest.fixture
def batch_user(db):
    return get_user_model().objects.create_user(username="matcher")


def snapshot():
    """Counts and the last event, to assert that a refused merge changed nothing."""
    return (
        list(SourceRecord.objects.order_by("pk").values_list("pk", "golden_code", "link_kind")),
        list(Customer.objects.order_by("pk").values_list("code", "status", "merged_into_id")),
        SourceRecord.history.count(),
        Customer.history.count(),
        Event.objects.count(),
    )


def test_merging_several_clusters_in_one_call_writes_members_goldens_history_and_events(
    write_path, goldens, batch_user
):
    a, b, c, d, e, f = (goldens[k] for k in "ABCDEF")
    last_seq = Event.objects.order_by("-seq").values_list("seq", flat=True).first()
    member_history = SourceRecord.history.count()
    golden_history = Customer.history.count()
    updated = dict(SourceRecord.objects.values_list("local_code", "updated_at"))

    merged = merge_clusters(
        entity="customers",
        clusters=[[a, b, c], [d, e]],
        actor=batch_user,
        reason="batch match",
        link_kind="auto",
    )

    assert merged == 3
    members = {
        r.local_code: (r.golden_code, r.link_kind, r.is_active) for r in SourceRecord.objects.all()
    }
    assert members == {
        "A1": (a, "new", True),
        "B0": (a, "new", False),
        "B1": (a, "auto", True),
        "C1": (a, "auto", True),
        "D1": (d, "new", True),
        "E1": (d, "auto", True),
        "F1": (f, "new", True),
    }
    goldens_now = {
        g.code: (g.status, g.merged_into and g.merged_into.code) for g in Customer.objects.all()
    }
    assert goldens_now == {
        a: ("active", None),
        b: ("merged", a),
        c: ("merged", a),
        d: ("active", None),
        e: ("merged", d),
        f: ("active", None),
    }
    survivor_a = Customer.objects.get(code=a)
    assert survivor_a.attributes() == {
        "name": "北京华信科技有限公司",
        "customer_type": "org",
        "phone": "+861062345678",
        "email": "info@huaxin.example",
    }

    # One history row per moved member, in primary-key order (B0 was created last), then one
    # per merged golden record in cluster order, then one per recomputed survivor.
    moved = list(SourceRecord.history.order_by("history_id")[member_history:])
    assert [
        (h.local_code, h.golden_code, h.link_kind, h.history_type, h.history_change_reason)
        for h in moved
    ] == [
        ("B1", a, "auto", "~", "batch match"),
        ("C1", a, "auto", "~", "batch match"),
        ("E1", d, "auto", "~", "batch match"),
        ("B0", a, "new", "~", "batch match"),
    ]
    assert {h.history_user_id for h in moved} == {batch_user.pk}
    for h in moved:
        record = SourceRecord.objects.get(pk=h.id)
        assert (h.attributes, h.raw, h.fingerprint, h.system_id, h.updated_at) == (
            record.attributes,
            record.raw,
            record.fingerprint,
            record.system_id,
            record.updated_at,
        )
        assert h.history_date >= h.updated_at
    changed = list(Customer.history.order_by("history_id")[golden_history:])
    assert [
        (h.code, h.status, h.merged_into_id, h.history_type, h.history_change_reason)
        for h in changed
    ] == [
        (b, "merged", survivor_a.pk, "~", "batch match"),
        (c, "merged", survivor_a.pk, "~", "batch match"),
        (e, "merged", Customer.objects.get(code=d).pk, "~", "batch match"),
        (a, "active", None, "~", "batch match"),
        (d, "active", None, "~", "batch match"),
    ]
    assert {h.history_user_id for h in changed} == {batch_user.pk}
    for h in changed:
        golden = Customer.objects.get(code=h.code)
        assert (h.name, h.phone, h.email, h.extra, h.lineage, h.locked, h.updated_at) == (
            golden.name,
            golden.phone,
            golden.email,
            golden.extra,
            golden.lineage,
            golden.locked,
            golden.updated_at,
        )
    # The merged records share the merge's time; the members keep theirs: a merge is no new
    # source data (``most_recent`` survivorship reads it).
    times = {Customer.objects.get(code=code).updated_at for code in (b, c, e)}
    assert len(times) == 1
    assert dict(SourceRecord.objects.values_list("local_code", "updated_at")) == updated

    events = list(Event.objects.filter(seq__gt=last_seq).order_by("seq"))
    assert [(ev.kind, ev.golden_code) for ev in events] == [
        ("merged", b),
        ("merged", c),
        ("merged", e),
        ("updated", a),
        ("updated", d),
    ]
    assert [ev.payload.get("merged_into") for ev in events[:3]] == [a, a, d]
    assert events[3].payload["members"] == [
        {"system": "CRM", "local_code": "B1"},
        {"system": "ECOM", "local_code": "C1"},
        {"system": "ERP", "local_code": "A1"},
    ]
    assert events[4].payload["members"] == [
        {"system": "CRM", "local_code": "E1"},
        {"system": "ERP", "local_code": "D1"},
    ]
    assert events[3].payload["attributes"] == {
        "name": "北京华信科技有限公司",
        "customer_type": "org",
        "phone": "106****5678",
        "email": "i***@huaxin.example",
    }


def test_a_merge_with_an_unknown_code_is_refused_and_changes_nothing(write_path, goldens):
    before = snapshot()

    with pytest.raises(NotFound) as raised:
        merge_clusters(
            entity="customers",
            clusters=[[goldens["A"], goldens["B"]], [goldens["D"], "CU0000000000X"]],
            reason="batch match",
        )

    assert raised.value.message_en == "Golden code CU0000000000X does not exist."
    assert snapshot() == before


def test_a_merge_of_an_already_merged_record_is_refused_and_changes_nothing(write_path, goldens):
    a, b, c = goldens["A"], goldens["B"], goldens["C"]
    merge_clusters(entity="customers", clusters=[[a, b]], reason="first")
    before = snapshot()

    with pytest.raises(Conflict) as raised:
        merge_clusters(entity="customers", clusters=[[c, b], [goldens["D"], goldens["E"]]])

    assert raised.value.code == "not_active"
    assert snapshot() == before


def test_a_merge_without_actor_or_link_kind_keeps_link_kinds_and_records_no_user(
    write_path, goldens
):
    a, b = goldens["A"], goldens["B"]
    count = SourceRecord.history.count()

    merge_clusters(entity="customers", clusters=[[a, b]])

    assert SourceRecord.objects.get(local_code="B1").link_kind == "new"
    rows = list(SourceRecord.history.order_by("history_id")[count:])
    assert [(h.local_code, h.history_user_id, h.history_change_reason) for h in rows] == [
        ("B1", None, "merge"),
        ("B0", None, "merge"),
    ]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks across connections: PostgreSQL"
)
def test_two_concurrent_merges_of_one_record_merge_it_once(
    restore_after_flush, transactional_db, erp, crm, shop
):
    codes = load_companies({"erp": erp, "crm": crm, "shop": shop})
    b = codes["B"]
    refused: list[Conflict] = []
    barrier = threading.Barrier(2)

    def merge_into(survivor: str):
        def run():
            try:
                barrier.wait()
                merge_clusters(entity="customers", clusters=[[survivor, b]], reason="race")
            except Conflict as exc:
                refused.append(exc)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=merge_into(codes[k])) for k in ("A", "C")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # The second one waited for the first one's row locks, then found B merged.
    assert [e.code for e in refused] == ["not_active"]
    merged = Customer.objects.get(code=b)
    assert merged.status == "merged"
    assert merged.merged_into.code in (codes["A"], codes["C"])
    assert SourceRecord.objects.get(local_code="B1").golden_code == merged.merged_into.code
    assert Event.objects.filter(kind="merged", golden_code=b).count() == 1
    assert SourceRecord.history.filter(local_code="B1", history_type="~").count() == 1
