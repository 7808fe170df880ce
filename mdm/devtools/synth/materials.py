"""Material master records: material kinds and their specs, with in-system duplicates."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from mdm.devtools.synth.helpers import _pick, _randint
from mdm.devtools.synth.params import SynthRecord, _sorted_records
from mdm.devtools.synth.words import _FULL_WIDTH_DIGITS, _params, _table, _words


@dataclass(frozen=True)
class _MaterialKind:
    name: str
    synonyms: tuple[str, ...]  # what another plant called it when it created the duplicate
    group: str
    other_group: str
    uom: str
    uom_variants: tuple[str, ...]
    mtype: str  # SAP-style material type
    spec: str  # format string over params
    params: tuple[tuple[str, tuple[str, ...]], ...]


# name | synonyms | group | group another plant used | unit | unit as others wrote it | type
# | spec format | spec parameters (name=option,option; ...)
_MATERIAL_TABLE = """
    六角头螺栓 | 外六角螺栓 六角螺栓 | 紧固件 | 标准件 | PC | 个 件 EA | ROH | M{d}*{l} {g}级 {f} | d=6,8,10,12,16; l=20,25,30,35,40,50,60,80; g=4.8,8.8,10.9; f=镀锌,发黑,达克罗
    内六角圆柱头螺钉 | 内六角螺钉 内六角螺丝 | 紧固件 | 标准件 | PC | 个 件 EA | ROH | M{d}*{l} {g}级 {f} | d=3,4,5,6,8; l=8,10,12,16,20,25; g=8.8,12.9; f=发黑,镀镍,本色
    平垫圈 | 平垫 平垫片 | 紧固件 | 标准件 | PC | 个 件 | ROH | M{d} {f} | d=4,5,6,8,10,12,16,20; f=镀锌,304不锈钢,发黑
    不锈钢板 | 不锈钢板材 不锈钢平板 | 钢材 | 金属材料 | KG | 千克 公斤 kg | ROH | {g} {t}mm*1220*2440 | g=304,316L,201; t=0.5,0.8,1.0,1.2,1.5,2.0,3.0
    冷轧钢板 | 冷轧板 冷板 | 钢材 | 金属材料 | KG | 千克 公斤 | ROH | SPCC {t}*{w}*{l} | t=0.8,1.0,1.2,1.5,2.0; w=1000,1250; l=2000,2500
    无缝钢管 | 无缝管 钢管 | 钢材 | 金属材料 | M | 米 m | ROH | Φ{od}*{t} 20# | od=25,32,38,45,57,76,89; t=2.5,3,3.5,4,5
    深沟球轴承 | 轴承 深沟轴承 | 轴承 | 机械配件 | SET | 套 个 | ERSA | {s}{n}-{seal} | s=60,62,63; n=00,01,02,03,04,05,06,08,10; seal=2RS,ZZ
    O型圈 | O形圈 O型密封圈 | 密封件 | 橡胶件 | PC | 个 只 | ERSA | {id}*{cs} {mat} | id=10,12,15,20,25,30,40; cs=1.9,2.4,3.1,3.5; mat=NBR70,FKM,EPDM
    贴片电阻 | 电阻 片式电阻 | 电子元器件 | 电子料 | PC | 个 PCS | ROH | {pkg} {r} ±{tol} | pkg=0402,0603,0805,1206; r=100Ω,1KΩ,4.7KΩ,10KΩ,47KΩ,100KΩ; tol=1%,5%
    贴片电容 | 电容 多层陶瓷电容 | 电子元器件 | 电子料 | PC | 个 PCS | ROH | {pkg} {c} {v} {die} | pkg=0402,0603,0805; c=10nF,100nF,1uF,10uF; v=16V,25V,50V; die=X7R,X5R
    液压油 | 抗磨液压油 液压油（抗磨） | 油品 | 辅料 | DR | 桶 | HIBE | L-HM{g} {size} | g=32,46,68; size=18L,200L
    PP颗粒 | 聚丙烯颗粒 PP粒料 | 塑料原料 | 化工原料 | KG | 千克 公斤 kg | ROH | {grade} {color} | grade=T30S,K8003,1100N,V30G,EPS30R; color=本色,黑色
    瓦楞纸箱 | 纸箱 包装箱 | 包装材料 | 包材 | PC | 个 只 | VERP | {l}*{w}*{h}mm {ply} | l=300,350,400,450,600; w=200,250,300; h=150,200,250; ply=三层,五层
    封箱胶带 | 胶带 透明胶带 | 包装材料 | 包材 | RL | 卷 | VERP | {w}mm*{len}m {color} | w=45,48,60; len=50,100,150; color=透明,米黄
    劳保手套 | 手套 防护手套 | 劳保用品 | 辅料 | PR | 双 副 | HIBE | {size}号 {mat} | size=8,9,10; mat=丁腈涂掌,棉纱,PU涂掌
    实心焊丝 | 焊丝 气保焊丝 | 焊接材料 | 辅料 | KG | 千克 公斤 | HIBE | ER50-6 Φ{d} {pack} | d=0.8,1.0,1.2,1.6; pack=15kg/盘,20kg/盘
"""
MATERIAL_KINDS: tuple[_MaterialKind, ...] = tuple(
    _MaterialKind(name, _words(syn), group, other, uom, _words(uoms), mtype, spec, _params(params))
    for name, syn, group, other, uom, uoms, mtype, spec, params in _table(_MATERIAL_TABLE)
)

MATERIAL_TYPE_NAMES = {
    "ROH": "原材料",
    "HALB": "半成品",
    "ERSA": "备件",
    "VERP": "包装材料",
    "HIBE": "辅料",
}
MATERIAL_DUPLICATE_RATE = 0.25  # share of materials created more than once in the ERP
MATERIAL_NEIGHBOUR_RATE = 0.15  # same kind, one spec parameter different: another material


@dataclass(frozen=True)
class _Material:
    truth_id: str
    kind: _MaterialKind
    params: tuple[str, ...]

    @property
    def spec(self) -> str:
        names = [k for k, _ in self.kind.params]
        return self.kind.spec.format(**dict(zip(names, self.params, strict=True)))


def _materials(n: int, rng: random.Random) -> list[_Material]:
    capacity = sum(math.prod(len(o) for _, o in k.params) for k in MATERIAL_KINDS)
    if n > capacity // 2:
        raise ValueError(f"at most {capacity // 2} materials can be generated")
    out: list[_Material] = []
    taken: dict[tuple[str, tuple[str, ...]], None] = {}

    def add(kind: _MaterialKind, params: tuple[str, ...]) -> bool:
        if len(out) >= n or (kind.name, params) in taken:
            return False
        taken[(kind.name, params)] = None
        out.append(_Material(f"MAT{len(out) + 1:05d}", kind, params))
        return True

    while len(out) < n:
        kind = _pick(rng, MATERIAL_KINDS)
        params = tuple(_pick(rng, options) for _, options in kind.params)
        if not add(kind, params):
            continue
        if rng.random() < MATERIAL_NEIGHBOUR_RATE:  # M8*30 next to M8*35
            i = rng.randrange(len(params))
            alt = _pick(rng, kind.params[i][1])
            add(kind, params[:i] + (alt,) + params[i + 1 :])
    return out


def _spec_copy(spec: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return spec
    if r < 0.65:
        return spec.replace("*", _pick(rng, ("×", "X", "x")))
    if r < 0.75:
        return spec.replace(" ", "")
    if r < 0.85:
        tokens = spec.split(" ")
        return " ".join(tokens[1:] + tokens[:1]) if len(tokens) > 1 else spec
    if r < 0.92:
        return spec.replace(" ", _pick(rng, ("  ", ",", "，", "/")))
    return spec.translate(_FULL_WIDTH_DIGITS) if rng.random() < 0.5 else spec.lower()


def _render_material(mat: _Material, original: bool, rng: random.Random) -> dict[str, str]:
    k = mat.kind
    # The first record follows the master-data rules; duplicates were created by other
    # plants or in a hurry, with their own naming habits.
    if original:
        return {
            "name": k.name,
            "spec": mat.spec,
            "material_group": k.group,
            "base_uom": k.uom,
            "material_type": k.mtype,
        }
    return {
        "name": _pick(rng, k.synonyms) if rng.random() < 0.5 else k.name,
        "spec": _spec_copy(mat.spec, rng),
        "material_group": k.other_group if rng.random() < 0.3 else k.group,
        "base_uom": _pick(rng, k.uom_variants) if rng.random() < 0.4 else k.uom,
        "material_type": MATERIAL_TYPE_NAMES[k.mtype] if rng.random() < 0.15 else k.mtype,
    }


MATERIAL_DEPTS = ("MM01", "MM02", "MM03")  # plants / purchasing departments


def generate_materials(n: int, *, seed: int = 42) -> list[SynthRecord]:
    """ERP material master records of `n` real materials, with in-system duplicates."""
    if n < 0:
        raise ValueError("n must not be negative")
    rng = random.Random(seed)
    copies: list[tuple[_Material, bool]] = []
    for mat in _materials(n, rng):
        copies.append((mat, True))
        if rng.random() < MATERIAL_DUPLICATE_RATE:
            copies.append((mat, False))
            if rng.random() < 0.2:
                copies.append((mat, False))
    rng.shuffle(copies)
    serial = rng.randrange(1000, 5000)
    records = []
    for mat, original in copies:
        serial += _randint(rng, 1, 3)
        code = f"{_pick(rng, MATERIAL_DEPTS)}-{serial:06d}"
        records.append(
            SynthRecord(
                "ERP", "materials", code, _render_material(mat, original, rng), mat.truth_id
            )
        )
    return _sorted_records(records, ("ERP",))
