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
"""

from __future__ import annotations

from matching.engine import Features
from matching.models import BlockKey
from matching.normalize import CompanyName, company_name_parts, short_name_block, short_name_of
from mdm.models import SourceRecord
from mdm.services.batch_pairs import WEAK_BLOCK
from mdm.services.crypto import matching_view

__all__ = ["ShortNames"]


class ShortNames:
    """Answers, for review pairs of one batch run, whether one record's name is a short name
    that can stand for the other's company only. The records under a short core's key are read
    once per run (one query a key, only for pairs that reach review with a short name)."""

    def __init__(self, entity: str):
        self.entity = entity
        # key -> (record id, golden code, parsed name) of its records; None: too common.
        self._blocks: dict[str, list[tuple[int, str, CompanyName]] | None] = {}

    def stands_for_one(
        self, left: Features, left_golden: str, right: Features, right_golden: str
    ) -> bool:
        """True when one of the two names is a short name of the other (``short_name_of``) and
        every record under its key that is not another holder of the same short name belongs
        to the long name's golden record."""
        if self.entity != "customers" or "person" in (left.kind, right.kind):
            return False
        a = company_name_parts(left.attrs.get("name", ""))
        b = company_name_parts(right.attrs.get("name", ""))
        short = short_name_of(a, b)
        if short is None:
            return False
        long_golden = right_golden if short is a else left_golden
        members = self._members(short_name_block(short))
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

    def _members(self, key: str) -> list[tuple[int, str, CompanyName]] | None:
        if key in self._blocks:
            return self._blocks[key]
        ids = list(
            BlockKey.objects.filter(entity=self.entity, key=key)
            .order_by("record_id")
            .values_list("record_id", flat=True)[: WEAK_BLOCK + 1]
        )
        found: list[tuple[int, str, CompanyName]] | None = None
        if len(ids) <= WEAK_BLOCK:
            found = []
            rows = SourceRecord.objects.filter(pk__in=ids, is_active=True).values_list(
                "pk", "golden_code", "attributes", "blind_index"
            )
            for pk, golden, attributes, index in rows:
                name = matching_view(attributes, index).get("name") or ""
                found.append((pk, golden, company_name_parts(name)))
        self._blocks[key] = found
        return found
