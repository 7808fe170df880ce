"""Stored customer rules read the same day of another year as the shipped rule does.

The birth-date comparator now gives 0.6 to two dates of the same day and month in different
years (a year mistyped, or taken from another date); the shipped rule has a level for it,
between "one digit off" (0.8) and "two digits off, same year" (0.5). A rule stored before (a
fitted rule, a steward's edit, a rollout's candidate) would read such a pair as its next lower
level. Where a stored birth-date field ends with a level from 0.0, has none from 0.6, and
has one for "one digit off" (from 0.8 at most) right above where it goes, the new level goes
in above the first level below 0.6, split off the last one: u 1 in 365 (two dates share a day
of the year that often), m 0.01, both taken from the last level (at most half of its), so
each column still sums to what it did. A coarser rule (1.0 / 0.0) would read one digit off as
the new level, and is left as it is; so is one with a level from 0.6 already. A rollout's
``previous`` rule (what a rollback restores) is migrated like its candidate.
"""

from __future__ import annotations

from django.db import migrations

from matching.migrations._stored_rules import change_stored_rules

LABEL = "same day and month, another year"
SIMILARITY = 0.6
#: The new level goes in only below a level of its own for one digit off.
ABOVE = 0.8
M, U = 0.01, 0.0027


def _add_level(config: dict) -> bool:
    changed = False
    for field in config.get("fields") or []:
        if field.get("comparator") != "birth_date":
            continue
        levels = field.get("levels") or []
        thresholds = [level.get("min_similarity", 0.0) for level in levels]
        if len(levels) < 2 or thresholds[-1] != 0.0 or SIMILARITY in thresholds:
            continue
        below = next(k for k, t in enumerate(thresholds) if t < SIMILARITY)
        if below == 0 or thresholds[below - 1] > ABOVE:
            # No level between it and 0.6 for a date one digit off (0.8) or transposed (0.9):
            # the new level would catch those too.
            continue
        last = levels[-1]
        m = min(M, float(last.get("m", 0.0)) / 2)
        u = min(U, float(last.get("u", 0.0)) / 2)
        if m <= 0 or u <= 0:
            continue
        last["m"], last["u"] = float(last["m"]) - m, float(last["u"]) - u
        levels.insert(below, {"min_similarity": SIMILARITY, "m": m, "u": u, "label": LABEL})
        changed = True
    return changed


def forwards(apps, schema_editor):
    # A rollout keeps the rule it replaced, for a rollback: that one reads dates too.
    change_stored_rules(apps, "customers", _add_level, replaced=True)


class Migration(migrations.Migration):
    dependencies = [("matching", "0012_batch_match_merge")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
