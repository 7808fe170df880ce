"""Which stored records a new record is scored against in real time (the candidate pick)."""

from __future__ import annotations

import pytest

from matching.models import BlockKey
from mdm.linking import block_index
from mdm.models import SourceRecord

pytestmark = pytest.mark.django_db


def test_candidates_sharing_more_keys_come_first_then_the_rarest_block():
    ranked = [
        (1, 40, 1, "one key, common block"),
        (3, 12, 9, "three keys"),
        (1, 2, 5, "one key, rare block"),
        (2, 30, 4, "two keys"),
        (1, 40, 2, "one key, common block, later id"),
        (1, 40, 3, "one key, beyond the cap"),
        *[(2, 31, i, f"two keys, id {i}") for i in (10, 11, 12, 13)],
    ]

    picked = block_index.pick_candidates(ranked)

    assert block_index.FEW_KEYS_CANDIDATES == {1: 3, 2: 4}
    assert picked == [
        "three keys",
        "two keys",
        "two keys, id 10",
        "two keys, id 11",
        "two keys, id 12",
        "one key, rare block",
        "one key, common block",
        "one key, common block, later id",
    ]


def test_no_more_than_max_candidates_are_picked(monkeypatch):
    monkeypatch.setattr(block_index, "MAX_CANDIDATES", 4)
    ranked = [(5, 1, i, i) for i in range(10)]

    assert block_index.pick_candidates(ranked) == [0, 1, 2, 3]


def test_the_candidate_query_sends_only_the_records_the_batch_picks(erp):
    """Records sharing one key with the new record: only the first FEW_KEYS_CANDIDATES[1] (the
    rarest blocks, then the lowest ids) travel; the key's block still lists them all."""
    for i in range(8):
        erp.put("customers", f"C-{i}", {"name": f"测试{i}号贸易有限公司"})
    ids = [SourceRecord.objects.get(local_code=f"C-{i}").pk for i in range(8)]
    strong, rare, common = ids[0], ids[7], ids[1:7]
    rows = [("zz:a", strong), ("zz:b", strong), ("zz:rare", rare)]
    rows += [("zz:common", record_id) for record_id in common]
    BlockKey.objects.bulk_create(BlockKey(entity="customers", key=k, record_id=r) for k, r in rows)

    found = block_index.fetch_candidates(
        "customers", [(None, ["zz:a", "zz:b", "zz:rare", "zz:common"])]
    )

    assert set(found.records) == {strong, rare, *sorted(common)[:2]}
    assert sorted(found.hits["zz:common"]) == sorted(common)


def test_a_record_being_updated_is_not_its_own_candidate(erp):
    erp.put("customers", "C-1", {"name": "自身贸易有限公司"})
    erp.put("customers", "C-2", {"name": "别家贸易有限公司"})
    own, other = (SourceRecord.objects.get(local_code=c).pk for c in ("C-1", "C-2"))
    BlockKey.objects.bulk_create(
        BlockKey(entity="customers", key="zz:x", record_id=r) for r in (own, other)
    )

    found = block_index.fetch_candidates("customers", [(own, ["zz:x"])])

    assert set(found.records) == {other}


def test_deleting_a_source_record_deletes_its_block_keys(erp):
    erp.put("customers", "C-1", {"name": "删除测试贸易有限公司", "phone": "13812345678"})
    record = SourceRecord.objects.get(local_code="C-1")
    assert BlockKey.objects.filter(record_id=record.pk).count() > 0

    record.delete()

    assert not BlockKey.objects.filter(record_id=record.pk).exists()


def test_a_key_left_by_a_record_that_is_gone_finds_nothing(erp, crm):
    """The index holds no database constraint (see BlockKey.record): a key whose record was
    removed outside the ORM is skipped by the candidate look-up, and matching goes on."""
    erp.put("customers", "C-1", {"name": "华信科技有限公司", "phone": "13812345678"})
    erp_record = SourceRecord.objects.get(local_code="C-1")
    keys = list(BlockKey.objects.filter(record=erp_record).values_list("key", flat=True))
    BlockKey.objects.bulk_create(
        [BlockKey(entity="customers", key=key, record_id=10**9) for key in keys]
    )

    found = block_index.fetch_candidates("customers", [(None, keys)])
    response = crm.put("customers", "A-1", {"name": "华信科技有限公司", "phone": "13812345678"})

    assert set(found.records) == {erp_record.pk}
    assert response.status_code == 201
    assert response.json()["link"] == "auto"
    assert response.json()["golden_code"] == erp_record.golden_code
