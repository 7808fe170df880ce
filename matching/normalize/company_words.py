"""The word lists company names are taken apart with: legal forms, branch markers, industry
words, and the English words of names with the Chinese words they stand for."""

from __future__ import annotations

import re

from matching.normalize.text import _words

_CN_LEGAL_FORMS = tuple(
    sorted(
        _words(
            "股份有限公司 有限责任公司 有限公司 股份公司 总公司 公司 集团 有限合伙 普通合伙 合伙企业 "
            "个人独资企业 独资企业 股份合作社 专业合作社 合作社 总厂 厂 商行 "
            # A stock short name's suffix for "the company limited by shares" (宝鹰股份).
            "股份"
        ),
        key=len,
        reverse=True,
    )
)
# Strong branch markers name a branch on their own; weak ones only after a legal form
# (张三五金经营部 is an individual business, 华信科技有限公司五金经营部 a branch of a company).
_STRONG_BRANCH = _words(
    "分公司 分厂 分店 分行 支行 分理处 办事处 营业部 代表处 分部 分所 分院 分中心 分社 分校"
)
_WEAK_BRANCH = _words(
    "经营部 门市部 服务部 营业厅 门店 号店 工作站 销售部 "
    # units of a company that are no department of it: its union, its party committee, its
    # institute, school or hospital (华信科技有限公司工会委员会)
    "工会委员会 工会 委员会 党委 党总支 党支部 团委 研究院 研究所 设计院 学校 医院 幼儿园 "
    "基金会 俱乐部"
)
_STRONG_BRANCH_RE = re.compile("(" + "|".join(_STRONG_BRANCH) + ")$")
_ANY_BRANCH_RE = re.compile("(" + "|".join(_STRONG_BRANCH + _WEAK_BRANCH) + ")$")
_NATIONAL = {"中国", "中华", "china", "prc"}

# Trailing industry words; a core may end in up to two (华信网络科技 -> 网络科技).
_CN_INDUSTRIES = tuple(
    sorted(
        _words(
            "科技 技术 信息 信息技术 网络 电子 电子商务 电器 电气 电力 电缆 通信 通讯 软件 数据 数码 智能 "
            "贸易 商贸 进出口 国际贸易 供应链 物流 运输 快递 仓储 医药 制药 药业 医疗 医疗器械 生物 "
            "机械 设备 机电 仪器 仪表 自动化 精密 五金 模具 汽车 汽配 配件 汽车配件 食品 饮料 "
            "农业 农产品 餐饮 酒店 "
            "实业 工业 制造 投资 控股 咨询 管理 服务 发展 建设 建筑 工程 装饰 建材 材料 新材料 化工 "
            "化学 塑料 塑胶 橡胶 钢铁 金属 有色金属 能源 新能源 环保 环境 光电 光学 半导体 照明 "
            "纺织 服装 服饰 鞋业 家具 家居 印刷 包装 纸业 文化 传媒 广告 教育 旅游 房地产 置业 物业 "
            "石油 石化 矿业 安防 保安 人力资源 金融 保险 证券 银行 商务 云计算 互联网 生态"
        ),
        key=len,
        reverse=True,
    )
)

# English words of company names -> the Chinese word whose pinyin they should produce.
_EN_INDUSTRIES: dict[str, str] = {
    "technology": "科技",
    "technologies": "科技",
    "tech": "科技",
    "sci-tech": "科技",
    "scitech": "科技",
    "science": "科学",
    "electronics": "电子",
    "electronic": "电子",
    "electric": "电气",
    "electrical": "电气",
    "appliance": "电器",
    "appliances": "电器",
    "trading": "贸易",
    "trade": "贸易",
    "commerce": "商贸",
    "commercial": "商贸",
    "logistics": "物流",
    "transport": "运输",
    "transportation": "运输",
    "pharmaceutical": "医药",
    "pharmaceuticals": "医药",
    "pharma": "医药",
    "pharmacy": "医药",
    "medical": "医疗",
    "biotech": "生物科技",
    "biotechnology": "生物科技",
    "bio": "生物",
    "biological": "生物",
    "machinery": "机械",
    "mechanical": "机械",
    "equipment": "设备",
    "instrument": "仪器",
    "instruments": "仪器",
    "automation": "自动化",
    "precision": "精密",
    "hardware": "五金",
    "parts": "配件",
    "automobile": "汽车",
    "automotive": "汽车",
    "auto": "汽车",
    "food": "食品",
    "foods": "食品",
    "beverage": "饮料",
    "agriculture": "农业",
    "agricultural": "农业",
    "catering": "餐饮",
    "hotel": "酒店",
    "industrial": "实业",
    "industry": "实业",
    "industries": "实业",
    "manufacturing": "制造",
    "investment": "投资",
    "investments": "投资",
    "holding": "控股",
    "holdings": "控股",
    "consulting": "咨询",
    "consultancy": "咨询",
    "management": "管理",
    "service": "服务",
    "services": "服务",
    "development": "发展",
    "construction": "建筑",
    "engineering": "工程",
    "decoration": "装饰",
    "materials": "材料",
    "material": "材料",
    "chemical": "化工",
    "chemicals": "化工",
    "plastic": "塑料",
    "plastics": "塑料",
    "rubber": "橡胶",
    "steel": "钢铁",
    "metal": "金属",
    "metals": "金属",
    "energy": "能源",
    "environmental": "环保",
    "optoelectronics": "光电",
    "optoelectronic": "光电",
    "semiconductor": "半导体",
    "lighting": "照明",
    "textile": "纺织",
    "textiles": "纺织",
    "garment": "服装",
    "garments": "服装",
    "apparel": "服饰",
    "furniture": "家具",
    "printing": "印刷",
    "packaging": "包装",
    "paper": "纸业",
    "culture": "文化",
    "cultural": "文化",
    "media": "传媒",
    "advertising": "广告",
    "education": "教育",
    "tourism": "旅游",
    "travel": "旅游",
    "property": "置业",
    "realty": "房地产",
    "petroleum": "石油",
    "mining": "矿业",
    "security": "安防",
    "software": "软件",
    "network": "网络",
    "networks": "网络",
    "information": "信息",
    "communication": "通信",
    "communications": "通信",
    "telecom": "电信",  # 中国电信, 湖北电信: a telecom operator; 通信 is communications
    "data": "数据",
    "digital": "数码",
    "intelligent": "智能",
    "smart": "智能",
    "internet": "互联网",
    # Words of translated names (Han's Laser Technology, Wanhua Chemical): the Chinese word
    # whose pinyin they stand for.
    "laser": "激光",
    "optical": "光学",
    "optics": "光学",
    "photonics": "光电",
    "power": "电力",
    "cable": "电缆",
    "securities": "证券",
    "bank": "银行",
    "insurance": "保险",
    "airlines": "航空",
    "aviation": "航空",
    "shipping": "航运",
    "port": "港口",
    "cement": "水泥",
    "glass": "玻璃",
    "coal": "煤业",
    "tire": "轮胎",
    "tyre": "轮胎",
    "international": "国际",
    "supply": "供应",
    "chain": "链",
    "import": "进",
    "export": "出口",
}
_EN_PHRASES = {
    "information technology": "信息技术",
    "new energy": "新能源",
    "new materials": "新材料",
    "supply chain": "供应链",
    "import and export": "进出口",
    "import & export": "进出口",
    "import export": "进出口",
    "real estate": "房地产",
    "e-commerce": "电子商务",
    "ecommerce": "电子商务",
    "building materials": "建材",
    "medical devices": "医疗器械",
    "auto parts": "汽车配件",
    "home furnishing": "家居",
    "home furnishings": "家居",
    "medical equipment": "医疗器械",
    # 科技 is written "Science and Technology" as often as "Technology".
    "science and technology": "科技",
    "science & technology": "科技",
    "science technology": "科技",
    "sci & tech": "科技",
}
_EN_LEGAL = {
    # A legal form written in pinyin (Huaxin Keji Youxian Gongsi: 有限公司, 股份, 责任, 集团).
    "youxian",
    "gongsi",
    "gufen",
    "zeren",
    "jituan",
    "co",
    "company",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "incorporation",
    "corp",
    "corporation",
    "llc",
    "plc",
    "gmbh",
    "group",
    "lp",
    "llp",
    "pte",
    "sa",
    "ag",
}
_EN_BRANCH = {"branch": "分公司", "office": "办事处", "representative": "代表处", "factory": "分厂"}
