"""The core data-element dictionary (核心数据元字典).

One definition of every attribute that enters the hub: its names, meaning, type, value domain,
validator, standardizer chain, sensitivity and policy, and which entity uses it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class EntityChoices(models.TextChoices):
    CUSTOMERS = "customers", _("客户 Customer")
    PRODUCTS = "products", _("产品 Product")
    MATERIALS = "materials", _("物料 Material")


class DataElementDataTypeChoices(models.TextChoices):
    STRING = "string", _("字符串 String")
    CODE = "code", _("代码(值域) Code")
    INTEGER = "integer", _("整数 Integer")
    DECIMAL = "decimal", _("小数 Decimal")
    DATE = "date", _("日期 Date")
    BOOLEAN = "boolean", _("布尔 Boolean")


class DataElementSensitivityChoices(models.TextChoices):
    PUBLIC = "public", _("公开 Public")
    INTERNAL = "internal", _("内部 Internal")
    PERSONAL = "personal", _("个人信息 Personal")
    SENSITIVE_PERSONAL = "sensitive_personal", _("敏感个人信息 Sensitive personal")


class DataElementOnInvalidChoices(models.TextChoices):
    REJECT = "reject", _("拒绝 Reject")
    FLAG = "flag", _("接收并标记 Accept and flag")


class DataElementStatusChoices(models.TextChoices):
    DRAFT = "draft", _("草稿 Draft")
    ACTIVE = "active", _("生效 Active")
    DEPRECATED = "deprecated", _("废止 Deprecated")


class ElementBindingSurvivorshipChoices(models.TextChoices):
    MOST_RECENT = "most_recent", _("最近更新 Most recent")
    SOURCE_PRIORITY = "source_priority", _("来源优先级 Source priority")
    MOST_COMPLETE = "most_complete", _("最完整记录 Most complete record")
    MOST_FREQUENT = "most_frequent", _("出现最多 Most frequent")
    LONGEST = "longest", _("最长 Longest")


class EntityTypeManager(models.Manager):
    def get_by_natural_key(self, code: str) -> EntityType:
        return self.get(code=code)


class EntityType(models.Model):
    """A master-data entity (customer, product, material): its definition and its coding rule.

    The coding rule gives every golden record a global code: prefix + zero-padded sequence
    number + one ISO 7064 MOD 37,36 check character, e.g. ``CU0000000042`` + check.
    """

    code = models.CharField(_("代码 code"), max_length=20, unique=True, choices=EntityChoices)
    name_zh = models.CharField(_("中文名称 Chinese name"), max_length=100)
    name_en = models.CharField(_("英文名称 English name"), max_length=100)
    definition_zh = models.TextField(_("中文定义 Chinese definition"), blank=True)
    definition_en = models.TextField(_("英文定义 English definition"), blank=True)
    code_prefix = models.CharField(_("编码前缀 code prefix"), max_length=4, unique=True)
    code_width = models.PositiveSmallIntegerField(_("流水号位数 sequence digits"), default=10)
    history = HistoricalRecords()

    objects = EntityTypeManager()

    class Meta:
        verbose_name = _("实体与编码规则 entity and coding rule")
        verbose_name_plural = _("实体与编码规则 entities and coding rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name_zh} {self.code}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class ValueDomainManager(models.Manager):
    def get_by_natural_key(self, code: str) -> ValueDomain:
        return self.get(code=code)


class ValueDomain(models.Model):
    """An enumerated set of allowed codes (customer type, industry, unit of measure, region)."""

    code = models.SlugField(_("代码 code"), max_length=50, unique=True)
    name_zh = models.CharField(_("中文名称 Chinese name"), max_length=100)
    name_en = models.CharField(_("英文名称 English name"), max_length=100)
    description_zh = models.TextField(_("中文说明 Chinese description"), blank=True)
    description_en = models.TextField(_("英文说明 English description"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = ValueDomainManager()

    class Meta:
        verbose_name = _("值域 value domain")
        verbose_name_plural = _("值域 value domains")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name_zh} {self.code}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class CodeValueManager(models.Manager):
    def get_by_natural_key(self, domain_code: str, code: str) -> CodeValue:
        return self.get(domain__code=domain_code, code=code)


class CodeValue(models.Model):
    """One allowed code of a value domain, with the synonyms that standardize to it."""

    domain = models.ForeignKey(
        ValueDomain, on_delete=models.CASCADE, related_name="values", verbose_name=_("值域 domain")
    )
    code = models.CharField(_("代码 code"), max_length=50)
    name_zh = models.CharField(_("中文名称 Chinese name"), max_length=200)
    name_en = models.CharField(_("英文名称 English name"), max_length=200, blank=True)
    synonyms = models.JSONField(_("同义词 synonyms"), default=list, blank=True)
    is_active = models.BooleanField(_("有效 active"), default=True)
    sort_order = models.PositiveIntegerField(_("排序 order"), default=0)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = CodeValueManager()

    class Meta:
        verbose_name = _("代码值 code value")
        verbose_name_plural = _("代码值 code values")
        ordering = ["domain", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "code"], name="codevalue_unique_per_domain")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    def natural_key(self) -> tuple[str, str]:
        return (self.domain.code, self.code)


class DataElementManager(models.Manager):
    def get_by_natural_key(self, code: str) -> DataElement:
        return self.get(code=code)


class DataElement(models.Model):
    """A data element: the one definition of an attribute, used as the attribute key in the API."""

    code = models.SlugField(_("代码 code"), max_length=50, unique=True)
    name_zh = models.CharField(_("中文名称 Chinese name"), max_length=100)
    name_en = models.CharField(_("英文名称 English name"), max_length=100)
    definition_zh = models.TextField(_("中文定义 Chinese definition"))
    definition_en = models.TextField(_("英文定义 English definition"))
    data_type = models.CharField(
        _("数据类型 data type"), max_length=10, choices=DataElementDataTypeChoices
    )
    max_length = models.PositiveIntegerField(_("最大长度 max length"), null=True, blank=True)
    precision = models.PositiveSmallIntegerField(_("精度 precision"), null=True, blank=True)
    scale = models.PositiveSmallIntegerField(_("小数位 scale"), null=True, blank=True)
    value_domain = models.ForeignKey(
        ValueDomain,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="elements",
        verbose_name=_("值域 value domain"),
    )
    validator = models.CharField(_("校验规则 validator"), max_length=30, blank=True)
    validator_params = models.JSONField(
        _("校验参数 validator parameters"), default=dict, blank=True
    )
    standardizers = models.JSONField(_("标准化链 standardizers"), default=list, blank=True)
    sensitivity = models.CharField(
        _("敏感级别 sensitivity"),
        max_length=20,
        choices=DataElementSensitivityChoices,
        default=DataElementSensitivityChoices.INTERNAL,
    )
    on_invalid = models.CharField(
        _("不合规处理 on invalid"),
        max_length=10,
        choices=DataElementOnInvalidChoices,
        default=DataElementOnInvalidChoices.REJECT,
    )
    owner_department = models.CharField(_("责任部门 owner department"), max_length=100, blank=True)
    status = models.CharField(
        _("状态 status"),
        max_length=12,
        choices=DataElementStatusChoices,
        default=DataElementStatusChoices.ACTIVE,
    )
    version = models.PositiveIntegerField(_("版本 version"), default=1)
    example = models.CharField(_("示例 example"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = DataElementManager()

    class Meta:
        verbose_name = _("数据元 data element")
        verbose_name_plural = _("数据元 data elements")
        ordering = ["code"]
        permissions = [
            (
                "change_dataelement_sensitivity",
                _("可修改数据元敏感级别 Can change the sensitivity of a data element"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name_zh} {self.code}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class ElementBindingManager(models.Manager):
    def get_by_natural_key(self, entity: str, element_code: str) -> ElementBinding:
        return self.get(entity=entity, element__code=element_code)


class ElementBinding(models.Model):
    """Binds a data element to an entity: whether it is required and how its golden value survives."""

    entity = models.CharField(_("实体 entity"), max_length=20, choices=EntityChoices)
    element = models.ForeignKey(
        DataElement,
        on_delete=models.CASCADE,
        related_name="bindings",
        verbose_name=_("数据元 element"),
    )
    required = models.BooleanField(_("必填 required"), default=False)
    is_identifier = models.BooleanField(_("标识符 identifier"), default=False)
    survivorship = models.CharField(
        _("存活规则 survivorship rule"),
        max_length=20,
        choices=ElementBindingSurvivorshipChoices,
        default=ElementBindingSurvivorshipChoices.MOST_RECENT,
    )
    tie_breakers = models.JSONField(
        _("次级规则 tie-breakers"),
        default=list,
        blank=True,
        help_text=_('依次使用的后备规则，如 ["most_recent"] / rules applied in order on a tie'),
    )
    position = models.PositiveIntegerField(_("顺序 position"), default=0)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = ElementBindingManager()

    class Meta:
        verbose_name = _("数据元绑定 element binding")
        verbose_name_plural = _("数据元绑定 element bindings")
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
            raise ValidationError(
                {
                    "tie_breakers": _(
                        "只能使用存活规则代码 / Only survivorship rule codes are allowed"
                    )
                }
            )


class DictionaryRevision(models.Model):
    """The number of the dictionary's latest change: one row, set from a sequence by a PostgreSQL
    trigger after every statement that writes a data element, binding, value domain or code
    value (migration ``0004``; a sequence, so a rolled-back change never lends its number to
    another). Every upsert asks for the dictionary's revision; one indexed row is cheaper than
    counting and scanning the four tables (about a millisecond per upsert). Other databases
    (the embedded demo) have no trigger and read the tables instead."""

    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("数据字典版本 dictionary revision")
        verbose_name_plural = _("数据字典版本 dictionary revisions")

    def __str__(self) -> str:
        return str(self.number)
