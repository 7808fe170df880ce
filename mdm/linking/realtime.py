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

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Q

from matching.engine import (
    ATTRIBUTE_VETO,
    NO_FREQUENCIES,
    Compared,
    Features,
    decide_compared,
    explain_compared,
    frequency,
    prepare,
)
from matching.keys import FREQUENCY_FAMILIES
from matching.models import (
    BlockKey,
    MatchCandidate,
    MatchCandidateStatusChoices,
)
from matching.normalize import company_name_parts, short_name_block, short_name_of
from matching.rules import MatchRule
from mdm.linking.block_index import (
    MAX_CANDIDATES,
    StoredRecord,
    fetch_candidates,
    insert_block_keys,
    pick_candidates,
    replace_block_keys,
    write_candidates,
)
from mdm.linking.rule_rollout_shadow import (
    LIVE,
    ROLLOUT,
    OpenRollout,
    RealtimeShadow,
    is_enabled,
    open_rollout_for,
)
from mdm.linking.rule_store import load_rule
from mdm.models import SourceRecord, SourceRecordLinkChoices
from mdm.privacy.crypto import matching_view
from mdm.privacy.masking import mask_explanation
from mdm.records.aliases import alias_key, alias_names, goldens_of_keys

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


def lock_keys_of(features: Features) -> list[str]:
    strong = [k for k in features.keys if k.startswith(LOCK_FAMILIES)]
    return [f"{features.entity}:{k}" for k in strong[:MAX_LOCK_KEYS]]


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
        self.value_holders: dict[str, set[int]] = {}  # value key -> stored records under it
        self.pending_candidates: list[tuple[SourceRecord, Candidate, float, list[dict]]] = []
        # Steward-confirmed names (mdm.records.aliases): alias key -> golden codes known by it.
        self.alias_goldens: dict[str, set[str]] = {}
        # Branch records found holding their head office's credit code: local code -> warning.
        self.extra_warnings: dict[str, list[dict[str, str]]] = {}

    @cached_property
    def rule(self) -> MatchRule:
        """Read when a record is first decided: a batch of updates keeping their links needs none.
        The candidate of a rule rollout enabled for the records' system, else the entity's rule
        (as ``load_rule_for``, with the rollout read once for the shadow too)."""
        rollout = self._rollout
        if rollout is not None and is_enabled(rollout):
            return rollout.rule
        return load_rule(self.entity)

    @cached_property
    def _rollout(self) -> OpenRollout | None:
        return open_rollout_for(self.entity, self.system) if self.system else None

    @cached_property
    def shadow(self) -> RealtimeShadow | None:
        """An open rule rollout for the records' system: each decision is made under both
        rules and recorded (``mdm.linking.rule_rollout_shadow``); None without one."""
        rollout = self._rollout
        if rollout is None:
            return None
        if is_enabled(rollout):
            return RealtimeShadow(rollout, load_rule(self.entity), ROLLOUT)
        return RealtimeShadow(rollout, rollout.rule, LIVE)

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
        found = fetch_candidates(self.entity, [(r.pk, self.features_of(r).keys) for r in records])
        self.skipped_keys |= found.common
        for key, ids in found.hits.items():
            self.block_sizes[key] = len(ids)
            if key.startswith(FREQUENCY_FAMILIES):
                self.value_holders[key] = set(ids)
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
        """The record's link under the rule that applies; under an open rule rollout for the
        record's system, also under the other rule, with the same candidates, noted for the
        shadow (nothing of it applied)."""
        decision = self._decide(record)
        shadow = self.shadow
        if shadow is not None:
            applied = self.rule
            self.__dict__["rule"] = shadow.other_rule  # the cached property, for one decision
            try:
                other = self._decide(record)
            finally:
                self.__dict__["rule"] = applied
            shadow.note(record, decision, other)
        return decision

    def _value_counts(self, record: SourceRecord, features: Features) -> Mapping[str, int]:
        """How many records share each common value of the record, as the batch match would
        count them once it is stored: the stored records under its value keys (a key the
        index found too common counts as many as the cap), the records of this batch linked
        before it, and itself (``matching.engine.frequency``)."""
        counts: dict[str, int] = {}
        for key in features.keys:
            if not key.startswith(FREQUENCY_FAMILIES):
                continue
            if key in self.skipped_keys:
                counts[key] = frequency.CAP
                continue
            stored = self.value_holders.get(key, set())
            held = len(stored) + (0 if record.pk in stored else 1)
            for candidate in self.index.get(key, ()):
                if candidate.stored is None and candidate.record is not record:
                    held += candidate.id is None or candidate.id not in stored
            if held > frequency.REFERENCE:
                counts[key] = min(held, frequency.CAP)
        return counts or NO_FREQUENCIES

    def _decide(self, record: SourceRecord) -> LinkDecision:
        features = self.features_of(record)
        features.frequencies = self._value_counts(record, features)
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
        shadow = self.__dict__.get("shadow")  # only when a decision was made
        if shadow is not None:
            shadow.resolve(codes)

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
        shadow = self.__dict__.get("shadow")
        if shadow is not None:
            shadow.write()
