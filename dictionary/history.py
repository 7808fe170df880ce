"""History models whose names translate.

django-simple-history names the history model of ``GoldenCustomer`` "historical golden
customer", formatted once when the model class is built, in whatever language is active then:
the admin's auditors saw those names in English whatever language they chose. Here the name is
a lazy translation of the model's own (lazy) name, so it follows the request's language. The
dictionary is the app every other app of the hub builds on, so the class lives here.
"""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

__all__ = ["TranslatedHistory"]


class TranslatedHistory(HistoricalRecords):
    """``HistoricalRecords`` whose model is named "historical <name>" in the active language."""

    def get_meta_options(self, model: Any) -> dict[str, Any]:
        meta = super().get_meta_options(model)
        if not self.user_set_verbose_name:
            meta["verbose_name"] = format_lazy(_("historical {}"), model._meta.verbose_name)
        if not self.user_set_verbose_name_plural:
            meta["verbose_name_plural"] = format_lazy(
                _("historical {}"), model._meta.verbose_name_plural
            )
        return meta
