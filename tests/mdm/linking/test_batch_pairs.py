"""The batch match's candidate pairs: partitioned on disk, read back sorted and without
duplicates, the same pairs a single in-memory array would hold."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from django.db import connections

from matching.models import BlockKey
from mdm.linking.batch import pairs as batch_pairs
from mdm.linking.batch.pairs import CandidatePairs, candidate_pairs, too_common
from mdm.linking.batch.report import BatchMatchReport

pytestmark = pytest.mark.django_db

COMPANIES = [
    ("E1", "北京华信科技有限公司", "010-62345678"),
    ("E2", "华信科技（北京）有限公司", "(010)62345678"),
    ("E3", "上海华信科技有限公司", "021-55550001"),
    ("E4", "上海华信电子有限公司", "021-55550001"),
    ("E5", "广州华信科技有限公司", "020-87654321"),
    ("E6", "广州宏达贸易有限公司", "020-87654321"),
    ("E7", "深圳宏达贸易有限公司", "0755-22223333"),
    ("E8", "杭州宏达贸易有限公司", "0571-88889999"),
]


def brute_force_pairs() -> list[int]:
    """Every pair of records sharing a usable key, from the key table, one by one."""
    members: dict[str, list[int]] = defaultdict(list)
    for key, record_id in BlockKey.objects.filter(entity="customers").values_list(
        "key", "record_id"
    ):
        members[key].append(record_id)
    pairs = set()
    for key, ids in members.items():
        if len(ids) > 1 and not too_common(key, len(ids)):
            pairs.update((a << 32) | b for a, b in combinations(sorted(ids), 2))
    return sorted(pairs)


def test_partitions_read_in_order_are_the_sorted_unique_pairs_of_the_blocks(erp, monkeypatch):
    for code, name, phone in COMPANIES:
        response = erp.put(
            "customers", code, {"name": name, "customer_type": "org", "phone": phone}
        )
        assert response.status_code in (200, 201), response.content
    monkeypatch.setattr(batch_pairs, "PARTITION_IDS", 2)
    monkeypatch.setattr(batch_pairs, "FLUSH_PAIRS", 3)
    expected = brute_force_pairs()
    report = BatchMatchReport(entity="customers")

    with candidate_pairs("customers", report) as pairs:
        directory = pairs.directory
        assert len(pairs.parts()) > 1
        found = np.concatenate([pairs.read(part) for part in pairs.parts()])
        # A partition holds the pairs whose lower record falls in its range of ids.
        for part in pairs.parts():
            lows = pairs.read(part) >> 32
            assert set(((lows - pairs.base) // batch_pairs.PARTITION_IDS).tolist()) == {part}

    assert found.tolist() == expected
    assert len(expected) > 10
    assert report.blocks > 0
    assert not Path(directory).exists()


def test_blocks_stream_from_the_server_cursor_20000_a_round_trip(erp, monkeypatch):
    """The fetch size reaches psycopg's server cursor (set on Django's cursor wrapper it was
    ignored, and the blocks came 100 a round trip)."""
    for code, name, phone in COMPANIES:
        response = erp.put(
            "customers", code, {"name": name, "customer_type": "org", "phone": phone}
        )
        assert response.status_code in (200, 201), response.content
    database = connections["default"]
    opened = []
    chunked_cursor = database.chunked_cursor

    def recording_chunked_cursor():
        cursor = chunked_cursor()
        opened.append(cursor)
        return cursor

    monkeypatch.setattr(database, "chunked_cursor", recording_chunked_cursor)

    blocks = list(batch_pairs._block_members("customers"))

    assert len(blocks) > 1
    assert [cursor.cursor.itersize for cursor in opened] == [20_000]


def test_reading_a_partition_nobody_wrote_gives_no_pairs(tmp_path):
    assert len(CandidatePairs(tmp_path, 0, [0, 0]).read(1)) == 0


def test_groups_are_runs_of_consecutive_partitions_of_about_equal_work():
    pairs = CandidatePairs(Path("unused"), 0, [5, 0, 5, 5, 5, 0, 10])

    assert pairs.groups(2) == [[0, 2, 3], [4, 6]]
    assert pairs.groups(1) == [[0, 2, 3, 4, 6]]
    assert pairs.groups(10) == [[0], [2], [3], [4], [6]]
    assert CandidatePairs(Path("unused"), 0, [0, 0, 0]).groups(2) == []
