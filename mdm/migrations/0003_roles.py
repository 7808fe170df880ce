"""Roles as groups: mdm_admin (everything), data_steward (work the data), data_viewer (read only)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from mdm.access.roles import ensure_roles


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to assign them.
    for label in ("mdm", "dictionary", "auth"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["data_viewer", "data_steward", "mdm_admin"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("mdm", "0002_code_sequences"),
        ("dictionary", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, drop_roles)]
