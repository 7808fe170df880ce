"""Real-time matching in the write path: candidates from the block-key index, scored in Python.

For a batch of upserts the linker
1. prepares every record's features and blocking keys (``matching.engine.prepare``),
2. fetches all candidates of all records in ONE query: the record ids of each key, at most
   ``REALTIME_BLOCK + 1`` index rows per key (a key with more is too common here: skipped and
   counted, left to the batch), and, once each, the source records that some record of the
   batch will be scored against (see :func:`pick_candidates`), if active and of an active
   golden record; a candidate's features are prepared when it is first scored (not at all
   when a veto decides first),
3. decides each record in order: scores it against its picked candidates and the batch's
   earlier records, groups the scores by golden record, refuses a golden record it has a veto
   with (different valid credit codes, branch vs head office…) or a steward-rejected pair in,
   and links (``auto``), queues a review (``review``: new golden record + a MatchCandidate) or
   creates a new golden record (``new``); only the pairs it reports are scored with their
   explanation,
4. after the records are stored, replaces their block keys and writes review candidates.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connection, connections
from django.db.models import Q

from dictionary.models import DataElement, ElementBinding
from matching.engine import (
    ATTRIBUTE_VETO,
    Compared,
    Features,
    Record,
    RecordId,
    comparison_signature,
    decide_compared,
    explain_compared,
    fit_rule,
    prepare,
    prepare_all,
)
from matching.models import (
    BlockKey,
    MatchCandidate,
    MatchCandidateStatusChoices,
    MatchRuleChange,
    MatchRuleChangeKindChoices,
    MatchRuleConfig,
    MatchRuleRollout,
    MatchRuleRolloutStageChoices,
)
from matching.normalize import company_name_parts, short_name_block, short_name_of
from matching.rules import DEFAULT_RULES, MatchRule, rule_from_dict, rule_to_dict
from mdm.db.bulk_sql import column_of, concrete_field
from mdm.db.forking import can_fork
from mdm.models import SourceRecord, SourceRecordLinkChoices, golden_model
from mdm.privacy.crypto import PREFIX, matching_view
from mdm.privacy.masking import mask_explanation
from mdm.records.aliases import alias_key, alias_names, goldens_of_keys

#: A key shared by more records than this is too common to block on (e.g. a frequent surname).
MAX_BLOCK = 200
#: The real-time path is stricter: a key shared by more records than this is left to the batch.
REALTIME_BLOCK = 50
#: A record is scored against at most MAX_CANDIDATES candidates, ranked by the number of keys
#: they share with it, then by the size of the smallest block they share (rarer is better); of
#: those sharing only one or two keys (a trigram of a name, a postal code…), only the first
#: FEW_KEYS_CANDIDATES[n]. In an import of 3,000 records against 120,000 without the caps,
#: 41,560 of the 61,000 pairs scored shared one key and 18,775 two, and 12 of the 928 auto links
#: came from such a pair: a duplicate shares its name, phone, address keys and more. Another
#: such import, rolled back and repeated with and without the caps, made the same 891 auto
#: links both ways; the other pairs of a block are what the batch match, which scores them
#: all, is for.
MAX_CANDIDATES = 30
FEW_KEYS_CANDIDATES = {1: 3, 2: 4}
#: The warning of a branch record holding its head office's credit code (quality issue kind
#: ``branch_hq_code``).
_BRANCH_HQ_ZH = "分支机构使用了总部的统一社会信用代码，匹配时不作为标识"
_BRANCH_HQ_EN = "A branch holds its head office's credit code: not used as an identifier"
BRANCH_HQ_CODE_WARNING = {
    "field": "credit_code",
    "code": "branch_hq_code",
    "message": f"{_BRANCH_HQ_ZH} / {_BRANCH_HQ_EN}",
    "message_zh": _BRANCH_HQ_ZH,
    "message_en": _BRANCH_HQ_EN,
}
#: Key families strong enough to serialize concurrent writers of the same thing on (see locks).
LOCK_FAMILIES = ("cc:", "id:", "gt:", "py:", "pn:", "pm:", "mn:")
MAX_LOCK_KEYS = 4


def load_rule(entity: str) -> MatchRule:
    """The entity's active rule from the database, else the shipped default."""
    row = MatchRuleConfig.objects.filter(entity=entity, is_active=True).first()
    if row is None:
        return DEFAULT_RULES[entity]
    rule = rule_from_dict(row.config)
    rule.auto_threshold, rule.review_threshold = row.auto_threshold, row.review_threshold
    return rule


def load_rule_for(entity: str, system: str | None) -> MatchRule:
    """The rule that links records arriving from ``system``: the candidate of a rule rollout
    enabled for that system (stage ``partial``: ``mdm.linking.rule_rollout``), else the
    entity's rule."""
    if system:
        rollout = (
            MatchRuleRollout.objects.filter(
                entity=entity, stage=MatchRuleRolloutStageChoices.PARTIAL
            )
            .only("config", "systems")
            .first()
        )
        if rollout is not None and system in rollout.systems:
            return rule_from_dict(rollout.config)
    return load_rule(entity)


def lock_keys_of(features: Features) -> list[str]:
    strong = [k for k in features.keys if k.startswith(LOCK_FAMILIES)]
    return [f"{features.entity}:{k}" for k in strong[:MAX_LOCK_KEYS]]


#: Prepared features of stored candidates, kept across the batches of this process (a stored
#: record is a candidate of many later records: in an import against 100,000 records, 4 of 10
#: preparations were of a record an earlier batch had prepared). An entry is used only while the
#: row it was prepared from is unchanged, text for text; the oldest quarter goes when full
#: (about 5 KB an entry: 200 MB per process when full).
PREPARED_CACHE_SIZE = 40_000
_prepared: dict[int, tuple[tuple, Features]] = {}


def _cached_features(entity: str, record_id: int, row: tuple) -> Features:
    hit = _prepared.get(record_id)
    if hit is not None and hit[0] == row:
        return hit[1]
    attributes, flagged, index = row
    if isinstance(attributes, str) and PREFIX not in attributes:
        # No encrypted value in the text: the view is the attributes and the indexes.
        view = _json(attributes) | (_json(index) or {})
    else:
        view = matching_view(_json(attributes), _json(index))
    features = prepare(entity, view, _json(flagged))
    if all(isinstance(part, str) for part in row):
        if len(_prepared) >= PREPARED_CACHE_SIZE:
            for old in list(_prepared)[: PREPARED_CACHE_SIZE // 4]:
                _prepared.pop(old, None)  # another thread may have dropped it already
        _prepared[record_id] = (row, features)
    return features


class StoredRecord:
    """A stored candidate as the index returned it; its features are prepared on first use."""

    __slots__ = ("id", "golden_code", "_features", "_row")

    def __init__(self, record_id: int, golden_code: str, row: tuple):
        self.id, self.golden_code = record_id, golden_code
        self._features: Features | None = None
        self._row: tuple | None = row  # (attributes, flagged, blind index), JSON or decoded

    def features(self, entity: str) -> Features:
        if self._features is None:
            assert self._row is not None  # kept until the features are prepared
            self._features = _cached_features(entity, self.id, self._row)
            self._row = None
        return self._features


class Candidate:
    """A record the new one may match: stored (``stored``) or earlier in the same batch
    (``record``)."""

    __slots__ = ("entity", "golden_code", "record", "stored", "_features")

    def __init__(
        self,
        entity: str,
        golden_code: str,
        *,
        features: Features | None = None,
        record: SourceRecord | None = None,
        stored: StoredRecord | None = None,
    ):
        self.entity, self.golden_code = entity, golden_code
        self.record, self.stored, self._features = record, stored, features

    @property
    def features(self) -> Features:
        if self._features is None:
            assert self.stored is not None  # a candidate from this batch has its features
            self._features = self.stored.features(self.entity)
        return self._features

    @property
    def id(self) -> int | None:
        if self.stored is not None:
            return self.stored.id
        return self.record.pk if self.record else None


@dataclass
class LinkDecision:
    golden_code: str | None
    kind: str
    score: float | None = None
    explanation: list[dict] = field(default_factory=list)
    review_with: list[tuple[Candidate, float, list[dict]]] = field(default_factory=list)


def explain(score, *, entity: str, person: bool) -> list[dict]:
    """A pair's score as stored explanation rows, personal values masked: candidates and
    link explanations are read by every steward and kept, so they never hold a phone, an
    e-mail, a person's name or a blind index in clear (``masking.mask_explanation``)."""
    rows = [
        {
            "field": e.field,
            "left": e.left,
            "right": e.right,
            "similarity": None if e.similarity is None else round(e.similarity, 4),
            "weight": round(e.weight, 3),
            "note": e.note,
        }
        for e in score.explanation
    ]
    return mask_explanation(entity, rows, person=person)


def pick_candidates(ranked: Iterable[Sequence[Any]]) -> list[Any]:
    """The candidates a record is scored against, from ``(shared keys, smallest block shared,
    id, candidate)``: see MAX_CANDIDATES. The candidate query picks the same way in SQL."""
    picked: list[Any] = []
    taken = dict.fromkeys(FEW_KEYS_CANDIDATES, 0)
    for position, (shared, _block, _id, candidate) in enumerate(sorted(ranked, key=_rank)):
        if position >= MAX_CANDIDATES:
            break
        if shared in taken:
            taken[shared] += 1
            if taken[shared] > FEW_KEYS_CANDIDATES[shared]:
                continue
        picked.append(candidate)
    return picked


def _rank(item: Sequence[Any]) -> tuple[int, int, int]:
    return -item[0], item[1], item[2]


#: One round trip. Rows with a key: per key, the ids of at most REALTIME_BLOCK + 1 records
#: indexed under it. Rows without: once each, the records some record of the batch picks
#: among the ids of its keys that are not too common (as :func:`pick_candidates` does), if
#: active and of an active golden record. ``wanted`` pairs each key with the batch position of
#: the record that has it and that record's own id (0 when new), which is no candidate of itself.
_CANDIDATES_SQL = """
WITH wanted AS MATERIALIZED (
    SELECT * FROM unnest(%s::int[], %s::bigint[], %s::text[]) AS w(position, self_id, key)
),
hits AS MATERIALIZED (
    SELECT k.key, ARRAY(
        SELECT b.record_id FROM matching_blockkey b
        WHERE b.entity = %s AND b.key = k.key LIMIT %s
    ) AS ids
    FROM (SELECT DISTINCT key FROM wanted) AS k
),
shared AS (
    SELECT w.position, c.id, count(*) AS keys, min(cardinality(h.ids)) AS block
    FROM wanted w
    JOIN hits h ON h.key = w.key AND cardinality(h.ids) <= %s
    CROSS JOIN LATERAL unnest(h.ids) AS c(id)
    WHERE c.id <> w.self_id
    GROUP BY w.position, c.id
),
ranked AS (
    SELECT id, keys,
        row_number() OVER (PARTITION BY position ORDER BY keys DESC, block, id) AS place,
        row_number() OVER (PARTITION BY position, keys ORDER BY block, id) AS place_among_equals
    FROM shared
)
SELECT key, ids, NULL, NULL, NULL, NULL, NULL FROM hits
UNION ALL
SELECT NULL, NULL, r.id, r.golden_code, r.attributes, r.flagged, r.blind_index
FROM mdm_sourcerecord r
JOIN {golden} g ON g.code = r.golden_code
WHERE r.id = ANY(ARRAY(
    SELECT DISTINCT id FROM ranked
    WHERE place <= %s AND place_among_equals <= COALESCE((%s::jsonb ->> keys::text)::int, %s)
)) AND r.is_active AND g.status = 'active'
"""


#: JSON texts of the empty values most candidates have (no flagged element, no blind index).
_EMPTY_JSON: dict[str, Any] = {"[]": [], "{}": {}}


def _json(value):
    if not isinstance(value, str):
        return value
    empty = _EMPTY_JSON.get(value)
    if empty is not None:
        return type(empty)()
    return json.loads(value)


@dataclass
class StoredCandidates:
    """What the index holds for a set of keys: the stored records under each usable key, the
    active ones of those records (of active golden records), and the keys too common to use."""

    hits: dict[str, list[int]] = field(default_factory=dict)
    records: dict[int, StoredRecord] = field(default_factory=dict)
    common: set[str] = field(default_factory=set)


def _fetch_candidates(
    entity: str, wanted: Sequence[tuple[int | None, Collection[str]]]
) -> StoredCandidates:
    """The stored candidates of a batch whose records are ``(own id or None, keys)``, in one
    query. PostgreSQL reads at most REALTIME_BLOCK + 1 index rows per key, and sends each
    picked candidate once, however many records pick it. Features are prepared when first
    needed, from the attributes as matching sees them (blind indexes in place of encrypted
    values)."""
    found = StoredCandidates()
    keys = {k for _, record_keys in wanted for k in record_keys}
    if not keys:
        return found
    model = golden_model(entity)
    if connection.vendor != "postgresql":
        return _fetch_candidates_orm(entity, keys)
    now = time.monotonic()
    found.common = {
        k for k in keys if now - _common_keys.get((entity, k), -COMMON_KEY_TTL) < COMMON_KEY_TTL
    }
    positions: list[int] = []
    self_ids: list[int] = []
    pairs: list[str] = []
    for position, (own_id, record_keys) in enumerate(wanted):
        for key in record_keys:
            if key not in found.common:
                positions.append(position)
                self_ids.append(own_id or 0)
                pairs.append(key)
    with connection.cursor() as cursor:
        cursor.execute(
            _CANDIDATES_SQL.format(golden=model._meta.db_table),
            [
                positions,
                self_ids,
                pairs,
                entity,
                REALTIME_BLOCK + 1,
                REALTIME_BLOCK,
                MAX_CANDIDATES,
                json.dumps(FEW_KEYS_CANDIDATES),
                MAX_CANDIDATES,
            ],
        )
        for key, ids, record_id, code, attributes, flagged, index in cursor.fetchall():
            if key is None:
                # Django's psycopg setup hands jsonb back as text (its JSONField decodes it).
                row = (attributes, flagged, index)
                found.records[record_id] = StoredRecord(record_id, code, row)
            elif len(ids) > REALTIME_BLOCK:
                found.common.add(key)
                _remember_common(entity, key, now)
            elif ids:
                found.hits[key] = ids
    return found


#: Keys found too common, with when (``time.monotonic()``): not looked up again for
#: ``COMMON_KEY_TTL`` seconds. A common surname or name n-gram comes back in every batch of an
#: import, and reading its REALTIME_BLOCK + 1 index rows only to learn that it is too common
#: was most of what the candidate query read (a batch of 500 records against over 100,000: 553 of
#: its 3,281 keys too common, 28,000 of the 39,000 index rows read). A key rarely stops being
#: common; when it does, it is looked up again within minutes.
COMMON_KEY_TTL = 600.0
COMMON_KEYS_MAX = 200_000
_common_keys: dict[tuple[str, str], float] = {}


def _remember_common(entity: str, key: str, now: float) -> None:
    if len(_common_keys) >= COMMON_KEYS_MAX:
        for old in list(_common_keys)[: COMMON_KEYS_MAX // 4]:
            _common_keys.pop(old, None)
    _common_keys[(entity, key)] = now


def _fetch_candidates_orm(entity: str, keys: Collection[str]) -> StoredCandidates:
    """The embedded SQLite demo: the same answer through the ORM."""
    model = golden_model(entity)
    found = StoredCandidates()
    hits: dict[str, list[int]] = defaultdict(list)
    for key, record_id in BlockKey.objects.filter(entity=entity, key__in=keys).values_list(
        "key", "record_id"
    ):
        hits[key].append(record_id)
    for key, ids in hits.items():
        if len(ids) > REALTIME_BLOCK:
            found.common.add(key)
        else:
            found.hits[key] = ids
    rows = SourceRecord.objects.filter(
        pk__in={i for ids in found.hits.values() for i in ids},
        is_active=True,
        golden_code__in=model.objects.active().values("code"),
    ).values_list("pk", "golden_code", "attributes", "flagged", "blind_index")
    for record_id, code, attributes, flagged, index in rows:
        found.records[record_id] = StoredRecord(record_id, code, (attributes, flagged, index))
    return found


class MatchingLinker:
    """Links the records of one batch (see the module docstring)."""

    def __init__(self, entity: str, system: str | None = None):
        self.entity = entity
        # The records' source system: a rule rollout enabled for it links them (load_rule_for).
        self.system = system
        self.index: dict[str, list[Candidate]] = defaultdict(list)
        self.features: dict[str, Features] = {}
        self._stored: dict[int, Candidate] = {}
        self._batch: list[Candidate] = []
        self.rejected: set[tuple[int, int]] = set()
        self.skipped_keys: set[str] = set()
        self.block_sizes: dict[str, int] = {}  # key -> stored records under it (hits)
        self.pending_candidates: list[tuple[SourceRecord, Candidate, float, list[dict]]] = []
        # Steward-confirmed names (mdm.records.aliases): alias key -> golden codes known by it.
        self.alias_goldens: dict[str, set[str]] = {}
        # Branch records found holding their head office's credit code: local code -> warning.
        self.extra_warnings: dict[str, list[dict[str, str]]] = {}

    @cached_property
    def rule(self) -> MatchRule:
        """Read when a record is first decided: a batch of updates keeping their links needs none."""
        return load_rule_for(self.entity, self.system)

    def prepare_batch(self, items: Iterable[tuple[str, dict, list]]) -> None:
        """Features of the batch's records, keyed by local code: ``(local_code, attrs, flagged)``."""
        for local_code, attrs, flagged in items:
            self.features[local_code] = prepare(self.entity, attrs, flagged)

    def features_of(self, record: SourceRecord) -> Features:
        found = self.features.get(record.local_code)
        if found is None:
            found = prepare(
                self.entity, matching_view(record.attributes, record.blind_index), record.flagged
            )
            self.features[record.local_code] = found
        return found

    def lock_keys(self) -> list[str]:
        return [k for f in self.features.values() for k in lock_keys_of(f)]

    def lock_keys_of(self, local_code: str) -> list[str]:
        return lock_keys_of(self.features[local_code])

    def forget(self, local_codes: Collection[str]) -> None:
        """Leave records of the batch out (their upsert is deferred)."""
        for local_code in local_codes:
            self.features.pop(local_code, None)

    def prefetch(self, records: Sequence[SourceRecord]) -> None:
        """The stored candidates of all records (one query), and their rejected pairs."""
        found = _fetch_candidates(self.entity, [(r.pk, self.features_of(r).keys) for r in records])
        self.skipped_keys |= found.common
        for key, ids in found.hits.items():
            self.block_sizes[key] = len(ids)
            for record_id in ids:
                candidate = self._stored.get(record_id)
                if candidate is None:
                    stored = found.records.get(record_id)
                    if stored is None:  # retired, or its golden record is not active
                        continue
                    candidate = Candidate(self.entity, stored.golden_code, stored=stored)
                    self._stored[record_id] = candidate
                self.index[key].append(candidate)
        self.alias_goldens = goldens_of_keys(
            self.entity, {k for r in records for k in self._alias_keys(r)}
        )
        ids = [r.pk for r in records if r.pk]
        if ids:
            rejected = MatchCandidate.objects.filter(
                Q(left_id__in=ids) | Q(right_id__in=ids),
                status=MatchCandidateStatusChoices.REJECTED,
            ).values_list("left_id", "right_id")
            self.rejected = {(left, right) for left, right in rejected}

    def _is_rejected(self, record: SourceRecord, candidate: Candidate) -> bool:
        if not record.pk or candidate.id is None:
            return False
        pair = (min(record.pk, candidate.id), max(record.pk, candidate.id))
        return pair in self.rejected

    def decide(self, record: SourceRecord) -> LinkDecision:
        features = self.features_of(record)
        shared: dict[int, list] = {}  # id(candidate) -> [keys shared, smallest block, id, it]
        for key in features.keys:
            block = self.block_sizes.get(key, 0)
            for candidate in self.index.get(key, ()):
                if candidate.record is record or (record.pk and candidate.id == record.pk):
                    continue
                rank = shared.get(id(candidate))
                if rank is None:
                    shared[id(candidate)] = [1, block, candidate.id or 0, candidate]
                else:
                    rank[0] += 1
                    rank[1] = min(rank[1], block)
        by_golden: dict[str, list[tuple[float, str, Candidate, Compared | None]]] = defaultdict(
            list
        )
        vetoed: set[str] = set()
        # The first candidate refused for a conflicting goods attribute: a record that becomes
        # a new golden record because of it is explained against it (which attribute differs).
        conflicting: tuple[float, str, Candidate, Compared | None] | None = None
        for candidate in pick_candidates(shared.values()):
            if self._is_rejected(record, candidate):
                vetoed.add(candidate.golden_code)
                continue
            # The decision without its explanation: only the pairs reported below are explained,
            # from what this comparison found.
            decision, score, veto, compared = decide_compared(
                self.rule, features, candidate.features
            )
            if veto:
                vetoed.add(candidate.golden_code)
                if conflicting is None and veto.startswith(ATTRIBUTE_VETO):
                    conflicting = (score, decision, candidate, compared)
            by_golden[candidate.golden_code].append((score, decision, candidate, compared))
        ranked = sorted(
            (
                (max(s[0] for s in scores), code, scores)
                for code, scores in by_golden.items()
                if code not in vetoed
            ),
            key=lambda item: (-item[0], item[1]),
        )
        if not (ranked and max(ranked[0][2], key=lambda s: s[0])[1] == "auto"):
            by_alias = self._alias_link(record, features, by_golden, vetoed)
            if by_alias is not None:
                return by_alias
        if not ranked:
            if conflicting is not None:
                return LinkDecision(
                    None, SourceRecordLinkChoices.NEW, 0.0, self._explain(features, conflicting)
                )
            return LinkDecision(None, SourceRecordLinkChoices.NEW)
        best_score, best_code, scores = ranked[0]
        best = max(scores, key=lambda s: s[0])
        if best[1] == "auto":
            return LinkDecision(
                best_code,
                SourceRecordLinkChoices.AUTO,
                best_score,
                self._explain(features, best),
            )
        if best[1] == "review" and self._stands_for_one(record, features, best_code, best):
            note = {
                "field": "name",
                "left": features.raw.get("name"),
                "right": None,
                "similarity": None,
                "weight": 0.0,
                "note": "hard rule: the only company in the hub this name can stand for",
            }
            explanation = [note, *self._explain(features, best)]
            return LinkDecision(best_code, SourceRecordLinkChoices.AUTO, best_score, explanation)
        reviews = []
        for score_value, _code, group in ranked[:3]:
            top = max(group, key=lambda s: s[0])
            if top[1] == "review":
                reviews.append((top[2], score_value, self._explain(features, top)))
        if reviews:
            return LinkDecision(
                None, SourceRecordLinkChoices.REVIEW, best_score, reviews[0][2], reviews
            )
        # A new golden record, explained against the candidate that came closest.
        return LinkDecision(
            None, SourceRecordLinkChoices.NEW, best_score, self._explain(features, best)
        )

    def _alias_keys(self, record: SourceRecord) -> set[str]:
        features = self.features_of(record)
        names = alias_names(self.entity, features.attrs) if features.kind != "person" else []
        return {key for name in names if (key := alias_key(name))}

    def _alias_link(
        self,
        record: SourceRecord,
        features: Features,
        by_golden: Mapping[str, list],
        vetoed: Collection[str],
    ) -> LinkDecision | None:
        """An automatic link to the one golden record a steward confirmed one of the record's
        names for (see ``mdm.records.aliases``), unless a hard rule or a rejected pair stands
        between the record and any of its members; None otherwise."""
        codes = {c for k in self._alias_keys(record) for c in self.alias_goldens.get(k, ())}
        if len(codes) != 1:
            return None
        (code,) = codes
        if code in vetoed:
            return None
        # The golden record's candidates scored above had no veto (else it is in ``vetoed``);
        # its other members are scored here: any veto or rejected pair stops the link.
        scored = list(by_golden.get(code) or [])
        seen = [candidate.id for _, _, candidate, _ in scored if candidate.id]
        members = (
            SourceRecord.objects.filter(entity=self.entity, golden_code=code, is_active=True)
            .exclude(pk__in=seen)
            .order_by("pk")[:MAX_CANDIDATES]
        )
        for member in members:
            view = matching_view(member.attributes, member.blind_index)
            other = prepare(self.entity, view, member.flagged)
            candidate = Candidate(self.entity, code, features=other, record=member)
            if self._is_rejected(record, candidate):
                return None
            decision, score, veto, compared = decide_compared(self.rule, features, other)
            if veto:
                return None
            scored.append((score, decision, candidate, compared))
        if not scored:
            return None
        best = max(scored, key=lambda s: s[0])
        note = {
            "field": "name",
            "left": features.raw.get("name"),
            "right": None,
            "similarity": 1.0,
            "weight": 0.0,
            "note": "hard rule: a name the golden record is known by (steward-confirmed alias)",
        }
        return LinkDecision(
            code, SourceRecordLinkChoices.AUTO, 1.0, [note, *self._explain(features, best)]
        )

    def _stands_for_one(
        self,
        record: SourceRecord,
        features: Features,
        code: str,
        best: tuple[float, str, Candidate, Compared | None],
    ) -> bool:
        """Whether a record and its best candidate, one named by a short form of the other's
        name (大族激光 / 大族激光科技产业集团股份有限公司, 宁波富邦 / 宁波富邦精业集团股份有限公司), are
        the only company in the hub the short name can stand for: every other record under the
        short core's block key (which every legal name with that short form has) belongs to
        that one golden record (``normalize.short_name_of`` says which names may stand for
        another). A homophone or an English name never qualifies, nor a name whose block is
        too common to have been read whole."""
        compared = best[3]
        if self.entity != "customers" or features.kind == "person" or compared is None:
            return False
        parts = company_name_parts(features.attrs.get("name", ""))
        other = company_name_parts(best[2].features.attrs.get("name", ""))
        short = short_name_of(parts, other)
        if short is None:
            return False
        key = short_name_block(short, other if short is parts else parts)
        if key not in features.keys or key in self.skipped_keys:
            return False
        codes = {
            c.golden_code
            for c in self.index.get(key, ())
            if c.record is not record and not (record.pk and c.id == record.pk)
        }
        return codes == {code}

    def flag_head_office_codes(self, records: Sequence[SourceRecord]) -> None:
        """A branch (分公司…) holding the credit code of a stored record that is no branch
        holds its head office's code (a common CRM error): the code is flagged, so it neither
        links nor vetoes nor makes a block key, and a warning of its own opens a quality
        issue (``branch_hq_code``). The branch is matched on its other evidence. One query,
        for the batch's branch records with a valid code only."""
        if self.entity != "customers":
            return
        branches: dict[str, list[SourceRecord]] = defaultdict(list)
        for record in records:
            features = self.features_of(record)
            code = features.identifier("credit_code")
            if code and features.kind != "person" and features.branch:
                branches[code].append(record)
        if not branches:
            return
        keys = BlockKey.objects.filter(
            entity=self.entity, key__in=["cc:" + code for code in branches]
        ).values("record_id")
        rows = SourceRecord.objects.filter(pk__in=keys, is_active=True).values_list(
            "pk", "attributes", "flagged", "blind_index"
        )
        head_offices: set[str] = set()
        for _pk, attributes, flagged, index in rows:
            other = prepare(self.entity, matching_view(attributes, index), flagged)
            code = other.identifier("credit_code")
            if code in branches and other.kind != "person" and not other.branch:
                head_offices.add(code)
        for code in head_offices:
            for record in branches[code]:
                features = self.features_of(record)
                record.flagged = [*record.flagged, "credit_code"]
                self.features[record.local_code] = prepare(
                    self.entity, features.raw, record.flagged
                )
                self.extra_warnings[record.local_code] = [BRANCH_HQ_CODE_WARNING]

    def _explain(
        self, features: Features, scored: tuple[float, str, Candidate, Compared | None]
    ) -> list[dict]:
        _score, _decision, candidate, compared = scored
        person = "person" in (features.kind, candidate.features.kind)
        return explain(
            explain_compared(self.rule, features, candidate.features, compared),
            entity=self.entity,
            person=person,
        )

    def note_linked(self, record: SourceRecord, golden_code: str) -> None:
        """Make a record of this batch a candidate for the batch's later records."""
        features = self.features_of(record)
        candidate = Candidate(self.entity, golden_code, features=features, record=record)
        self._batch.append(candidate)
        for key in features.keys:
            if key not in self.skipped_keys:
                self.index[key].append(candidate)

    def note_review(self, record: SourceRecord, decision: LinkDecision) -> None:
        for candidate, score, explanation in decision.review_with:
            self.pending_candidates.append((record, candidate, score, explanation))

    def resolve_goldens(self, codes: Mapping[str, str]) -> None:
        """The batch candidates' placeholder golden codes became real ones (placeholder -> code)."""
        for candidate in self._batch:
            code = codes.get(candidate.golden_code)
            if code is not None:
                candidate.golden_code = code

    def after_save(self, records: Sequence[SourceRecord], *, new_ids: Collection[int] = ()) -> None:
        """Replace the block keys of the stored records (``new_ids``: just created, none yet);
        write the review candidates."""
        insert_block_keys(
            (self.entity, key, r.pk)
            for r in records
            if r.is_active and r.pk in new_ids
            for key in self.features_of(r).keys
        )
        replace_block_keys(
            self.entity,
            {
                r.pk: self.features_of(r).keys if r.is_active else ()
                for r in records
                if r.pk not in new_ids
            },
        )
        write_candidates(
            self.entity,
            [
                (record.pk, candidate.id, score, explanation)
                for record, candidate, score, explanation in self.pending_candidates
                if candidate.id is not None and candidate.id != record.pk
            ],
            origin="realtime",
        )


def insert_block_keys(rows: Iterable[tuple[str, str, int]]) -> None:
    """Add ``(entity, key, record id)`` rows to the index: one COPY on PostgreSQL (a batch of
    imports adds tens of thousands of keys), ``bulk_create`` elsewhere."""
    if connection.vendor != "postgresql":
        BlockKey.objects.bulk_create(
            [BlockKey(entity=e, key=k, record_id=r) for e, k, r in rows], batch_size=2000
        )
        return
    opts = BlockKey._meta
    columns = ", ".join(
        column_of(concrete_field(BlockKey, name)) for name in ("entity", "key", "record")
    )
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {opts.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


_REPLACE_KEYS_SQL = """
WITH wanted AS (
    SELECT * FROM unnest(%s::bigint[], %s::text[]) AS w(record_id, key)
), gone AS (
    DELETE FROM matching_blockkey b
    WHERE b.record_id = ANY(%s)
      AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.record_id = b.record_id AND w.key = b.key)
)
INSERT INTO matching_blockkey (entity, key, record_id)
SELECT %s, w.key, w.record_id FROM wanted w
WHERE NOT EXISTS (
    SELECT 1 FROM matching_blockkey b WHERE b.record_id = w.record_id AND b.key = w.key
)
"""


def replace_block_keys(entity: str, keys_of: dict[int, Sequence[str]]) -> None:
    """Make the index hold exactly ``keys_of[record id]`` for these records.

    On PostgreSQL one statement deletes the keys a record lost and adds the ones it gained:
    an update that changes no key (a new contact name) writes nothing to the index.
    """
    if not keys_of:
        return
    if connection.vendor != "postgresql":
        BlockKey.objects.filter(record_id__in=list(keys_of)).delete()
        insert_block_keys((entity, k, pk) for pk, keys in keys_of.items() for k in keys)
        return
    pairs = [(pk, key) for pk, keys in keys_of.items() for key in keys]
    with connection.cursor() as cursor:
        cursor.execute(
            _REPLACE_KEYS_SQL,
            [[pk for pk, _ in pairs], [key for _, key in pairs], list(keys_of), entity],
        )


def write_candidates(
    entity: str,
    pairs: Iterable[tuple[int, int, float, list[dict]]],
    *,
    origin: str,
    dry_run: bool = False,
) -> int:
    """Queue review pairs; returns how many new ones were (``dry_run``: would be) queued.

    A pair already known (pending, accepted or rejected) is left alone: a rejected pair is never
    proposed again; the batch match brings the scores of pending ones up to date
    (``mdm.linking.batch.match.rescore_pending``). ``dry_run``: nothing is written.

    ``explanation`` describes ``a`` as left and ``b`` as right; a pair is stored with the lower
    id on the left, so its explanation is turned around with it.
    """
    rows: dict[tuple[int, int], MatchCandidate] = {}
    for a, b, score, explanation in pairs:
        left, right = min(a, b), max(a, b)
        if a > b:
            explanation = [
                e | {"left": e.get("right"), "right": e.get("left")} for e in explanation
            ]
        rows.setdefault(
            (left, right),
            MatchCandidate(
                entity=entity,
                left_id=left,
                right_id=right,
                score=score,
                explanation=explanation,
                origin=origin,
            ),
        )
    if not rows:
        return 0
    existing = set(
        MatchCandidate.objects.filter(
            left_id__in={k[0] for k in rows}, right_id__in={k[1] for k in rows}
        ).values_list("left_id", "right_id")
    )
    new = [c for k, c in rows.items() if k not in existing]
    if not dry_run:
        MatchCandidate.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@dataclass
class PreparedRecords:
    """What a re-fit prepared, for the batch match that follows it in the same process:
    the records' features by id, and the comparison levels of the pairs it compared, by pair
    code (``low id << 32 | high id``), valid under rules of comparison ``signature``."""

    features: dict[int, Features] = field(default_factory=dict)
    levels: dict[int, tuple[int, ...]] = field(default_factory=dict)
    signature: tuple = ()


def fit_rule_on_records(
    entity: str,
    *,
    base: MatchRule | None = None,
    sample: int = 50_000,
    seed: int = 0,
    prepared: PreparedRecords | None = None,
    processes: int = 1,
) -> MatchRule:
    """Re-estimate the entity's rule (``base``, else the stored one) on its own stored records,
    without labels, and return it without storing it.

    u comes from random pairs, m and the prior from EM on the candidate pairs
    (``matching.engine.fit_rule``); the thresholds are kept. ``prepared``: filled with the
    records prepared for the fit, by id, and the comparison levels of the pairs it compared,
    for a batch match that follows (``run_batch_match(prepared=…)`` scores them without
    preparing them again) or for checking the fit (``mdm.linking.learning``).
    ``processes`` > 1 (outside a transaction): the pairs are compared in that many forked
    processes.
    """
    active = SourceRecord.objects.filter(entity=entity, is_active=True)
    # All records when they fit in the sample, in the order of their systems' codes and local
    # codes: the same records give the same rule, whatever order a parallel import stored them
    # in (ids follow it); else a random sample of them.
    if sample and active.count() > sample:
        ordered = active.order_by("?")
    else:
        ordered = active.order_by("system__code", "local_code", "pk")
    rows = ordered.values_list("pk", "attributes", "flagged", "blind_index")[:sample]
    records = [
        Record(pk, matching_view(attributes, index), frozenset(flagged))
        for pk, attributes, flagged, index in rows
    ]
    current = base or load_rule(entity)
    features = prepare_all(current, records)
    if processes > 1:
        if can_fork():
            connections.close_all()  # a forked child must not inherit the open connection
        else:
            processes = 1
    compared: dict[tuple[RecordId, RecordId], tuple[int, ...]] | None = None
    if prepared is not None:
        compared = {}
    fitted = fit_rule(
        current, records, seed=seed, features=features, processes=processes, compared=compared
    )
    if prepared is not None:
        # The hub's record ids are integers (Record allows text ids too).
        prepared.features = dict(zip((int(r.id) for r in records), features, strict=True))
        # Keyed as the batch match scores a pair, low id first (the comparators are symmetric:
        # the levels of a pair do not depend on which record is on the left).
        assert compared is not None  # filled by fit_rule
        prepared.levels = {
            (min(a, b) << 32) | max(a, b): levels
            for (a, b), levels in compared.items()
            if isinstance(a, int) and isinstance(b, int)  # the hub's record ids are
        }
        prepared.signature = comparison_signature(current)
    return fitted


def store_rule(entity: str, rule: MatchRule, *, reason: str) -> MatchRuleConfig:
    """Make ``rule`` (weights and thresholds) the entity's active rule, with a history row that
    says why."""
    config = MatchRuleConfig.objects.filter(entity=entity).first() or MatchRuleConfig(entity=entity)
    config.config = rule_to_dict(rule)
    config.auto_threshold, config.review_threshold = rule.auto_threshold, rule.review_threshold
    config.is_active = True
    config._change_reason = reason[:100]
    config.save()
    return config


def rule_version(entity: str) -> str:
    """A digest of what the stored weights were fitted for: the shipped rule's comparisons,
    hard rules and version, and the versions of the entity's data elements."""
    default = DEFAULT_RULES[entity]
    elements = sorted(
        DataElement.objects.filter(
            code__in=ElementBinding.objects.filter(entity=entity).values("element__code")
        ).values_list("code", "version")
    )
    text = json.dumps(
        [
            [list(map(str, part)) for part in comparison_signature(default)],
            rule_to_dict(default)["hard"],
            default.version,
            elements,
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha1(text.encode()).hexdigest()


def fit_rule_from_records(
    entity: str,
    *,
    sample: int = 50_000,
    seed: int = 0,
    prepared: PreparedRecords | None = None,
    processes: int = 1,
) -> MatchRuleConfig:
    """Re-estimate the entity's rule on its own stored records (``fit_rule_on_records``) and
    store it, as it comes out (the manual ``fit_match_rule``; the batch match re-fits with
    safeguards: ``mdm.linking.learning``), recorded as a ``MatchRuleChange``. The
    thresholds a steward set are kept."""
    fitted = fit_rule_on_records(
        entity, sample=sample, seed=seed, prepared=prepared, processes=processes
    )
    config = store_rule(entity, fitted, reason="fit_match_rule")
    # A fit all the same: the batch match's staleness counts from it.
    records = SourceRecord.objects.filter(entity=entity, is_active=True).count()
    MatchRuleChange.objects.create(
        entity=entity,
        kind=MatchRuleChangeKindChoices.REFIT,
        applied=True,
        records=records,
        rule_version=rule_version(entity),
        message=f"fitted by fit_match_rule on {records} records, without safeguards",
    )
    return config
