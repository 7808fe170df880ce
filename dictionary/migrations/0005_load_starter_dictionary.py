"""The starter dictionary (fixtures/dictionary.json) on a fresh database.

A first deployment (`migrate`, `create_source_system`, `import_source`) needs the dictionary:
without it every attribute of every record is "not an element of the data dictionary". This
loads it with the dictionary's own loader, which is idempotent: rows already there (a database
where `load_dictionary` or `make run` loaded it) are left alone, a steward's additions survive.
Later changes to the document reach an existing hub with `manage.py load_dictionary`.
"""

from django.db import migrations


def load_starter_dictionary(apps, schema_editor):
    from dictionary.services import load_starter_dictionary as load

    load(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("dictionary", "0004_dictionary_revision")]

    operations = [
        migrations.RunPython(load_starter_dictionary, migrations.RunPython.noop, elidable=False),
    ]
