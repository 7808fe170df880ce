"""List pages stay fast: a bounded number of queries, whatever the number of rows (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mdm.models import Customer, SourceRecord

pytestmark = pytest.mark.django_db

#: Session, user, permissions, count, rows, the system filter's choices... and nothing per row.
MAX_LIST_QUERIES = 10


def queries_of(browser, url: str, params=None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url, params or {})
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_queue_of_10000_candidates_renders_with_a_bounded_number_of_queries(
    steward_browser, make_queue, django_assert_max_num_queries
):
    assert make_queue(records=1000, per_record=10) == 10_000

    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        first = steward_browser.get("/admin/matching/matchcandidate/")
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        filtered = steward_browser.get(
            "/admin/matching/matchcandidate/", {"band": "70", "age": "today", "p": "3"}
        )

    assert first.status_code == 200 and filtered.status_code == 200
    assert first.content.decode().count('class="button compare-link"') == 50
    assert filtered.content.decode().count('class="button compare-link"') == 50


def test_candidate_list_queries_do_not_grow_with_the_rows(steward_browser, make_queue):
    make_queue(records=3, per_record=1)
    few, _ = queries_of(steward_browser, "/admin/matching/matchcandidate/")
    make_queue(records=60, per_record=1)

    many, content = queries_of(steward_browser, "/admin/matching/matchcandidate/")

    assert content.count('class="button compare-link"') == 50
    assert many == few <= MAX_LIST_QUERIES


def test_golden_record_list_queries_do_not_grow_with_the_rows(steward_browser):
    Customer.objects.bulk_create(
        [Customer(code=f"CU{i:010d}X", name=f"测试公司 {i}", customer_type="org") for i in range(3)]
    )
    few, _ = queries_of(steward_browser, "/admin/mdm/customer/")
    Customer.objects.bulk_create(
        [
            Customer(code=f"CU{i:010d}Y", name=f"测试公司 {i}", customer_type="org")
            for i in range(60)
        ]
    )

    many, content = queries_of(steward_browser, "/admin/mdm/customer/")

    assert content.count('class="field-code"') == 50
    assert many == few <= MAX_LIST_QUERIES


def test_source_record_list_queries_do_not_grow_with_the_rows(steward_browser, make_queue):
    make_queue(records=2, per_record=1)
    few, _ = queries_of(steward_browser, "/admin/mdm/sourcerecord/")
    make_queue(records=40, per_record=1)

    many, content = queries_of(steward_browser, "/admin/mdm/sourcerecord/")

    assert content.count('class="field-system') == 50
    assert many == few <= MAX_LIST_QUERIES


def test_golden_record_page_queries_do_not_grow_with_members_and_candidates(
    steward_browser, make_queue
):
    make_queue(records=30, per_record=2)
    SourceRecord.objects.update(golden_code="CU0000000001X")
    golden = Customer.objects.create(code="CU0000000001X", name="测试公司", customer_type="org")

    count, content = queries_of(steward_browser, f"/admin/mdm/customer/{golden.pk}/change/")

    assert content.count('class="member-row"') == 60
    assert count <= 15
