"""Real-time matching in the write path: candidates from the block-key index, scored in Python.

For a batch of upserts the linker
1. prepares every record's features and blocking keys (``matching.engine.prepare``),
2. fetches all candidates of all records in ONE query: per key at most ``REALTIME_BLOCK + 1``
   index rows (a key with more is too common here: skipped and counted, left to the batch),
   joined to the active source records and their active golden records,
3. decides each record in order: scores it against the candidates sharing most keys with it
   (at most ``MAX_CANDIDATES``) and against the batch's
   earlier records, groups the scores by golden record, refuses a golden record it has a veto
   with (different valid credit codes, branch vs head office…) or a steward-rejected pair in,
   and links (``auto``), queues a review (``review``: new golden record + a MatchCandidate) or
   creates a new golden record (``new``),
4. after the records are stored, replaces their block keys and writes review candidates.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from matching.engine import Features, prepare, score_prepared
from matching.models import BlockKey, MatchCandidate, MatchCandidateStatusChoices, MatchRuleConfig
from matching.rules import DEFAULT_RULES, MatchRule, rule_from_dict
from mdm.models import SourceRecord, SourceRecordLinkChoices, golden_model
from mdm.services.crypto import matching_view

#: A key shared by more records than this is too common to block on (e.g. a frequent surname).
MAX_BLOCK = 200
#: The real-time path is stricter: a key shared by more records than this is left to the batch,
#: and a record is scored against its MAX_CANDIDATES candidates sharing the most keys with it.
REALTIME_BLOCK = 50
MAX_CANDIDATES = 30
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


def lock_keys_of(features: Features) -> list[str]:
    strong = [k for k in features.keys if k.startswith(LOCK_FAMILIES)]
    return [f"{features.entity}:{k}" for k in strong[:MAX_LOCK_KEYS]]


@dataclass
class Candidate:
    """A record the new one may match: stored (``record_id``) or earlier in the same batch."""

    features: Features
    golden_code: str
    record: SourceRecord | None = None
    record_id: int | None = None

    @property
    def id(self) -> int | None:
        return (
            self.record_id
            if self.record_id is not None
            else (self.record.pk if self.record else None)
        )


@dataclass
class LinkDecision:
    golden_code: str | None
    kind: str
    score: float | None = None
    explanation: list[dict] = field(default_factory=list)
    review_with: list[tuple[Candidate, float, list[dict]]] = field(default_factory=list)


def explain(score) -> list[dict]:
    return [
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


_CANDIDATES_SQL = """
WITH wanted AS (SELECT DISTINCT unnest(%s::text[]) AS key),
hits AS (
    SELECT w.key, h.record_id
    FROM wanted w
    CROSS JOIN LATERAL (
        SELECT b.record_id FROM matching_blockkey b
        WHERE b.entity = %s AND b.key = w.key
        LIMIT %s
    ) h
),
common AS (SELECT key FROM hits GROUP BY key HAVING COUNT(*) > %s)
SELECT h.key, r.id, r.golden_code, r.attributes, r.flagged, r.blind_index
FROM hits h
JOIN mdm_sourcerecord r ON r.id = h.record_id
JOIN {golden} g ON g.code = r.golden_code
WHERE r.is_active AND g.status = 'active' AND h.key NOT IN (SELECT key FROM common)
UNION ALL
SELECT key, NULL, NULL, NULL, NULL, NULL FROM common
"""


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _fetch_candidates(entity: str, keys: list[str]) -> list[tuple]:
    """(key, record id, golden code, attributes, flagged) per index hit; (key, None…) per
    too-common key. PostgreSQL reads at most REALTIME_BLOCK + 1 index rows per key. Attributes come
    as matching sees them: blind indexes in place of encrypted values."""
    if not keys:
        return []
    model = golden_model(entity)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _CANDIDATES_SQL.format(golden=model._meta.db_table),
                [keys, entity, REALTIME_BLOCK + 1, REALTIME_BLOCK],
            )
            # Django's psycopg setup hands jsonb back as text (its JSONField decodes it).
            return [
                (key, rid, code, matching_view(_json(attributes), _json(index)), _json(flagged))
                if rid is not None
                else (key, None, None, None, None)
                for key, rid, code, attributes, flagged, index in cursor.fetchall()
            ]
    # The embedded SQLite demo: the same answer through the ORM.
    rows = [
        (key, rid, code, matching_view(attributes, index), flagged)
        for key, rid, code, attributes, flagged, index in BlockKey.objects.filter(
            entity=entity,
            key__in=keys,
            record__is_active=True,
            record__golden_code__in=model.objects.active().values("code"),
        ).values_list(
            "key",
            "record_id",
            "record__golden_code",
            "record__attributes",
            "record__flagged",
            "record__blind_index",
        )
    ]
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row[0]] += 1
    common = {k for k, n in counts.items() if n > REALTIME_BLOCK}
    return [r for r in rows if r[0] not in common] + [(k, None, None, None, None) for k in common]


class MatchingLinker:
    """Links the records of one batch (see the module docstring)."""

    def __init__(self, entity: str):
        self.entity = entity
        self.rule = load_rule(entity)
        self.index: dict[str, list[Candidate]] = defaultdict(list)
        self.features: dict[str, Features] = {}
        self._stored: dict[int, Candidate] = {}
        self._batch: list[Candidate] = []
        self.rejected: set[tuple[int, int]] = set()
        self.skipped_keys: set[str] = set()
        self.pending_candidates: list[tuple[SourceRecord, Candidate, float, list[dict]]] = []

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

    def prefetch(self, records: Sequence[SourceRecord]) -> None:
        """All stored candidates of all records (one query), and their rejected pairs."""
        keys = sorted({k for r in records for k in self.features_of(r).keys})
        for key, record_id, golden_code, attributes, flagged in _fetch_candidates(
            self.entity, keys
        ):
            if record_id is None:
                self.skipped_keys.add(key)
                continue
            candidate = self._stored.get(record_id)
            if candidate is None:
                features = prepare(self.entity, attributes, flagged)
                candidate = Candidate(features, golden_code, record_id=record_id)
                self._stored[record_id] = candidate
            self.index[key].append(candidate)
        ids = [r.pk for r in records if r.pk]
        if ids:
            rejected = MatchCandidate.objects.filter(
                Q(left_id__in=ids) | Q(right_id__in=ids),
                status=MatchCandidateStatusChoices.REJECTED,
            ).values_list("left_id", "right_id")
            self.rejected = {tuple(pair) for pair in rejected}

    def _is_rejected(self, record: SourceRecord, candidate: Candidate) -> bool:
        if not record.pk or candidate.id is None:
            return False
        pair = (min(record.pk, candidate.id), max(record.pk, candidate.id))
        return pair in self.rejected

    def decide(self, record: SourceRecord) -> LinkDecision:
        features = self.features_of(record)
        shared: dict[int, int] = defaultdict(int)
        found: dict[int, Candidate] = {}
        for key in features.keys:
            for candidate in self.index.get(key, ()):
                if candidate.record is record or (record.pk and candidate.id == record.pk):
                    continue
                shared[id(candidate)] += 1
                found[id(candidate)] = candidate
        best_first = sorted(found, key=lambda c: (-shared[c], found[c].id or 0))
        candidates = {c: found[c] for c in best_first[:MAX_CANDIDATES]}
        by_golden: dict[str, list[tuple[float, str, Candidate, object]]] = defaultdict(list)
        vetoed: set[str] = set()
        for candidate in candidates.values():
            if self._is_rejected(record, candidate):
                vetoed.add(candidate.golden_code)
                continue
            score = score_prepared(self.rule, features, candidate.features)
            if score.veto:
                vetoed.add(candidate.golden_code)
            by_golden[candidate.golden_code].append((score.score, score.decision, candidate, score))
        ranked = sorted(
            (
                (max(s[0] for s in scores), code, scores)
                for code, scores in by_golden.items()
                if code not in vetoed
            ),
            key=lambda item: (-item[0], item[1]),
        )
        if not ranked:
            return LinkDecision(None, SourceRecordLinkChoices.NEW)
        best_score, best_code, scores = ranked[0]
        best = max(scores, key=lambda s: s[0])
        if best[1] == "auto":
            return LinkDecision(
                best_code, SourceRecordLinkChoices.AUTO, best_score, explain(best[3])
            )
        reviews = []
        for score_value, _code, group in ranked[:3]:
            top = max(group, key=lambda s: s[0])
            if top[1] == "review":
                reviews.append((top[2], score_value, explain(top[3])))
        if reviews:
            return LinkDecision(
                None, SourceRecordLinkChoices.REVIEW, best_score, reviews[0][2], reviews
            )
        return LinkDecision(None, SourceRecordLinkChoices.NEW, best_score)

    def note_linked(self, record: SourceRecord, golden_code: str) -> None:
        """Make a record of this batch a candidate for the batch's later records."""
        features = self.features_of(record)
        candidate = Candidate(features, golden_code, record=record)
        self._batch.append(candidate)
        for key in features.keys:
            if key not in self.skipped_keys:
                self.index[key].append(candidate)

    def note_review(self, record: SourceRecord, decision: LinkDecision) -> None:
        for candidate, score, explanation in decision.review_with:
            self.pending_candidates.append((record, candidate, score, explanation))

    def resolve_golden(self, placeholder: str, code: str) -> None:
        """A batch candidate's placeholder golden code became a real one."""
        for candidate in self._batch:
            if candidate.golden_code == placeholder:
                candidate.golden_code = code

    def after_save(self, records: Sequence[SourceRecord]) -> None:
        """Replace the block keys of the stored records; write the review candidates."""
        ids = [r.pk for r in records]
        BlockKey.objects.filter(record_id__in=ids).delete()
        BlockKey.objects.bulk_create(
            [
                BlockKey(entity=self.entity, key=key, record_id=r.pk)
                for r in records
                if r.is_active
                for key in self.features_of(r).keys
            ],
            batch_size=2000,
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


def write_candidates(
    entity: str, pairs: Iterable[tuple[int, int, float, list[dict]]], *, origin: str
) -> int:
    """Queue review pairs; a pair already known (pending, accepted or rejected) is left alone.

    ``explanation`` describes ``a`` as left and ``b`` as right; a pair is stored with the lower
    id on the left, so its explanation is turned around with it.
    """
    rows = {}
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
    MatchCandidate.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def fit_rule_from_records(entity: str, *, sample: int = 50_000, seed: int = 0) -> MatchRuleConfig:
    """Re-estimate the entity's rule on its own stored records, without labels, and store it.

    u comes from random pairs, m and the prior from EM on the candidate pairs
    (``matching.engine.fit_rule``); the thresholds a steward set are kept.
    """
    from matching.engine import Record, fit_rule
    from matching.rules import rule_to_dict

    rows = (
        SourceRecord.objects.filter(entity=entity, is_active=True)
        .order_by("?" if sample else "pk")
        .values_list("pk", "attributes", "flagged")[:sample]
    )
    records = [Record(pk, attributes, frozenset(flagged)) for pk, attributes, flagged in rows]
    current = load_rule(entity)
    fitted = fit_rule(current, records, seed=seed)
    config, _ = MatchRuleConfig.objects.update_or_create(
        entity=entity,
        defaults={
            "config": rule_to_dict(fitted),
            "auto_threshold": current.auto_threshold,
            "review_threshold": current.review_threshold,
            "is_active": True,
        },
    )
    return config
