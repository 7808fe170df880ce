"""Why the batch match merged a golden record, stored on the source records it moved.

The scoring keeps, for each auto pair, the two records and what comparing them found (a
``PairTrace``: levels and similarities, no values). Once the clusters are known, each golden
record merged away gets its reason: the strongest auto pair between one of its members and the
rest of its cluster, which is the union that brought it into the cluster (the clustering takes
the strongest pairs first, and a union refused once is refused again as the groups grow). When
it is merged, the member of that pair gets the pair's score and evidence, the golden record's
other members the score and the pair's records (``member_explanations``); a steward reads them
as the rows of a real-time explanation (``explanation_rows``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from matching.engine import (
    MISSING_NOTE,
    SILENT_WHEN_UNCOMPARED,
    PairTrace,
    applies,
    frequency,
    hot_kind,
    prepare,
    shown_value,
    unused_note,
)
from matching.rules import MatchRule
from mdm.linking.rule_store import load_rule
from mdm.models import SourceRecord
from mdm.privacy.crypto import matching_view


class AutoPair(NamedTuple):
    """An auto pair of the batch match: the golden records of its two records, its score,
    the records themselves and what comparing them found (0 / None where unknown: pairs kept
    by an older release)."""

    golden_a: str
    golden_b: str
    score: float
    left_id: int = 0
    right_id: int = 0
    trace: PairTrace | None = None


class MergeReason(NamedTuple):
    """The pair that merged a golden record: its member ``record_id`` matched ``partner_id``."""

    record_id: int
    partner_id: int
    score: float
    trace: PairTrace | None


def merge_reasons(
    clusters: Iterable[Sequence[str]], pairs: Iterable[AutoPair]
) -> dict[str, MergeReason]:
    """Golden code merged away -> its reason (see the module docstring). ``pairs`` in the
    order the clustering saw them; on equal scores the first one is the reason, as there."""
    cluster_of: dict[str, int] = {}
    survivors: set[str] = set()
    number: int | None
    for number, codes in enumerate(clusters):
        survivors.add(codes[0])
        for code in codes:
            cluster_of[code] = number
    reasons: dict[str, MergeReason] = {}
    for pair in pairs:
        if not pair.left_id or not pair.right_id:
            continue
        number = cluster_of.get(pair.golden_a)
        if number is None or number != cluster_of.get(pair.golden_b):
            continue
        for code, own, other in (
            (pair.golden_a, pair.left_id, pair.right_id),
            (pair.golden_b, pair.right_id, pair.left_id),
        ):
            if code in survivors:
                continue
            known = reasons.get(code)
            if known is None or pair.score > known.score:
                reasons[code] = MergeReason(own, other, pair.score, pair.trace)
    return reasons


def _merge_line(merged: str, survivor: str, note: str) -> dict[str, Any]:
    return {
        "field": "merge",
        "left": merged,
        "right": survivor,
        "similarity": None,
        "weight": 0.0,
        "note": note,
    }


def member_explanations(
    rule: MatchRule,
    members: Iterable[tuple[int, str]],
    survivor_of: Mapping[str, str],
    reasons: Mapping[str, MergeReason],
    prints: Mapping[int, str] | None = None,
) -> dict[int, tuple[float, dict[str, Any]]]:
    """Source record id -> (link score, stored explanation) for the moved ``members`` (``(id,
    golden code merged away)``) whose golden record has a reason.

    Stored compact, as the decision's evidence without the values (a million-record match
    merges some 300,000 golden records): the merge, the pair's two records, the identifier
    they share when a hard rule decided, and per compared field its level, similarity and
    weight under the rule that decided (an agreement on a common value weighed down as it was
    decided, with the count: ``matching.engine.frequency``), and the start of each record's
    fingerprint when the
    merge read it (``prints``: record id -> fingerprint), so that a later change of either
    record can be told. :func:`explanation_rows` reads it back with the two records' values,
    in the rows of a real-time explanation. Another member of the golden record stores the
    merge and the pair only.
    """
    found: dict[int, tuple[float, dict[str, Any]]] = {}
    names = [spec.name for spec in rule.fields]
    weights = [[round(level.weight, 3) for level in spec.levels] for spec in rule.fields]
    for pk, code in members:
        reason = reasons.get(code)
        if reason is None or code not in survivor_of:
            continue
        merge = [code, survivor_of[code]]
        pair = [reason.record_id, reason.partner_id]
        score = round(reason.score, 6)
        if pk != reason.record_id:
            found[pk] = (score, {"merge": merge, "via": pair})
            continue
        trace = reason.trace
        compared: dict[str, list] = {}
        if trace is not None and len(trace.levels) == len(names):
            counts = trace.counts if len(trace.counts) == len(names) else ()
            for position, level in enumerate(trace.levels):
                if level >= 0:
                    similarity = trace.similarities[position]
                    rounded = None if similarity is None else round(similarity, 4)
                    weight = weights[position][level]
                    count = counts[position] if counts else 0
                    if count:
                        # Weighed down as the pair was decided: a value many records share.
                        taken = frequency.penalty(count, rule.fields[position].levels[level].weight)
                        compared[names[position]] = [
                            level,
                            rounded,
                            round(weight - taken, 3),
                            count,
                        ]
                    else:
                        compared[names[position]] = [level, rounded, weight]
        stored = {
            "merge": merge,
            "pair": pair,
            "auto_field": trace.auto_field if trace else None,
            "fields": compared,
        }
        if prints is not None:
            stored["prints"] = [short_print(prints.get(record)) for record in pair]
        found[pk] = (score, stored)
    return found


#: Characters of a record's fingerprint kept in a merge's explanation: enough to tell a change.
PRINT_CHARS = 12
#: The notes of a merge's rows, in English as the engine's are (``mdm.linking.notes`` shows
#: them in the steward's language).
MERGED_NOTE = "merged by the batch match"
MOVED_NOTE = "moved with its golden record: "
CHANGED_NOTE = "changed since the merge: the values shown are current"


def short_print(fingerprint: str | None) -> str:
    return (fingerprint or "")[:PRINT_CHARS]


def explanation_rows(entity: str, stored: Any, rule: MatchRule | None = None) -> list[dict]:
    """A stored link explanation as rows (field, left, right, similarity, weight, note): a
    real-time one as stored, a batch merge's (see :func:`member_explanations`) with the
    current values of its two records, this record on the left. The similarities, weights
    and the hard rule are the decision's; the labels are the current rule's, for the levels
    it still has. A record of the pair whose values changed since the merge gets a
    ``changed`` row right after the merge's, naming it: the values shown are then not the
    ones that were compared."""
    if not isinstance(stored, Mapping):
        return list(stored or [])
    merged, survivor = stored.get("merge") or ("", "")
    ids = stored.get("pair") or stored.get("via") or []
    records = _pair_records(entity, ids)
    who = [records[pk][1] if pk in records else f"#{pk}" for pk in ids]
    if "via" in stored:
        note = MOVED_NOTE + " ~ ".join(who)
        return [_merge_line(merged, survivor, note)]
    rows = [_merge_line(merged, survivor, MERGED_NOTE)]
    if len(ids) != 2 or not all(pk in records for pk in ids):
        return rows
    for pk, label, then in zip(ids, who, stored.get("prints") or (), strict=False):
        if then and short_print(records[pk][2]) != then:
            rows.append(_row("changed", label, "", None, 0.0, CHANGED_NOTE))
    if rule is None:
        rule = load_rule(entity)
    left, right = records[ids[0]][0], records[ids[1]][0]
    auto_field = stored.get("auto_field")
    if auto_field:
        value = left.identifier(auto_field) or right.identifier(auto_field)
        rows.append(_row(auto_field, value, value, 1.0, 0.0, f"hard rule: same valid {auto_field}"))
    compared = stored.get("fields") or {}
    kind = hot_kind(left, right)
    for spec in rule.fields:
        if not applies(spec.applies_to, spec.comparator, kind):
            continue
        names = spec.field.split("|")
        a, b = shown_value(left, names), shown_value(right, names)
        found = compared.get(spec.name)
        if found is not None:
            level, similarity, weight, *rest = found
            if similarity is not None and not _holds(spec.levels, level, similarity):
                # A level added since (a migration) moved the positions, not what a similarity
                # means: the level it falls in under the current rule.
                level = next(
                    (k for k, lv in enumerate(spec.levels) if similarity >= lv.min_similarity),
                    level,
                )
            label = spec.levels[level].label if level < len(spec.levels) else ""
            if rest and rest[0]:
                label = frequency.common_value_note(label, int(rest[0]))
            rows.append(_row(spec.name, a, b, similarity, weight, label))
        elif (a or b) and spec.comparator not in SILENT_WHEN_UNCOMPARED:
            note = unused_note(left, right, names)
            if a and b and note == MISSING_NOTE:
                note = "not compared (changed since the merge)"
            rows.append(_row(spec.name, a, b, None, 0.0, note))
    return rows


#: How far a stored similarity (rounded to four places) may sit outside its level's range.
_ROUNDING = 5e-5


def _holds(levels: Sequence[Any], level: int, similarity: float) -> bool:
    """Whether a stored level still contains its stored similarity under the current rule."""
    if not 0 <= level < len(levels):
        return False
    above = levels[level - 1].min_similarity if level else float("inf")
    return levels[level].min_similarity - _ROUNDING <= similarity < above + _ROUNDING


def _row(field: str, left, right, similarity, weight: float, note: str) -> dict[str, Any]:
    return {
        "field": field,
        "left": left,
        "right": right,
        "similarity": similarity,
        "weight": weight,
        "note": note,
    }


def _pair_records(entity: str, ids: Sequence[int]) -> dict[int, tuple[Any, str, str]]:
    """The records of a pair, prepared, with their ``system/local code`` and fingerprint."""
    rows = SourceRecord.objects.filter(pk__in=list(ids)).values_list(
        "pk", "attributes", "flagged", "blind_index", "system__code", "local_code", "fingerprint"
    )
    return {
        pk: (
            prepare(entity, matching_view(attributes, index), flagged),
            f"{system}/{local}",
            fingerprint,
        )
        for pk, attributes, flagged, index, system, local, fingerprint in rows
    }


def pair_evidence(pair: AutoPair) -> dict[str, Any]:
    """What a distributed job keeps of an auto pair besides its golden codes and score (JSON)."""
    if pair.trace is None:
        return {}
    trace = pair.trace
    return {
        "records": [pair.left_id, pair.right_id],
        "veto": trace.veto,
        "auto_field": trace.auto_field,
        "levels": list(trace.levels),
        "similarities": list(trace.similarities),
        "capped": trace.capped,
    } | ({"counts": list(trace.counts)} if trace.counts else {})


def auto_pair(golden_a: str, golden_b: str, score: float, evidence: Mapping) -> AutoPair:
    """An auto pair from what ``pair_evidence`` kept (``{}``: golden codes and score only)."""
    try:
        left_id, right_id = evidence["records"]
        trace = PairTrace(
            evidence.get("veto"),
            evidence.get("auto_field"),
            tuple(int(level) for level in evidence["levels"]),
            tuple(evidence["similarities"]),
            bool(evidence.get("capped")),
            tuple(int(count) for count in evidence.get("counts") or ()),
        )
    except (KeyError, TypeError, ValueError):
        return AutoPair(golden_a, golden_b, score)
    return AutoPair(golden_a, golden_b, score, int(left_id), int(right_id), trace)


def reason_evidence(reason: MergeReason) -> dict[str, Any]:
    """What a distributed job keeps of a merge reason between its rounds (JSON)."""
    pair = AutoPair("", "", reason.score, reason.record_id, reason.partner_id, reason.trace)
    return {"score": reason.score, "records": [reason.record_id, reason.partner_id]} | (
        pair_evidence(pair)
    )


def merge_reason(evidence: Mapping) -> MergeReason:
    """A merge reason from what ``reason_evidence`` kept."""
    pair = auto_pair("", "", float(evidence["score"]), evidence)
    record_id, partner_id = (int(i) for i in evidence["records"])
    return MergeReason(record_id, partner_id, pair.score, pair.trace)
