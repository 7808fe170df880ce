"""``field__any``: membership as one array parameter (``mdm.db.lookups``), the answers of ``__in``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mdm.models import Customer, SourceRecord

pytestmark = pytest.mark.django_db


def _customers(n: int) -> list[str]:
    Customer.objects.bulk_create(Customer(code=f"CU{i:08d}X") for i in range(n))
    return list(Customer.objects.order_by("pk").values_list("code", flat=True))


def test_any_answers_what_in_answers_with_one_parameter_for_the_whole_list():
    codes = _customers(30)
    wanted = codes[3:25:2] + ["CU-NO-SUCH"]

    with CaptureQueriesContext(connection) as queries:
        found = set(Customer.objects.filter(code__any=wanted).values_list("code", flat=True))

    assert found == set(Customer.objects.filter(code__in=wanted).values_list("code", flat=True))
    assert found == set(codes[3:25:2])
    (query,) = queries.captured_queries
    assert "= ANY(" in query["sql"] and " IN (" not in query["sql"]


def test_the_statement_is_the_same_whatever_the_length_of_the_list():
    codes = _customers(40)

    with CaptureQueriesContext(connection) as queries:
        for size in (1, 7, 40):
            list(Customer.objects.filter(code__any=codes[:size]).values_list("pk"))

    texts = {q["sql"].split("= ANY(")[0] for q in queries.captured_queries}
    assert len(texts) == 1


def test_an_empty_list_and_none_values_match_nothing():
    codes = _customers(3)

    assert not Customer.objects.filter(code__any=[]).exists()
    assert list(
        Customer.objects.filter(code__any=[None, codes[1]]).values_list("code", flat=True)
    ) == [codes[1]]


def test_primary_keys_a_set_and_a_subquery_work_too():
    codes = _customers(5)
    pks = set(Customer.objects.filter(code__in=codes[:2]).values_list("pk", flat=True))

    assert set(Customer.objects.filter(pk__any=pks).values_list("code", flat=True)) == set(
        codes[:2]
    )
    subquery = Customer.objects.filter(code__in=codes[:3]).values("code")
    assert Customer.objects.filter(code__any=subquery).count() == 3
    assert not SourceRecord.objects.filter(golden_code__any=set(codes)).exists()
