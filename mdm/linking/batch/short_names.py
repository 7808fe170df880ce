"""The batch match's short-name rule: a short name (简称) that is the only company name in the
hub it can stand for links to it automatically, as it does in real time
(``MatchingLinker._stands_for_one``).

A CRM holds 大族激光, the ERP 大族激光科技产业集团股份有限公司. The names alone score for review: a
short name may stand for several companies (宁波富邦 for 宁波富邦精业 and a 宁波富邦电器). Whether
it does is a question of the hub's other names: every name a short name can stand for carries
the short core as a block key (``matching.keys``: ``nm:`` + each short form), so the records
under ``nm:大族激光`` are all the companies it can name. In real time the records already linked
tell; in a batch, where nothing is linked yet, the rule is: apart from records that hold the
same short name themselves (another CRM's 大族激光), every record under that key is in the
golden record of the long name. A block too common to be read whole is never unique.

English names (``transliterates_one``): ``Haoyun Technologies`` transliterates the trade name
of 广州市浩云安防科技股份有限公司. Homophones are many, so without a region the pair scores below
review; the batch queues it when the Chinese names under the ``py:`` key of that word spell it
one way only and are one company. Evidence for a steward, never for a link.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.db import connection

from matching.compare import compare_company_name
from matching.engine import Decision, Features
from matching.models import BlockKey
from matching.normalize import (
    CompanyName,
    abbreviates,
    abbreviation_key,
    company_name_parts,
    is_pinyin,
    is_short_form,
    pinyin_of,
    short_name_block,
    short_name_of,
    transliterates_trade_name,
)
from matching.normalize.latin import FULL, latin_keys, latin_relation
from mdm.db.bulk_sql import column_of, concrete_field
from mdm.linking.batch.pairs import WEAK_BLOCK
from mdm.models import SourceRecord
from mdm.privacy.crypto import matching_view

__all__ = ["ShortNames"]

#: The company-name similarity of a transliterated trade name (``matching.compare``): an
#: English name whose trade name the comparator did not find, or found in another trade, is
#: not proposed.
TRANSLITERATED = 0.86


class ShortNames:
    """Answers, for review pairs of one batch run, whether one record's name is a short name
    that can stand for the other's company only. The records under a short core's key are read
    once per run (one query a key, only for pairs that reach review with a short name)."""

    def __init__(self, entity: str):
        self.entity = entity
        # key -> (record id, golden code, parsed name) of its records; None: too common.
        self._blocks: dict[str, list[tuple[int, str, CompanyName]] | None] = {}
        # English name -> whether the Chinese names it explains are one company (per run).
        self._explains_one: dict[CompanyName, bool] = {}
        # Short name -> whether the names it abbreviates are one company (per run).
        self._abbreviates_one: dict[CompanyName, bool] = {}

    def decide(self, decision: Decision, left, right) -> Decision:
        """A pair's decision after the batch's name rules (``left``/``right``: the scorer's
        records, with ``features`` and ``golden_code``): a short name that can stand for one
        company only links; an English name or an abbreviation that fits one company only, or
        a transliterated trade name, is queued. The batch match and a rule rollout's batch
        shadow both decide through here, so they cannot drift apart."""
        if decision != "auto" and self.stands_for_one(
            left.features, left.golden_code, right.features, right.golden_code
        ):
            return "auto"
        if decision == "new" and (
            self.transliterates_one(left.features, right.features)
            or self.reads_as_one(left.features, right.features)
            or self.abbreviates_one(left.features, right.features)
        ):
            return "review"
        return decision

    def stands_for_one(
        self, left: Features, left_golden: str, right: Features, right_golden: str
    ) -> bool:
        """True when one of the two names is a short name of the other (``short_name_of``) and
        every record under its key that is not another holder of the same short name belongs
        to the long name's golden record."""
        if self.entity != "customers" or "person" in (left.kind, right.kind):
            return False
        a = left.company_name
        b = right.company_name
        short = short_name_of(a, b)
        if short is None:
            return False
        long_golden, long_ = (right_golden, b) if short is a else (left_golden, a)
        members = self._members(short_name_block(short, long_))
        if members is None:
            return False
        others = {
            golden
            for _pk, golden, parts in members
            if not (
                parts.core == short.core
                and parts.region_code == short.region_code
                and parts.legal_form == short.legal_form
            )
        }
        return others == {long_golden}

    def transliterates_one(self, left: Features, right: Features) -> bool:
        """True when one name is Latin, the other Chinese, and the Latin name's first word is
        the transliterated trade name of the Chinese one (``Haoyun Technologies`` /
        广州市浩云安防科技股份有限公司: ``normalize.transliterates_trade_name``) that no other
        trade name in the hub is read as: among the Chinese names under the key ``py:`` +
        that word, one string of characters has that sound (浩云, not also 豪运). Homophones
        are many, so this is evidence for review, never for a link."""
        if self.entity != "customers" or "person" in (left.kind, right.kind):
            return False
        a = left.company_name
        b = right.company_name
        if a.is_latin == b.is_latin:
            return False
        latin, chinese = (a, b) if a.is_latin else (b, a)
        if not (transliterates_trade_name(latin, chinese) or is_short_form(latin, chinese)):
            return False
        similarity = compare_company_name(left.attrs.get("name"), right.attrs.get("name"))
        if (similarity or 0.0) < TRANSLITERATED:
            return False  # another trade (Pharmaceutical / 国际): see ``matching.compare``
        word = latin.core.split()[0]
        if len(word) < 4 or not is_pinyin(word):
            return False
        members = self._members("py:" + word)
        if members is None:
            return False
        holders = {
            parts.core[:n]: parts
            for _pk, _golden, parts in members
            if not parts.is_latin
            for n in (2, 3, 4)
            if n <= len(parts.core) and pinyin_of(parts.core[:n]) == word
        }
        if len(holders) != 1:
            return False  # 浩云 and 豪运: the word says which of several
        names = [
            parts
            for _pk, _golden, parts in members
            if not parts.is_latin and any(parts.core.startswith(start) for start in holders)
        ]
        return _one_company(names)

    def abbreviates_one(self, left: Features, right: Features) -> bool:
        """True when one Chinese name abbreviates the other as stock short names and former
        short names do (``normalize.abbreviates``: 创元 / 创元科技股份有限公司, 江铜 / 江西铜业)
        and, among the names under its keys, the names it abbreviates are one company. Two
        characters fit many companies: evidence for review, never for a link."""
        if self.entity != "customers" or "person" in (left.kind, right.kind):
            return False
        a = left.company_name
        b = right.company_name
        if a.is_latin or b.is_latin:
            return False
        if abbreviates(a, b):
            short = a
        elif abbreviates(b, a):
            short = b  # 江铜 / 江西铜业: the cores (江铜, 铜业) are equally long
        else:
            return False
        found = self._abbreviates_one.get(short)
        if found is None:
            found = self._abbreviates_one[short] = self._abbreviated_are_one(short)
        return found

    def _abbreviated_are_one(self, short: CompanyName) -> bool:
        """Whether the names a short name abbreviates, under its keys, are one company: the
        same for every pair of that short name, so read once a run."""
        names: dict[int, CompanyName] = {}
        for key in ("nm:" + short.core[:2], abbreviation_key(short)):
            for pk, _golden, parts in self._members(key) or ():
                if parts.core != short.core and abbreviates(short, parts):
                    names[pk] = parts
        return bool(names) and _one_company(list(names.values()))

    def reads_as_one(self, left: Features, right: Features) -> bool:
        """True when one name is Latin, the other Chinese, the Latin name explains the Chinese
        one word for character (``normalize.latin``: ``Lu Thai Textile`` / 鲁泰纺织股份有限公司,
        ``Beijing Orient Landscape`` / 北京东方园林), and the Chinese names it explains that
        way under its sound keys are one company (its legal name and its short names). Evidence
        for review, not for a link: measured on listed companies, linking these cost more
        auto-link precision than it gained in reach (docs/benchmarks.md)."""
        if self.entity != "customers" or "person" in (left.kind, right.kind):
            return False
        a = left.company_name
        b = right.company_name
        if a.is_latin == b.is_latin:
            return False
        latin, chinese = (a, b) if a.is_latin else (b, a)
        if latin_relation(latin, chinese) != FULL:
            return False
        found = self._explains_one.get(latin)
        if found is None:
            found = self._explains_one[latin] = self._explained_are_one(latin)
        return found

    def _explained_are_one(self, latin: CompanyName) -> bool:
        """Whether the Chinese names an English name explains fully, under its sound keys, are
        one company: the same for every pair of that name, so read once a run."""
        names: dict[int, CompanyName] = {}
        for key in latin_keys(latin):
            for pk, _golden, parts in self._members("tl:" + key) or ():
                if not parts.is_latin and latin_relation(latin, parts) == FULL:
                    names[pk] = parts
        return bool(names) and _one_company(list(names.values()))

    def _members(self, key: str) -> list[tuple[int, str, CompanyName]] | None:
        """The records under ``key`` with their golden codes and parsed names, or None past
        ``WEAK_BLOCK`` records; read once a run per key, in one query (a real queue of listed
        companies asks some 4,000 keys)."""
        if key in self._blocks:
            return self._blocks[key]
        with connection.cursor() as cursor:
            cursor.execute(_members_sql(), [self.entity, key, WEAK_BLOCK + 1])
            rows = cursor.fetchall()
        found: list[tuple[int, str, CompanyName]] | None = None
        if len(rows) <= WEAK_BLOCK:
            found = []
            for pk, golden, attributes, index, active in rows:
                if not active:
                    continue
                name = matching_view(_decoded(attributes), _decoded(index)).get("name") or ""
                found.append((pk, golden, company_name_parts(name)))
        self._blocks[key] = found
        return found


@functools.cache
def _members_sql() -> str:
    """The records indexed under a key (at most a limit), by id, with what ``_members`` reads."""
    qn = connection.ops.quote_name
    key_table, record_table = BlockKey._meta.db_table, SourceRecord._meta.db_table
    b = {
        name: qn(column_of(concrete_field(BlockKey, name))) for name in ("entity", "key", "record")
    }
    r = {
        name: qn(column_of(concrete_field(SourceRecord, name)))
        for name in ("id", "golden_code", "attributes", "blind_index", "is_active")
    }
    return (
        f"SELECT b.{b['record']}, r.{r['golden_code']}, r.{r['attributes']}, "
        f"r.{r['blind_index']}, r.{r['is_active']} "
        f"FROM {qn(key_table)} b JOIN {qn(record_table)} r ON r.{r['id']} = b.{b['record']} "
        f"WHERE b.{b['entity']} = %s AND b.{b['key']} = %s ORDER BY b.{b['record']} LIMIT %s"
    )


def _decoded(value: Any) -> Any:
    """A JSON column as the database driver returned it: text (SQLite, Django's psycopg
    set-up) or already decoded."""
    return json.loads(value) if isinstance(value, str) else value


def _one_company(names: list[CompanyName]) -> bool:
    """Whether Chinese names that start with one trade name are plausibly one company: at most
    one registered name (a legal form other than a stock name's 集团/股份) among them, every
    other name its short name or its very core (北京华联综合超市 and 北京华联商厦 are two)."""
    registered = {
        (n.region_code, n.core) for n in names if n.legal_form not in ("", "集团", "股份")
    }
    if len(registered) > 1:
        return False
    if not registered:
        return len({n.core for n in names}) == 1
    long_ = next(n for n in names if (n.region_code, n.core) in registered)
    return all(
        (n.region_code, n.core) in registered or short_name_of(n, long_) is n or _start_of(n, long_)
        for n in names
    )


def _start_of(name: CompanyName, long_: CompanyName) -> bool:
    """A name without a legal form or branch of its own that starts the registered name's
    core with its whole trade name (正虹科技 and 正虹 of 湖南正虹科技发展, 华信科技 of 北京华信
    科技): too short a hold on the company to stand for it alone (``short_name_of``: another
    正虹科技 may be registered elsewhere, other cities' registries hold 华信科技), but, with no
    other registered name beside it, the same company's name as far as review evidence goes.
    Not a part of the trade name (天源 of 天源迪科信息技术), not in another region."""
    return (
        name.legal_form in ("", "集团", "股份")
        and not name.is_latin
        and not name.branch
        and len(long_.distinctive) <= len(name.core) <= len(long_.core)
        and name.core.startswith(long_.distinctive)
        and long_.core.startswith(name.core)
        and (not name.region_code or name.region_nests(long_))
    )
