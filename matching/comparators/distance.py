"""String distances shared by the comparators (rapidfuzz, bound once)."""

from __future__ import annotations

from rapidfuzz.distance import OSA, JaroWinkler

_jw = JaroWinkler.normalized_similarity
# Optimal string alignment: one substitution, insertion, deletion *or adjacent transposition*
# (4350 / 4305) counts as one typo.
_osa = OSA.distance
