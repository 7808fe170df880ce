"""What the listed-company set's names allow at all: how many English names the alignment
explains (``matching.normalize.latin``), how many share not even a sound key with their Chinese
name, and how many former short names are cut from the current legal name
(``normalize.abbreviates``) and fit it alone among all legal names. Names only, no hub: the
bound of ``bench_real --sets cn_companies`` that no rule on names can pass."""

from __future__ import annotations

from collections import Counter

from matching.normalize import abbreviates, company_name_parts
from matching.normalize.latin import FULL, TRADE, chinese_keys, latin_keys, latin_relation
from mdm.devtools.benchmarks.real.companies_cn import _companies


def name_bounds() -> dict[str, Counter]:
    companies = _companies()
    legal = [company_name_parts(str(c["legal"])) for c in companies]
    english: Counter = Counter()
    for company, chinese in zip(companies, legal, strict=True):
        if not company["english"]:
            continue
        latin = company_name_parts(str(company["english"]))
        relation = latin_relation(latin, chinese)
        shares_key = bool(set(latin_keys(latin)) & set(chinese_keys(chinese)))
        english["names"] += 1
        if relation == FULL:
            english["explained word for character (FULL)"] += 1
        elif relation == TRADE:
            english["trade name explained (TRADE)"] += 1
        elif shares_key:
            english["a sound key shared, not explained"] += 1
        else:
            english["no sound key, nothing explained (brand, rename)"] += 1
    former: Counter = Counter()
    for index, company in enumerate(companies):
        if not company["former"]:
            continue
        short = company_name_parts(str(company["former"]))
        fits = [i for i, long in enumerate(legal) if abbreviates(short, long)]
        former["names"] += 1
        if index in fits:
            former["cut from the current legal name"] += 1
            if len(fits) == 1:
                former["... and fits no other legal name"] += 1
        elif not fits:
            former["fits no legal name (a rename)"] += 1
        else:
            former["fits only other companies' names"] += 1
    return {
        "English names (CN_SHOP) against the legal name": english,
        "former short names (CN_OLDCRM)": former,
    }
