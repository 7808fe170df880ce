"""Term-frequency adjustment: an agreement on a value many records share says less.

Two records with the same rare name are likelier one person than two with 王伟; two companies
answering the same number are likelier one than two behind a group's switchboard or a
placeholder (13800000000). A rule's ``u`` of "same name" is an average over all names: as the
hub grows, the common values grow commoner and the same weight links more strangers. Splink's
term-frequency adjustment replaces that average by the value's own frequency.

Here the frequency is read off the block-key index, which both paths already keep: a field's
value has one key (``keys.value_key``: the sorted name tokens, the core of a company name of
four characters or more, the keyed hash of a phone or an e-mail address), and the number of
records indexed under it is the number that share the value (for a core: the companies that
hold it, or hold it as a short form of their own name; a shorter core shares its key with the
trigrams and two-character starts of other names, and is not counted). The adjustment only ever lowers a weight: a value held by more
than ``REFERENCE`` records (more than one real customer leaves in the systems of an enterprise:
an ERP, a CRM, a shop and a service desk, each of which may hold it twice) takes
``log2(count / REFERENCE)`` bits off the first level's weight, never more than that weight (an
agreement stays evidence for, however common the value). Of ``count`` records sharing a value,
at most about ``count / REFERENCE`` real things hold it ``REFERENCE`` times each, so a pair of
them is the same thing at most about ``REFERENCE / count`` as often: the weight says so. Rare
values are not raised above the rule's weight: at the hub's small sizes a value's count is
mostly its own duplicates, too few to tell a rare name from an ordinary one.

Why 8 and not 4 records: on RLdata10000 (10,000 real-looking German persons, names drawn from
their frequencies, one in ten duplicated), a reference of 4 took 9 true pairs out of the
automatic links for 2 false ones (F1 0.9602 -> 0.9564); two-sided weights around the set's own
mean count (6.5, as Splink would) 0.9591; 8 and 16 left every link as it was.

Counts are capped at ``CAP`` (the real-time path reads at most ``CAP`` index rows of a key and
knows only that a key has more), so both paths weigh a pair alike. The records' counts come
from the path that scores them (``Features.frequencies``): the batch match counts the whole
index once per run, the real-time linker counts what its candidate query read, its own batch
and the record itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, cast

from matching.engine.compiled import _Compiled, _Field
from matching.engine.features import Features
from matching.keys import value_key

#: Records of one real thing that may share a value (two in each system of a typical
#: enterprise); a value shared by more is common, and weighs less.
REFERENCE = 8
#: Counts are capped here (the real-time path's ``REALTIME_BLOCK`` + 1).
CAP = 51


def count_of(features: Features, spec: _Field) -> int:
    """How many records share this record's value of ``spec`` (0 when not counted)."""
    table = features.frequencies
    if not table:
        return 0
    # Memoized beside the comparators' prepared values, under value_key and the attribute.
    cache_key = cast("tuple[Callable[[str], Any], str]", (value_key, spec.alternatives[0]))
    cache = features.cache
    if cache_key in cache:
        key = cache[cache_key]
    else:
        key = cache[cache_key] = value_key(
            features.entity, spec.alternatives[0], features.raw, features.flagged
        )
    return table.get(key, 0) if key else 0


def penalty(count: int, weight: float) -> float:
    """Bits taken off an agreement of ``weight`` on a value ``count`` records share."""
    if count <= REFERENCE:
        return 0.0
    return min(math.log2(min(count, CAP) / REFERENCE), max(weight, 0.0))


def shared_count(spec: _Field, a: Features, b: Features) -> int:
    """The count a pair agreeing on ``spec`` is weighed by: the larger of the two sides' (the
    same key on both sides when the values agree exactly)."""
    return max(count_of(a, spec), count_of(b, spec))


def common_value_note(note: str, count: int) -> str:
    """A level's note with the count its weight was lowered for: "same name; a value 24
    records share" (``more than 50`` at the cap)."""
    held = f"more than {CAP - 1}" if count >= CAP else str(count)
    return f"{note}; a value {held} records share"


def field_counts(c: _Compiled, a: Features, b: Features, levels: Sequence[int]) -> tuple[int, ...]:
    """Per field of the rule, the count a compared pair's agreement was weighed down for (0
    where none): what a stored explanation needs to show the weights the pair was decided
    by once the records' counts are gone. Empty when no value of the pair was counted."""
    if not c.frequency_fields or not (a.frequencies or b.frequencies):
        return ()
    counts = [0] * len(c.fields)
    for position, spec in c.frequency_fields:
        if levels[position] == 0:
            count = shared_count(spec, a, b)
            if penalty(count, spec.weights[0]):
                counts[position] = count
    return tuple(counts) if any(counts) else ()


def frequency_penalty(c: _Compiled, a: Features, b: Features, levels: Sequence[int]) -> float:
    """Bits taken off a compared pair's weight for the common values it agrees on."""
    if not c.frequency_fields or not (a.frequencies or b.frequencies):
        return 0.0
    total = 0.0
    for position, spec in c.frequency_fields:
        if levels[position] == 0:
            total += penalty(shared_count(spec, a, b), spec.weights[0])
    return total
