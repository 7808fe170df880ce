"""The tables goods attributes are parsed with: units, dimension names, qualifier families,
words that are no qualifier, and grades (see :mod:`matching.normalize.goods`).

Plain module-level data, meant to be extended: words of one family conflict with each other, so
a new family is a new entry, not code.
"""

from __future__ import annotations

__all__ = [
    "DIMENSION_NAMES",
    "GRADES",
    "NOT_QUALIFIERS",
    "QUALIFIERS",
    "UNITS",
]

#: unit as written (lower case) -> (dimension, factor to the dimension's canonical unit).
UNITS: dict[str, tuple[str, float]] = {
    # volume, canonical ml
    **dict.fromkeys(("ml", "毫升", "cc"), ("volume", 1.0)),
    **dict.fromkeys(("l", "升", "公升"), ("volume", 1000.0)),
    # battery charge, canonical mAh
    **dict.fromkeys(("mah", "毫安时", "毫安"), ("charge", 1.0)),
    "ah": ("charge", 1000.0),
    # energy, canonical Wh
    "wh": ("energy", 1.0),
    "kwh": ("energy", 1000.0),
    # power, canonical W
    **dict.fromkeys(("w", "瓦"), ("power", 1.0)),
    **dict.fromkeys(("kw", "千瓦"), ("power", 1000.0)),
    # voltage, canonical V
    **dict.fromkeys(("v", "伏", "vac", "vdc"), ("voltage", 1.0)),
    "kv": ("voltage", 1000.0),
    "mv": ("voltage", 0.001),
    # current, canonical A
    **dict.fromkeys(("a", "安"), ("current", 1.0)),
    "ma": ("current", 0.001),
    # length, canonical mm
    **dict.fromkeys(("mm", "毫米"), ("length", 1.0)),
    **dict.fromkeys(("cm", "厘米"), ("length", 10.0)),
    **dict.fromkeys(("m", "米"), ("length", 1000.0)),
    **dict.fromkeys(("um", "μm", "微米"), ("length", 0.001)),
    "km": ("length", 1_000_000.0),
    # screens and pipes in inches (寸 in a TV or a wheel is the inch)
    **dict.fromkeys(("寸", "英寸", "吋", "inch", '"'), ("inch", 1.0)),
    # mass, canonical g
    **dict.fromkeys(("g", "克"), ("mass", 1.0)),
    **dict.fromkeys(("kg", "公斤", "千克"), ("mass", 1000.0)),
    "mg": ("mass", 0.001),
    **dict.fromkeys(("t", "吨"), ("mass", 1_000_000.0)),
    "斤": ("mass", 500.0),
    # capacitance, canonical pF
    "pf": ("capacitance", 1.0),
    "nf": ("capacitance", 1000.0),
    **dict.fromkeys(("uf", "μf", "µf"), ("capacitance", 1_000_000.0)),
    # resistance, canonical ohm
    **dict.fromkeys(("ω", "ohm", "欧"), ("resistance", 1.0)),
    **dict.fromkeys(("kω", "千欧"), ("resistance", 1000.0)),
    **dict.fromkeys(("mω", "兆欧"), ("resistance", 1_000_000.0)),
    # inductance, canonical uH
    "uh": ("inductance", 1.0),
    "mh": ("inductance", 1000.0),
    # frequency, canonical Hz
    "hz": ("frequency", 1.0),
    "khz": ("frequency", 1000.0),
    "mhz": ("frequency", 1_000_000.0),
    "ghz": ("frequency", 1_000_000_000.0),
    # data storage, canonical GB
    "gb": ("storage", 1.0),
    "tb": ("storage", 1024.0),
    "mb": ("storage", 1 / 1024),
    # pressure, canonical kPa
    "kpa": ("pressure", 1.0),
    "mpa": ("pressure", 1000.0),
    "bar": ("pressure", 100.0),
    "pa": ("pressure", 0.001),
    # temperature, rotation speed, illumination, paper weight
    **dict.fromkeys(("℃", "°c"), ("temperature", 1.0)),
    "度": ("degree", 1.0),
    **dict.fromkeys(("rpm", "转"), ("speed", 1.0)),
    **dict.fromkeys(("lm", "流明"), ("luminous_flux", 1.0)),
    "k色温": ("colour_temperature", 1.0),
    **dict.fromkeys(("g/m2", "g/㎡", "克/平方米"), ("grammage", 1.0)),
    # counts that name the item (layers / plies, tissue draws, sheets, mesh, size numbers)
    **dict.fromkeys(("层", "ply", "ply"), ("ply", 1.0)),
    "抽": ("draws", 1.0),
    "张": ("sheets", 1.0),
    "目": ("mesh", 1.0),
    **dict.fromkeys(("号", "#"), ("size_number", 1.0)),
    "件套": ("pieces", 1.0),
    **dict.fromkeys(("%", "％"), ("percent", 1.0)),
    **dict.fromkeys(("芯",), ("cores", 1.0)),
    **dict.fromkeys(("平方", "mm2", "mm²", "平方毫米"), ("cross_section", 1.0)),
}

#: Dimension -> how an explanation names it (Chinese English).
DIMENSION_NAMES: dict[str, str] = {
    "volume": "容量 volume",
    "charge": "电池容量 battery capacity",
    "energy": "能量 energy",
    "power": "功率 power",
    "voltage": "电压 voltage",
    "current": "电流 current",
    "length": "长度 length",
    "inch": "尺寸(英寸) size in inches",
    "mass": "重量 weight",
    "capacitance": "容值 capacitance",
    "resistance": "阻值 resistance",
    "inductance": "电感 inductance",
    "frequency": "频率 frequency",
    "storage": "存储容量 storage",
    "pressure": "压力 pressure",
    "temperature": "温度 temperature",
    "degree": "度数 degree",
    "speed": "转速 speed",
    "luminous_flux": "光通量 luminous flux",
    "colour_temperature": "色温 colour temperature",
    "grammage": "克重 grammage",
    "ply": "层数 ply",
    "draws": "抽数 draws",
    "sheets": "张数 sheets",
    "mesh": "目数 mesh",
    "size_number": "号型 size number",
    "pieces": "件数 pieces",
    "percent": "百分比 percentage",
    "tolerance": "精度 tolerance",
    "cores": "芯数 cores",
    "cross_section": "截面积 cross-section",
    "pack": "包装规格 pack size",
    "size": "尺寸 size",
    "thread": "螺纹规格 thread",
    "diameter": "直径 diameter",
    "property_class": "强度等级 property class",
    "steel_grade": "材质牌号 steel grade",
    "code": "型号 model / code",
    "finish": "表面处理 surface finish",
    "colour": "颜色 colour",
    "material": "材质 material",
    "paper_size": "纸张规格 paper size",
    "clothing_size": "尺码 clothing size",
    "construction": "结构 construction",
}

#: Qualifier families: word as written -> canonical path. Two words of one family conflict
#: unless one's path is a prefix of the other's (镀锌 ``zinc`` / 热镀锌 ``zinc/hot-dip``).
QUALIFIERS: dict[str, dict[str, str]] = {
    "finish": {
        **dict.fromkeys(("镀锌", "锌"), "zinc"),
        **dict.fromkeys(("电镀锌", "电锌", "冷镀锌"), "zinc/electro"),
        **dict.fromkeys(("热镀锌", "热浸锌", "热浸镀锌", "热镀"), "zinc/hot-dip"),
        **dict.fromkeys(("蓝白锌", "白锌", "蓝锌"), "zinc/electro/blue-white"),
        **dict.fromkeys(("彩锌", "镀彩锌", "黄锌"), "zinc/electro/yellow"),
        **dict.fromkeys(("黑锌", "镀黑锌"), "zinc/electro/black"),
        **dict.fromkeys(("达克罗", "达克锈", "锌铬涂层", "dacromet"), "dacromet"),
        **dict.fromkeys(("锌铝涂层", "久美特", "geomet"), "zinc-flake"),
        **dict.fromkeys(("发黑", "氧化黑", "黑化", "发蓝"), "black-oxide"),
        **dict.fromkeys(("镀镍", "镍"), "nickel"),
        **dict.fromkeys(("镀铬", "铬"), "chrome"),
        **dict.fromkeys(("镀铜",), "copper"),
        **dict.fromkeys(("镀锡",), "tin"),
        **dict.fromkeys(("镀金",), "gold"),
        **dict.fromkeys(("镀银",), "silver"),
        **dict.fromkeys(("磷化",), "phosphate"),
        **dict.fromkeys(("阳极氧化", "氧化"), "anodized"),
        **dict.fromkeys(("喷塑", "静电喷涂", "粉末喷涂"), "powder-coat"),
        **dict.fromkeys(("喷漆", "烤漆"), "paint"),
        **dict.fromkeys(("本色", "原色", "素色", "不处理", "无处理"), "plain"),
        **dict.fromkeys(("拉丝",), "brushed"),
        **dict.fromkeys(("镜面", "抛光"), "polished"),
        **dict.fromkeys(("喷砂",), "sandblasted"),
        **dict.fromkeys(("钝化",), "passivated"),
    },
    "colour": {
        **dict.fromkeys(("黑色", "黑", "black"), "black"),
        **dict.fromkeys(("亮黑", "曜石黑"), "black/glossy"),
        **dict.fromkeys(("哑黑", "磨砂黑"), "black/matte"),
        **dict.fromkeys(("白色", "白", "white"), "white"),
        **dict.fromkeys(("乳白", "奶白", "象牙白"), "white/milk"),
        **dict.fromkeys(("米白",), "off-white"),
        **dict.fromkeys(("米黄", "米色", "beige"), "beige"),
        **dict.fromkeys(("红色", "红", "red"), "red"),
        **dict.fromkeys(("酒红",), "red/wine"),
        **dict.fromkeys(("蓝色", "蓝", "blue"), "blue"),
        **dict.fromkeys(("深蓝", "藏蓝", "藏青", "navy"), "blue/dark"),
        **dict.fromkeys(("浅蓝", "天蓝"), "blue/light"),
        **dict.fromkeys(("绿色", "绿", "green"), "green"),
        **dict.fromkeys(("墨绿", "深绿"), "green/dark"),
        **dict.fromkeys(("浅绿",), "green/light"),
        **dict.fromkeys(("黄色", "黄", "yellow"), "yellow"),
        **dict.fromkeys(("灰色", "灰", "grey", "gray"), "grey"),
        **dict.fromkeys(("深灰", "深空灰"), "grey/dark"),
        **dict.fromkeys(("浅灰",), "grey/light"),
        **dict.fromkeys(("银色", "银", "silver"), "silver"),
        **dict.fromkeys(("金色", "香槟金", "gold"), "gold"),
        **dict.fromkeys(("玫瑰金",), "rose-gold"),
        **dict.fromkeys(("粉色", "粉红", "粉", "pink"), "pink"),
        **dict.fromkeys(("紫色", "紫", "purple"), "purple"),
        **dict.fromkeys(("橙色", "橘色", "橙", "orange"), "orange"),
        **dict.fromkeys(("棕色", "咖啡色", "褐色", "brown"), "brown"),
        **dict.fromkeys(("透明", "全透", "transparent", "clear"), "transparent"),
        **dict.fromkeys(("本色", "原色", "natural"), "natural"),
    },
    "material": {
        **dict.fromkeys(("丁腈", "nbr", "丁晴"), "nitrile"),
        **dict.fromkeys(("pu", "聚氨酯"), "polyurethane"),
        **dict.fromkeys(("棉纱", "纱线"), "cotton/yarn"),
        **dict.fromkeys(("纯棉", "棉"), "cotton"),
        **dict.fromkeys(("乳胶", "latex"), "latex"),
        **dict.fromkeys(("橡胶",), "rubber"),
        **dict.fromkeys(("氟橡胶", "fkm", "viton"), "fkm"),
        **dict.fromkeys(("三元乙丙", "epdm"), "epdm"),
        **dict.fromkeys(("硅胶", "硅橡胶", "silicone"), "silicone"),
        **dict.fromkeys(("四氟", "聚四氟乙烯", "ptfe"), "ptfe"),
        **dict.fromkeys(("pvc",), "pvc"),
        **dict.fromkeys(("尼龙", "nylon"), "nylon"),
        **dict.fromkeys(("涤纶", "聚酯纤维", "polyester"), "polyester"),
        **dict.fromkeys(("帆布",), "canvas"),
        **dict.fromkeys(("牛皮", "皮革", "真皮"), "leather"),
        **dict.fromkeys(("不锈钢",), "stainless"),
        **dict.fromkeys(("碳钢",), "carbon-steel"),
        **dict.fromkeys(("合金钢",), "alloy-steel"),
        **dict.fromkeys(("铝合金", "铝"), "aluminium"),
        **dict.fromkeys(("黄铜",), "copper/brass"),
        **dict.fromkeys(("紫铜", "红铜"), "copper/pure"),
        **dict.fromkeys(("铜",), "copper"),
        **dict.fromkeys(("铸铁",), "cast-iron"),
        **dict.fromkeys(("玻璃",), "glass"),
        **dict.fromkeys(("陶瓷",), "ceramic"),
        **dict.fromkeys(("abs",), "abs"),
        **dict.fromkeys(("pe", "聚乙烯"), "pe"),
        **dict.fromkeys(("pet",), "pet"),
        **dict.fromkeys(("竹",), "bamboo"),
        **dict.fromkeys(("实木",), "wood"),
    },
    "paper_size": {
        size: size
        for size in (
            *("a0", "a1", "a2", "a3", "a4", "a5", "a6"),
            *("b3", "b4", "b5", "b6", "16k", "8k", "32k"),
        )
    },
    "clothing_size": {
        size: size for size in ("xs", "s码", "m码", "l码", "xl", "xxl", "xxxl", "2xl", "3xl", "4xl")
    },
    "construction": {
        **dict.fromkeys(("单面",), "single-sided"),
        **dict.fromkeys(("双面",), "double-sided"),
        **dict.fromkeys(("单芯",), "single-core"),
        **dict.fromkeys(("多芯",), "multi-core"),
        **dict.fromkeys(("屏蔽",), "shielded"),
        **dict.fromkeys(("无屏蔽",), "unshielded"),
        **dict.fromkeys(("有线",), "wired"),
        **dict.fromkeys(("无线",), "wireless"),
    },
}

#: Words that contain a qualifier word but are none (蓝牙 is Bluetooth, not blue): they are
#: removed before qualifiers are looked for.
NOT_QUALIFIERS: tuple[str, ...] = (
    *("蓝牙", "红外", "白板", "黑板", "白糖", "红糖", "白酒", "红酒", "黑胡椒", "绿茶", "红茶"),
    *("白茶", "黑茶", "黄油", "白醋", "灰尘", "黄金", "白金", "铜版纸", "锌合金", "镍氢"),
    *("铝箔", "铝塑", "棉签", "棉柔", "粉末", "粉碎", "金属", "银行", "黑胶", "天然水"),
    "双面打印",
    # 透明胶(带) is the everyday name of packing tape of any colour (米黄透明胶带 is sold as
    # such): the colour is the one its specification states.
    *("透明胶带", "透明胶"),
)

#: Grades: family -> regular expression of the grade as written (its first group, folded to
#: upper case, is the canonical value).
GRADES: dict[str, str] = {
    # ISO 898 property classes of bolts and screws; nuts' classes with 级 only.
    "property_class": r"(?:(?<![\d.])|(?=\d+\.\d\s*级))(3\.6|4\.6|4\.8|5\.6|5\.8|6\.8|8\.8|9\.8|"
    r"10\.9|12\.9)(?:\s*级)?(?![\d.])|(?<![\d.])(4|5|6|8|10|12)\s*级",
    # stainless steels (AISI / GB), with the optional L / Ti suffix
    "steel_grade": r"(?<![0-9a-z\-/])((?:sus|ss)?(?:201|202|301|303|304|310s?|316|321|410|420|430|"
    r"440c?)(?:l|ti|h)?|\d{2}cr\d{2}ni\d{1,2}\w*|q195|q215|q235[a-e]?|q345[a-e]?|q355[a-e]?|"
    r"q390|q420|45#|40cr|42crmo|65mn|gcr15|spcc|spcd|spce|secc|sgcc|dc0[1-6]|h62|h65|"
    r"6061|6063|7075|5052)(?![0-9a-z])",
}
