"""Goods attributes: the parser, the conflict comparator, and the attribute veto in the engine."""

from __future__ import annotations

import pytest

from matching.compare import COMPARATORS
from matching.engine import cluster, score_pair
from matching.engine.clustering import _conflict_checker
from matching.engine.compiled import _compile
from matching.engine.features import prepare
from matching.keys import block_keys
from matching.normalize.goods import (
    goods_conflicts,
    goods_from_text,
    goods_to_text,
    parse_goods,
)
from matching.normalize.goods_names import uom_key
from matching.rules import DEFAULT_RULES, default_rule, rule_from_dict, rule_to_dict


def values(name: str = "", spec: str = "", model: str = "") -> dict[str, set[str]]:
    return {d: set(v) for d, v in parse_goods(name, spec, model).values.items()}


def notes(a: dict[str, str], b: dict[str, str]) -> list[str]:
    left = parse_goods(a.get("name", ""), a.get("spec", ""), a.get("model", ""))
    right = parse_goods(b.get("name", ""), b.get("spec", ""), b.get("model", ""))
    return [c.note for c in goods_conflicts(left, right)]


# --------------------------------------------------------------------------- parser


@pytest.mark.parametrize(
    ("text", "dimension", "value"),
    [
        ("电水壶1.5L", "volume", "1500"),
        ("饮用天然水 1500ml", "volume", "1500"),
        ("绿茶饮料 250ML*24盒", "volume", "250"),
        ("移动电源 20000mAh", "charge", "20000"),
        ("储能电源 20Ah", "charge", "20000"),
        ("吹风机 2000W", "power", "2000"),
        ("电暖器 2kW", "power", "2000"),
        ("电容 0603 100nF", "capacitance", "100000"),
        ("电容 0.1uF", "capacitance", "100000"),
        ("电阻 47KΩ", "resistance", "47000"),
        ("电池 3.7V", "voltage", "3.7"),
        ("卷尺 7.5m", "length", "7500"),
        ("中性笔 0.5mm", "length", "0.5"),
        ("洗洁精 1.5kg", "mass", "1500"),
        ("苏打饼干 800克", "mass", "800"),
        ("液晶电视 55寸", "inch", "55"),
        ("抽纸 100抽", "draws", "100"),
        ("劳保手套 9号", "size_number", "9"),
        ("螺丝刀套装 32件套", "pieces", "32"),
        ("电线 2.5平方", "cross_section", "2.5"),
    ],
)
def test_numbers_with_units_are_read_in_a_canonical_unit(text, dimension, value):
    assert value in values(text)[dimension]


def test_chinese_numerals_count_plies_as_digits_do():
    assert values(spec="600*200*200mm 三层")["ply"] == {"3"}
    assert values(name="抽纸3层100抽*6包")["ply"] == {"3"}
    assert values(spec="五层")["ply"] == {"5"}


def test_threads_are_one_spec_however_the_times_sign_is_written():
    spellings = ("M12*30", "M12x30", "M12X30", "M12×30", "Ｍ１２＊３０")
    assert [values(spec=s)["thread"] for s in spellings] == [{"12/30"}] * 5
    assert values(spec="平垫圈 M8")["thread"] == {"8"}


def test_sizes_diameters_and_run_together_grades_are_separated():
    assert values(spec="600*200*200mm 三层")["size"] == {"600x200x200"}
    assert values(spec="45mm*50m 米黄")["size"] == {"45x50000"}
    assert values(spec="Φ45*5 20#") == {
        "diameter": {"45"},
        "size": {"45x5"},
        "size_number": {"20"},
    }
    assert values(spec="ER50-6 Φ1.6 15kg/盘")["diameter"] == {"1.6"}
    # ``M8*8`` and ``8.8级`` typed without a space.
    assert values(spec="M8*88.8级本色")["thread"] == {"8/8"}
    assert values(spec="M8*88.8级本色")["property_class"] == {"8.8"}


def test_grades_of_bolts_and_steels():
    assert values(spec="M10*35 4.8级 镀锌")["property_class"] == {"4.8"}
    assert values(spec="M12*30 10.9 达克罗")["property_class"] == {"10.9"}
    assert values(spec="316L 0.8mm*1220*2440")["steel_grade"] == {"316L"}
    assert values(spec="M5 SUS304")["steel_grade"] == {"304"}
    assert values(spec="Q235B 钢板")["steel_grade"] == {"Q235B"}


def test_qualifier_words_fall_into_their_families():
    assert values(spec="M12*30 8.8级 热镀锌")["finish"] == {"zinc/hot-dip"}
    assert values(spec="M12*30 8.8级 达克罗")["finish"] == {"dacromet"}
    assert values(name="无线鼠标 黑色")["colour"] == {"black"}
    assert values(spec="48mm*100m 米黄")["colour"] == {"beige"}
    assert values(spec="45mm*100m透明")["colour"] == {"transparent"}
    assert values(spec="9号 丁腈涂掌")["material"] == {"nitrile"}
    assert values(spec="10号 PU涂掌")["material"] == {"polyurethane"}
    assert values(spec="8号 棉纱")["material"] == {"cotton/yarn"}
    assert values(name="复印纸 A4 70g")["paper_size"] == {"a4"}


def test_words_that_only_contain_a_qualifier_are_none():
    assert "colour" not in values(name="蓝牙耳机")
    assert "colour" not in values(name="绿野绿茶饮料")  # a brand and green tea, not green
    assert "colour" not in values(name="白板笔")


def test_model_numbers_are_codes_however_punctuated():
    assert values(name="吹风机 MC-1201 2000W")["code"] == {"MC1201"}
    assert values(model="XC 9801")["code"] == {"XC9801"}
    assert values(spec="L-HM68 200L")["code"] == {"LHM68"}
    # A shop title's Latin words (Lightning, USB-C) are no model numbers.
    assert "code" not in values(name="数据线 Lightning 1m")


def test_attributes_survive_their_text_form():
    parsed = parse_goods("六角头螺栓", "M12*30 8.8级 镀锌")
    assert goods_from_text(goods_to_text(parsed)).values == parsed.values


def test_units_of_measure_have_synonyms():
    assert {uom_key(u) for u in ("KG", "公斤", "千克", "kg")} == {"kg"}
    assert {uom_key(u) for u in ("PC", "PCS", "个", "件", "EA")} == {"pc"}
    assert uom_key("PR") == uom_key("副") == uom_key("双")
    assert uom_key("KG") != uom_key("PC")


# --------------------------------------------------------------------------- conflicts


def test_one_attribute_apart_is_a_conflict_named_with_both_values():
    assert notes({"name": "空气炸锅 6L"}, {"name": "空气炸锅(5L)"}) == [
        "规格冲突 conflicting attribute: 容量 volume 6l ≠ 5l"
    ]
    assert notes({"spec": "M12*30 8.8级 镀锌"}, {"spec": "M12*30 8.8级 达克罗"}) == [
        "规格冲突 conflicting attribute: 表面处理 surface finish 镀锌 ≠ 达克罗"
    ]
    assert notes({"spec": "M12*30 8.8级"}, {"spec": "M12*30 10.9级"}) == [
        "规格冲突 conflicting attribute: 强度等级 property class 8.8级 ≠ 10.9级"
    ]
    assert notes({"spec": "600*200*200mm 三层"}, {"spec": "600*200*200mm 五层"}) == [
        "规格冲突 conflicting attribute: 层数 ply 三层 ≠ 五层"
    ]
    assert notes({"spec": "0603 10nF 50V X5R"}, {"spec": "0603 10uF 50V X5R"}) == [
        "规格冲突 conflicting attribute: 容值 capacitance 10nf ≠ 10uf"
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"spec": "9号 丁腈涂掌"}, {"spec": "9号 PU涂掌"}),
        ({"spec": "9号 丁腈涂掌"}, {"spec": "9号 棉纱"}),
        ({"spec": "45mm*50m 米黄"}, {"spec": "45mm*50m 透明"}),
        ({"spec": "M8*8 8.8级 本色"}, {"spec": "M8*8 8.8级 发黑"}),
        ({"spec": "6306-ZZ"}, {"spec": "6306-2RS"}),
        ({"name": "吹风机 MC-1201"}, {"name": "吹风机", "model": "MC-1202"}),
        ({"spec": "M12 热镀锌"}, {"spec": "M12 电镀锌"}),
        ({"spec": "304 1.0mm"}, {"spec": "316L 1.0mm"}),
    ],
)
def test_items_that_differ_in_one_word_or_code_conflict(a, b):
    assert notes(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"name": "电水壶1.5L"}, {"name": "电水壶 1500ml"}),
        ({"spec": "M12*30 8.8级 镀锌"}, {"spec": "M12X30 8.8级 镀锌"}),
        ({"spec": "M12*30 镀锌"}, {"spec": "M12*30 热镀锌"}),  # the generic word and a kind
        ({"spec": "M12*30"}, {"spec": "M12*30 8.8级 达克罗"}),  # one side says less
        ({"name": "无线鼠标 黑色"}, {"name": "无线鼠标 黑/白"}),  # one side lists more
        ({"name": "移动电源 XC-6302", "model": "XC-6302"}, {"name": "星辰 XC6302 移动电源"}),
        ({"spec": "SPCC 1.0*1000*2500"}, {"spec": "1.0*1000*2500 SPCC"}),
    ],
)
def test_the_same_item_written_otherwise_does_not_conflict(a, b):
    assert notes(a, b) == []


# --------------------------------------------------------------------------- comparators


def test_goods_names_agree_on_their_words_without_attributes():
    compare = COMPARATORS["goods_name"]
    erp, shop = compare.prepare("美厨空气炸锅6L"), compare.prepare("美厨/MEICHU 空气炸锅 MC8601 6L")
    assert compare.compare(erp, shop) == 0.85
    assert compare.compare(compare.prepare("冷轧板"), compare.prepare("冷轧钢板")) >= 0.85
    assert compare.compare(compare.prepare("电容"), compare.prepare("贴片电容")) == 0.85
    assert compare.compare(compare.prepare("手套"), compare.prepare("套装")) < 0.7


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("内六角螺丝", "内六角圆柱头螺钉"),  # the everyday word, and the short form
        ("防护手套", "劳保手套"),
        ("包装箱", "瓦楞纸箱"),
        ("纸板箱", "纸箱"),
        ("透明胶带", "封箱胶带"),
        ("六角螺帽", "六角螺母"),
        ("铝电解电容器", "铝电解电容"),
    ],
)
def test_goods_names_written_in_other_words_are_read_as_one_name(a, b):
    compare = COMPARATORS["goods_name"]

    assert compare.compare(compare.prepare(a), compare.prepare(b)) >= 0.85


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("螺丝刀", "螺钉"),  # a screwdriver is no screw
        ("木质包装箱", "纸箱"),  # nor a wooden packing case a carton
        ("双面胶带", "封箱胶带"),
        ("劳保鞋", "劳保手套"),
    ],
)
def test_names_that_only_share_a_synonym_word_stay_apart(a, b):
    compare = COMPARATORS["goods_name"]

    assert compare.compare(compare.prepare(a), compare.prepare(b)) < 0.7


def test_packing_tape_takes_its_colour_from_its_specification():
    assert values(name="透明胶带", spec="48mm*100m 米黄")["colour"] == {"beige"}
    assert notes(
        {"name": "透明胶带", "spec": "48mm*100m 米黄"},
        {"name": "封箱胶带", "spec": "48mm*100m 透明"},
    ) == ["规格冲突 conflicting attribute: 颜色 colour 米黄 ≠ 透明"]


def test_brands_meet_across_characters_and_pinyin():
    compare = COMPARATORS["brand"]
    assert compare.compare(compare.prepare("美厨"), compare.prepare("美厨（MEICHU）")) == 1.0
    assert compare.compare(compare.prepare("星辰"), compare.prepare("XINGCHEN")) == 1.0
    assert compare.compare(compare.prepare("星辰"), compare.prepare("极光")) < 0.5


def test_specs_agreeing_on_more_attributes_score_higher():
    compare = COMPARATORS["goods_spec"]

    def spec(a: str, b: str) -> float | None:
        return compare.compare(compare.prepare(a), compare.prepare(b))

    assert spec("M5*8 8.8级 本色", "M5X8 8.8级 本色") == 1.0
    assert spec("SPCC 1.0*1000*2500", "1.0*1000*2500 SPCC") == 0.95
    assert spec("6306-ZZ", "6306-zz") == 0.95  # a part number counts as two attributes
    assert spec("M8", "M8") == 0.9
    assert spec("M8x20", "M10x20") == 0.0


# --------------------------------------------------------------------------- the veto


#: The demo's confusable pairs: two items each, alike in all but one attribute.
CONFUSABLE_MATERIALS = [
    (
        {"name": "六角头螺栓", "spec": "M12*30 8.8级 镀锌", "material_group": "紧固件"},
        {"name": "六角头螺栓", "spec": "M12*30 8.8级 达克罗", "material_group": "紧固件"},
    ),
    (
        {"name": "劳保手套", "spec": "9号 丁腈涂掌", "material_group": "劳保用品"},
        {"name": "劳保手套", "spec": "9号 PU涂掌", "material_group": "劳保用品"},
    ),
    (
        {"name": "劳保手套", "spec": "9号 丁腈涂掌", "material_group": "劳保用品"},
        {"name": "劳保手套", "spec": "9号 棉纱", "material_group": "劳保用品"},
    ),
    (
        {"name": "瓦楞纸箱", "spec": "350*300*150mm 五层", "material_group": "包装材料"},
        {"name": "瓦楞纸箱", "spec": "350*300*150mm 三层", "material_group": "包装材料"},
    ),
    (
        {"name": "封箱胶带", "spec": "45mm*50m 米黄", "material_group": "包装材料"},
        {"name": "封箱胶带", "spec": "45mm*50m 透明", "material_group": "包装材料"},
    ),
    (
        {"name": "贴片电容", "spec": "0603 10nF 50V X5R", "material_group": "电子元器件"},
        {"name": "贴片电容", "spec": "0603 10uF 50V X5R", "material_group": "电子元器件"},
    ),
]


@pytest.mark.parametrize(("a", "b"), CONFUSABLE_MATERIALS)
def test_confusable_materials_are_vetoed_with_the_attribute_named(a, b):
    score = score_pair(DEFAULT_RULES["materials"], a, b)

    assert (score.decision, score.score) == ("new", 0.0)
    assert score.veto is not None and score.veto.startswith("conflicting_")
    conflict = [e for e in score.explanation if e.note.startswith("规格冲突")]
    assert len(conflict) == 1 and conflict[0].left != conflict[0].right


def test_air_fryers_of_6_and_5_litres_are_two_products():
    score = score_pair(
        DEFAULT_RULES["products"],
        {"name": "美厨空气炸锅6L", "brand": "美厨", "category": "小家电", "uom": "台"},
        {"name": "美厨空气炸锅5L", "brand": "美厨", "category": "小家电", "uom": "台"},
    )

    assert (score.decision, score.veto) == ("new", "conflicting_volume")
    assert [(e.field, e.left, e.right) for e in score.explanation[:2]] == [
        ("hard rule", None, None),
        ("容量 volume", "6l", "5l"),
    ]


def test_the_same_items_from_an_erp_and_a_shop_still_link():
    products = DEFAULT_RULES["products"]
    materials = DEFAULT_RULES["materials"]
    fryer = score_pair(
        products,
        {"name": "美厨空气炸锅6L", "model": "MC-8601", "brand": "美厨", "uom": "台"},
        {"name": "美厨/MEICHU 空气炸锅 MC8601 6L 无油", "brand": "美厨（MEICHU）", "uom": "台"},
    )
    steel = score_pair(
        materials,
        {
            "name": "冷轧钢板",
            "spec": "SPCC 1.0*1000*2500",
            "material_group": "钢材",
            "base_uom": "KG",
        },
        {
            "name": "冷轧板",
            "spec": "1.0*1000*2500 SPCC",
            "material_group": "钢材",
            "base_uom": "公斤",
        },
    )
    bolt = score_pair(
        materials,
        {"name": "六角头螺栓", "spec": "M12*30 8.8级 镀锌", "base_uom": "PC"},
        {"name": "六角头螺栓", "spec": "M12X30 8.8级 镀锌", "base_uom": "PCS"},
    )

    assert [s.decision for s in (fryer, steel, bolt)] == ["auto", "auto", "auto"]
    assert [s.veto for s in (fryer, steel, bolt)] == [None, None, None]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            {"name": "内六角圆柱头螺钉", "spec": "M5*8 8.8级 本色", "base_uom": "PC"},
            {"name": "内六角螺丝", "spec": "M5X8 8.8级 本色", "base_uom": "PC"},
        ),
        (
            {"name": "防护手套", "spec": "9号 丁腈涂掌", "material_group": "劳保用品"},
            {"name": "劳保手套", "spec": "9号 丁腈涂掌", "material_group": "劳保用品"},
        ),
        (
            {"name": "包装箱", "spec": "450*250*150mm 三层", "material_group": "包装材料"},
            {"name": "纸箱", "spec": "450*250*150mm 三层", "material_group": "包装材料"},
        ),
        (
            {"name": "透明胶带", "spec": "48mm*100m 米黄", "material_group": "包装材料"},
            {"name": "封箱胶带", "spec": "48mm*100m 米黄", "material_group": "包装材料"},
        ),
    ],
)
def test_one_material_named_in_other_words_links(a, b):
    score = score_pair(DEFAULT_RULES["materials"], a, b)

    assert (score.decision, score.veto) == ("auto", None)
    assert [e.note for e in score.explanation if e.field == "name"] == [
        "same words, attributes aside / one name contains the other"
    ]


def test_a_synonym_name_does_not_lift_the_veto_of_another_attribute():
    score = score_pair(
        DEFAULT_RULES["materials"],
        {"name": "防护手套", "spec": "9号 丁腈涂掌", "material_group": "劳保用品"},
        {"name": "劳保手套", "spec": "9号 PU涂掌", "material_group": "劳保用品"},
    )

    assert (score.decision, score.veto) == ("new", "conflicting_material")


def test_a_shop_title_shares_a_block_key_with_the_erp_record_of_its_model():
    erp = block_keys("products", {"name": "空气炸锅 AJ-5502", "model": "AJ-5502"})
    shop = block_keys("products", {"name": "安居 AJ-5502 空气炸锅 5L 无油 可视 多功能"})

    assert "pm:AJ5502" in set(erp) & set(shop)


def test_a_cluster_never_joins_conflicting_goods_through_a_record_that_says_less():
    # B names no finish: auto pairs A-B and B-C would chain A 镀锌 to C 达克罗.
    rule = default_rule("materials")
    features = [
        prepare("materials", {"name": "六角头螺栓", "spec": spec})
        for spec in ("M12*30 8.8级 镀锌", "M12*30 8.8级", "M12*30 8.8级 达克罗")
    ]

    groups = cluster(
        3, [(0, 1, 0.999), (1, 2, 0.998)], _conflict_checker(_compile(rule), features, set())
    )

    assert groups == [[0, 1], [2]]


def test_the_veto_can_be_switched_off_and_old_stored_rules_get_it():
    stored = rule_to_dict(default_rule("materials"))
    del stored["hard"]["attribute_veto"]
    assert rule_from_dict(stored).hard.attribute_veto is True
    customers = rule_to_dict(default_rule("customers"))
    del customers["hard"]["attribute_veto"]
    assert rule_from_dict(customers).hard.attribute_veto is False

    stored["hard"]["attribute_veto"] = False
    without = rule_from_dict(stored)
    a, b = CONFUSABLE_MATERIALS[0]
    assert score_pair(without, a, b).veto is None


def test_features_parse_goods_attributes_once():
    features = prepare("materials", {"name": "六角头螺栓", "spec": "M12*30 8.8级 镀锌"})
    assert features.goods is features.goods
    assert features.goods.values["finish"] == frozenset({"zinc"})
