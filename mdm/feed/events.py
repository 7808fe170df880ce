"""Writing outbox events. Called inside the transaction of the change they describe.

Payloads are stored with personal values masked (``mdm.privacy.masking``): the change feed and
the webhooks built from it can never hand out personal data, whoever reads them.
"""

from __future__ import annotations

from typing import Any

from dictionary.services import personal_elements
from mdm.db.bulk_copy import create_objects
from mdm.models import Event, GoldenRecord
from mdm.privacy.masking import mask_attributes, mask_event_payload


def golden_payload(
    golden: GoldenRecord, members: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "golden_code": golden.code,
        "status": golden.status,
        "attributes": golden.attributes(),
    }
    if golden.merged_into_id:
        survivor = golden.merged_into
        assert survivor is not None  # its id is set
        payload["merged_into"] = survivor.code
    if members is not None:
        payload["members"] = members
    return payload


def emit_event(*, entity: str, golden_code: str, kind: str, payload: dict[str, Any]) -> Event:
    return Event.objects.create(
        entity=entity,
        golden_code=golden_code,
        kind=kind,
        payload=mask_event_payload(entity, payload),
    )


def write_events(events: list[Event]) -> None:
    """Write a batch of outbox events in the current transaction, in list order.

    Every writer of events goes through here, so the feed's ordering guarantee lives in one place.
    A batch goes in by ``COPY`` (its sequence numbers drawn after the outbox lock, in list
    order); the objects' ``seq`` is not set.
    """
    if events:
        personal: dict[str, Any] = {}
        for event in events:
            if event.entity not in personal:
                personal[event.entity] = personal_elements(event.entity)
            attributes = event.payload.get("attributes")
            if isinstance(attributes, dict):
                event.payload = event.payload | {
                    "attributes": mask_attributes(
                        event.entity, attributes, personal=personal[event.entity]
                    )
                }
        create_objects(events, Event)
