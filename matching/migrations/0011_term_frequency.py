"""Stored customer rules weigh common values as the shipped rule does (``term_frequency``).

A rule stored before the setting existed (a fitted rule, a steward's edit, a rollout's
candidate) would keep every value at its average weight. The fields the shipped rule weighs by
frequency — the company name, the person name, the phone and the e-mail — get the setting
wherever a stored rule does not say; a rule that says ``false`` keeps it.
"""

from __future__ import annotations

from django.db import migrations

from matching.migrations._stored_rules import change_stored_rules

#: The shipped customers' rule's fields with ``term_frequency`` (``matching.rules.defaults``).
FIELDS = {"company_name", "person_name", "phone", "email"}


def _weigh_common_values(config: dict) -> bool:
    changed = False
    for field in config.get("fields") or []:
        if field.get("name") in FIELDS and "term_frequency" not in field:
            field["term_frequency"] = True
            changed = True
    return changed


def forwards(apps, schema_editor):
    change_stored_rules(apps, "customers", _weigh_common_values)


class Migration(migrations.Migration):
    dependencies = [("matching", "0010_match_rule_shadow_decisions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
