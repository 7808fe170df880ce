"""History models are named in the reader's language (``dictionary.history``)."""

from __future__ import annotations

from django.apps import apps
from django.utils import translation
from simple_history.models import HistoricalChanges

from mdm.models import golden_model


def history_models():
    return [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]


def test_every_history_model_is_named_in_chinese_and_in_english():
    found = history_models()
    assert len(found) >= 18
    for model in found:
        with translation.override("zh-hans"):
            chinese = str(model._meta.verbose_name), str(model._meta.verbose_name_plural)
        with translation.override("en"):
            english = str(model._meta.verbose_name)
        assert all("historical" not in name and name.endswith("历史") for name in chinese), chinese
        assert english.startswith("historical "), english


def test_the_golden_customer_history_reads_as_its_model_does():
    model = golden_model("customers").history.model
    with translation.override("zh-hans"):
        assert str(model._meta.verbose_name) == "客户历史"
    with translation.override("en"):
        assert str(model._meta.verbose_name) == "historical customer"
