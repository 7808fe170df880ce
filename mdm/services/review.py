"""What a steward's review screen needs beyond the stewardship actions.

Read-only helpers: the attribute differences of two source records, the match explanation put
in the candidate's left/right order, and the next pending candidate of a queue. The decisions
themselves are ``mdm.services.stewardship.decide_candidate`` / ``decide_candidates``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Q, QuerySet

from dictionary.models import DataElement, ElementBinding
from matching.models import MatchCandidate, MatchCandidateStatusChoices

DiffKind = Literal["same", "different", "left_only", "right_only"]


@dataclass(frozen=True, slots=True)
class AttributeRow:
    """One attribute of two records side by side and how they compare."""

    attribute: str
    left: Any
    right: Any
    kind: DiffKind

    @property
    def is_different(self) -> bool:
        return self.kind != "same"


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().casefold() == right.strip().casefold()
    return left == right


def diff_attributes(
    left: Mapping[str, Any], right: Mapping[str, Any], *, order: Sequence[str] = ()
) -> list[AttributeRow]:
    """Every attribute present on either side, with ``same`` / ``different`` / one-side-only.

    Attributes listed in ``order`` (e.g. the dictionary's binding positions) come first in that
    order, the others follow alphabetically. Empty values count as missing. Text is compared
    without surrounding blanks and case, as the standardized values already are.
    """
    keys = {k for k, v in left.items() if _present(v)} | {
        k for k, v in right.items() if _present(v)
    }
    position = {code: i for i, code in enumerate(order)}
    rows = []
    for key in sorted(keys, key=lambda k: (position.get(k, len(position)), k)):
        a, b = left.get(key), right.get(key)
        if not _present(b):
            kind: DiffKind = "left_only"
        elif not _present(a):
            kind = "right_only"
        else:
            kind = "same" if _same(a, b) else "different"
        rows.append(AttributeRow(key, a if _present(a) else None, b if _present(b) else None, kind))
    return rows


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
    """The pending candidate that follows ``after`` in queue order (best score first, then id).

    ``queryset`` is the queue as the steward filtered it. Past the end the queue starts again
    from the top; ``after`` itself is never returned, so skipping always moves on.
    """
    pending = (
        queryset.filter(status=MatchCandidateStatusChoices.PENDING)
        .exclude(pk=after.pk)
        .order_by("-score", "pk")
    )
    following = pending.filter(Q(score__lt=after.score) | Q(score=after.score, pk__gt=after.pk))
    return following.first() or pending.first()


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
    return {code: f"{zh} {en}" for code, zh, en in names}
