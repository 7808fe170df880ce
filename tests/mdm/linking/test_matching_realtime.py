"""Real-time matching on every upsert: fuzzy links, reviews, vetoes, and steward rejections."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from matching.keys import contact_digest
from matching.models import BlockKey, MatchCandidate
from mdm.intake.upsert import upsert_source_records
from mdm.models import Customer, SourceRecord

pytestmark = pytest.mark.django_db

HUAXIN = {
    "name": "北京华信科技有限公司",
    "customer_type": "org",
    "phone": "010-62345678",
    "address": "北京市海淀区中关村大街27号",
}


def cc(body: str) -> str:
    return body + uscc.calc_check_digit(body)


@pytest.fixture
def huaxin(erp) -> str:
    return erp.put("customers", "SD01-000123", HUAXIN).json()["golden_code"]


def test_the_same_company_written_differently_links_automatically(huaxin, crm):
    response = crm.put(
        "customers",
        "BJ-B-00042",
        {"name": "华信科技（北京）有限公司", "customer_type": "B", "phone": "(010)6234 5678"},
    )

    body = response.json()
    assert body["golden_code"] == huaxin
    assert body["link"] == "auto"
    assert body["score"] >= 0.99


def test_an_english_name_meets_its_chinese_name(huaxin, shop):
    response = shop.put(
        "customers",
        "WEB0001",
        {
            "name": "Beijing Huaxin Technology Co., Ltd.",
            "customer_type": "org",
            "phone": "+86 10 6234 5678",
        },
    )

    assert response.json()["golden_code"] == huaxin
    assert response.json()["link"] == "auto"


def test_a_homophone_typo_links_when_the_address_agrees(huaxin, crm):
    response = crm.put(
        "customers",
        "BJ-B-7",
        {
            "name": "北京华鑫科技有限公司",
            "customer_type": "org",
            "address": "北京市海淀区中关村大街27号",
        },
    )

    assert response.json()["golden_code"] == huaxin


def test_the_same_name_in_another_city_is_another_company(huaxin, crm):
    response = crm.put(
        "customers",
        "GZ-B-1",
        {"name": "广州华信科技有限公司", "customer_type": "org", "phone": "020-87654321"},
    )

    assert response.json()["golden_code"] != huaxin
    assert response.json()["link"] == "new"
    assert MatchCandidate.objects.count() == 0


def test_a_branch_never_links_to_its_head_office(huaxin, crm):
    response = crm.put(
        "customers",
        "SH-B-1",
        {"name": "北京华信科技有限公司上海分公司", "customer_type": "org", "phone": "010-62345678"},
    )

    assert response.json()["golden_code"] != huaxin
    assert response.json()["link"] == "new"


def test_two_different_valid_credit_codes_are_never_the_same_company(erp, crm):
    first = erp.put("customers", "A", dict(HUAXIN, credit_code=cc("91110108MA01ABCD2"))).json()[
        "golden_code"
    ]

    second = crm.put("customers", "B", dict(HUAXIN, credit_code=cc("91110108MA01ABCE2"))).json()

    assert second["golden_code"] != first
    assert second["link"] == "new"


def test_the_same_valid_credit_code_links_whatever_the_name(erp, crm):
    first = erp.put("customers", "A", dict(HUAXIN, credit_code=cc("91110108MA01ABCD2"))).json()[
        "golden_code"
    ]

    second = crm.put(
        "customers",
        "B",
        {"name": "华信集团", "customer_type": "org", "credit_code": cc("91110108MA01ABCD2")},
    )

    assert second.json()["golden_code"] == first


def test_an_uncertain_match_opens_a_review_candidate_with_an_explanation(huaxin, crm):
    response = crm.put("customers", "BJ-B-9", {"name": "华信科技", "customer_type": "org"})

    body = response.json()
    assert body["link"] == "review"
    assert body["golden_code"] != huaxin
    candidate = MatchCandidate.objects.get()
    assert candidate.status == "pending"
    assert {candidate.left.local_code, candidate.right.local_code} == {"SD01-000123", "BJ-B-9"}
    assert 0.5 <= candidate.score < 0.99
    assert any(
        e["field"] == "company_name" and e["similarity"] == 1.0 for e in candidate.explanation
    )


def test_a_rejected_pair_is_not_proposed_again(huaxin, crm):
    crm.put("customers", "BJ-B-9", {"name": "华信科技", "customer_type": "org"})
    MatchCandidate.objects.update(status="rejected")
    crm.client.delete("/api/v1/sources/CRM/customers/BJ-B-9")

    crm.put("customers", "BJ-B-9", {"name": "华信科技", "customer_type": "org"})

    assert MatchCandidate.objects.count() == 1
    assert MatchCandidate.objects.get().status == "rejected"
    record = SourceRecord.objects.get(local_code="BJ-B-9")
    assert record.golden_code != huaxin


def test_rows_of_one_import_batch_that_are_the_same_company_share_one_golden_record(erp):
    results = upsert_source_records(
        system=erp.system,
        entity="customers",
        items=[("X-1", HUAXIN), ("X-2", dict(HUAXIN, name="华信科技（北京）有限公司"))],
    )

    assert results[0].golden_code == results[1].golden_code
    assert [r.link for r in results] == ["new", "auto"]
    assert Customer.objects.count() == 1


def test_block_keys_follow_the_record(huaxin, erp):
    keys = set(BlockKey.objects.values_list("key", flat=True))
    assert "ph:" + contact_digest("ph", "1062345678") in keys

    erp.client.delete("/api/v1/sources/ERP/customers/SD01-000123")

    assert BlockKey.objects.count() == 0


def test_person_customers_match_on_name_birth_date_and_address(erp, crm):
    person = {
        "name": "张伟",
        "customer_type": "person",
        "birth_date": "1985-03-12",
        "address": "上海市浦东新区世纪大道100号",
        "postal_code": "200120",
    }
    first = erp.put("customers", "P-1", person).json()["golden_code"]

    same = crm.put("customers", "C-1", dict(person, birth_date="1985年3月12日")).json()
    other = crm.put(
        "customers",
        "C-2",
        dict(
            person, birth_date="1990-07-01", address="北京市朝阳区建国路1号", postal_code="100022"
        ),
    ).json()

    assert same["golden_code"] == first
    assert other["golden_code"] != first


def test_a_key_found_too_common_is_not_looked_up_again_until_it_expires(erp, monkeypatch):
    from mdm.linking import block_index as matching

    monkeypatch.setattr(matching, "REALTIME_BLOCK", 2)
    monkeypatch.setattr(matching, "_common_keys", {})
    for i in range(3):
        erp.put("customers", f"P-{i}", {**HUAXIN, "name": f"华信{i}号有限公司"})
    phone_keys = BlockKey.objects.filter(key="ph:" + contact_digest("ph", "1062345678"))
    assert phone_keys.count() == 3  # the three records share their phone's key
    phone_key = phone_keys.values_list("key", flat=True)[0]

    first = matching.fetch_candidates("customers", [(None, [phone_key])])
    BlockKey.objects.filter(key=phone_key, record__local_code="P-0").delete()
    remembered = matching.fetch_candidates("customers", [(None, [phone_key])])
    matching._common_keys[("customers", phone_key)] -= matching.COMMON_KEY_TTL
    expired = matching.fetch_candidates("customers", [(None, [phone_key])])

    assert phone_key in first.common and phone_key in remembered.common
    assert phone_key not in expired.common and len(expired.hits[phone_key]) == 2


def _rows(local_code: str) -> dict[str, dict]:
    explanation = SourceRecord.objects.get(local_code=local_code).link_explanation
    return {row["field"]: row for row in explanation or []}


def test_an_automatic_link_is_stored_with_its_per_field_explanation(huaxin, crm):
    crm.put(
        "customers",
        "BJ-B-00042",
        {"name": "华信科技（北京）有限公司", "customer_type": "B", "phone": "(010)6234 5678"},
    )

    rows = _rows("BJ-B-00042")
    assert rows["company_name"]["left"] == "华信科技(北京)有限公司"  # this record, standardized
    assert rows["company_name"]["right"] == HUAXIN["name"]  # the one it joined
    assert rows["company_name"]["similarity"] == 1.0
    assert rows["phone"]["similarity"] == 1.0 and rows["phone"]["weight"] > 0
    assert _rows("SD01-000123") == {}  # the first record had no candidate


def test_a_review_and_a_new_record_are_stored_with_the_comparison_that_decided(huaxin, crm, shop):
    crm.put("customers", "BJ-B-9", {"name": "华信科技", "customer_type": "org"})
    shop.put(
        "customers",
        "WEB7",
        {"name": "上海蓝海物流有限公司", "customer_type": "org", "phone": "010-62345678"},
    )

    review = MatchCandidate.objects.get()
    assert {r["field"]: r["similarity"] for r in review.explanation} == {
        f: r["similarity"] for f, r in _rows("BJ-B-9").items()
    }
    newer = SourceRecord.objects.get(local_code="WEB7")
    assert newer.link_kind == "new"
    assert _rows("WEB7")["company_name"]["left"] == "上海蓝海物流有限公司"
    assert _rows("WEB7")["company_name"]["similarity"] < 1.0


def test_a_record_moved_by_a_merge_no_longer_claims_its_real_time_explanation(huaxin, crm):
    from mdm.linking.merge import merge_golden_records

    crm.put("customers", "BJ-B-9", {"name": "华信科技", "customer_type": "org"})
    assert _rows("BJ-B-9")
    other = SourceRecord.objects.get(local_code="BJ-B-9").golden_code

    merge_golden_records(
        entity="customers",
        survivor_code=huaxin,
        other_codes=[other],
        reason="same company",
        link_kind="steward",
    )

    record = SourceRecord.objects.get(local_code="BJ-B-9")
    assert (record.golden_code, record.link_kind, record.link_explanation) == (
        huaxin,
        "steward",
        None,
    )
    assert record.history.first().link_explanation is None
    assert record.history.all()[1].link_explanation  # the real-time one stays in the history


def test_phone_and_email_keys_hold_a_keyed_hash_and_still_bring_two_records_together(erp, crm):
    erp.put(
        "customers",
        "A-1",
        {
            "name": "北京华信科技有限公司",
            "customer_type": "org",
            "phone": "010-62345678",
            "email": "Sales@Huaxin.cn",
        },
    )
    # Nothing in common but the phone: only the ph: key can make them candidates.
    crm.put(
        "customers",
        "Z-9",
        {"name": "上海浦江物流有限公司", "customer_type": "org", "phone": "+86 10 6234 5678"},
    )

    keys = list(BlockKey.objects.values_list("key", flat=True))
    contact = sorted(k for k in keys if k[:3] in ("ph:", "em:"))
    assert contact == sorted(
        [
            "em:" + contact_digest("em", "sales@huaxin.cn"),
            "ph:" + contact_digest("ph", "1062345678"),
            "ph:" + contact_digest("ph", "1062345678"),
        ]
    )
    assert not any("62345678" in k or "@" in k for k in keys)
    second = SourceRecord.objects.get(local_code="Z-9")
    compared = {row["field"] for row in second.link_explanation or []}
    assert "phone" in compared  # it was scored against A-1, found through the hashed key


def test_the_migration_hashes_stored_contact_keys_once(erp):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("matching.migrations.0007_hash_contact_block_keys")
    erp.put("customers", "A-1", HUAXIN)
    record = SourceRecord.objects.get(local_code="A-1")
    BlockKey.objects.filter(key__startswith="ph:").update(key="ph:1062345678")
    BlockKey.objects.create(entity="customers", key="em:a@b.cn", record=record)

    migration.hash_contact_keys(apps, None)
    migration.hash_contact_keys(apps, None)  # again: already hashed keys are left alone

    keys = set(BlockKey.objects.values_list("key", flat=True))
    assert "ph:" + contact_digest("ph", "1062345678") in keys
    assert "em:" + contact_digest("em", "a@b.cn") in keys
    assert "ph:1062345678" not in keys
