"""Catalog writes and the quantity checks every movement input goes through."""

from decimal import Decimal

import pytest

from hardfin.errors import ConflictError, HasHistory, InvalidInput, InvalidQuantity
from hardfin.quantities import check_quantity
from inventory.models import Item, Location
from inventory.services import (
    catalog_delete,
    catalog_update,
    item_create,
    location_create,
    supplier_create,
)
from tests.stock import receive


@pytest.mark.django_db
def test_item_create_with_defaults():
    item = item_create(sku="LDR-4.1", name="Lidar unit")
    assert (item.sku, item.unit, item.fractional, item.is_active) == ("LDR-4.1", "ea", False, True)


@pytest.mark.django_db
@pytest.mark.parametrize("sku", ["ldr-4.1", "LDR-4.1", " LDR-4.1 "])
def test_skus_are_unique_ignoring_case(sku):
    item_create(sku="LDR-4.1", name="Lidar unit")
    with pytest.raises(InvalidInput) as caught:
        item_create(sku=sku, name="Copy")
    assert caught.value.field == "sku"
    assert Item.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("sku", ["LDR 4.1", "LDR/4", "", "x" * 65, "LDR#1"])
def test_skus_allow_letters_digits_dot_dash_underscore_only(sku):
    with pytest.raises(InvalidInput) as caught:
        item_create(sku=sku, name="Bad")
    assert caught.value.field == "sku"
    assert not Item.objects.exists()


@pytest.mark.django_db
def test_location_and_supplier_codes_are_unique_ignoring_case():
    location_create(code="CHI", name="Chicago")
    supplier_create(code="ACME", name="Acme")
    with pytest.raises(InvalidInput):
        location_create(code="chi", name="Chicago again")
    with pytest.raises(InvalidInput):
        supplier_create(code="acme", name="Acme again")
    with pytest.raises(InvalidInput):
        location_create(code="C" * 33, name="Too long")


@pytest.mark.django_db
def test_update_changes_fields_but_never_the_key():
    item = item_create(sku="LDR-4.1", name="Lidar")
    item = catalog_update(instance=item, name="Lidar unit 4.1", fractional=True)
    assert (item.name, item.fractional) == ("Lidar unit 4.1", True)
    with pytest.raises(InvalidInput) as caught:
        catalog_update(instance=item, sku="LDR-9")
    assert caught.value.field == "sku"
    assert Item.objects.get().sku == "LDR-4.1"


def test_delete_unused_records_and_refuse_those_with_history(item, chicago, milwaukee, supplier, operator):
    receive(item, chicago, "1", supplier=supplier, user=operator, po_number="PO")
    with pytest.raises(HasHistory) as caught:
        catalog_delete(instance=item)
    assert "deactivate" in caught.value.message
    with pytest.raises(HasHistory):
        catalog_delete(instance=chicago)
    catalog_delete(instance=milwaukee)
    assert list(Location.objects.values_list("code", flat=True)) == ["CHI"]
    assert Item.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize(
    "value, fractional, expected",
    [
        ("25", False, Decimal("25.000")),
        (25, False, Decimal("25.000")),
        ("25.000", False, Decimal("25.000")),
        (" 2.5 ", True, Decimal("2.500")),
        (Decimal("0.001"), True, Decimal("0.001")),
        ("999999999999.999", True, Decimal("999999999999.999")),
        ("+7", False, Decimal("7.000")),
    ],
)
def test_rule_7_good_quantities(value, fractional, expected):
    assert check_quantity(value, fractional=fractional) == expected


@pytest.mark.parametrize(
    "value",
    [0, "0", "-1", "0.0001", "1000000000000", "2.5", "nan", "-inf", "1e400", "1e3", "1_0", "\uff15", "", ".", 1.5, True, None, [1]],
)
def test_rule_7_bad_quantities(value):
    with pytest.raises(InvalidQuantity):
        check_quantity(value, fractional=False)


def test_an_item_with_fractional_stock_cannot_become_whole_units(chicago, supplier, operator):
    cable = item_create(sku="CBL-1", name="Cable", unit="m", fractional=True)
    receive(cable, chicago, "2.5", supplier=supplier, user=operator, po_number="PO")
    with pytest.raises(ConflictError) as caught:
        catalog_update(instance=cable, fractional=False)
    assert caught.value.field == "fractional" and "fractional quantities" in caught.value.message
    assert Item.objects.get(pk=cable.pk).fractional is True
    whole = item_create(sku="CBL-2", name="Cable", unit="m", fractional=True)
    receive(whole, chicago, "3", supplier=supplier, user=operator, po_number="PO")
    assert catalog_update(instance=whole, fractional=False).fractional is False


@pytest.mark.django_db
def test_sending_back_the_same_key_in_another_case_is_not_a_change():
    item = item_create(sku="LDR-4.1", name="Lidar")
    assert catalog_update(instance=item, sku="ldr-4.1", name="Lidar 4.1").name == "Lidar 4.1"
    assert Item.objects.get().sku == "LDR-4.1"
