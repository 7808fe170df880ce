"""Stored customer rules weigh two mailboxes at one organization's own domain, as the shipped
rule does.

The shipped customer rule has a field ``email_domain`` (organizations only): two addresses at
one organization's own domain (``finance@huaxin.com.cn`` / ``li.ming@huaxin.com.cn``; a public
provider's such as qq.com is no evidence) say one organization. A rule stored before (a fitted
rule, a steward's edit, a rollout's candidate and the rule it replaced) gains the field right
after its e-mail field, with the shipped levels; the next batch match re-fits them with the
rest (the shipped rule's comparisons changed, so the stored weights are stale). A rule with no
e-mail field, or with the new one already, is left as it is.
"""

from __future__ import annotations

from django.db import migrations

from matching.migrations._stored_rules import change_stored_rules

FIELD = {
    "name": "email_domain",
    "comparator": "email_domain",
    "applies_to": "organization",
    "term_frequency": False,
    "levels": [
        {"min_similarity": 1.0, "m": 0.2, "u": 1e-4, "label": "same organization mail domain"},
        {"min_similarity": 0.0, "m": 0.8, "u": 0.9999, "label": "other mail domain"},
    ],
}


def _add_field(config: dict) -> bool:
    fields = config.get("fields") or []
    names = {f.get("name") for f in fields}
    if any(f.get("comparator") == "email_domain" for f in fields) or "email_domain" in names:
        return False
    at = next((k for k, f in enumerate(fields) if f.get("comparator") == "email"), None)
    if at is None:
        return False
    field = {**FIELD, "field": fields[at].get("field", "email")}
    field["levels"] = [dict(level) for level in FIELD["levels"]]
    fields.insert(at + 1, field)
    return True


def forwards(apps, schema_editor):
    change_stored_rules(apps, "customers", _add_field, replaced=True)


class Migration(migrations.Migration):
    dependencies = [("matching", "0013_birth_day_of_another_year")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
