"""The core data-element dictionary (核心数据元字典).

One definition of every attribute that enters the hub: its names, meaning, type, value domain,
validator, standardizer chain, sensitivity and policy, and which entity uses it.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from dictionary.history import TranslatedHistory


class EntityChoices(models.TextChoices):
    CUSTOMERS = "customers", _("Customer")
    PRODUCTS = "products", _("Product")
    MATERIALS = "materials", _("Material")


class DataElementDataTypeChoices(models.TextChoices):
    STRING = "string", _("String")
    CODE = "code", _("Code")
    INTEGER = "integer", _("Integer")
    DECIMAL = "decimal", _("Decimal")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Boolean")


class DataElementSensitivityChoices(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    PERSONAL = "personal", _("Personal")
    SENSITIVE_PERSONAL = "sensitive_personal", _("Sensitive personal")


class DataElementOnInvalidChoices(models.TextChoices):
    REJECT = "reject", _("Reject")
    FLAG = "flag", _("Accept and flag")


class DataElementStatusChoices(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    DEPRECATED = "deprecated", _("Deprecated")


class ElementBindingSurvivorshipChoices(models.TextChoices):
    MOST_RECENT = "most_recent", _("Most recent")
    SOURCE_PRIORITY = "source_priority", _("Source priority")
    MOST_COMPLETE = "most_complete", _("Most complete record")
    MOST_FREQUENT = "most_frequent", _("Most frequent")
    LONGEST = "longest", _("Longest")


class EntityTypeManager(models.Manager["EntityType"]):
    def get_by_natural_key(self, code: str) -> EntityType:
        return self.get(code=code)


class EntityType(models.Model):
    """A master-data entity (customer, product, material): its definition and its coding rule.

    The coding rule gives every golden record a global code: prefix + zero-padded sequence
    number + one ISO 7064 MOD 37,36 check character, e.g. ``CU0000000042`` + check.
    """

    code = models.CharField(_("code"), max_length=20, unique=True, choices=EntityChoices)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    definition_zh = models.TextField(_("Chinese definition"), blank=True)
    definition_en = models.TextField(_("English definition"), blank=True)
    code_prefix = models.CharField(_("code prefix"), max_length=4, unique=True)
    code_width = models.PositiveSmallIntegerField(_("sequence digits"), default=10)
    history = TranslatedHistory()

    objects = EntityTypeManager()

    class Meta:
        verbose_name = _("entity and coding rule")
        verbose_name_plural = _("entities and coding rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name_zh} {self.code}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class ValueDomainManager(models.Manager["ValueDomain"]):
    def get_by_natural_key(self, code: str) -> ValueDomain:
        return self.get(code=code)


class ValueDomain(models.Model):
    """An enumerated set of allowed codes (customer type, industry, unit of measure, region)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    description_zh = models.TextField(_("Chinese description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = TranslatedHistory()

    objects = ValueDomainManager()

    class Meta:
        verbose_name = _("value domain")
        verbose_name_plural = _("value domains")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name_zh} {self.code}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class CodeValueManager(models.Manager["CodeValue"]):
    def get_by_natural_key(self, domain_code: str, code: str) -> CodeValue:
        return self.get(domain__code=domain_code, code=code)


class CodeValue(models.Model):
    """One allowed code of a value domain, with the synonyms that standardize to it."""

    domain = models.ForeignKey(
        ValueDomain, on_delete=models.CASCADE, related_name="values", verbose_name=_("domain")
    )
    code = models.CharField(_("code"), max_length=50)
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    synonyms = models.JSONField(_("synonyms"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(auto_now=True)
    history = TranslatedHistory()

    objects = CodeValueManager()

    class Meta:
        verbose_name = _("code value")
        verbose_name_plural = _("code values")
        ordering = ["domain", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "code"], name="codevalue_unique_per_domain")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    def natural_key(self) -> tuple[str, str]:
        return (self.domain.code, self.code)


class DataElementManager(models.Manager["DataElement"]):
    def get_by_natural_key(self, code: str) -> DataElement:
        return self.get(code=code)


class DataElement(models.Model):
    """A data element: the one definition of an attribute, used as the attribute key in the API."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    definition_zh = models.TextField(_("Chinese definition"))
    definition_en = models.TextField(_("English definition"))
    data_type = models.CharField(_("data type"), max_length=10, choices=DataElementDataTypeChoices)
    max_length = models.PositiveIntegerField(_("max length"), null=True, blank=True)
    precision = models.PositiveSmallIntegerField(_("precision"), null=True, blank=True)
    scale = models.PositiveSmallIntegerField(_("scale"), null=True, blank=True)
    value_domain = models.ForeignKey(
        ValueDomain,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="elements",
        verbose_name=_("value domain"),
    )
    validator = models.CharField(_("validator"), max_length=30, blank=True)
    validator_params = models.JSONField(_("validator parameters"), default=dict, blank=True)
    standardizers = models.JSONField(_("standardizers"), default=list, blank=True)
    sensitivity = models.CharField(
        _("sensitivity"),
        max_length=20,
        choices=DataElementSensitivityChoices,
        default=DataElementSensitivityChoices.INTERNAL,
    )
    on_invalid = models.CharField(
        _("on invalid"),
        max_length=10,
        choices=DataElementOnInvalidChoices,
        default=DataElementOnInvalidChoices.REJECT,
    )
    owner_department = models.CharField(_("owner department"), max_length=100, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DataElementStatusChoices,
        default=DataElementStatusChoices.ACTIVE,
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    example = models.CharField(_("example"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = TranslatedHistory()
    # Set before a save or delete for simple_history to read (who and why); not fields.
    _history_user: Any
    _change_reason: str

    objects = DataElementManager()

    class Meta:
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")
        ordering = ["code"]
        permissions = [
            (
                "change_dataelement_sensitivity",
                _("Can change the sensitivity of a data element"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name_zh} {self.code}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class ElementBindingManager(models.Manager["ElementBinding"]):
    def get_by_natural_key(self, entity: str, element_code: str) -> ElementBinding:
        return self.get(entity=entity, element__code=element_code)


class ElementBinding(models.Model):
    """Binds a data element to an entity: whether it is required and how its golden value survives."""

    entity = models.CharField(_("entity"), max_length=20, choices=EntityChoices)
    element = models.ForeignKey(
        DataElement,
        on_delete=models.CASCADE,
        related_name="bindings",
        verbose_name=_("element"),
    )
    required = models.BooleanField(_("required"), default=False)
    is_identifier = models.BooleanField(_("identifier"), default=False)
    survivorship = models.CharField(
        _("survivorship rule"),
        max_length=20,
        choices=ElementBindingSurvivorshipChoices,
        default=ElementBindingSurvivorshipChoices.MOST_RECENT,
    )
    tie_breakers = models.JSONField(
        _("tie-breakers"),
        default=list,
        blank=True,
        help_text=_('rules applied in order on a tie, e.g. ["most_recent"]'),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    updated_at = models.DateTimeField(auto_now=True)
    history = TranslatedHistory()

    objects = ElementBindingManager()

    class Meta:
        verbose_name = _("element binding")
        verbose_name_plural = _("element bindings")
        ordering = ["entity", "position", "element__code"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "element"], name="binding_unique_per_entity")
        ]

    def __str__(self) -> str:
        return f"{self.entity}.{self.element.code}"

    def natural_key(self) -> tuple[str, str]:
        return (self.entity, self.element.code)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        valid = set(ElementBindingSurvivorshipChoices.values)
        if not isinstance(self.tie_breakers, list) or not set(self.tie_breakers) <= valid:
            raise ValidationError({"tie_breakers": _("Only survivorship rule codes are allowed")})


class DictionaryRevision(models.Model):
    """The number of the dictionary's latest change: one row, set from a sequence by a PostgreSQL
    trigger after every statement that writes a data element, binding, value domain or code
    value (migration ``0004``; a sequence, so a rolled-back change never lends its number to
    another). Every upsert asks for the dictionary's revision; one indexed row is cheaper than
    counting and scanning the four tables (about a millisecond per upsert). Other databases
    (the embedded demo) have no trigger and read the tables instead."""

    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("dictionary revision")
        verbose_name_plural = _("dictionary revisions")

    def __str__(self) -> str:
        return str(self.number)
