"""Match explanation notes in the steward's language.

The engine writes each explanation row's note in English ("same name", "veto:
different_credit_code", "same name; a value 24 records share"): it is stored with the candidate
and the link, and a source system reads it through the API as it was written. The admin shows
it translated: a level label of the shipped rules, a hard rule, the generic notes, and the
suffix a common value adds (``matching.engine.frequency``). A note this module does not know (a
level a steward named in an edited rule, the goods notes that already carry both languages) is
shown as it was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from matching.normalize.goods_words import DIMENSION_NAMES
from mdm.linking.rule_store import load_rule

#: The identifiers the shipped rules' hard rules name ("veto: different_credit_code").
HARD_RULE_FIELDS = ("credit_code", "org_code", "id_number", "gtin")


def hard_rule_fields(entity: str) -> tuple[str, ...]:
    """The identifiers a hard rule's note may name for ``entity``: the shipped ones and those
    of the entity's stored rule (a steward may add one), whose labels the page reads."""
    hard = load_rule(entity).hard
    return tuple(dict.fromkeys([*HARD_RULE_FIELDS, *hard.veto_on_different, *hard.auto_on_same]))


#: The level labels of the shipped rules (``matching.rules.defaults``), every entity's.
LEVEL_LABELS = {
    "close": pgettext_lazy("match level", "close"),
    "day and month transposed": pgettext_lazy("match level", "day and month transposed"),
    "different": pgettext_lazy("match level", "different"),
    "different address": pgettext_lazy("match level", "different address"),
    "different code": pgettext_lazy("match level", "different code"),
    "different model": pgettext_lazy("match level", "different model"),
    "different number": pgettext_lazy("match level", "different number"),
    "different numbers": pgettext_lazy("match level", "different numbers"),
    "different region": pgettext_lazy("match level", "different region"),
    "other mail domain": pgettext_lazy("match level", "other mail domain"),
    "homophone (same pinyin)": pgettext_lazy("match level", "homophone (same pinyin)"),
    "nearly the same": pgettext_lazy("match level", "nearly the same"),
    "one contains the other": pgettext_lazy("match level", "one contains the other"),
    "one digit off / two digits swapped": pgettext_lazy(
        "match level", "one digit off / two digits swapped"
    ),
    "one part agrees": pgettext_lazy("match level", "one part agrees"),
    "one region contains the other": pgettext_lazy("match level", "one region contains the other"),
    "one typo": pgettext_lazy("match level", "one typo"),
    "other category": pgettext_lazy("match level", "other category"),
    "other contact": pgettext_lazy("match level", "other contact"),
    "other group": pgettext_lazy("match level", "other group"),
    "other province": pgettext_lazy("match level", "other province"),
    "other type": pgettext_lazy("match level", "other type"),
    "other unit": pgettext_lazy("match level", "other unit"),
    "rather similar": pgettext_lazy("match level", "rather similar"),
    "same": pgettext_lazy("match level", "same"),
    "same address": pgettext_lazy("match level", "same address"),
    "same brand": pgettext_lazy("match level", "same brand"),
    "same category": pgettext_lazy("match level", "same category"),
    "same code": pgettext_lazy("match level", "same code"),
    "same contact": pgettext_lazy("match level", "same contact"),
    "same core name": pgettext_lazy("match level", "same core name"),
    "same day and month, another year": pgettext_lazy(
        "match level", "same day and month, another year"
    ),
    "same date": pgettext_lazy("match level", "same date"),
    "same district": pgettext_lazy("match level", "same district"),
    "same division": pgettext_lazy("match level", "same division"),
    "same group": pgettext_lazy("match level", "same group"),
    "same last 8 digits": pgettext_lazy("match level", "same last 8 digits"),
    "same mailbox, other domain": pgettext_lazy("match level", "same mailbox, other domain"),
    "same organization mail domain": pgettext_lazy("match level", "same organization mail domain"),
    "same model": pgettext_lazy("match level", "same model"),
    "same name": pgettext_lazy("match level", "same name"),
    "same number": pgettext_lazy("match level", "same number"),
    "same numbers": pgettext_lazy("match level", "same numbers"),
    "same pinyin / other script": pgettext_lazy("match level", "same pinyin / other script"),
    "same province": pgettext_lazy("match level", "same province"),
    "same region": pgettext_lazy("match level", "same region"),
    "same role mailbox (admin@, office@…)": pgettext_lazy(
        "match level", "same role mailbox (admin@, office@…)"
    ),
    "same specification": pgettext_lazy("match level", "same specification"),
    "same specification, 2 attributes": pgettext_lazy(
        "match level", "same specification, 2 attributes"
    ),
    "same specification, 3 or more attributes": pgettext_lazy(
        "match level", "same specification, 3 or more attributes"
    ),
    "same tokens / one typo": pgettext_lazy("match level", "same tokens / one typo"),
    "same type": pgettext_lazy("match level", "same type"),
    "same unit": pgettext_lazy("match level", "same unit"),
    "same words, attributes aside / one name contains the other": pgettext_lazy(
        "match level", "same words, attributes aside / one name contains the other"
    ),
    "short name / abbreviation of the other": pgettext_lazy(
        "match level", "short name / abbreviation of the other"
    ),
    "similar": pgettext_lazy("match level", "similar"),
    "similar contact": pgettext_lazy("match level", "similar contact"),
    "somewhat similar": pgettext_lazy("match level", "somewhat similar"),
    "transliterated or two-character short name": pgettext_lazy(
        "match level", "transliterated or two-character short name"
    ),
    "two digits off, same year": pgettext_lazy("match level", "two digits off, same year"),
}

#: Notes the engine and the linkers write whole.
FIXED_NOTES = {
    "missing on one side": _("missing on one side"),
    "flagged invalid: not used": _("flagged invalid: not used"),
    "not compared (changed since the merge)": _("not compared (changed since the merge)"),
    "merged by the batch match": _("merged by the batch match"),
    "changed since the merge: the values shown are current": _(
        "changed since the merge: the values shown are current"
    ),
    "hard rule: Chinese names differ, review only": _(
        "hard rule: Chinese names differ, review only"
    ),
    "hard rule: names differ, review only": _("hard rule: names differ, review only"),
    "hard rule: one mail domain, other regions, review only": _(
        "hard rule: one mail domain, other regions, review only"
    ),
    "hard rule: Chinese names differ, no phone or e-mail shared": _(
        "hard rule: Chinese names differ, no phone or e-mail shared"
    ),
    "hard rule: the only company in the hub this name can stand for": _(
        "hard rule: the only company in the hub this name can stand for"
    ),
    "hard rule: a name the golden record is known by (steward-confirmed alias)": _(
        "hard rule: a name the golden record is known by (steward-confirmed alias)"
    ),
}

#: The vetoes that are not "different <identifier>" or "conflicting <attribute>".
VETO_LABELS = {
    "person_vs_organization": _("a person and an organization"),
    "branch_vs_head_office": _("a branch and a head office"),
    "different_branch": _("two different branches"),
    "different_persons": _("two different persons"),
}

_COMMON_VALUE = re.compile(
    r"^(?P<note>.*); a value (?P<more>more than )?(?P<count>\d+) records share$"
)
_VETO = re.compile(r"^veto: (?P<rule>[a-z0-9_]+)(?P<tail> \(golden records\))?$")
_MOVED = re.compile(r"^moved with its golden record: (?P<pair>.*)$")
_SAME_VALID = re.compile(r"^hard rule: same valid (?P<field>[a-z0-9_]+)$")


def note_label(note: Any, labels: Mapping[str, Any] | None = None) -> str:
    """``note`` in the active language; ``labels``: element code -> its label, for the
    identifiers and attributes a hard rule names (the code itself where missing)."""
    text = "" if note is None else str(note)
    known = LEVEL_LABELS.get(text) or FIXED_NOTES.get(text)
    if known is not None:
        return str(known)
    if found := _COMMON_VALUE.match(text):
        values = {"note": note_label(found["note"], labels), "count": found["count"]}
        if found["more"]:
            return gettext("%(note)s; a value more than %(count)s records share") % values
        return gettext("%(note)s; a value %(count)s records share") % values
    if found := _VETO.match(text):
        rule = _veto_label(found["rule"], labels or {})
        if found["tail"]:
            return gettext("veto: %(rule)s (golden records)") % {"rule": rule}
        return gettext("veto: %(rule)s") % {"rule": rule}
    if found := _MOVED.match(text):
        return gettext("moved with its golden record: %(pair)s") % {"pair": found["pair"]}
    if found := _SAME_VALID.match(text):
        field = _field_label(found["field"], labels or {})
        return gettext("hard rule: same valid %(field)s") % {"field": field}
    return text


def _field_label(code: str, labels: Mapping[str, Any]) -> str:
    return str(labels.get(code) or code)


def _dimension_label(dimension: str) -> str:
    """A goods attribute's name (``DIMENSION_NAMES``: "容量 volume") in the active language."""
    name = DIMENSION_NAMES.get(dimension, "")
    chinese, _space, english = name.partition(" ")
    if not english:
        return name
    return chinese if (get_language() or "zh").startswith("zh") else english


def _veto_label(rule: str, labels: Mapping[str, Any]) -> str:
    if rule in VETO_LABELS:
        return str(VETO_LABELS[rule])
    if rule.startswith("different_"):
        return gettext("different %(field)s") % {
            "field": _field_label(rule.removeprefix("different_"), labels)
        }
    if rule.startswith("conflicting_"):
        dimension = rule.removeprefix("conflicting_")
        return gettext("conflicting %(attribute)s") % {
            "attribute": _dimension_label(dimension) or _field_label(dimension, labels)
        }
    return rule
