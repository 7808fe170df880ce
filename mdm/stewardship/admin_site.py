"""The admin index as a steward's starting point: the hub's work first, history out of the way.

Only the listing changes (index, app index and the navigation sidebar): every page stays
registered and reachable by its URL.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.urls import reverse

from mdm.access.roles import reads_change_history

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


def hub_app_list(site: admin.AdminSite, request, app_label: str | None = None) -> list[dict]:
    """``AdminSite.get_app_list`` ordered for the hub; history tables only for its readers."""
    show_history = reads_change_history(request.user)
    apps = []
    for app in site._build_app_dict(request, app_label).values():
        models = [m for m in app["models"] if show_history or not is_history_model(m["model"])]
        if not models:
            continue
        models.sort(key=lambda entry, label=app["app_label"]: _model_rank(label, entry))
        apps.append({**app, "models": models})
    return sorted(apps, key=_app_rank)


class HistoryRouteForAuditors:
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
