"""``policy.disclose``: the one decision of what a caller sees of a record's values, and the
audit row of a clear view."""

from __future__ import annotations

import pytest

from mdm.errors import Forbidden
from mdm.models import AuditLog, SourceRecord
from mdm.privacy import policy
from tests.support.personas import PERSON, ZHANG_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(person):
    return SourceRecord.objects.get(local_code="P-1")


def shown(record, user, **kwargs):
    return policy.disclose(
        user=user,
        entity="customers",
        record=f"ERP:{record.local_code}",
        values={"raw": record.raw, "attributes": record.attributes, "warnings": record.warnings},
        **kwargs,
    )


def test_values_are_masked_without_a_reason_and_nothing_is_audited(record, admin_user):
    seen = shown(record, admin_user)

    assert seen.seen is policy.Visibility.MASKED
    assert seen["attributes"]["id_number"] == "110105********002X"
    assert seen["raw"]["phone"] == "138****5678"
    assert seen["attributes"]["name"] == "张*"
    assert ZHANG_ID not in str(seen.values)
    assert not AuditLog.objects.exists()


def test_a_reason_from_a_user_who_may_unmask_shows_clear_values_and_audits_them(record, admin_user):
    seen = shown(record, admin_user, reason="ticket 42")

    assert seen.seen is policy.Visibility.CLEAR
    assert seen["attributes"]["id_number"] == ZHANG_ID
    assert seen["raw"]["name"] == PERSON["name"]
    (row,) = AuditLog.objects.all()
    assert (row.action, row.actor, row.record, row.reason) == (
        "unmask",
        admin_user,
        "ERP:P-1",
        "ticket 42",
    )
    assert {"id_number", "phone", "name"} <= set(row.fields)


def test_a_reason_from_a_user_without_the_right_is_refused_and_nothing_is_shown(
    record, steward_user
):
    with pytest.raises(Forbidden) as refused:
        shown(record, steward_user, reason="curious")

    assert refused.value.code == "permission_denied"
    assert not AuditLog.objects.exists()


def test_a_system_reading_its_own_record_sees_it_in_clear_as_an_audited_read(record):
    seen = shown(record, None, own_record=True)

    assert seen["attributes"]["id_number"] == ZHANG_ID
    (row,) = AuditLog.objects.all()
    assert (row.action, row.reason) == ("read", policy.OWN_RECORD_REASON)


def test_no_clear_view_is_asked_without_unmask(steward_user):
    asked = policy.requested_reason(steward_user, asked=False, reason=lambda: "unused")

    assert asked is None
    with pytest.raises(Forbidden):
        policy.requested_reason(steward_user, asked=True, reason=lambda: "why")
