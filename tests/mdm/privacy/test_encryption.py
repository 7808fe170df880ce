"""Sensitive personal values are encrypted at rest, matched by their blind index, rotated
without downtime, and never found in clear in any table, history or log."""

from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import override_settings

from dictionary.models import ElementBinding
from matching.models import BlockKey
from mdm.models import Customer, SourceRecord
from mdm.privacy import crypto
from tests.support.personas import LI_ID, PERSON, ZHANG_ID
from tests.support.sql import rows, table_text

pytestmark = pytest.mark.django_db

TABLES = (
    "mdm_sourcerecord",
    "mdm_historicalsourcerecord",
    "mdm_customer",
    "mdm_historicalcustomer",
    "mdm_event",
    "matching_blockkey",
    "matching_matchcandidate",
    "mdm_auditlog",
)


def test_no_table_holds_a_resident_id_in_clear(erp, crm, steward, person):
    crm.put("customers", "C-1", dict(PERSON, name="张三", address="北京市朝阳区"))
    steward.post(
        f"/api/v1/golden/customers/{person}/lock",
        {"attribute": "id_number", "value": ZHANG_ID, "reason": "verified"},
        format="json",
    )
    erp.client.get("/api/v1/sources/ERP/customers/P-1")

    for table in TABLES:
        assert ZHANG_ID not in table_text(table), table
    (stored,) = rows(
        "SELECT attributes->>'id_number', raw->>'id_number' FROM mdm_sourcerecord LIMIT 1"
    )
    assert stored[0].startswith("enc:v1:") and stored[1].startswith("enc:v1:")
    (column,) = rows("SELECT id_number, locked::text FROM mdm_customer WHERE code = %s", [person])
    assert column[0].startswith("enc:v1:") and "enc:v1:" in column[1]


def test_the_blind_index_is_a_keyed_hash_and_feeds_the_block_keys(person):
    record = SourceRecord.objects.get(local_code="P-1")

    index = record.blind_index["id_number"]
    assert index == crypto.blind_index("id_number", ZHANG_ID)
    assert len(index) == 64 and ZHANG_ID not in index
    keys = set(BlockKey.objects.filter(record=record).values_list("key", flat=True))
    assert "id:" + index.upper() in keys
    assert not any(ZHANG_ID in key for key in keys)


def test_the_same_resident_id_from_another_system_links_by_blind_index(erp, crm, person):
    response = crm.put("customers", "C-1", {"name": "张三", "id_number": ZHANG_ID})

    assert response.json()["golden_code"] == person
    assert response.json()["link"] == "auto"


def test_different_resident_ids_never_link(erp, crm, person):
    response = crm.put("customers", "C-1", dict(PERSON, id_number=LI_ID))

    assert response.json()["golden_code"] != person


def test_the_same_payload_twice_changes_nothing(erp, person):
    before = SourceRecord.history.count()

    response = erp.put("customers", "P-1", PERSON)

    assert response.status_code == 200 and response.json()["changed"] is False
    assert SourceRecord.history.count() == before


def test_an_update_keeps_the_ciphertext_of_an_unchanged_resident_id(erp, person):
    before = Customer.objects.get(code=person).id_number

    erp.put("customers", "P-1", dict(PERSON, address="北京市海淀区"))

    assert Customer.objects.get(code=person).id_number == before


def test_most_frequent_compares_blind_indexes_not_ciphertexts(erp, crm, shop):
    ElementBinding.objects.filter(entity="customers", element__code="id_number").update(
        survivorship="most_frequent", tie_breakers=[]
    )
    code = erp.put("customers", "P-1", dict(PERSON, id_number=LI_ID)).json()["golden_code"]
    crm.put("customers", "C-1", dict(PERSON, id_number=LI_ID))
    shop.put("customers", "S-1", dict(PERSON, id_number=LI_ID))
    # Two members agree on LI_ID under different ciphertexts; the newest says otherwise.
    golden = Customer.objects.get(code=code)
    members = SourceRecord.objects.filter(golden_code=code).order_by("pk")

    assert len({m.attributes["id_number"] for m in members}) == members.count()
    assert crypto.decrypt(golden.id_number) == LI_ID


def test_the_batch_match_merges_by_blind_index(erp, crm, person):
    other = crm.put("customers", "C-1", dict(PERSON, id_number=LI_ID)).json()["golden_code"]
    # A record keeps its golden record when it changes: now two golden records share an ID.
    crm.put("customers", "C-1", PERSON)
    assert other != person

    call_command("match", "--entity", "customers", stdout=io.StringIO(), stderr=io.StringIO())

    assert Customer.objects.get(code=other).status == "merged"


def test_derivations_happen_before_encryption(person):
    record = SourceRecord.objects.get(local_code="P-1")

    assert record.attributes["birth_date"] == "1949-12-31"
    assert record.attributes["region_code"] == "110105"


def test_logs_hold_no_resident_id(erp, caplog):
    caplog.set_level(logging.DEBUG)

    erp.put("customers", "P-1", PERSON)
    erp.put("customers", "P-2", dict(PERSON, id_number=ZHANG_ID[:-1] + "0"))
    erp.client.get("/api/v1/sources/ERP/customers/P-1")

    assert ZHANG_ID not in caplog.text


def test_rotation_re_encrypts_every_row_and_history_under_the_new_key(erp, crm, person, settings):
    crm.put("customers", "C-1", {"name": "张三", "id_number": ZHANG_ID})
    old = list(settings.MDM_ENCRYPTION_KEYS)
    new = Fernet.generate_key().decode()

    with override_settings(MDM_ENCRYPTION_KEYS=[new, *old]):
        # Readable during rotation, before any row was rewritten.
        assert crypto.decrypt(Customer.objects.get(code=person).id_number) == ZHANG_ID
        out = io.StringIO()
        call_command("rotate_keys", "--batch", "1", stdout=out)
        again = io.StringIO()
        call_command("rotate_keys", stdout=again)

    assert "mdm_historicalsourcerecord" in out.getvalue()
    assert "rewritten=0" in again.getvalue() and "rewritten=1" not in again.getvalue()
    with override_settings(MDM_ENCRYPTION_KEYS=[new]):  # the old key is gone
        ciphertexts = [
            value
            for table, column in (
                ("mdm_sourcerecord", "attributes->>'id_number'"),
                ("mdm_sourcerecord", "raw->>'id_number'"),
                ("mdm_historicalsourcerecord", "attributes->>'id_number'"),
                ("mdm_customer", "id_number"),
                ("mdm_historicalcustomer", "id_number"),
            )
            for (value,) in rows(f"SELECT {column} FROM {table}")  # noqa: S608
            if value
        ]
        assert ciphertexts and all(crypto.decrypt(v) == ZHANG_ID for v in ciphertexts)


def test_rotation_encrypts_values_stored_in_clear_and_indexes_them(erp, person):
    rows(
        "UPDATE mdm_sourcerecord SET attributes = jsonb_set(attributes, '{id_number}', %s::jsonb),"
        " blind_index = '{}'::jsonb",
        [f'"{ZHANG_ID}"'],
    )
    BlockKey.objects.all().delete()

    call_command("rotate_keys", stdout=io.StringIO())

    record = SourceRecord.objects.get(local_code="P-1")
    assert crypto.decrypt(record.attributes["id_number"]) == ZHANG_ID
    assert record.blind_index == {"id_number": crypto.blind_index("id_number", ZHANG_ID)}
    assert BlockKey.objects.filter(record=record, key__startswith="id:").exists()
    assert erp.put("customers", "P-1", PERSON).json()["changed"] is False
