"""Conditional steward writes on a golden record: ``ETag`` on read, ``If-Match`` on write.

A steward tool reads a golden record (its ``ETag`` names the record's version: the id of its
latest history row, which every write of the record adds), decides, and sends the decision
with ``If-Match``. If a source system, the nightly match or another steward changed the record
in between, the write answers 412 and changes nothing, so no one overwrites an edit unseen.
``If-Match`` is optional unless ``MDM_API_REQUIRE_IF_MATCH`` is set; then a write without it
answers 428.

The check takes the golden record's row lock and keeps it for the write that follows (one
transaction), so no change can slip in between the comparison and the write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils.http import parse_etags

from mdm.errors import ServiceError
from mdm.records.models.golden import GoldenRecord
from mdm.stewardship.actions import live_golden


class PreconditionFailed(ServiceError):
    """The record changed since the caller read it (its ``If-Match`` names another version)."""

    status = 412
    code = "precondition_failed"


class PreconditionRequired(ServiceError):
    """The hub requires ``If-Match`` on steward writes and the request has none."""

    status = 428
    code = "precondition_required"


def golden_etag(golden: GoldenRecord) -> str:
    """The record's version as a strong entity tag: its code and latest history row."""
    latest = golden.history.order_by("-history_id").values_list("history_id", flat=True).first()
    return f'"{golden.code}.{latest or 0}"'


@contextmanager
def golden_precondition(entity: str, code: str, if_match: str | None) -> Iterator[None]:
    """Run the body (the write) only if ``if_match`` names the record's current version.

    ``if_match`` ``*`` matches any existing record. Raises PreconditionFailed (412),
    PreconditionRequired (428), NotFound or Conflict (409, not active); nothing is written then.
    """
    if if_match is None or not if_match.strip():
        if settings.MDM_API_REQUIRE_IF_MATCH:
            raise PreconditionRequired(
                "请先读取该记录，并在 If-Match 中带上其 ETag",
                "Read the record first and send its ETag in If-Match",
            )
        yield
        return
    with transaction.atomic():
        # A merged or retired record answers 409 as without If-Match (live_golden), not a 412
        # that reading again could never clear.
        golden = live_golden(entity, code)
        tags = parse_etags(if_match)  # strong comparison: a weak tag never matches
        if "*" not in tags and golden_etag(golden) not in tags:
            raise PreconditionFailed(
                "该记录在您读取后已被修改，请重新读取后再操作",
                "The record changed since you read it: read it again, then decide",
            )
        yield
