"""Global codes: format, check character, one rule per entity, never reused."""

import pytest

from dictionary.models import EntityType
from mdm.records.codes import (
    allocate_golden_code,
    allocate_golden_codes,
    format_code,
    is_valid_code,
)

pytestmark = pytest.mark.django_db


def test_code_is_prefix_padded_sequence_and_check_character():
    assert format_code("CU", 10, 42)[:12] == "CU0000000042"
    assert is_valid_code(format_code("CU", 10, 42))


def test_a_typo_in_a_code_is_detected_by_its_check_character():
    code = format_code("CU", 10, 42)
    typo = code[:5] + ("1" if code[5] != "1" else "2") + code[6:]

    assert not is_valid_code(typo)


@pytest.mark.parametrize(
    ("entity", "prefix"), [("customers", "CU"), ("products", "PR"), ("materials", "MA")]
)
def test_each_entity_has_its_own_prefix(entity, prefix):
    assert allocate_golden_code(entity).startswith(prefix)


def test_codes_are_never_reused():
    first = allocate_golden_code("customers")
    second = allocate_golden_code("customers")

    assert first != second
    assert int(second[2:12]) > int(first[2:12])


def test_a_batch_of_codes_follows_the_dictionarys_rule_in_ascending_order():
    EntityType.objects.filter(code="products").update(code_prefix="GD", code_width=6)

    codes = allocate_golden_codes("products", 3)

    assert [c[:2] for c in codes] == ["GD", "GD", "GD"]
    assert all(len(c) == 2 + 6 + 1 and is_valid_code(c) for c in codes)
    assert [int(c[2:8]) for c in codes] == sorted(int(c[2:8]) for c in codes)
    assert len(set(codes)) == 3


def test_an_entity_the_dictionary_does_not_know_gets_no_code():
    with pytest.raises(EntityType.DoesNotExist):
        allocate_golden_codes("suppliers", 1)
    assert allocate_golden_codes("customers", 0) == []
