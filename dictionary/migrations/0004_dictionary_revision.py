"""The dictionary's revision counter and, on PostgreSQL, the triggers that raise it."""

from django.db import migrations, models

#: The tables whose changes the compiled dictionary must see.
TABLES = (
    "dictionary_dataelement",
    "dictionary_elementbinding",
    "dictionary_valuedomain",
    "dictionary_codevalue",
)

# The number comes from a sequence, which a rollback does not take back: a revision seen inside
# a transaction that was rolled back is never the number of another change (a process that
# compiled the dictionary in that transaction would otherwise take the other change for it).
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION dictionary_raise_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE dictionary_dictionaryrevision SET number = nextval('dictionary_revision_seq')
    WHERE id = 1;
    RETURN NULL;
END
$$
"""


def create_triggers(apps, schema_editor):
    apps.get_model("dictionary", "DictionaryRevision").objects.update_or_create(pk=1)
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS dictionary_revision_seq")
    schema_editor.execute(CREATE_FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_raises_revision AFTER INSERT OR UPDATE OR DELETE OR "
            f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION dictionary_raise_revision()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_raises_revision ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS dictionary_raise_revision()")
    schema_editor.execute("DROP SEQUENCE IF EXISTS dictionary_revision_seq")


class Migration(migrations.Migration):
    dependencies = [("dictionary", "0003_dataelement_sensitivity_permission")]

    operations = [
        migrations.CreateModel(
            name="DictionaryRevision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "dictionary revision",
                "verbose_name_plural": "dictionary revisions",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
