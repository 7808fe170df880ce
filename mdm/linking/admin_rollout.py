"""Admin of match rule rollouts (灰度发布): propose a changed rule for some source systems, see
what it would do differently, enable it for them, promote it to all or roll it back.

Every step goes through ``mdm.linking.rule_rollout`` with the reason typed beside the action;
the page itself never writes a rollout.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from matching.models import OPEN_ROLLOUT_STAGES, MatchRuleRollout
from matching.rules import rule_from_dict, rule_to_dict
from mdm.errors import ServiceError
from mdm.linking.rule_rollout import (
    compare_rollout,
    enable_rollout,
    promote_rollout,
    propose_rollout,
    roll_back_rollout,
)
from mdm.linking.rule_rollout_shadow import KINDS, shadow_report
from mdm.linking.rule_store import load_rule
from mdm.models import SourceSystem


class RolloutActionForm(ActionForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=300)


class RolloutProposalForm(forms.ModelForm):
    """A new rollout: the candidate rule (JSON), the systems to try it on, the reason."""

    systems_text = forms.CharField(
        label=_("systems tried on"),
        help_text=_("codes, comma-separated"),
    )

    class Meta:
        model = MatchRuleRollout
        fields = ("entity", "config", "reason")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if (
            data.get("config") is not None
            and data.get("entity")
            and data.get("config", {}).get("entity") not in (None, data["entity"])
        ):
            raise forms.ValidationError({"config": _("the rule is for another entity")})
        codes = {c.strip().upper() for c in data.get("systems_text", "").split(",") if c.strip()}
        unknown = codes - set(
            SourceSystem.objects.filter(code__in=codes).values_list("code", flat=True)
        )
        if not codes or unknown:
            raise forms.ValidationError(
                {"systems_text": _("Unknown source systems: %s") % ", ".join(sorted(unknown))}
            )
        entity = data.get("entity")
        if MatchRuleRollout.objects.filter(entity=entity, stage__in=OPEN_ROLLOUT_STAGES).exists():
            raise forms.ValidationError(_("this entity already has an open rollout"))
        config = data.get("config")
        if config is not None:
            try:
                rule = rule_from_dict(config)
            except (ValueError, KeyError, TypeError) as exc:
                raise forms.ValidationError({"config": str(exc)}) from exc
            data["rule"] = rule
        return data


@admin.register(MatchRuleRollout)
class MatchRuleRolloutAdmin(SimpleHistoryAdmin):
    list_display = ("pk", "entity", "stage", "systems_shown", "changed", "reason", "created_at")
    list_filter = ("entity", "stage")
    ordering = ("-created_at", "-pk")
    action_form = RolloutActionForm
    actions = ("compare_selected", "enable_selected", "promote_selected", "roll_back_selected")
    readonly_fields = (
        "entity",
        "stage",
        "systems",
        "origin",
        "reason",
        "recorded_shown",
        "report_shown",
        "config",
        "previous",
        "created_by",
        "created_at",
        "updated_at",
    )

    @admin.display(description=_("systems"))
    def systems_shown(self, obj: MatchRuleRollout) -> str:
        return ", ".join(obj.systems)

    @admin.display(description=_("pairs decided differently"))
    def changed(self, obj: MatchRuleRollout):
        return obj.report.get("changed", "-") if obj.report else "-"

    @admin.display(description=_("comparison report"))
    def report_shown(self, obj: MatchRuleRollout):
        report = obj.report or {}
        if not report:
            return "-"
        counts = [
            (kind, report.get(kind, 0))
            for kind in ("pairs", "changed", "would_merge", "would_split", "would_queue")
        ]
        counts.append(("would_unqueue", report.get("would_unqueue", 0)))
        lines = [(f"{k}: {v}",) for k, v in counts]
        lines += [
            (f"{kind}: {line}",)
            for kind, found in report.get("examples", {}).items()
            for line in found
        ]
        return format_html_join("", "<div>{}</div>", lines)

    @admin.display(description=_("decisions recorded during matching"))
    def recorded_shown(self, obj: MatchRuleRollout):
        """Read from the recorded decisions each time the page is opened."""
        report = shadow_report(obj.pk)
        lines = [
            (_("%(origin)s: %(differing)s of %(decisions)s differ") % {"origin": origin, **found},)
            for origin, found in report["origins"].items()
        ]
        lines += [(f"{kind}: {report[kind]}",) for kind in KINDS]
        lines += [
            (f"{kind}: {line}",) for kind, found in report["examples"].items() for line in found
        ]
        return format_html_join("", "<div>{}</div>", lines)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = RolloutProposalForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("entity", "systems_text", "config", "reason")
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_changeform_initial_data(self, request):
        entity = request.GET.get("entity", "customers")
        try:
            return {"entity": entity, "config": rule_to_dict(load_rule(entity))}
        except KeyError:
            return {}

    def save_model(self, request, obj, form, change):
        """A proposal goes through the service (validated, one open rollout per entity)."""
        try:
            created = propose_rollout(
                entity=form.cleaned_data["entity"],
                rule=form.cleaned_data["rule"],
                systems=form.cleaned_data["systems_text"].split(","),
                reason=form.cleaned_data["reason"],
                actor=request.user,
                origin="steward",
            )
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from exc
        obj.pk = created.pk
        obj.stage, obj.systems, obj.created_by = created.stage, created.systems, created.created_by

    def has_change_permission(self, request, obj=None) -> bool:
        # No field is edited in place; the actions need the permission (checked on them).
        return super().has_change_permission(request, obj) if obj is None else False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _step(self, request, queryset, step, done: str) -> None:
        reason = request.POST.get("reason", "")
        for rollout in queryset.order_by("pk"):
            try:
                if step is compare_rollout:
                    step(rollout_id=rollout.pk, actor=request.user)
                else:
                    step(rollout_id=rollout.pk, reason=reason, actor=request.user)
            except ServiceError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"#{rollout.pk} {done}", messages.SUCCESS)

    @admin.action(description=_("compare with the live rule"), permissions=["compare"])
    def compare_selected(self, request, queryset):
        self._step(request, queryset, compare_rollout, "compared")

    @admin.action(description=_("enable for its systems"), permissions=["compare"])
    def enable_selected(self, request, queryset):
        self._step(request, queryset, enable_rollout, "enabled")

    @admin.action(description=_("promote to all systems"), permissions=["compare"])
    def promote_selected(self, request, queryset):
        self._step(request, queryset, promote_rollout, "promoted")

    @admin.action(description=_("roll back"), permissions=["compare"])
    def roll_back_selected(self, request, queryset):
        self._step(request, queryset, roll_back_rollout, "rolled back")

    def has_compare_permission(self, request) -> bool:
        return request.user.has_perm("matching.change_matchrulerollout")
