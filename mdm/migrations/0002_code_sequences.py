"""Number sources for global codes: a PostgreSQL sequence per entity, counter rows elsewhere."""

from django.db import migrations

ENTITIES = ("customers", "products", "materials")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for entity in ENTITIES:
            schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS mdm_code_seq_{entity} START 1")
    else:
        counter = apps.get_model("mdm", "CodeCounter")
        for entity in ENTITIES:
            counter.objects.get_or_create(entity=entity)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for entity in ENTITIES:
            schema_editor.execute(f"DROP SEQUENCE IF EXISTS mdm_code_seq_{entity}")


class Migration(migrations.Migration):
    dependencies = [("mdm", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
