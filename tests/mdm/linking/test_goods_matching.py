"""Goods that differ in one attribute stay two golden records, through the hub's write path."""

from __future__ import annotations

import pytest

from mdm.models import SourceRecord

pytestmark = pytest.mark.django_db


def test_two_air_fryers_differing_in_capacity_get_two_golden_records(erp, shop):
    six = erp.put("products", "PD-6L", {"name": "美厨空气炸锅6L", "brand": "美厨", "uom": "台"})
    five = shop.put("products", "WEB-5L", {"name": "美厨空气炸锅5L", "brand": "美厨", "uom": "台"})

    assert (six.status_code, five.status_code) == (201, 201)
    assert five.json()["link"] == "new"
    assert five.json()["golden_code"] != six.json()["golden_code"]
    explanation = SourceRecord.objects.get(local_code="WEB-5L").link_explanation
    assert {"field": "hard rule", "note": "veto: conflicting_volume"}.items() <= explanation[
        0
    ].items()
    assert explanation[1]["field"] == "容量 volume"
    assert (explanation[1]["left"], explanation[1]["right"]) == ("5l", "6l")
    assert explanation[1]["note"] == "规格冲突 conflicting attribute: 容量 volume 5l ≠ 6l"


def test_the_same_material_from_two_plants_links_and_a_coated_twin_does_not(erp):
    first = erp.put(
        "materials",
        "MM01-1",
        {"name": "六角头螺栓", "spec": "M12*30 8.8级 镀锌", "base_uom": "PC"},
    )
    same = erp.put(
        "materials",
        "MM02-1",
        {"name": "六角头螺栓", "spec": "M12X30 8.8级 镀锌", "base_uom": "PCS"},
    )
    other = erp.put(
        "materials",
        "MM03-1",
        {"name": "六角头螺栓", "spec": "M12*30 8.8级 达克罗", "base_uom": "PC"},
    )

    assert same.json()["link"] == "auto"
    assert same.json()["golden_code"] == first.json()["golden_code"]
    assert other.json()["link"] == "new"
    assert other.json()["golden_code"] != first.json()["golden_code"]
    notes = [row["note"] for row in SourceRecord.objects.get(local_code="MM03-1").link_explanation]
    assert "规格冲突 conflicting attribute: 表面处理 surface finish 达克罗 ≠ 镀锌" in notes


def test_the_batch_never_clusters_conflicting_goods_through_a_record_that_says_less(erp):
    from matching.engine import prepare
    from mdm.linking.batch.merge import _cluster_goldens
    from mdm.linking.batch.scoring import identity_tags, note_identity

    specs = {
        "zinc": "M12*30 8.8级 镀锌",
        "plain": "M12*30 8.8级",
        "dacromet": "M12*30 8.8级 达克罗",
    }
    codes = {}
    identities: dict = {}
    for key, spec in specs.items():
        attrs = {"name": "六角头螺栓", "spec": spec, "base_uom": "PC"}
        answer = erp.put("materials", f"MM-{key}", attrs)
        assert answer.status_code == 201, answer.json()
        codes[key] = answer.json()["golden_code"]
        note_identity(
            identities, codes[key], identity_tags("materials", prepare("materials", attrs))
        )
    pairs = [(codes["zinc"], codes["plain"], 0.999), (codes["plain"], codes["dacromet"], 0.998)]

    clusters, refused = _cluster_goldens("materials", pairs, identities, attribute_veto=True)
    unchecked, _ = _cluster_goldens("materials", pairs, identities)

    assert clusters == [[codes["zinc"], codes["plain"]]]
    assert refused == 1
    assert len(unchecked) == 1 and len(unchecked[0]) == 3


def test_a_review_pair_whose_golden_records_hold_two_models_is_vetoed(erp, shop):
    from matching.models import MatchCandidate
    from mdm.linking.batch.match import run_batch_match

    tea = {"name": "清泉绿茶饮料500ml*15瓶", "brand": "清泉", "category": "食品饮料", "uom": "箱"}
    erp.put("products", "PD04-000697", tea | {"model": "QQ8302", "gtin": "6929619021692"})
    erp.put("products", "PD04-000504", tea | {"model": "QQ-7001"})
    shop.put(
        "products",
        "WEB01406004",
        {
            "name": "清泉绿茶饮料 500ml*15瓶",
            "brand": "清泉",
            "category": "食品饮料>饮料冲调>茶饮料",
            "uom": "件",
            "gtin": "6929619021692",
        },
    )

    run_batch_match(entity="products")

    shop_record = SourceRecord.objects.get(local_code="WEB01406004")
    assert shop_record.golden_code == SourceRecord.objects.get(local_code="PD04-000697").golden_code
    candidate = MatchCandidate.objects.get(right=shop_record)
    assert (candidate.left.local_code, candidate.status, candidate.score) == (
        "PD04-000504",
        "pending",
        0.0,
    )
    assert [row["note"] for row in candidate.explanation[:2]] == [
        "veto: conflicting_code (golden records)",
        "规格冲突 conflicting attribute: 型号 model / code QQ-7001 ≠ QQ8302 "
        "(ERP:PD04-000504 / ERP:PD04-000697)",
    ]
