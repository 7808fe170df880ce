"""Job runs and their chunks, webhook subscriptions and deliveries, and the outbox ordering trigger.

The trigger makes every INSERT into mdm_event take a transaction-level advisory lock before the
rows get their sequence numbers, so events commit in sequence order (see mdm.feed.outbox).
"""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models

# Two-int advisory key (0x4D444D "MDM", 1 = outbox): mdm.feed.outbox.OUTBOX_LOCK.
CREATE_TRIGGER = """
CREATE OR REPLACE FUNCTION mdm_event_serialize_inserts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Held until commit: the next writer of events gets its seq after this one committed.
    PERFORM pg_advisory_xact_lock(5063757, 1);
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS mdm_event_serialize_inserts ON mdm_event;
CREATE TRIGGER mdm_event_serialize_inserts
    BEFORE INSERT ON mdm_event
    FOR EACH STATEMENT EXECUTE FUNCTION mdm_event_serialize_inserts();
"""

DROP_TRIGGER = """
DROP TRIGGER IF EXISTS mdm_event_serialize_inserts ON mdm_event;
DROP FUNCTION IF EXISTS mdm_event_serialize_inserts();
"""


def create_trigger(apps, schema_editor):
    # PostgreSQL only: SQLite allows one writing transaction at a time, which is the same order.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_TRIGGER, params=None)  # as is: no %-interpolation


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('mdm', '0004_quality'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalWebhookSubscription',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('url', models.URLField(max_length=500, verbose_name="URL")),
                ('entities', models.JSONField(blank=True, default=list, help_text="empty: all", verbose_name="entities")),
                ('is_active', models.BooleanField(default=True, verbose_name="active")),
                ('cursor', models.BigIntegerField(default=0, help_text="last delivered event seq", verbose_name="cursor")),
                ('last_delivered_at', models.DateTimeField(blank=True, null=True, verbose_name="last delivered")),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name="created")),
                ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name="updated")),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('system', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.sourcesystem', verbose_name="system")),
            ],
            options={
                'verbose_name': "historical webhook subscription",
                'verbose_name_plural': "historical webhook subscriptions",
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='JobRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=40, verbose_name="kind")),
                ('entity', models.CharField(blank=True, default='', max_length=20, verbose_name="entity")),
                ('status', models.CharField(choices=[('planning', "planning"), ('running', "running"), ('finalizing', "finalizing"), ('succeeded', "succeeded"), ('failed', "failed")], default='planning', max_length=12, verbose_name="status")),
                ('params', models.JSONField(blank=True, default=dict, verbose_name="parameters")),
                ('total_chunks', models.PositiveIntegerField(default=0, verbose_name="total chunks")),
                ('done_chunks', models.PositiveIntegerField(default=0, verbose_name="done chunks")),
                ('failed_chunks', models.PositiveIntegerField(default=0, verbose_name="failed chunks")),
                ('counts', models.JSONField(blank=True, default=dict, verbose_name="counts")),
                ('timings', models.JSONField(blank=True, default=dict, verbose_name="timings (s)")),
                ('log', models.TextField(blank=True, default='', verbose_name="log")),
                ('error', models.TextField(blank=True, default='', verbose_name="error")),
                ('resumed', models.PositiveSmallIntegerField(default=0, verbose_name="times resumed")),
                ('started_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name="started")),
                ('heartbeat_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name="heartbeat")),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name="finished")),
            ],
            options={
                'verbose_name': "job run",
                'verbose_name_plural': "job runs",
                'ordering': ['-pk'],
                'indexes': [models.Index(fields=['kind', 'entity', 'status'], name='jobrun_kind_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status__in', ('planning', 'running', 'finalizing'))), fields=('kind', 'entity'), name='jobrun_one_unfinished_per_kind_entity')],
            },
        ),
        migrations.CreateModel(
            name='WebhookSubscription',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('url', models.URLField(max_length=500, verbose_name="URL")),
                ('entities', models.JSONField(blank=True, default=list, help_text="empty: all", verbose_name="entities")),
                ('secret', models.CharField(max_length=200, verbose_name="signing secret")),
                ('is_active', models.BooleanField(default=True, verbose_name="active")),
                ('cursor', models.BigIntegerField(default=0, help_text="last delivered event seq", verbose_name="cursor")),
                ('last_delivered_at', models.DateTimeField(blank=True, null=True, verbose_name="last delivered")),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name="updated")),
                ('system', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='webhooks', to='mdm.sourcesystem', verbose_name="system")),
            ],
            options={
                'verbose_name': "webhook subscription",
                'verbose_name_plural': "webhook subscriptions",
                'ordering': ['system__code', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalWebhookDelivery',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('status', models.CharField(choices=[('retrying', "retrying"), ('delivered', "delivered"), ('dead', "dead letter"), ('skipped', "skipped")], default='retrying', max_length=10, verbose_name="status")),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name="next attempt")),
                ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="last HTTP status")),
                ('last_error', models.TextField(blank=True, default='', verbose_name="last error")),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name="delivered at")),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name="created")),
                ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name="updated")),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('event', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.event', verbose_name="event")),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('subscription', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.webhooksubscription', verbose_name="subscription")),
            ],
            options={
                'verbose_name': "historical webhook delivery",
                'verbose_name_plural': "historical webhook deliveries",
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='JobChunk',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=200, verbose_name="chunk")),
                ('status', models.CharField(choices=[('pending', "queued"), ('running', "running"), ('done', "done"), ('failed', "failed")], default='pending', max_length=10, verbose_name="status")),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                ('counts', models.JSONField(blank=True, default=dict, verbose_name="counts")),
                ('seconds', models.FloatField(blank=True, null=True, verbose_name="seconds")),
                ('error', models.TextField(blank=True, default='', verbose_name="error")),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name="started")),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name="finished")),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='mdm.jobrun', verbose_name="run")),
            ],
            options={
                'verbose_name': "job chunk",
                'verbose_name_plural': "job chunks",
                'ordering': ['job', 'pk'],
                'indexes': [models.Index(fields=['job', 'status'], name='jobchunk_job_status_idx')],
                'constraints': [models.UniqueConstraint(fields=('job', 'key'), name='jobchunk_unique_key_per_run')],
            },
        ),
        migrations.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('retrying', "retrying"), ('delivered', "delivered"), ('dead', "dead letter"), ('skipped', "skipped")], default='retrying', max_length=10, verbose_name="status")),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name="next attempt")),
                ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="last HTTP status")),
                ('last_error', models.TextField(blank=True, default='', verbose_name="last error")),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name="delivered at")),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name="updated")),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='mdm.event', verbose_name="event")),
                ('subscription', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='mdm.webhooksubscription', verbose_name="subscription")),
            ],
            options={
                'verbose_name': "webhook delivery",
                'verbose_name_plural': "webhook deliveries",
                'ordering': ['-pk'],
                'indexes': [models.Index(fields=['subscription', 'status'], name='webhookdelivery_status_idx')],
                'constraints': [models.UniqueConstraint(fields=('subscription', 'event'), name='webhookdelivery_one_per_event')],
            },
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
