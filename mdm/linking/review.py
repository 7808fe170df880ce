"""The review queue: its order, what a steward's review screen needs, its export, and the
link labels that follow the queue.

Read-only helpers: the queue's order and badges, the attribute differences of two source
records, the match explanation put in the candidate's left/right order, the next pending
candidate, the queue as CSV rows. One write: ``settle_review_links``, called where a decision
empties a record's share of the queue. The decisions themselves are
``mdm.stewardship.actions.decide_candidate`` / ``decide_candidates``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.utils import translation
from simple_history.utils import bulk_update_with_history

from dictionary.models import DataElement, ElementBinding
from matching.models import MatchCandidate, MatchCandidateStatusChoices
from matching.normalize.goods import GoodsAttributes, goods_conflicts, parse_goods
from matching.normalize.goods_words import DIMENSION_NAMES
from mdm.models import SourceRecord, SourceRecordLinkChoices
from mdm.privacy.masking import is_person, mask_explanation

DiffKind = Literal["same", "different", "left_only", "right_only", "both_missing"]

#: The review queue's order, everywhere it is listed (admin, API, export, "next pending"): the
#: most likely duplicates first. The score is the probability after the hard rules (a capped
#: pair sits at the review threshold, a vetoed one at 0: ``matching.engine``), so the order by
#: score puts them last; the id makes the order total (pagination, "next").
QUEUE_ORDERING = ("-score", "pk")

#: What tells two goods apart although their names agree: the comparison always shows these
#: rows first (when the entity's dictionary binds them), and flags each one that differs.
KEY_ATTRIBUTES = {
    "products": ("model", "spec", "uom", "gtin"),
    "materials": ("spec", "model", "base_uom", "gtin"),
}

#: Score bands of the queue (lower bound, name): a badge's colour says how likely the pair is.
SCORE_BANDS = ((0.9, "high"), (0.7, "medium"), (0.0, "low"))
#: Score bands of the queue's filter and of the workbench's counts: parameter value ->
#: (lower bound included, upper bound excluded); None is open.
QUEUE_BANDS: dict[str, tuple[float | None, float | None]] = {
    "90": (0.9, None),
    "70": (0.7, 0.9),
    "50": (0.5, 0.7),
    "0": (None, 0.5),
}


@dataclass(frozen=True, slots=True)
class AttributeRow:
    """One attribute of two records side by side and how they compare."""

    attribute: str
    left: Any
    right: Any
    kind: DiffKind

    #: One of the attributes that tell goods apart (``KEY_ATTRIBUTES``).
    is_key: bool = False

    @property
    def is_different(self) -> bool:
        return self.kind not in ("same", "both_missing")


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().casefold() == right.strip().casefold()
    return left == right


def diff_attributes(
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    *,
    order: Sequence[str] = (),
    key_attributes: Sequence[str] = (),
) -> list[AttributeRow]:
    """Every attribute present on either side, with ``same`` / ``different`` / one-side-only.

    ``key_attributes`` (what tells goods apart: ``KEY_ATTRIBUTES``) come first, in that order,
    marked ``is_key``, and are listed even when neither side has them (``both_missing``: the
    steward sees that nothing tells the two apart there). The other attributes listed in
    ``order`` (e.g. the dictionary's binding positions) follow in that order, the rest
    alphabetically. Empty values count as missing. Text is compared without surrounding blanks
    and case, as the standardized values already are.
    """
    keys = {k for k, v in left.items() if _present(v)} | {
        k for k, v in right.items() if _present(v)
    }
    keys |= set(key_attributes)
    position = {code: i for i, code in enumerate(order)}
    first = {code: i for i, code in enumerate(key_attributes)}
    rows = []
    for key in sorted(
        keys, key=lambda k: (first.get(k, len(first)), position.get(k, len(position)), k)
    ):
        a, b = left.get(key), right.get(key)
        if not _present(a) and not _present(b):
            kind: DiffKind = "both_missing"
        elif not _present(b):
            kind = "left_only"
        elif not _present(a):
            kind = "right_only"
        else:
            kind = "same" if _same(a, b) else "different"
        rows.append(
            AttributeRow(
                key,
                a if _present(a) else None,
                b if _present(b) else None,
                kind,
                is_key=key in first,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class GoodsRow:
    """One attribute read from two goods records' free text (name, spec, model), side by side:
    what the goods parser (``matching.normalize.goods``) finds that tells them apart."""

    dimension: str
    label: str
    left: str | None
    right: str | None
    #: Both state it and each holds a value the other does not cover (the engine's veto).
    is_conflict: bool


def goods_rows(entity: str, left: Mapping[str, Any], right: Mapping[str, Any]) -> list[GoodsRow]:
    """The parsed goods attributes of two products or materials (their names, specs and
    models, standardized values), conflicts first; none for customers or when nothing parses."""
    if entity not in KEY_ATTRIBUTES:
        return []

    def parsed(attributes: Mapping[str, Any]) -> GoodsAttributes:
        return parse_goods(
            str(attributes.get("name") or ""),
            str(attributes.get("spec") or ""),
            str(attributes.get("model") or ""),
        )

    a, b = parsed(left), parsed(right)
    conflicts = {c.dimension: c for c in goods_conflicts(a, b)}
    rows = []
    for dimension in sorted(a.values.keys() | b.values.keys()):
        conflict = conflicts.get(dimension)
        rows.append(
            GoodsRow(
                dimension,
                DIMENSION_NAMES.get(dimension, dimension),
                a.shown(dimension, a.values[dimension]) if dimension in a.values else None,
                b.shown(dimension, b.values[dimension]) if dimension in b.values else None,
                conflict is not None,
            )
        )
    return sorted(rows, key=lambda r: not r.is_conflict)


def key_attributes(entity: str, present: Iterable[str] = ()) -> tuple[str, ...]:
    """The ``KEY_ATTRIBUTES`` of ``entity`` that its dictionary binds or that one of the two
    records holds (``present``): the rows the comparison always shows."""
    wanted = KEY_ATTRIBUTES.get(entity, ())
    known = set(present) | set(
        ElementBinding.objects.filter(entity=entity, element__code__in=wanted).values_list(
            "element__code", flat=True
        )
    )
    return tuple(code for code in wanted if code in known)


def hard_rule_of(explanation: Sequence[Mapping[str, Any]]) -> tuple[str, str] | None:
    """The hard rule that decided a pair against a match, from its explanation: ``("veto",
    note)`` for a veto, ``("capped", note)`` for a pair a hard rule allows to review only; None
    when no hard rule went against it (an equal identifier is a hard rule *for* a match)."""
    for row in explanation:
        note = str(row.get("note") or "")
        if note.startswith("veto:"):
            return "veto", note
        if note.startswith("hard rule:") and "review only" in note:
            return "capped", note
    return None


def score_band(score: float, explanation: Sequence[Mapping[str, Any]] = ()) -> str:
    """The badge of a candidate: ``veto`` / ``capped`` when a hard rule went against the pair
    (its score already says so: 0, or the review threshold), else its ``SCORE_BANDS`` band."""
    rule = hard_rule_of(explanation)
    if rule is not None:
        return rule[0]
    return next(name for low, name in SCORE_BANDS if score >= low)


def _hits(values: Iterable[Any], attributes: Mapping[str, Any]) -> int:
    known = {str(v).casefold() for v in attributes.values() if _present(v)}
    return sum(1 for v in values if _present(v) and str(v).casefold() in known)


def orient_explanation(
    explanation: Sequence[Mapping[str, Any]],
    left: Mapping[str, Any],
    right: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """The explanation with its ``left``/``right`` values on the candidate's left/right records.

    A candidate stores its pair with the lower id on the left, while the engine explains the
    pair in the order it scored it (the incoming record first), so the two may be swapped. The
    values of the explanation are compared with each record's attributes; when they agree
    better the other way round, the sides are swapped back.
    """
    rows = [dict(row) for row in explanation]
    lefts = [row.get("left") for row in rows]
    rights = [row.get("right") for row in rows]
    straight = _hits(lefts, left) + _hits(rights, right)
    swapped = _hits(lefts, right) + _hits(rights, left)
    if swapped > straight:
        for row in rows:
            row["left"], row["right"] = row.get("right"), row.get("left")
    return rows


def next_pending_candidate(
    queryset: QuerySet[MatchCandidate], *, after: MatchCandidate
) -> MatchCandidate | None:
    """The pending candidate that follows ``after`` in queue order (``QUEUE_ORDERING``).

    ``queryset`` is the queue as the steward filtered it. Past the end the queue starts again
    from the top; ``after`` itself is never returned, so skipping always moves on.
    """
    pending = (
        queryset.filter(status=MatchCandidateStatusChoices.PENDING)
        .exclude(pk=after.pk)
        .order_by(*QUEUE_ORDERING)
    )
    following = pending.filter(Q(score__lt=after.score) | Q(score=after.score, pk__gt=after.pk))
    return following.first() or pending.first()


def siblings_of(candidate: MatchCandidate) -> Q:
    """Pending candidates between the same two golden records as ``candidate``'s records (either
    way round; one golden record when both records are already in it), ``candidate`` included
    when pending: one steward decision covers them all."""
    a, b = candidate.left.golden_code, candidate.right.golden_code
    return Q(entity=candidate.entity, status=MatchCandidateStatusChoices.PENDING) & (
        Q(left__golden_code=a, right__golden_code=b) | Q(left__golden_code=b, right__golden_code=a)
    )


def settle_review_links(entity: str, golden_codes: Iterable[str], actor, reason: str) -> int:
    """Records of these golden records still labelled ``review`` with no pending candidate left
    become ``steward``: a steward decided where they belong. Returns how many changed.

    Called in the transaction of a decision, so the label and the queue change together.
    """
    records = list(
        SourceRecord.objects.select_for_update(of=("self",))
        .filter(
            entity=entity,
            golden_code__in=list(golden_codes),
            link_kind=SourceRecordLinkChoices.REVIEW,
        )
        .order_by("pk")
    )
    if not records:
        return 0
    ids = [r.pk for r in records]
    waiting: set[int] = set()
    for left, right in MatchCandidate.objects.filter(_pending_between(entity, ids)).values_list(
        "left_id", "right_id"
    ):
        waiting.update((left, right))
    settled = [r for r in records if r.pk not in waiting]
    # ``updated_at`` stays: a decision is no new source data (``most_recent`` reads it).
    for record in settled:
        record.link_kind = SourceRecordLinkChoices.STEWARD
    if settled:
        bulk_update_with_history(
            settled,
            SourceRecord,
            ["link_kind"],
            default_user=actor if getattr(actor, "pk", None) else None,
            default_change_reason=reason,
        )
    return len(settled)


def _pending_between(entity: str, record_ids: list[int]) -> Q:
    return Q(entity=entity, status=MatchCandidateStatusChoices.PENDING) & (
        Q(left_id__in=record_ids) | Q(right_id__in=record_ids)
    )


def element_labels(entity: str, codes: Iterable[str | None]) -> dict[str, str]:
    """ "中文名 English name" of the dictionary elements among ``codes``, in binding order.

    Codes that are not dictionary elements are left out; the caller shows them as they are.
    """
    wanted = {code for code in codes if code}
    positions = dict(
        ElementBinding.objects.filter(entity=entity, element__code__in=wanted).values_list(
            "element__code", "position"
        )
    )
    names = sorted(
        DataElement.objects.filter(code__in=wanted).values_list("code", "name_zh", "name_en"),
        key=lambda row: (positions.get(row[0], 10**9), row[0]),
    )
    # The steward's language: the Chinese name by default, the English one when it exists and the
    # admin speaks English.
    english = not (translation.get_language() or "zh").startswith("zh")
    return {code: (en or zh) if english else zh for code, zh, en in names}


#: Rows of a pair's explanation named in its reason: the strongest for and against a match.
REASON_FOR, REASON_AGAINST = 3, 2


def candidate_reason(explanation: Sequence[Mapping[str, Any]]) -> str:
    """The decisive evidence of a pair in words, from its explanation: a hard rule against it
    first, then the strongest evidence for a match and against it, by weight.

    ``explanation`` must already be masked (``masking.mask_explanation``): the values it names
    (of a different model, say) are shown as they are.
    """
    parts: list[str] = []
    rule = hard_rule_of(explanation)
    if rule is not None:
        parts.append(rule[1])
    weighed = [row for row in explanation if isinstance(row.get("weight"), (int, float))]
    positive = sorted((r for r in weighed if r["weight"] > 0), key=lambda r: -r["weight"])
    negative = sorted((r for r in weighed if r["weight"] < 0), key=lambda r: r["weight"])
    for row in positive[:REASON_FOR]:
        parts.append(_evidence(row, "agrees"))
    for row in negative[:REASON_AGAINST]:
        left, right = row.get("left"), row.get("right")
        note = _evidence(row, "differs")
        parts.append(f"{note} ({left} / {right})" if left and right else note)
    return "; ".join(parts)


def _evidence(row: Mapping[str, Any], default: str) -> str:
    """``field: note`` ("phone: different number"), the field left out when the note names it."""
    name = str(row.get("field") or "")
    note = str(row.get("note") or default)
    return note if name.replace("_", " ") in note else f"{name}: {note}"


def pending_queue(entity: str) -> QuerySet[MatchCandidate]:
    """The pending review queue of an entity, in queue order, with both records' systems."""
    return (
        MatchCandidate.objects.filter(entity=entity, status=MatchCandidateStatusChoices.PENDING)
        .select_related("left__system", "right__system")
        .order_by(*QUEUE_ORDERING)
    )


def export_queue_rows(entity: str) -> Iterable[list[str]]:
    """The pending queue as rows of ``left_system, left_local_code, right_system,
    right_local_code, score, reason`` (``export_candidates``), personal values masked."""
    for candidate in pending_queue(entity).iterator(chunk_size=2000):
        left, right = candidate.left, candidate.right
        person = is_person(entity, left.attributes) or is_person(entity, right.attributes)
        explanation = mask_explanation(entity, candidate.explanation, person=person)
        yield [
            left.system.code,
            left.local_code,
            right.system.code,
            right.local_code,
            f"{candidate.score:.4f}",
            candidate_reason(explanation),
        ]
