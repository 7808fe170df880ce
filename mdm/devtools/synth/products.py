"""Product records: brands, items and their variants, in the ERP and the web shop."""

from __future__ import annotations

import random
from dataclasses import dataclass

from mdm.devtools.synth.attributes import _gtin
from mdm.devtools.synth.helpers import _pick, _randint, _traditional
from mdm.devtools.synth.params import SynthRecord, _sorted_records
from mdm.devtools.synth.words import _split, _table, _words


@dataclass(frozen=True)
class _Brand:
    zh: str
    en: str
    letters: str  # model prefix
    categories: tuple[str, ...]


BRANDS: tuple[_Brand, ...] = (
    _Brand("华彩", "HUACAI", "HC", ("小家电",)),
    _Brand("美厨", "MEICHU", "MC", ("小家电",)),
    _Brand("安居", "ANJU", "AJ", ("小家电", "日化用品")),
    _Brand("星辰", "XINGCHEN", "XC", ("数码配件",)),
    _Brand("极光", "JIGUANG", "JG", ("数码配件",)),
    _Brand("德仕", "DESHI", "DS", ("办公用品",)),
    _Brand("优品", "YOUPIN", "YP", ("办公用品", "日化用品")),
    _Brand("清泉", "QINGQUAN", "QQ", ("食品饮料",)),
    _Brand("绿野", "LVYE", "LY", ("食品饮料",)),
    _Brand("金工", "JINGONG", "JT", ("五金工具",)),
    _Brand("力拓", "LITUO", "LT", ("五金工具",)),
    _Brand("净白", "JINGBAI", "JB", ("日化用品",)),
)


@dataclass(frozen=True)
class _Item:
    name: str
    category: str  # ERP category
    shop_category: str  # the shop's own category tree
    uom: str
    specs: tuple[str, ...]
    keywords: tuple[str, ...]  # what the shop adds to titles


# name | ERP category | shop category tree | unit | variants (;) | words the shop adds to titles
_ITEM_TABLE = """
    电水壶 | 小家电 | 家用电器>厨房小电>电水壶 | 台 | 1.5L; 1.7L; 1.8L | 家用大容量 304不锈钢 自动断电
    吹风机 | 小家电 | 家用电器>个护健康>吹风机 | 台 | 1200W; 1800W; 2000W | 负离子 大功率 速干
    电饭煲 | 小家电 | 家用电器>厨房小电>电饭煲 | 台 | 3L; 4L; 5L | 智能预约 家用 不粘内胆
    空气炸锅 | 小家电 | 家用电器>厨房小电>空气炸锅 | 台 | 3.5L; 5L; 6L | 无油 可视 多功能
    数据线 | 数码配件 | 手机数码>手机配件>数据线 | 根 | USB-C 1m; USB-C 2m; Lightning 1m | 快充 编织 耐用
    充电器 | 数码配件 | 手机数码>手机配件>充电器 | 个 | 20W; 33W; 65W | 快充头 氮化镓 多口
    移动电源 | 数码配件 | 手机数码>手机配件>移动电源 | 个 | 10000mAh; 20000mAh | 大容量 轻薄 快充
    无线鼠标 | 数码配件 | 电脑办公>外设>鼠标 | 个 | 黑色; 白色; 灰色 | 静音 办公 便携
    复印纸 | 办公用品 | 电脑办公>办公用品>打印纸 | 箱 | A4 70g 5包/箱; A4 80g 5包/箱; A3 80g 5包/箱 | 整箱 办公 双面打印
    中性笔 | 办公用品 | 电脑办公>办公用品>笔类 | 盒 | 0.5mm 黑色 12支/盒; 0.38mm 黑色 12支/盒; 0.5mm 红色 12支/盒 | 考试 签字笔 速干
    文件夹 | 办公用品 | 电脑办公>办公用品>文件管理 | 个 | A4 蓝色; A4 黑色; A4 透明 | 加厚 办公 资料夹
    饮用天然水 | 食品饮料 | 食品饮料>饮料冲调>饮用水 | 箱 | 550ml*24瓶; 350ml*24瓶; 1.5L*12瓶 | 整箱 家庭装 弱碱性
    绿茶饮料 | 食品饮料 | 食品饮料>饮料冲调>茶饮料 | 箱 | 500ml*15瓶; 250ml*24盒 | 整箱 低糖 夏季
    苏打饼干 | 食品饮料 | 食品饮料>休闲食品>饼干 | 盒 | 400g; 800g | 早餐 代餐 咸味
    洗衣液 | 日化用品 | 家庭清洁>衣物清洁>洗衣液 | 瓶 | 2kg; 3kg | 持久留香 深层洁净 家庭装
    洗洁精 | 日化用品 | 家庭清洁>厨房清洁>洗洁精 | 瓶 | 1.1kg; 1.5kg | 不伤手 去油 食品级
    抽纸 | 日化用品 | 家庭清洁>纸品>抽纸 | 提 | 3层100抽*6包; 4层80抽*6包 | 整提 家用 柔韧
    螺丝刀套装 | 五金工具 | 家装建材>五金工具>手动工具 | 套 | 32件套; 45件套; 63件套 | 家用 多功能 精密
    卷尺 | 五金工具 | 家装建材>五金工具>测量工具 | 个 | 3m; 5m; 7.5m | 加厚 自锁 耐摔
    电钻 | 五金工具 | 家装建材>五金工具>电动工具 | 台 | 500W; 750W | 家用 冲击钻 多功能
"""
ITEMS: tuple[_Item, ...] = tuple(
    _Item(name, cat, shop_cat, uom, _split(specs, ";"), _words(words))
    for name, cat, shop_cat, uom, specs, words in _table(_ITEM_TABLE)
)


@dataclass(frozen=True)
class _Product:
    truth_id: str
    brand: _Brand
    item: _Item
    spec: str
    model: str
    gtin: str


def _products(n: int, rng: random.Random) -> list[_Product]:
    # Each brand owns a GS1 China company prefix (690-699 + 4 digits) and numbers its items.
    prefixes: dict[str, str] = {}
    next_ref: dict[str, int] = {}
    for b in BRANDS:
        while True:
            prefix = f"69{rng.randrange(10)}{rng.randrange(10**4):04d}"
            if prefix not in prefixes.values():
                break
        prefixes[b.zh], next_ref[b.zh] = prefix, rng.randrange(100, 5000)
    used_series: dict[tuple[str, int], None] = {}
    out: list[_Product] = []
    while len(out) < n:
        brand = _pick(rng, BRANDS)
        item = _pick(rng, [i for i in ITEMS if i.category in brand.categories])
        # Two-digit series look like real models; widen once they run out.
        series = rng.randrange(10, 100 if len(used_series) < 8 * len(BRANDS) * 8 else 1000)
        if (brand.zh, series) in used_series:
            continue
        used_series[(brand.zh, series)] = None
        # A product line comes in several variants: different real products whose names
        # and models differ only slightly (HC-3201 1.5L vs HC-3202 1.7L) - hard negatives.
        k = min(_pick(rng, (1, 1, 1, 2, 2, 3)), len(item.specs), n - len(out))
        for j, spec in enumerate(rng.sample(item.specs, k)):
            next_ref[brand.zh] += _randint(rng, 1, 7)
            out.append(
                _Product(
                    truth_id=f"PRD{len(out) + 1:05d}",
                    brand=brand,
                    item=item,
                    spec=spec,
                    model=f"{brand.letters}-{series}{j + 1:02d}",
                    gtin=_gtin(prefixes[brand.zh], next_ref[brand.zh]),
                )
            )
    return out


def _model_copy(model: str, rng: random.Random, sloppy: bool) -> str:
    r = rng.random()
    if not sloppy:
        return model if r < 0.85 else model.replace("-", "") if r < 0.95 else model.lower()
    if r < 0.45:
        return model
    return _pick(rng, (model.replace("-", ""), model.lower(), model.replace("-", " "), ""))


def _render_product(p: _Product, system: str, rng: random.Random) -> dict[str, str]:
    b, item, model = p.brand, p.item, p.model
    if system == "ERP":
        name = _pick(
            rng,
            (
                f"{b.zh}{item.name}{p.spec}",
                f"{b.zh}{item.name} {p.spec}",
                f"{item.name}({p.spec})",
                f"{item.name} {model}",
                f"{item.name} {model} {p.spec}",
            ),
        )
        brand = b.zh if rng.random() < 0.9 else b.en
        category, uom = item.category, item.uom
        gtin_missing = 0.08
    else:
        kw = " ".join(rng.sample(item.keywords, rng.randint(1, len(item.keywords))))
        m_shown = _pick(rng, (model, model.replace("-", "")))
        name = _pick(
            rng,
            (
                f"{b.zh} {m_shown} {item.name} {p.spec} {kw}",
                f"【{b.zh}】{item.name}{p.spec} {kw} {m_shown}",
                f"{b.zh}/{b.en} {item.name} {m_shown} {p.spec} {kw}",
                f"{b.zh}{item.name} {p.spec}",
            ),
        )
        if rng.random() < 0.02:
            name = _traditional(name)
        brand = _pick(rng, (b.zh, b.zh, f"{b.zh}（{b.en}）", b.en, f"{b.zh}/{b.en}"))
        category = item.shop_category
        uom = "件" if rng.random() < 0.5 else item.uom
        gtin_missing = 0.15
    gtin = "" if rng.random() < gtin_missing else p.gtin
    if gtin and rng.random() < 0.03:
        gtin = f"{gtin[0]} {gtin[1:7]} {gtin[7:]}"  # as printed under the barcode
    return {
        "name": name,
        "model": _model_copy(model, rng, sloppy=system != "ERP"),
        "brand": brand,
        "category": category,
        "uom": uom,
        "gtin": gtin,
    }


PRODUCT_PRESENCE: dict[str, float] = {"ERP": 0.85, "ECOM": 0.70}
PRODUCT_DUPLICATE: dict[str, float] = {"ERP": 0.03, "ECOM": 0.06}


def generate_products(n: int, *, seed: int = 42) -> list[SynthRecord]:
    """Records of `n` real products in the ERP (PD01-000123) and the shop (WEB + digits).

    The two overlap via GTIN and brand + model; variants of one product line (same name,
    model differing in one digit, own GTIN) are different products.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    rng = random.Random(seed)
    held: dict[str, list[_Product]] = {"ERP": [], "ECOM": []}
    for p in _products(n, rng):
        chosen = [s for s in held if rng.random() < PRODUCT_PRESENCE[s]] or [
            _pick(rng, ("ERP", "ECOM"))
        ]
        for s in chosen + [s for s in chosen if rng.random() < PRODUCT_DUPLICATE[s]]:
            held[s].append(p)
    records: list[SynthRecord] = []
    serial = {"ERP": rng.randrange(100, 900), "ECOM": rng.randrange(10**6, 5 * 10**6)}
    categories = list(dict.fromkeys(i.category for i in ITEMS))
    for system, products in held.items():
        rng.shuffle(products)
        for p in products:
            serial[system] += _randint(rng, 1, 3)
            if system == "ERP":
                code = f"PD{categories.index(p.item.category) + 1:02d}-{serial[system]:06d}"
            else:
                code = f"WEB{serial[system]:08d}"
            records.append(
                SynthRecord(system, "products", code, _render_product(p, system, rng), p.truth_id)
            )
    return _sorted_records(records, ("ERP", "ECOM"))
