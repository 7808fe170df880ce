"""Security: the auditor role and view_personal_data, source systems' granted entities, blind
indexes, personal golden columns as text (they hold ciphertexts), the append-only audit log
(a trigger refuses UPDATE and DELETE) and the admin login failure counters."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import mdm.records.models.sources
from mdm.access.roles import ensure_roles

APPEND_ONLY_PG = """
CREATE OR REPLACE FUNCTION mdm_auditlog_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'mdm_auditlog is append-only: % refused', TG_OP;
END
$$;
DROP TRIGGER IF EXISTS mdm_auditlog_append_only ON mdm_auditlog;
CREATE TRIGGER mdm_auditlog_append_only
    BEFORE UPDATE OR DELETE ON mdm_auditlog
    FOR EACH ROW EXECUTE FUNCTION mdm_auditlog_append_only();
"""
DROP_PG = """
DROP TRIGGER IF EXISTS mdm_auditlog_append_only ON mdm_auditlog;
DROP FUNCTION IF EXISTS mdm_auditlog_append_only();
"""
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS mdm_auditlog_no_update BEFORE UPDATE ON mdm_auditlog "
    "BEGIN SELECT RAISE(ABORT, 'mdm_auditlog is append-only'); END;",
    "CREATE TRIGGER IF NOT EXISTS mdm_auditlog_no_delete BEFORE DELETE ON mdm_auditlog "
    "BEGIN SELECT RAISE(ABORT, 'mdm_auditlog is append-only'); END;",
]


def add_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_PG, params=None)
    elif vendor == "sqlite":
        for statement in APPEND_ONLY_SQLITE:
            schema_editor.execute(statement)


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(DROP_PG, params=None)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS mdm_auditlog_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS mdm_auditlog_no_delete")


def update_roles(apps, schema_editor):
    for label in ("mdm", "dictionary", "auth", "admin"):
        try:
            app_config = apps.get_app_config(label)
        except LookupError:
            continue
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def drop_auditor(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="auditor").delete()


def _text(name: str, label: str) -> migrations.AlterField:
    return migrations.AlterField(
        model_name=name.split(".")[0],
        name=name.split(".")[1],
        field=models.TextField(blank=True, verbose_name=label),
    )


PERSONAL_COLUMNS = {
    "address": "address",
    "contact_name": "contact",
    "email": "email",
    "id_number": "resident ID",
    "phone": "phone",
}


class Migration(migrations.Migration):
    dependencies = [
        ("mdm", "0003_roles"),
        # Only to keep one leaf while the parallel 0004/0005 land; reconcile when merging.
        ("mdm", "0005_jobs_webhooks"),
        ("dictionary", "0003_dataelement_sensitivity_permission"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name=model,
                name="granted_entities",
                field=models.JSONField(
                    blank=True,
                    default=mdm.records.models.sources.all_entities,
                    verbose_name="granted entities",
                ),
            )
            for model in ("sourcesystem", "historicalsourcesystem")
        ),
        *(
            migrations.AddField(
                model_name=model,
                name="blind_index",
                field=models.JSONField(blank=True, default=dict, verbose_name="blind index"),
            )
            for model in ("sourcerecord", "historicalsourcerecord")
        ),
        *(
            _text(f"{model}.{column}", label)
            for model in ("customer", "historicalcustomer")
            for column, label in PERSONAL_COLUMNS.items()
        ),
        migrations.CreateModel(
            name="AuditLog",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="at"),
                ),
                (
                    "actor_name",
                    models.CharField(blank=True, max_length=150, verbose_name="account"),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("unmask", "Unmask"),
                            ("read", "Read personal data"),
                            ("export", "Export"),
                        ],
                        max_length=10,
                        verbose_name="action",
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("api", "API"),
                            ("admin", "Admin"),
                            ("command", "Command"),
                        ],
                        max_length=10,
                        verbose_name="channel",
                    ),
                ),
                ("entity", models.CharField(blank=True, max_length=20, verbose_name="entity")),
                (
                    "record",
                    models.CharField(
                        blank=True, db_index=True, max_length=200, verbose_name="record"
                    ),
                ),
                ("fields", models.JSONField(blank=True, default=list, verbose_name="fields")),
                (
                    "reason",
                    models.CharField(blank=True, max_length=300, verbose_name="reason"),
                ),
                ("ip", models.CharField(blank=True, max_length=64, verbose_name="IP")),
                (
                    "user_agent",
                    models.CharField(blank=True, max_length=300, verbose_name="user agent"),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="actor",
                    ),
                ),
            ],
            options={
                "verbose_name": "audit log entry",
                "verbose_name_plural": "audit log",
                "ordering": ["-at", "-id"],
                "permissions": [
                    ("view_personal_data", "Can view unmasked personal data")
                ],
            },
        ),
        migrations.CreateModel(
            name="LoginFailure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("username", models.CharField(max_length=150)),
                ("ip", models.CharField(max_length=64)),
                ("failures", models.PositiveIntegerField(default=0)),
                ("first_failure_at", models.DateTimeField()),
                ("locked_until", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "login failure",
                "verbose_name_plural": "login failures",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("username", "ip"), name="loginfailure_unique_user_ip"
                    )
                ],
            },
        ),
        migrations.RunPython(add_trigger, drop_trigger),
        migrations.RunPython(update_roles, drop_auditor),
    ]
