"""Admin pages for job runs and webhooks: read-only runs, subscriptions, deliveries, redelivery.

The pages shape and parse; every change goes through ``mdm.feed.webhooks``. A subscription's
secret is asked for (or generated) when it is created, shown once in a message, and never
rendered again: not in the form, not in the list, not in the history.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from dictionary.models import EntityChoices
from mdm.errors import ServiceError
from mdm.feed import webhooks
from mdm.feed.outbox import last_seq
from mdm.models import (
    JobChunkStatusChoices,
    JobRun,
    WebhookDelivery,
    WebhookDeliveryStatusChoices,
    WebhookSubscription,
)
from mdm.stewardship import workbench


def _pretty_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, ensure_ascii=False, indent=2))


class JobHealthFilter(admin.SimpleListFilter):
    """Runs that need an operator: stuck (unfinished, heartbeat stopped) or failed."""

    title = _("Needs attention")
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [("stuck", _("Stuck (no heartbeat)")), ("failed", _("Failed"))]

    def queryset(self, request, queryset):
        if self.value() == "stuck":
            return queryset.filter(pk__in=workbench.stuck_runs().values("pk"))
        if self.value() == "failed":
            return queryset.filter(pk__in=workbench.failed_runs().values("pk"))
        return queryset


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Job runs, read only: what ran, how far it got, what it counted, how long it took."""

    list_display = (
        "id",
        "kind",
        "entity",
        "status",
        "progress",
        "started_at",
        "finished_at",
        "duration_display",
    )
    list_filter = (JobHealthFilter, "kind", "status", "entity")
    fields = (
        "kind",
        "entity",
        "status",
        "progress",
        "params_display",
        "counts_display",
        "timings_display",
        "chunks_display",
        "resumed",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "error_display",
        "log_display",
    )
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("progress"))
    def progress(self, obj: JobRun) -> str:
        text = f"{obj.done_chunks}/{obj.total_chunks}"
        return f"{text} ({obj.failed_chunks} ✗)" if obj.failed_chunks else text

    @admin.display(description=_("duration"))
    def duration_display(self, obj: JobRun) -> str:
        return f"{obj.duration.total_seconds():.1f}s" if obj.duration else "—"

    @admin.display(description=_("parameters"))
    def params_display(self, obj: JobRun):
        return _pretty_json(obj.params)

    @admin.display(description=_("counts"))
    def counts_display(self, obj: JobRun):
        return _pretty_json(obj.counts)

    @admin.display(description=_("timings (s)"))
    def timings_display(self, obj: JobRun):
        return _pretty_json(obj.timings)

    @admin.display(description=_("chunks"))
    def chunks_display(self, obj: JobRun):
        by_status = {
            row["status"]: row["n"]
            for row in obj.chunks.order_by().values("status").annotate(n=Count("pk"))
        }
        summary = ", ".join(
            f"{label}: {by_status[value]}"
            for value, label in JobChunkStatusChoices.choices
            if by_status.get(value)
        )
        failed = obj.chunks.filter(status=JobChunkStatusChoices.FAILED).order_by("pk")[:20]
        rows = format_html_join(
            "", "<li><code>{}</code> {}</li>", ((c.key, c.error[-300:]) for c in failed)
        )
        return format_html("{}<ul>{}</ul>", summary or "—", rows)

    @admin.display(description=_("error"))
    def error_display(self, obj: JobRun):
        return format_html("<pre>{}</pre>", obj.error) if obj.error else "—"

    @admin.display(description=_("log"))
    def log_display(self, obj: JobRun):
        return format_html("<pre>{}</pre>", obj.log[-20_000:]) if obj.log else "—"


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    entities = forms.MultipleChoiceField(
        label=_("entities"),
        choices=EntityChoices.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("none selected: all"),
    )

    class Meta:
        model = WebhookSubscription
        fields = ("system", "url", "entities", "is_active")

    def clean_url(self) -> str:
        try:
            return webhooks.check_url(self.cleaned_data["url"])
        except ServiceError as exc:
            raise forms.ValidationError(exc.localized) from exc


class WebhookSubscriptionAddForm(WebhookSubscriptionForm):
    new_secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        min_length=16,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("leave empty to generate one, shown once"),
    )
    start_after = forms.IntegerField(
        label=_("start after seq"),
        min_value=0,
        help_text=_("default: the current last event"),
    )


class RedeliverActionForm(ActionForm):
    seq = forms.IntegerField(label=_("seq"), min_value=1, required=False)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(SimpleHistoryAdmin):
    """Subscriptions of the source systems; the secret is never shown after creation."""

    form = WebhookSubscriptionForm
    action_form = RedeliverActionForm
    actions = ("redeliver_from_seq", "rotate_secret")
    list_display = (
        "system",
        "url",
        "entities_display",
        "is_active",
        "cursor",
        "dead_letters",
        "last_delivered_at",
    )
    list_filter = ("is_active", "system")
    list_select_related = ("system",)
    readonly_fields = ("cursor", "last_delivered_at", "created_at", "updated_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = WebhookSubscriptionAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("system", "url", "entities", "is_active", "new_secret", "start_after")
        return ("system", "url", "entities", "is_active", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), "start_after": last_seq()}

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created, secret = webhooks.create_subscription(
            system=data["system"],
            url=data["url"],
            entities=data["entities"],
            secret=data["new_secret"],
            start_after=data["start_after"],
            is_active=data["is_active"],
            actor=request.user,
            reason="created in admin",
        )
        obj.pk, obj._state.adding = created.pk, False  # the admin's redirect and log use obj
        if not data["new_secret"]:
            self.message_user(
                request,
                _("Signing secret (shown this once): %s") % secret,
                messages.WARNING,
            )

    @admin.display(description=_("entities"))
    def entities_display(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.entities) if obj.entities else str(_("all"))

    @admin.display(description=_("dead letters"))
    def dead_letters(self, obj: WebhookSubscription) -> int:
        return obj.deliveries.filter(status=WebhookDeliveryStatusChoices.DEAD).count()

    @admin.action(description=_("Redeliver from seq N"))
    def redeliver_from_seq(self, request, queryset) -> None:
        seq = request.POST.get("seq", "").strip()
        if not seq.isdigit() or int(seq) < 1:
            self.message_user(request, _("Enter a seq N ≥ 1"), messages.ERROR)
            return
        for subscription in queryset:
            webhooks.redeliver_from(
                subscription_id=subscription.pk, seq=int(seq), actor=request.user
            )
        self.message_user(
            request,
            _("Redelivery scheduled: %(n)d") % {"n": queryset.count()},
            messages.SUCCESS,
        )

    @admin.action(description=_("Rotate the signing secret"))
    def rotate_secret(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one subscription"), messages.ERROR)
            return
        secret = webhooks.rotate_secret(subscription_id=queryset.get().pk, actor=request.user)
        self.message_user(
            request,
            _("New signing secret (shown this once): %s") % secret,
            messages.WARNING,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(SimpleHistoryAdmin):
    """Deliveries that failed at least once: retrying, dead letters, and how they ended."""

    list_display = (
        "id",
        "subscription",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "updated_at",
    )
    list_filter = ("status", "subscription__system")
    list_select_related = ("subscription__system",)
    actions = ("redeliver", "skip")
    readonly_fields = (
        "subscription",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
        "updated_at",
    )
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Redeliver (in order from this event)"))
    def redeliver(self, request, queryset) -> None:
        n = webhooks.redeliver(
            delivery_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(
            request,
            _("Redelivery scheduled for %(n)d subscription(s)") % {"n": n},
            messages.SUCCESS,
        )

    @admin.action(description=_("Skip dead letters"))
    def skip(self, request, queryset) -> None:
        n = webhooks.skip_dead(
            delivery_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(request, _("Skipped: %(n)d") % {"n": n}, messages.SUCCESS)
