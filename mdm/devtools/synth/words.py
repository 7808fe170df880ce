"""The word lists the generator draws from: cities, company name cores, industries, legal
forms, homophones, names, streets and buildings, phone prefixes, mail domains; and the small
parsers for lists and tables written as strings.
"""

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    """Word lists are written as space-separated strings: easier to read and extend."""
    return tuple(text.split())


def _split(text: str, sep: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(sep) if part.strip())


def _table(text: str) -> list[list[str]]:
    """Rows of a '|'-separated table written as a module string (one row per line)."""
    return [[cell.strip() for cell in line.split("|")] for line in text.strip().splitlines()]


def _params(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Spec parameters: 'd=6,8; l=20,25' -> (("d", ("6", "8")), ("l", ("20", "25")))."""
    pairs = (part.split("=", 1) for part in _split(text, ";"))
    return tuple((name.strip(), _split(options, ",")) for name, options in pairs)


# ---------------------------------------------------------------------------------------------
# Word lists
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _City:
    name: str  # 深圳 (without 市)
    province: str  # 广东省; for municipalities the city itself (北京市)
    province_short: str  # 广东
    pinyin: str
    prefix: str  # first four digits of the administrative division code
    area_code: str
    postal_prefix: str
    crm_region: str  # region part of CRM customer codes
    erp_dept: str  # ERP sales department serving the city
    municipality: bool
    weight: int  # how many customers are based there
    landline_len: int = 8

    @property
    def with_shi(self) -> str:
        return self.name + "市"

    @property
    def city_code(self) -> str:
        """Division code of the city itself (municipalities: of the province level)."""
        return self.prefix[:2] + "0000" if self.municipality else self.prefix + "00"


CITIES: tuple[_City, ...] = (
    _City("北京", "北京市", "北京", "Beijing", "1101", "010", "100", "BJ", "SD01", True, 14),
    _City("上海", "上海市", "上海", "Shanghai", "3101", "021", "200", "SH", "SD02", True, 14),
    _City("广州", "广东省", "广东", "Guangzhou", "4401", "020", "510", "GZ", "SD03", False, 9),
    _City("深圳", "广东省", "广东", "Shenzhen", "4403", "0755", "518", "SZ", "SD03", False, 11),
    _City("杭州", "浙江省", "浙江", "Hangzhou", "3301", "0571", "310", "HZ", "SD02", False, 7),
    _City("南京", "江苏省", "江苏", "Nanjing", "3201", "025", "210", "NJ", "SD02", False, 5),
    _City("苏州", "江苏省", "江苏", "Suzhou", "3205", "0512", "215", "SU", "SD02", False, 6),
    _City("成都", "四川省", "四川", "Chengdu", "5101", "028", "610", "CD", "SD04", False, 6),
    _City("武汉", "湖北省", "湖北", "Wuhan", "4201", "027", "430", "WH", "SD04", False, 5),
    _City("天津", "天津市", "天津", "Tianjin", "1201", "022", "300", "TJ", "SD01", True, 4),
    _City("重庆", "重庆市", "重庆", "Chongqing", "5001", "023", "400", "CQ", "SD04", True, 4),
    _City("西安", "陕西省", "陕西", "Xi'an", "6101", "029", "710", "XA", "SD01", False, 3),
    _City("长沙", "湖南省", "湖南", "Changsha", "4301", "0731", "410", "CS", "SD04", False, 3),
    _City("青岛", "山东省", "山东", "Qingdao", "3702", "0532", "266", "QD", "SD01", False, 3),
    _City("济南", "山东省", "山东", "Jinan", "3701", "0531", "250", "JN", "SD01", False, 2),
    _City("厦门", "福建省", "福建", "Xiamen", "3502", "0592", "361", "XM", "SD03", False, 3, 7),
    _City("宁波", "浙江省", "浙江", "Ningbo", "3302", "0574", "315", "NB", "SD02", False, 3),
    _City("佛山", "广东省", "广东", "Foshan", "4406", "0757", "528", "FS", "SD03", False, 3),
    _City("无锡", "江苏省", "江苏", "Wuxi", "3202", "0510", "214", "WX", "SD02", False, 2),
)

# Core names ("字号"): the distinctive part of a company name. Curated words first; the
# head x tail pairs make the space large enough for a million unique companies.
CORE_WORDS: tuple[str, ...] = _words(
    "华信 腾达 恒瑞 中科 金桥 浦江 宏达 鼎盛 瑞丰 天元 海纳 博远 "
    "永利 联创 汇通 正泰 远航 嘉禾 安泰 明辉 东方 南天 星河 盛世 "
    "新华 光明 德润 佳美 润丰 凯盈 泰和 云峰 立信 宇通 富源 珠江 "
    "燕山 西湖 钱塘 华夏 中恒 金鼎 银河 天成 顺达 华美 九州 环球 "
    "蓝天 绿源 万通 百盛 同创 信达 和泰 恒通 华创 中瑞 华瑞 锦程"
)
CORE_HEADS = "华金中新宏恒天海东南盛鼎瑞博永汇正远联嘉佳德泰明光星安凯富润云万百同和顺银绿蓝九世宇航创腾浩锦鑫荣诚"
CORE_TAILS = "信达瑞科桥丰元纳远利创通泰航禾辉方天河世华润美盈和峰源宇成州球盛鼎恒兴晨康祥安业邦泽力杰腾隆宝昌德"
CORE_TRIPLES: tuple[str, ...] = _words(
    "新纪元 金太阳 东方龙 百事通 大中华 新时代 华夏星 金三角 千里马 "
    "好运来 四海通 五洲汇 七星河 万家福 天地人"
)


@dataclass(frozen=True)
class _Industry:
    zh: str
    en: str
    domain: str  # used in made-up e-mail domains (huaxin-tech.com)


INDUSTRIES: tuple[_Industry, ...] = (
    _Industry("科技", "Technology", "tech"),
    _Industry("电子", "Electronics", "elec"),
    _Industry("物流", "Logistics", "logistics"),
    _Industry("医药", "Pharmaceutical", "pharma"),
    _Industry("贸易", "Trading", "trade"),
    _Industry("机械", "Machinery", "mach"),
    _Industry("建材", "Building Materials", "bm"),
    _Industry("食品", "Food", "food"),
    _Industry("信息技术", "Information Technology", "it"),
    _Industry("网络科技", "Network Technology", "net"),
    _Industry("新能源", "New Energy", "energy"),
    _Industry("环保科技", "Environmental Technology", "env"),
    _Industry("化工", "Chemical", "chem"),
    _Industry("纺织", "Textile", "textile"),
    _Industry("服饰", "Apparel", "fashion"),
    _Industry("汽车配件", "Auto Parts", "auto"),
    _Industry("餐饮管理", "Catering Management", "catering"),
    _Industry("文化传媒", "Culture Media", "media"),
    _Industry("实业", "Industrial", "group"),
    _Industry("建筑工程", "Construction Engineering", "build"),
    _Industry("供应链管理", "Supply Chain Management", "scm"),
    _Industry("生物科技", "Biotechnology", "bio"),
    _Industry("电气", "Electric", "electric"),
    _Industry("包装", "Packaging", "pack"),
    _Industry("家居", "Home Furnishing", "home"),
    _Industry("软件", "Software", "soft"),
    _Industry("医疗器械", "Medical Devices", "med"),
    _Industry("农业发展", "Agricultural Development", "agri"),
)


@dataclass(frozen=True)
class _LegalForm:
    zh: str
    en: str
    variants: tuple[str, ...]  # how people write it differently ("" = omitted)
    weight: int


LEGAL_FORMS: tuple[_LegalForm, ...] = (
    _LegalForm("有限公司", "Co., Ltd.", ("有限责任公司", "", "公司"), 55),
    _LegalForm("有限责任公司", "Co., Ltd.", ("有限公司", ""), 15),
    _LegalForm("股份有限公司", "Co., Ltd.", ("股份公司", "有限公司", ""), 15),
    _LegalForm("集团有限公司", "Group Co., Ltd.", ("集团", "集团公司", "有限公司"), 8),
)
ENGLISH_LEGAL_VARIANTS = ("Co.,Ltd.", "CO., LTD.", "Company Limited", "Co. Ltd", "Co., Ltd")

# Simplified character -> characters pronounced (nearly) the same: what an input method
# offers first when someone types the pinyin quickly.
HOMOPHONES: dict[str, str] = {
    "信": "鑫新欣", "达": "大答", "华": "化骅", "恒": "衡横", "瑞": "锐睿", "科": "可",
    "金": "今津", "桥": "侨乔", "宏": "鸿弘", "鼎": "顶", "盛": "胜晟", "丰": "峰锋",
    "元": "源圆", "博": "搏柏", "远": "源元", "世": "士事", "利": "力立", "创": "闯",
    "汇": "惠会", "通": "同童", "正": "政证", "泰": "太态", "航": "杭", "腾": "藤誊",
    "天": "添田", "联": "连莲", "纳": "娜", "晨": "辰臣", "辉": "晖徽", "星": "兴",
    "安": "岸", "嘉": "佳家", "伟": "玮炜", "建": "健剑", "康": "慷", "明": "鸣铭",
    "光": "广", "德": "得", "新": "欣心", "中": "忠钟", "成": "诚城", "祥": "翔",
    "兴": "星馨", "江": "疆", "东": "冬", "南": "楠", "永": "泳勇", "立": "力利",
    "佳": "嘉家", "浦": "普谱", "云": "芸", "峰": "丰锋", "凯": "恺楷", "盈": "营赢",
    "润": "闰", "富": "福复", "源": "元远", "宇": "雨羽", "浩": "昊皓", "鹏": "朋",
    "杰": "洁捷", "静": "婧", "丽": "莉俐", "婷": "亭", "琳": "林霖", "芳": "方",
    "敏": "民", "娜": "那", "军": "君均", "勇": "永涌", "涛": "韬", "斌": "彬",
    "超": "潮", "平": "萍", "飞": "菲", "波": "博", "宁": "凝", "俊": "骏",
    "志": "智", "文": "雯", "燕": "艳", "玲": "凌铃", "霞": "侠", "红": "虹宏",
    "慧": "惠蕙", "颖": "莹", "倩": "茜", "欣": "心新", "怡": "仪宜", "瑶": "遥",
    "月": "悦", "梅": "玫", "莉": "丽", "秀": "绣", "桂": "贵", "萍": "平",
    "艳": "燕", "娟": "鹃", "洁": "杰", "琪": "琦祺", "美": "媄", "和": "禾",
    "禾": "和", "宝": "保", "昌": "常", "隆": "龙", "邦": "帮", "泽": "则",
    "锦": "金", "荣": "容", "诚": "成", "鑫": "信", "银": "寅", "绿": "律",
}  # fmt: skip

# (surname, weight): the most common surnames are much more common.
SURNAMES: tuple[tuple[str, int], ...] = tuple(
    (s, 6 if i < 10 else 3 if i < 30 else 1)
    for i, s in enumerate(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
        "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    )
)
SURNAME_PINYIN: dict[str, str] = {"曾": "zeng"}  # pypinyin reads the character, not the surname
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁凯浩宇俊峰建国文志鸿晨轩博"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀燕玲桂丹萍红琳婷雪慧颖倩洁佳琪欣怡瑶月梅莉"
CONTACT_TITLES = ("经理", "总", "先生", "女士", "主任")

STREET_WORDS: tuple[str, ...] = _words(
    "中山 解放 人民 建设 新华 和平 长江 黄河 学院 科技 创业 文化 "
    "东风 胜利 光明 青年 迎宾 滨江 江南 金融 工业 高新 软件园 华山 "
    "泰山 延安 北京 南京 湖滨 花园"
)
STREET_KINDS = (
    ("路", 12),
    ("大道", 3),
    ("街", 3),
    ("东路", 1),
    ("西路", 1),
    ("南路", 1),
    ("北路", 1),
)
TOWERS: tuple[str, ...] = _words(
    "科技大厦 国际大厦 金融中心 商务中心 创新大厦 时代广场 世纪大厦 环球中心 财富广场 中心大厦"
)
ESTATES: tuple[str, ...] = _words(
    "阳光花园 碧水湾 翠苑 锦绣家园 金色港湾 世纪花城 幸福里 和谐小区 "
    "东方名都 绿地新城 滨江花园 融创府"
)

MOBILE_PREFIXES: tuple[str, ...] = _words(
    "130 131 132 133 135 136 137 138 139 "
    "150 151 152 155 156 158 159 166 177 "
    "180 181 185 186 187 188 189 199"
)
FREE_MAIL = ("qq.com", "163.com", "126.com", "sina.com", "aliyun.com", "foxmail.com")
ROLE_MAILBOXES = ("info", "sales", "service", "contact", "admin", "office", "finance")

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})
_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
