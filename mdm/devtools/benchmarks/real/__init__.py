"""Real public data sets through the hub's public path, next to Splink 5 (`bench_real`).

One module per topic: ``persons`` (RLdata, Febrl4), ``restaurants`` (Fodors–Zagat), and the
shared pieces: ``hubpath`` (import -> match -> crosswalk + queue), ``metrics`` (pure scoring),
``base`` (a set and Splink's run), ``packages`` (data files of packages that do not install).
"""

from __future__ import annotations

from collections.abc import Callable

from mdm.devtools.benchmarks.real import companies_cn, persons, restaurants
from mdm.devtools.benchmarks.real.base import RealSet
from mdm.devtools.benchmarks.real.packages import SetSkipped


def dblp_acm() -> RealSet:
    """DBLP–ACM (py-entitymatching) is not run: see the reason."""
    raise SetSkipped(
        "bibliographic records (title, authors, venue, year) have no counterpart among the "
        "hub's entities: as products, the products rule would weigh model numbers, GTINs, "
        "brands and units that papers do not have, and the authors would have no element; the "
        "figure would measure a title-only fuzzy compare under a rule built for goods, not "
        "the hub"
    )


SETS: dict[str, Callable[[], RealSet]] = {
    "rldata500": lambda: persons.rldata(500),
    "rldata10000": lambda: persons.rldata(10000),
    "febrl4": persons.febrl4,
    "fodors_zagat": restaurants.fodors_zagat,
    "cn_companies": companies_cn.cn_companies,
    "dblp_acm": dblp_acm,
}
