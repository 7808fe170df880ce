"""Stewards in the admin: logged-in browsers, review candidates, a big queue."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from matching.models import MatchCandidate
from mdm.models import SourceRecord

PASSWORD = "correct horse battery"

HUAXIN_ERP = {"name": "北京华信科技有限公司", "customer_type": "org", "phone": "010-62345678"}
HUAXIN_CRM = {"name": "华信科技", "customer_type": "org"}


@pytest.fixture
def transactional_db(restore_after_flush, transactional_db):
    """The flush of a transactional test wipes the dictionary and the roles: reload them after.

    ``live_server`` asks for ``transactional_db`` from an autouse fixture, i.e. before any
    fixture a test names; asking for ``restore_after_flush`` here puts it first in any case.
    """
    return transactional_db


def make_user(username: str, role: str, password: str | None = None):
    """A staff user in a role group; without a password (hashing one is slow) unless asked."""
    user = get_user_model().objects.create_user(username, password=password, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def steward_user(db):
    return make_user("wang.fang", "data_steward")


@pytest.fixture
def steward_with_password(db):
    """A steward who logs in through the login form."""
    return make_user("zhang.wei", "data_steward", password=PASSWORD)


@pytest.fixture
def steward_browser(steward_user) -> Client:
    return browser_for(steward_user)


@pytest.fixture
def viewer_browser(db) -> Client:
    return browser_for(make_user("li.na", "data_viewer"))


@pytest.fixture
def huaxin_pair(erp, crm) -> MatchCandidate:
    """ERP's 北京华信科技有限公司 and CRM's 华信科技: one pending candidate, two golden records."""
    erp.put("customers", "SD01-000123", HUAXIN_ERP)
    crm.put("customers", "BJ-B-00042", HUAXIN_CRM)
    return MatchCandidate.objects.get(status="pending")


@pytest.fixture
def make_queue(erp, crm):
    """``make_queue(records=…, per_record=…)``: a queue of pending candidates made in bulk."""

    made = 0

    def make(*, records: int, per_record: int) -> int:
        nonlocal made
        count = bulk_queue(erp, crm, records=records, per_record=per_record, offset=made)
        made += records
        return count

    return make


def bulk_queue(
    erp, crm, *, records: int, per_record: int, offset: int = 0, entity: str = "customers"
) -> int:
    """``records`` ERP and CRM records and ``records * per_record`` pending candidates, in bulk.

    ERP rows are inserted first, so each pair has the lower id on the left, as the table demands.
    """
    rows = [
        SourceRecord(
            system=system.system,
            entity=entity,
            local_code=f"{system.code}-{i:05d}",
            raw={"name": f"{system.code} 测试公司 {i}"},
            attributes={"name": f"{system.code} 测试公司 {i}", "customer_type": "org"},
            fingerprint=f"{system.code}{i}",
            golden_code=f"G{system.code}{i:05d}",
        )
        for system in (erp, crm)
        for i in range(offset, offset + records)
    ]
    created = SourceRecord.objects.bulk_create(rows, batch_size=2000)
    left, right = created[:records], created[records:]
    candidates = [
        MatchCandidate(
            entity=entity,
            left_id=left[i].pk,
            right_id=right[(i + k) % records].pk,
            score=0.5 + ((i * 7 + k) % 50) / 100,
            explanation=[],
        )
        for i in range(records)
        for k in range(per_record)
    ]
    MatchCandidate.objects.bulk_create(candidates, batch_size=5000)
    return len(candidates)
