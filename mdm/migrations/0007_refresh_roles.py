"""Roles again, now that every model they name exists (quality, jobs, webhooks, matching)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from mdm.access.roles import ensure_roles


def refresh_roles(apps, schema_editor):
    for label in ("mdm", "dictionary", "matching", "auth", "admin"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("mdm", "0006_security_roles"),
        ("matching", "0002_batch_match_pairs"),
        ("dictionary", "0003_dataelement_sensitivity_permission"),
    ]
    operations = [migrations.RunPython(refresh_roles, migrations.RunPython.noop)]
