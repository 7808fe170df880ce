"""The test factories make records the way a source system does: through the write path."""

from __future__ import annotations

import pytest

from mdm.errors import RecordRejected
from mdm.models import Customer, Event, Material, Product, SourceRecord
from tests.support.factories import (
    CustomerFactory,
    MaterialFactory,
    ProductFactory,
    SourceRecordFactory,
    SourceSystemFactory,
    UserFactory,
)


@pytest.mark.django_db
def test_a_factory_record_is_standardized_linked_and_announced():
    system = SourceSystemFactory(code="ERP9")

    record = SourceRecordFactory(
        system=system,
        local_code="C-1",
        payload={"name": "  北京華信科技有限公司 ", "customer_type": "org"},
    )

    customer = Customer.objects.get(code=record.golden_code)
    assert record.attributes["name"] == "北京华信科技有限公司"
    assert record.link_kind == "new"
    assert customer.name == "北京华信科技有限公司"
    assert Event.objects.filter(golden_code=customer.code, kind="created").count() == 1


@pytest.mark.django_db
def test_a_rejected_payload_stores_nothing():
    system = SourceSystemFactory()

    with pytest.raises(RecordRejected) as raised:
        SourceRecordFactory(
            system=system, entity="products", payload={"name": "螺栓 M8", "uom": "furlong"}
        )

    assert list(raised.value.errors) == ["uom"]
    assert SourceRecord.objects.count() == 0
    assert Product.objects.count() == 0


@pytest.mark.django_db
def test_golden_factories_give_the_golden_record_of_their_source_record():
    customer = CustomerFactory(local_code="C-7")
    product = ProductFactory(local_code="P-7")
    material = MaterialFactory(local_code="M-7")

    codes = dict(SourceRecord.objects.values_list("local_code", "golden_code"))
    assert codes == {"C-7": customer.code, "P-7": product.code, "M-7": material.code}
    assert (Customer.objects.count(), Product.objects.count(), Material.objects.count()) == (
        1,
        1,
        1,
    )


@pytest.mark.django_db
def test_a_user_gets_the_role_asked_for():
    user = UserFactory(username="steward.li", role="data_steward")

    assert list(user.groups.values_list("name", flat=True)) == ["data_steward"]
    assert user.is_staff
