"""Golden records: one per real-world customer, product or material, with a global code."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dictionary.history import TranslatedHistory
from dictionary.masking import mask_name
from dictionary.models import EntityChoices
from matching.normalize import is_person_customer


class GoldenStatusChoices(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("golden status", "Active")
    MERGED = "merged", _("Merged")
    RETIRED = "retired", _("Retired")


class GoldenRecordQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=GoldenStatusChoices.ACTIVE)


class GoldenRecord(models.Model):
    """Common part of every golden record.

    ``code`` is the global unique code (never reused). A record retired by a merge keeps its row
    with ``status=merged`` and ``merged_into`` pointing at the survivor, so the old code keeps
    resolving. ``lineage`` maps each attribute to the source record and rule that gave its value;
    ``locked`` holds steward overrides that win survivorship; ``extra`` holds attributes of the
    dictionary that have no typed column.
    """

    ENTITY: str = ""
    #: Attributes stored in typed columns, in the dictionary's element codes.
    TYPED_ATTRIBUTES: tuple[str, ...] = ()

    code = models.CharField(_("global code"), max_length=20, unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=GoldenStatusChoices,
        default=GoldenStatusChoices.ACTIVE,
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    extra = models.JSONField(_("other attributes"), default=dict, blank=True)
    lineage = models.JSONField(_("lineage"), default=dict, blank=True)
    locked = models.JSONField(_("locked values"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = GoldenRecordQuerySet.as_manager()

    # Declarations for the type checker, not fields: the stubs give an abstract model's relation
    # to "self" no id attribute, every concrete golden model has a name, and simple_history adds
    # its manager to each of them.
    merged_into_id: int | None
    name: str
    history: ClassVar[Any]
    # Set before a save or delete for simple_history to read (who and why); not fields.
    _history_user: Any
    _change_reason: str

    class Meta:
        abstract = True
        ordering = ["code"]
        # Plain indexes (Meta.indexes, not db_index): PostgreSQL then builds no second
        # pattern-ops index per column for LIKE 'x%' look-ups, which nothing here makes.
        indexes = [models.Index(fields=["status"], name="%(class)s_status_idx")]

    def __str__(self) -> str:
        return f"{self.code} {getattr(self, 'name', '')}"

    def attributes(self) -> dict[str, str]:
        """All golden attribute values keyed by element code (typed columns, then extra)."""
        values = {}
        for name in self.TYPED_ATTRIBUTES:
            value = getattr(self, name)
            if value not in (None, ""):
                values[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        values.update({k: v for k, v in self.extra.items() if v not in (None, "")})
        return values


#: Columns the golden tables index that their history tables do not: an audit trail is read by
#: record (id, code) and by date, and every golden write adds a history row to index.
HISTORY_UNINDEXED = ["updated_at", "merged_into"]


class CustomerTypeChoices(models.TextChoices):
    ORG = "org", _("Organization")
    PERSON = "person", _("Person")


class Customer(GoldenRecord):
    """Golden customer: an organization or a person that trades or may trade with the enterprise."""

    ENTITY = EntityChoices.CUSTOMERS
    TYPED_ATTRIBUTES = (
        "name",
        "customer_type",
        "credit_code",
        "id_number",
        "phone",
        "email",
        "address",
        "region_code",
        "birth_date",
        "postal_code",
        "contact_name",
    )

    name = models.CharField(_("name"), max_length=200, blank=True)
    customer_type = models.CharField(
        _("customer type"), max_length=10, choices=CustomerTypeChoices, blank=True
    )
    credit_code = models.CharField(_("credit code"), max_length=18, blank=True)
    # Personal columns are text: an element the dictionary marks sensitive_personal holds a
    # ciphertext (``enc:v1:…``), far longer than the value.
    id_number = models.TextField(_("resident ID"), blank=True)
    phone = models.TextField(_("phone"), blank=True)
    email = models.TextField(_("email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    region_code = models.CharField(_("region code"), max_length=6, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    contact_name = models.TextField(_("contact"), blank=True)
    history = TranslatedHistory(no_db_index=HISTORY_UNINDEXED)

    class Meta(GoldenRecord.Meta):
        indexes = [
            *GoldenRecord.Meta.indexes,
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(fields=["credit_code"], name="customer_credit_code_idx"),
        ]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        # A person's name is personal data: shown masked wherever the record is named, whether
        # the sender declared a person or matching recognises one (a bare 2-4 character name).
        if is_person_customer(
            self.customer_type,
            self.name,
            has_credit_code=bool(self.credit_code),
            has_id_number=bool(self.id_number),
        ):
            return f"{self.code} {mask_name(self.name)}"
        return super().__str__()


class Product(GoldenRecord):
    """Golden product: a sellable item, identified by GTIN where it has one."""

    ENTITY = EntityChoices.PRODUCTS
    TYPED_ATTRIBUTES = ("name", "model", "brand", "category", "uom", "gtin")

    name = models.CharField(_("name"), max_length=200, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    uom = models.CharField(_("unit"), max_length=10, blank=True)
    gtin = models.CharField(_("GTIN"), max_length=14, blank=True)
    history = TranslatedHistory(no_db_index=HISTORY_UNINDEXED)

    class Meta(GoldenRecord.Meta):
        indexes = [
            *GoldenRecord.Meta.indexes,
            models.Index(fields=["name"], name="product_name_idx"),
            models.Index(fields=["gtin"], name="product_gtin_idx"),
        ]
        verbose_name = _("product")
        verbose_name_plural = _("products")


class Material(GoldenRecord):
    """Golden material: a raw, semi-finished or packaging material the enterprise buys or uses."""

    ENTITY = EntityChoices.MATERIALS
    TYPED_ATTRIBUTES = ("name", "spec", "material_group", "base_uom", "material_type")

    name = models.CharField(_("name"), max_length=200, blank=True)
    spec = models.CharField(_("specification"), max_length=200, blank=True)
    material_group = models.CharField(_("material group"), max_length=50, blank=True)
    base_uom = models.CharField(_("base unit"), max_length=10, blank=True)
    material_type = models.CharField(_("material type"), max_length=10, blank=True)
    history = TranslatedHistory(no_db_index=HISTORY_UNINDEXED)

    class Meta(GoldenRecord.Meta):
        indexes = [
            *GoldenRecord.Meta.indexes,
            models.Index(fields=["name"], name="material_name_idx"),
        ]
        verbose_name = _("material")
        verbose_name_plural = _("materials")


GOLDEN_MODELS: dict[str, type[GoldenRecord]] = {
    EntityChoices.CUSTOMERS: Customer,
    EntityChoices.PRODUCTS: Product,
    EntityChoices.MATERIALS: Material,
}


def golden_model(entity: str) -> type[GoldenRecord]:
    """The golden model of an entity code (``customers`` -> Customer)."""
    return GOLDEN_MODELS[entity]
