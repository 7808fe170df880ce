"""English words of Chinese company names and the Chinese words they translate (a data table).

A listed company's English name mixes transliterated words (``Huaxin``, ``Lu Thai``) with
translated ones: the trade (``Pharmaceutical`` 医药/药业/制药), the kind of business
(``Expressway`` 高速, ``Port`` 港), and often common words of the name itself (``Orient`` 东方,
``Golden Dragon`` 金龙, ``Great Wall`` 长城, ``Black Sesame`` 黑芝麻). Each English word lists
the Chinese words it may stand for, most usual first; a phrase of two or three words is one key.
``matching.normalize.latin`` aligns an English name with a Chinese one through this table and
through pinyin; nothing here is about one company.
"""

from __future__ import annotations

from matching.normalize.company_words import _EN_INDUSTRIES
from matching.normalize.text import _words


def _table(text: str) -> dict[str, tuple[str, ...]]:
    """``english = 中文 中文`` lines; ``_`` joins the words of an English phrase."""
    table: dict[str, tuple[str, ...]] = {}
    for line in text.strip().splitlines():
        english, _, chinese = line.partition("=")
        words = tuple(_words(chinese))
        for key in _words(english):
            table[key.replace("_", " ")] = words
    return table


TRANSLATIONS: dict[str, tuple[str, ...]] = _table(
    """
technology technologies tech scitech hitech hi_tech high_tech = 科技 技术 高科技 高新 高新技术
science sciences scientific = 科学 科技
electronics electronic = 电子
electric electrical = 电气 电器 电力 电机 电
appliance appliances = 电器
electromechanical mechatronics = 机电
power = 电力 动力 电源 电
electricity = 电力
generation = 发电
hydropower = 水电
thermal = 热电 火电
nuclear = 核电 核
motor motors = 电机 汽车
cable cables = 电缆 线缆
wire = 线缆 电线
battery batteries = 电池
trading trade = 贸易 商贸 外贸
commerce commercial = 商贸 商业
industrial_commercial industry_commerce = 工商
merchants = 招商
united union = 联合
logistics = 物流
transport transportation = 运输 交通
shipping = 航运 海运
port ports = 港口 港
airport = 机场 航空港
airlines airline aviation = 航空
aerospace = 航天
expressway highway = 高速 高速公路 公路
railway = 铁路
bridge = 路桥 桥
pharmaceutical pharmaceuticals pharma pharmacy = 医药 药业 制药 药
medicine = 医药 药业
medical = 医疗 医学 医药
hospital = 医院
health healthcare = 健康 医疗
biotech biotechnology = 生物科技 生物技术 生物
biological bio biology = 生物
biochemical = 生化
genetic gene = 基因
machinery mechanical machine machines = 机械 机床 机器
equipment = 设备 装备
instrument instruments = 仪器 仪表
meter meters = 仪表
automation = 自动化
precision = 精密 精工
hardware = 五金
parts = 配件 零部件 部件
automobile automotive auto car cars vehicle = 汽车
bus = 客车
truck = 卡车 重汽
tire tyre tires tyres = 轮胎
food foods = 食品
beverage beverages drinks = 饮料
brewery beer = 啤酒 酒业
wine winery liquor spirits = 酒 酒业 葡萄酒
dairy = 乳业
sugar = 糖业
tea = 茶
seed seeds = 种业
agriculture agricultural agri = 农业
agribusiness = 农业 农产品
animal = 动物
husbandry = 牧业
feed = 饲料
fishery fisheries = 渔业
catering = 餐饮
hotel hotels = 酒店 饭店 宾馆
restaurant = 餐饮
industrial industry industries = 实业 工业 产业
enterprise enterprises = 企业 实业
manufacturing manufacture = 制造
investment investments invest = 投资
holding holdings = 控股
consulting consultancy = 咨询
management = 管理
service services = 服务
development developments = 发展 开发
construction = 建设 建筑 建工
engineering = 工程
decoration = 装饰
design = 设计
materials material = 材料 新材
chemical chemicals chemistry = 化工 化学
chemical_fiber chemical_fibre = 化纤
fiber fibre = 纤维
plastic plastics = 塑料 塑胶
rubber = 橡胶
steel = 钢铁 钢
iron = 铁
iron_and_steel iron_steel = 钢铁
metal metals = 金属
nonferrous non_ferrous = 有色 有色金属
aluminium aluminum = 铝业 铝
copper = 铜业 铜
zinc = 锌业 锌
titanium = 钛业 钛
tungsten = 钨业
rare_earth = 稀土
energy = 能源
new_energy = 新能源
solar = 太阳能 光伏
photovoltaic pv = 光伏
wind = 风电 风能
gas = 燃气 天然气 气
petroleum oil = 石油 油
petrochemical = 石化 石油化工
coal = 煤业 煤炭 煤
mining mines mine = 矿业 矿
gold = 黄金 金
silver = 白银 银
environmental environment = 环保 环境
ecology ecological eco = 生态
water = 水务 水
optoelectronics optoelectronic optic_electric = 光电
photoelectric photonics = 光电
semiconductor semiconductors = 半导体
lighting light = 照明 光
optical optics = 光学 光电
laser = 激光
textile textiles = 纺织
spinning = 纺织 纺
dyeing = 印染
silk = 丝绸
garment garments clothing apparel fashion = 服装 服饰
shoes footwear = 鞋业
furniture = 家具
home = 家居
household = 家用
printing = 印刷
packaging = 包装
paper = 纸业 造纸
culture cultural = 文化
media = 传媒
film films pictures = 影视 电影
entertainment = 娱乐
game games = 游戏
sports = 体育
advertising = 广告
education = 教育
publishing = 出版
tourism travel = 旅游
property properties = 置业 地产 房地产
realty real_estate realestate = 地产 房地产 置业
land = 置地
urban = 城建 城市
security = 安防 保安 证券
securities = 证券
bank banking = 银行
insurance = 保险
finance financial = 金融 财务
trust = 信托
leasing = 租赁
software = 软件
network networks = 网络
internet = 互联网
information info = 信息
communication communications = 通信 通讯 电信
telecom telecommunication telecommunications = 电信 通信 通讯
data = 数据
digital = 数码 数字
intelligent smart = 智能 智慧
cloud = 云
system systems = 系统
control controls = 控制
integrated = 集成
international = 国际
global = 环球 国际
supply_chain = 供应链
import_and_export import_export = 进出口
cement = 水泥
glass = 玻璃
ceramic ceramics = 陶瓷
building_materials = 建材
pipe pipes pipeline tube tubes = 管业 管道 钢管
valve valves = 阀门
pump pumps = 泵业
bearing bearings = 轴承
gear = 齿轮
mold mould molds moulds = 模具
tool tools = 工具
refrigeration = 制冷
air_conditioning = 空调
environment_protection environmental_protection = 环保
fertilizer fertilizers = 化肥
salt = 盐业
forestry = 林业
landscape landscaping garden gardens = 园林
city = 城市
commercial_building department_store = 商厦 百货
department = 百货
store stores = 商店 商场
supermarket = 超市
mall = 商城
retail = 零售
exhibition = 会展
new = 新
high = 高
great_wall = 长城
yellow_river = 黄河
yangtze = 长江
pearl_river = 珠江
orient oriental east eastern = 东方 东
west western = 西部 西
south southern = 南方 南
north northern = 北方 北
central = 中
golden = 金
dragon = 龙
phoenix = 凤凰
tiger = 虎
lion = 狮
eagle = 鹰
crane = 鹤
horse = 马
star stars = 星
sun sunshine sunny = 阳光 太阳 阳
moon = 月
sky = 天
heaven = 天
ocean sea = 海洋 海
mountain = 山
river = 江 河
lake = 湖
spring = 泉 春
forest = 森林
peace = 和平
victory = 胜利
harmony = 和谐
rising = 升
pioneer = 先锋
crystal = 水晶
diamond = 钻石
jade = 玉
pearl = 珍珠
double = 双
black = 黑
white = 白
red = 红
blue = 蓝
green = 绿
yellow = 黄
one first = 一
two second = 二
three third = 三
four = 四
five = 五
six = 六
seven = 七
eight = 八
nine = 九
ten = 十
hundred = 百
thousand = 千
sesame = 芝麻
"""
)

#: The longest English phrase of the table, in words.

TRANSLATIONS.update(
    _table(
        """
special = 特种 特
interactive = 互动
tourist = 旅游
mart market = 商城 市场
toy toys = 玩具
door doors = 门
window windows = 窗
curtain_wall = 幕墙
knitting = 针织
shipbuilding = 船舶 造船
ship ships = 船舶
yacht yachts = 游艇
vessel = 船舶
heavy = 重工 重型
heavy_industry = 重工
general = 通用
precision_industry = 精工
fine = 精细
fine_chemical fine_chemicals = 精细化工
tourism_development = 旅游
investment_development = 投资发展
urban_construction = 城建
public_utility utilities = 公用
public = 公用
transit = 交通
traffic = 交通
wood = 木业
bamboo = 竹
flower flowers = 花
fruit = 果
pig pigs = 猪
poultry = 禽
egg eggs = 蛋
rice = 米
flour = 面粉
oil_and_gas = 油气
natural_gas = 天然气
refinery = 炼化
coke coking = 焦化
carbon = 碳素 碳
graphite = 石墨
silicon = 硅业 硅
lithium = 锂业 锂
magnetic = 磁
sensor sensors = 传感
display = 显示
microelectronics = 微电子
chip chips = 芯片
circuit = 电路
printed_circuit = 电路
intelligent_equipment = 智能装备
robot robotics = 机器人
vision = 视觉 视讯
video = 视频 视讯
audio = 音响
acoustic acoustics = 声学
sound = 声
image imaging = 影像
camera = 相机
photo = 影像
axle axles = 车轴
fan fans ventilator ventilators = 风机
tin = 锡业 锡
heating = 电热 供热
electric_heating = 电热
furniture furnishings furnishing = 家具 家居
kitchen = 厨卫 厨房
bath bathroom sanitary = 卫浴
steel_structure = 钢结构 钢构
space_frame = 网架
carbon_black = 炭黑
devices device = 器件 设备
grape = 葡萄
rice_wine = 黄酒
brothers = 兄弟
southeast = 东南
northeast = 东北
northwest = 西北
southwest = 西南
far_east = 远东
cat = 猫
seagull = 海鸥
"""
    )
)

# Trades and products that Chinese company names often carry, from general vocabulary (not
# read off any benchmark's misses).
TRANSLATIONS.update(
    _table(
        """
bioscience biosciences life_science life_sciences = 生物科技 生命科学 生物
biopharmaceutical biopharmaceuticals biopharma = 生物医药 生物制药
diagnostics diagnostic = 诊断
vaccine vaccines = 疫苗
medical_device medical_devices = 医疗器械
cosmetics cosmetic = 化妆品
jewelry jewellery = 珠宝
express = 快递 速递
tobacco = 烟草
aquatic aquatic_products = 水产
seafood = 水产 海产
meat = 肉业 肉类 肉
livestock = 畜牧
cotton = 棉业 棉
leather = 皮革
hydraulic hydraulics = 液压
pneumatic = 气动
welding = 焊接
casting castings = 铸造
forging forgings = 锻造
fastener fasteners = 紧固件
elevator elevators = 电梯
compressor compressors = 压缩机
boiler boilers = 锅炉
turbine turbines = 汽轮机 涡轮
transformer transformers = 变压器
switchgear = 开关
satellite = 卫星
navigation = 导航
military = 军工
defense defence = 国防 防务
tunnel = 隧道
recycling recycle = 再生 回收 循环
renewable = 可再生 再生
hydrogen = 氢能 氢
storage = 储能 仓储
charging = 充电
traditional_chinese_medicine chinese_medicine tcm = 中药 中医药
herbal = 中药 草本
"""
    )
)
# The company parser's industry words (``company_words._EN_INDUSTRIES``) are translations too:
# one table for the alignment, each Chinese word once.
for _english, _chinese in _EN_INDUSTRIES.items():
    _known = TRANSLATIONS.get(_english, ())
    if _chinese not in _known:
        TRANSLATIONS[_english] = (*_known, _chinese)
LONGEST_PHRASE = max(len(key.split()) for key in TRANSLATIONS)
