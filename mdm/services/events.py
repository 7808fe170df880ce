"""Writing outbox events. Called inside the transaction of the change they describe."""

from __future__ import annotations

from typing import Any

from mdm.models import Event, GoldenRecord


def golden_payload(
    golden: GoldenRecord, members: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "golden_code": golden.code,
        "status": golden.status,
        "attributes": golden.attributes(),
    }
    if golden.merged_into_id:
        payload["merged_into"] = golden.merged_into.code
    if members is not None:
        payload["members"] = members
    return payload


def emit_event(*, entity: str, golden_code: str, kind: str, payload: dict[str, Any]) -> Event:
    return Event.objects.create(entity=entity, golden_code=golden_code, kind=kind, payload=payload)


def write_events(events: list[Event]) -> None:
    """Write a batch of outbox events in the current transaction, in list order.

    Every writer of events goes through here, so the feed's ordering guarantee lives in one place.
    """
    if events:
        Event.objects.bulk_create(events)
