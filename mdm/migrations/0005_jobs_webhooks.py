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
                ('url', models.URLField(max_length=500, verbose_name='接收地址 URL')),
                ('entities', models.JSONField(blank=True, default=list, help_text='留空表示全部 empty: all', verbose_name='实体 entities')),
                ('is_active', models.BooleanField(default=True, verbose_name='启用 active')),
                ('cursor', models.BigIntegerField(default=0, help_text='最后送达的事件序号 last delivered event seq', verbose_name='游标 cursor')),
                ('last_delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='最后送达 last delivered')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='创建时间 created')),
                ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name='更新时间 updated')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('system', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.sourcesystem', verbose_name='源系统 system')),
            ],
            options={
                'verbose_name': 'historical Webhook 订阅 webhook subscription',
                'verbose_name_plural': 'historical Webhook 订阅 webhook subscriptions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='JobRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=40, verbose_name='类型 kind')),
                ('entity', models.CharField(blank=True, default='', max_length=20, verbose_name='实体 entity')),
                ('status', models.CharField(choices=[('planning', '规划中 planning'), ('running', '运行中 running'), ('finalizing', '收尾中 finalizing'), ('succeeded', '成功 succeeded'), ('failed', '失败 failed')], default='planning', max_length=12, verbose_name='状态 status')),
                ('params', models.JSONField(blank=True, default=dict, verbose_name='参数 parameters')),
                ('total_chunks', models.PositiveIntegerField(default=0, verbose_name='分块总数 total chunks')),
                ('done_chunks', models.PositiveIntegerField(default=0, verbose_name='已完成分块 done chunks')),
                ('failed_chunks', models.PositiveIntegerField(default=0, verbose_name='失败分块 failed chunks')),
                ('counts', models.JSONField(blank=True, default=dict, verbose_name='计数 counts')),
                ('timings', models.JSONField(blank=True, default=dict, verbose_name='耗时(秒) timings (s)')),
                ('log', models.TextField(blank=True, default='', verbose_name='日志 log')),
                ('error', models.TextField(blank=True, default='', verbose_name='错误 error')),
                ('resumed', models.PositiveSmallIntegerField(default=0, verbose_name='恢复次数 times resumed')),
                ('started_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='开始时间 started')),
                ('heartbeat_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='心跳时间 heartbeat')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='结束时间 finished')),
            ],
            options={
                'verbose_name': '后台任务运行 job run',
                'verbose_name_plural': '后台任务运行 job runs',
                'ordering': ['-pk'],
                'indexes': [models.Index(fields=['kind', 'entity', 'status'], name='jobrun_kind_idx')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status__in', ('planning', 'running', 'finalizing'))), fields=('kind', 'entity'), name='jobrun_one_unfinished_per_kind_entity')],
            },
        ),
        migrations.CreateModel(
            name='WebhookSubscription',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('url', models.URLField(max_length=500, verbose_name='接收地址 URL')),
                ('entities', models.JSONField(blank=True, default=list, help_text='留空表示全部 empty: all', verbose_name='实体 entities')),
                ('secret', models.CharField(max_length=200, verbose_name='签名密钥 signing secret')),
                ('is_active', models.BooleanField(default=True, verbose_name='启用 active')),
                ('cursor', models.BigIntegerField(default=0, help_text='最后送达的事件序号 last delivered event seq', verbose_name='游标 cursor')),
                ('last_delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='最后送达 last delivered')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间 created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间 updated')),
                ('system', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='webhooks', to='mdm.sourcesystem', verbose_name='源系统 system')),
            ],
            options={
                'verbose_name': 'Webhook 订阅 webhook subscription',
                'verbose_name_plural': 'Webhook 订阅 webhook subscriptions',
                'ordering': ['system__code', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalWebhookDelivery',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('status', models.CharField(choices=[('retrying', '重试中 retrying'), ('delivered', '已送达 delivered'), ('dead', '死信 dead letter'), ('skipped', '已跳过 skipped')], default='retrying', max_length=10, verbose_name='状态 status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='尝试次数 attempts')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='下次尝试 next attempt')),
                ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='最后响应码 last HTTP status')),
                ('last_error', models.TextField(blank=True, default='', verbose_name='最后错误 last error')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='送达时间 delivered')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='创建时间 created')),
                ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name='更新时间 updated')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('event', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.event', verbose_name='事件 event')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('subscription', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.webhooksubscription', verbose_name='订阅 subscription')),
            ],
            options={
                'verbose_name': 'historical Webhook 投递 webhook delivery',
                'verbose_name_plural': 'historical Webhook 投递 webhook deliveries',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='JobChunk',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=200, verbose_name='分块 chunk')),
                ('status', models.CharField(choices=[('pending', '待处理 pending'), ('running', '处理中 running'), ('done', '完成 done'), ('failed', '失败 failed')], default='pending', max_length=10, verbose_name='状态 status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='尝试次数 attempts')),
                ('counts', models.JSONField(blank=True, default=dict, verbose_name='计数 counts')),
                ('seconds', models.FloatField(blank=True, null=True, verbose_name='耗时(秒) seconds')),
                ('error', models.TextField(blank=True, default='', verbose_name='错误 error')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='开始时间 started')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='结束时间 finished')),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='mdm.jobrun', verbose_name='运行 run')),
            ],
            options={
                'verbose_name': '任务分块 job chunk',
                'verbose_name_plural': '任务分块 job chunks',
                'ordering': ['job', 'pk'],
                'indexes': [models.Index(fields=['job', 'status'], name='jobchunk_job_status_idx')],
                'constraints': [models.UniqueConstraint(fields=('job', 'key'), name='jobchunk_unique_key_per_run')],
            },
        ),
        migrations.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('retrying', '重试中 retrying'), ('delivered', '已送达 delivered'), ('dead', '死信 dead letter'), ('skipped', '已跳过 skipped')], default='retrying', max_length=10, verbose_name='状态 status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='尝试次数 attempts')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='下次尝试 next attempt')),
                ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='最后响应码 last HTTP status')),
                ('last_error', models.TextField(blank=True, default='', verbose_name='最后错误 last error')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='送达时间 delivered')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间 created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间 updated')),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='mdm.event', verbose_name='事件 event')),
                ('subscription', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='mdm.webhooksubscription', verbose_name='订阅 subscription')),
            ],
            options={
                'verbose_name': 'Webhook 投递 webhook delivery',
                'verbose_name_plural': 'Webhook 投递 webhook deliveries',
                'ordering': ['-pk'],
                'indexes': [models.Index(fields=['subscription', 'status'], name='webhookdelivery_status_idx')],
                'constraints': [models.UniqueConstraint(fields=('subscription', 'event'), name='webhookdelivery_one_per_event')],
            },
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
