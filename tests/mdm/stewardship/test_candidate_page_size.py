"""A page of the review queue is never larger than the pagination's maximum."""

from __future__ import annotations

import pytest

from mdm.stewardship.api import CandidatePagination

pytestmark = pytest.mark.django_db


def test_a_page_size_over_the_maximum_is_the_maximum(steward, make_queue, monkeypatch):
    monkeypatch.setattr(CandidatePagination, "max_page_size", 2)
    make_queue(records=3, per_record=1)

    answer = steward.get("/api/v1/candidates/", {"page_size": "100000"})

    assert answer.status_code == 200
    assert len(answer.json()["results"]) == 2 and answer.json()["next"]
