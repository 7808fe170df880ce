"""Form fields a data steward can type into: lists as plain text, validators as a choice.

Synonyms, standardizer chains and tie-breakers are stored as JSON lists; a steward types them
one per line or separated by commas (``包, 提, pack``), never as JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from dictionary import standardizers, validators
from dictionary.models import DataElement, ElementBindingSurvivorshipChoices

#: Line breaks and commas (ASCII, full-width, ideographic) separate the entries of a list.
_SEPARATORS = re.compile(r"[\n\r,，、;；]+")

#: What each validator checks, for the choice list.
VALIDATOR_LABELS: dict[str, Any] = {
    "uscc": _("Unified social credit code (USCC)"),
    "cn_resident_id": _("Chinese resident ID number"),
    "cn_org_code": _("Chinese organization code"),
    "cn_mobile": _("Chinese mobile phone number"),
    "cn_phone": _("Chinese phone number"),
    "phone": _("Phone number of any country (E.164)"),
    "email": _("E-mail address"),
    "gtin": _("GTIN barcode"),
    "regex": _("Regular expression (parameter: pattern)"),
    "range": _("Number in a range (parameters: min, max)"),
    "integer": _("Integer (parameters: min, max)"),
    "decimal": _("Decimal number (parameters: precision, scale, min, max)"),
    "date": _("Date (parameters: min, max, not_in_future)"),
    "postal_code": _("Postal code"),
}

#: What each standardizer does, for the help text.
STANDARDIZER_LABELS: dict[str, Any] = {
    "nfkc": _("full-width to half-width"),
    "collapse_space": _("trim and collapse spaces"),
    "t2s": _("traditional to simplified Chinese"),
    "upper": _("upper case"),
    "lower": _("lower case"),
    "strip_separators": _("remove separators"),
    "phone_e164": _("phone to E.164"),
    "date_iso": _("date to ISO 8601"),
    "decimal": _("decimal number"),
    "resident_id_18": _("resident ID to 18 digits"),
    "postal_code": _("postal code"),
}


def validator_choices() -> list[tuple[str, Any]]:
    return [("", _("No validator"))] + [
        (code, format_lazy("{} ({})", VALIDATOR_LABELS.get(code, code), code))
        for code in validators.VALIDATORS
    ]


def split_list(text: str) -> list[str]:
    """Entries typed one per line or separated by commas, trimmed, blanks and repeats dropped.

    A JSON list pasted from an export (``["nfkc", "lower"]``) is read as its entries.
    """
    entries: list[str] = []
    parts = _SEPARATORS.split(text or "")
    stripped = (text or "").strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        try:
            loaded = json.loads(stripped)
        except ValueError:
            loaded = None
        if isinstance(loaded, list):
            parts = [str(v) for v in loaded]
    for part in parts:
        entry = part.strip()
        if entry and entry not in entries:
            entries.append(entry)
    return entries


class ListField(forms.Field):
    """A list of short texts in a text box: one per line, or separated by commas.

    With ``choices`` every entry must be one of them (order kept: a chain, or rules in order).
    """

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def __init__(self, *, choices: Iterable[str] | None = None, **kwargs):
        self.allowed = list(choices) if choices is not None else None
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        return split_list(value or "")

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if self.allowed is None:
            return
        unknown = [entry for entry in value if entry not in self.allowed]
        if unknown:
            raise forms.ValidationError(
                _("%(unknown)s is not one of the allowed entries: %(allowed)s."),
                code="invalid_choice",
                params={"unknown": ", ".join(unknown), "allowed": ", ".join(self.allowed)},
            )

    def has_changed(self, initial, data) -> bool:
        return list(initial or []) != self.to_python(data)


def standardizers_field(**kwargs) -> ListField:
    steps = "; ".join(f"{code}: {label}" for code, label in STANDARDIZER_LABELS.items())
    return ListField(
        choices=standardizers.STANDARDIZERS,
        help_text=format_lazy(
            "{} {}", _("Steps applied in order, one per line or separated by commas."), steps
        ),
        **kwargs,
    )


def tie_breakers_field(**kwargs) -> ListField:
    return ListField(
        choices=ElementBindingSurvivorshipChoices.values,
        help_text=format_lazy(
            "{} {}",
            _(
                "Rules used in order when the survivorship rule ties, one per line or separated "
                "by commas:"
            ),
            ", ".join(ElementBindingSurvivorshipChoices.values),
        ),
        **kwargs,
    )


def synonyms_field(**kwargs) -> ListField:
    return ListField(
        help_text=_("Other spellings that mean this code, one per line or separated by commas."),
        **kwargs,
    )


class DataElementForm(forms.ModelForm):
    """A data element as a steward edits it: the validator chosen from the hub's validators,
    the standardizer chain as a list, the validator's parameters checked on save."""

    validator = forms.ChoiceField(label=_("Validator"), required=False, choices=validator_choices)
    standardizers = standardizers_field(label=_("Standardizers"), required=False)

    class Meta:
        model = DataElement
        fields = (
            "code",
            "name_zh",
            "name_en",
            "definition_zh",
            "definition_en",
            "data_type",
            "max_length",
            "precision",
            "scale",
            "value_domain",
            "validator",
            "validator_params",
            "standardizers",
            "sensitivity",
            "on_invalid",
            "owner_department",
            "status",
            "example",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        validator = data.get("validator")
        params = data.get("validator_params") or {}
        if validator and isinstance(params, dict):
            problems = validators.check_params(validator, params)
            if problems:
                self.add_error(
                    "validator_params",
                    _("The validator's parameters are not valid: %(problems)s.")
                    % {"problems": "; ".join(problems)},
                )
        elif params and not validator:
            self.add_error(
                "validator_params", _("Parameters need a validator; choose one or clear them.")
            )
        return data
