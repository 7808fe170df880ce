"""factory-boy factories for the hub's main models, built through the hub's own services.

Source records and golden records are made through the write path (``upsert_source_record``),
never as bare rows: a factory record is standardized, fingerprinted, blocked and linked like any
record a system sends, so a test that uses one sees what a user would.
"""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from mdm.access.accounts import create_source_system
from mdm.intake.upsert import upsert_source_record
from mdm.models import Customer, Material, Product, SourceRecord, SourceSystem


class UserFactory(factory.django.DjangoModelFactory):
    """A staff user; ``role`` (a group of ``mdm.access.roles``) is added when given."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class SourceSystemFactory(factory.Factory):
    """A source system with its service account and token (``create_source_system``)."""

    class Meta:
        model = SourceSystem

    code = factory.Sequence(lambda n: f"SYS{n}")
    name = factory.LazyAttribute(lambda o: f"System {o.code}")
    priority = 100
    country = "CN"

    @classmethod
    def _create(cls, model_class: type[SourceSystem], **kwargs: Any) -> SourceSystem:
        system, _issued = create_source_system(**kwargs)
        return system


class SourceRecordFactory(factory.Factory):
    """A source record sent through the write path; ``payload`` is what the system sends."""

    class Meta:
        model = SourceRecord

    system = factory.SubFactory(SourceSystemFactory)
    entity = "customers"
    local_code = factory.Sequence(lambda n: f"R-{n:05d}")
    payload = factory.LazyAttribute(
        lambda o: {"name": f"测试客户{o.local_code}有限公司", "customer_type": "org"}
    )

    @classmethod
    def _create(cls, model_class: type[SourceRecord], **kwargs: Any) -> SourceRecord:
        upsert_source_record(**kwargs)
        return SourceRecord.objects.get(
            system=kwargs["system"], entity=kwargs["entity"], local_code=kwargs["local_code"]
        )


def _golden_of(model: type[Customer | Product | Material]):
    def create(cls, model_class: type, **kwargs: Any) -> Customer | Product | Material:
        record = SourceRecordFactory(**kwargs)
        return model.objects.get(code=record.golden_code)

    return classmethod(create)


class CustomerFactory(SourceRecordFactory):
    """The golden customer of a source record sent through the write path."""

    class Meta:
        model = Customer

    _create = _golden_of(Customer)


class ProductFactory(SourceRecordFactory):
    """The golden product of a source record sent through the write path."""

    class Meta:
        model = Product

    entity = "products"
    payload = factory.LazyAttribute(lambda o: {"name": f"测试商品 {o.local_code}", "uom": "pcs"})
    _create = _golden_of(Product)


class MaterialFactory(SourceRecordFactory):
    """The golden material of a source record sent through the write path."""

    class Meta:
        model = Material

    entity = "materials"
    payload = factory.LazyAttribute(
        lambda o: {"name": f"测试物料 {o.local_code}", "base_uom": "PC"}
    )
    _create = _golden_of(Material)
