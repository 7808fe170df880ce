"""The admin index as a steward's starting point: the hub's work first, history out of the way.

Only the listing changes (index, app index and the navigation sidebar): every page stays
registered and reachable by its URL.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dictionary.models import EntityChoices
from matching.models import MatchCandidate
from mdm.access.roles import reads_change_history
from mdm.linking.admin_filters import BAND_LABELS
from mdm.linking.review import QUEUE_BANDS
from mdm.models import GOLDEN_MODELS, JobRun, QualityIssue, QualitySnapshot, WebhookDelivery
from mdm.stewardship import workbench

#: The apps in the order a steward works them; any other app follows, by name.
APP_ORDER = ("mdm", "matching", "dictionary")
#: The hub's work queues and records, first in their app, in this order.
WORK_MODELS = (
    ("mdm", "customer"),
    ("mdm", "product"),
    ("mdm", "material"),
    ("mdm", "sourcerecord"),
    ("matching", "matchcandidate"),
    ("mdm", "qualityissue"),
    ("mdm", "jobrun"),
    ("mdm", "operationsminute"),
)


def is_history_model(model) -> bool:
    """A django-simple-history table ("Historical …"): it knows the model it records."""
    return getattr(model, "instance_type", None) is not None


def _model_rank(app_label: str, entry: dict) -> tuple:
    model = entry["model"]
    key = (app_label, model._meta.model_name)
    work = WORK_MODELS.index(key) if key in WORK_MODELS else len(WORK_MODELS)
    return (work, is_history_model(model), str(entry["name"]).lower())


def _app_rank(app: dict) -> tuple:
    label = app["app_label"]
    order = APP_ORDER.index(label) if label in APP_ORDER else len(APP_ORDER)
    return (order, str(app["name"]).lower())


#: The pseudo-app that groups every history table on the index, after the hub's own apps.
HISTORY_GROUP = "change_history"


def hub_app_list(site: admin.AdminSite, request, app_label: str | None = None) -> list[dict]:
    """``AdminSite.get_app_list`` ordered for the hub; history tables only for its readers.

    On the index (no ``app_label``) the history tables of every app are grouped in one section,
    "Change history", after the work; an app's own index keeps them after its work models.
    """
    show_history = reads_change_history(request.user)
    grouped = app_label is None
    apps, history = [], []
    for app in site._build_app_dict(request, app_label).values():
        models = []
        for entry in app["models"]:
            if not is_history_model(entry["model"]):
                models.append(entry)
            elif show_history and grouped:
                history.append(entry)
            elif show_history:
                models.append(entry)
        if not models:
            continue
        models.sort(key=partial(_model_rank, app["app_label"]))
        apps.append({**app, "models": models})
    apps.sort(key=_app_rank)
    if history:
        history.sort(
            key=lambda entry: (entry["model"]._meta.app_label != "mdm", str(entry["name"]))
        )
        apps.append(
            {
                "name": _("Change history"),
                "app_label": HISTORY_GROUP,
                "app_url": history[0]["admin_url"],
                "has_module_perms": True,
                "models": history,
            }
        )
    return apps


if TYPE_CHECKING:
    # A mixin for the history admins (SimpleHistoryAdmin): the type checker reads it as one.
    from simple_history.admin import SimpleHistoryAdmin as _HistoryAdminBase
else:
    _HistoryAdminBase = object


class HistoryRouteForAuditors(_HistoryAdminBase):
    """A record's page, opened by someone who reads only the change history (an auditor),
    leads to that record's rows in the history table instead of a bare 403.

    ``history_search_field`` names the field that finds the record's rows through the history
    table's search box (its declared search, so no undeclared look-up is needed).
    """

    history_search_field = "code"

    def _history_route(self, request, object_id):
        if self.has_view_or_change_permission(request):
            return None
        if not reads_change_history(request.user):
            return None
        record = self.get_object(request, unquote(object_id))
        history = self.model.history.model
        url = reverse(f"admin:{history._meta.app_label}_{history._meta.model_name}_changelist")
        if record is None:
            return HttpResponseRedirect(url)
        term = getattr(record, self.history_search_field)
        return HttpResponseRedirect(f"{url}?{urlencode({'q': term})}")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        route = self._history_route(request, object_id)
        if route is not None:
            return route
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        route = self._history_route(request, object_id)
        if route is not None:
            return route
        return super().history_view(request, object_id, extra_context)


# ---- the workbench: the landing page's queues and their counts


def _changelist(model, **params: str) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _may_view(site: admin.AdminSite, request, model) -> bool:
    model_admin = site._registry.get(model)
    return model_admin is not None and model_admin.has_view_permission(request)


def _activity_url(row: workbench.Activity) -> str | None:
    if row.kind == "unmerge":
        return _changelist(GOLDEN_MODELS[row.entity], q=row.code)
    if row.object_id is None:
        return None
    if row.kind == "decision":
        return reverse("admin:matching_matchcandidate_compare", args=[row.object_id])
    if row.kind == "golden":
        name = GOLDEN_MODELS[row.entity]._meta.model_name
        return reverse(f"admin:mdm_{name}_change", args=[row.object_id])
    if row.kind == "issue":
        return reverse("admin:mdm_qualityissue_change", args=[row.object_id])
    return reverse("admin:mdm_jobrun_change", args=[row.object_id])


def workbench_context(site: admin.AdminSite, request) -> dict:
    """The landing page's queues for this user (only the lists they may open), each count with
    the link to the filtered list it counts."""
    may = {
        "candidates": _may_view(site, request, MatchCandidate),
        "golden": any(_may_view(site, request, m) for m in GOLDEN_MODELS.values()),
        "issues": _may_view(site, request, QualityIssue),
        "jobs": _may_view(site, request, JobRun),
        "deliveries": _may_view(site, request, WebhookDelivery),
    }
    bench = workbench.workbench(**may)
    entity_labels = dict(EntityChoices.choices)
    context: dict = {"workbench": bench, "workbench_shown": any(may.values())}
    if bench.candidates is not None:
        context["candidate_rows"] = [
            {
                "entity": queue.entity,
                "label": entity_labels.get(queue.entity, queue.entity),
                "total": queue.total,
                "url": _changelist(MatchCandidate, entity__exact=queue.entity),
                "bands": [
                    {
                        "key": key,
                        "count": count,
                        "url": _changelist(MatchCandidate, entity__exact=queue.entity, band=key),
                    }
                    for key, count in queue.by_band.items()
                ],
            }
            for queue in bench.candidates
        ]
        context["band_labels"] = [BAND_LABELS[key] for key in QUEUE_BANDS]
    if bench.issues is not None:
        context["issue_rows"] = [
            {
                "queue": queue,
                "url": _changelist(
                    QualityIssue, element=queue.element, owner_department=queue.department
                ),
            }
            for queue in bench.issues
        ]
        context["issues_url"] = _changelist(QualityIssue)
        if _may_view(site, request, QualitySnapshot):
            context["dashboard_url"] = reverse("admin:mdm_quality_dashboard")
    if bench.jobs is not None:
        context["failed_jobs_url"] = _changelist(JobRun, status__exact="failed")
        context["stuck_jobs_url"] = _changelist(JobRun, health="stuck")
        context["job_rows"] = [
            {"run": run, "url": reverse("admin:mdm_jobrun_change", args=[run.pk])}
            for run in bench.jobs.runs
        ]
    if bench.dead_letters is not None:
        context["dead_letters_url"] = _changelist(WebhookDelivery, status__exact="dead")
    context["recent_rows"] = [
        {"row": row, "url": _activity_url(row), "label": entity_labels.get(row.entity, "")}
        for row in bench.recent
    ]
    return context


def hub_index(site: admin.AdminSite, request, extra_context=None):
    """``AdminSite.index`` with the workbench above the app list."""
    context = {**workbench_context(site, request), **(extra_context or {})}
    return admin.AdminSite.index(site, request, context)
