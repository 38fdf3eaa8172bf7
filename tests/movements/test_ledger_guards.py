"""What the ledger primitives decide against the rows as they are under the locks, not as a door
read them (issue 10: defects 2, 3 and 4), and totals past the 12 digits a quantity may have."""

from decimal import Decimal

import pytest

from hardfin.errors import InactiveObject, InvalidQuantity, UnknownObject
from inventory.models import Item
from inventory.services import catalog_delete
from movements.ledger import QuantityLimit
from movements.services import Line, build_create, receipt_create, transfer_create
from tests.api_support import api  # noqa: F401  (api is a fixture)
from tests.helpers import snapshot
from tests.stock import receive

BIG = "999999999999"


def test_a_whole_unit_flip_the_door_did_not_see_refuses_the_fraction(cable, chicago, milwaukee, supplier, operator):
    receive(cable, chicago, "10", supplier=supplier, user=operator)
    stale = Item.objects.get(pk=cable.pk)  # what a door read before the flip
    Item.objects.filter(pk=cable.pk).update(fractional=False)
    before = snapshot()

    with pytest.raises(InvalidQuantity) as caught:
        transfer_create(item=stale, source=chicago, destination=milwaukee, quantity="0.5", user=operator)

    assert caught.value.message == "This item is counted in whole units (m); send a whole number."
    assert snapshot() == before


def test_a_receipt_line_checks_whole_units_on_the_locked_item(cable, chicago, supplier, operator):
    stale = Item.objects.get(pk=cable.pk)
    Item.objects.filter(pk=cable.pk).update(fractional=False)
    before = snapshot()

    with pytest.raises(InvalidQuantity) as caught:
        receipt_create(supplier=supplier, location=chicago, po_number="PO-7", lines=[Line(stale, "0.5")], user=operator)

    assert caught.value.line == 0 and caught.value.sku == "CBL-CAT6"
    assert snapshot() == before


def test_a_deactivation_the_door_did_not_see_refuses_the_movement(item, chicago, milwaukee, supplier, operator):
    receive(item, chicago, "10", supplier=supplier, user=operator)
    stale = Item.objects.get(pk=item.pk)
    Item.objects.filter(pk=item.pk).update(is_active=False)
    before = snapshot()

    with pytest.raises(InactiveObject):
        transfer_create(item=stale, source=chicago, destination=milwaukee, quantity="5", user=operator)

    assert snapshot() == before


def test_a_receipt_for_an_item_deleted_meanwhile_is_an_unknown_item(item, chicago, supplier, operator):
    stale = Item.objects.get(pk=item.pk)
    catalog_delete(instance=item)

    with pytest.raises(UnknownObject) as caught:
        receipt_create(supplier=supplier, location=chicago, po_number="PO-8", lines=[Line(stale, "5")], user=operator)

    assert caught.value.message == "No item 'LDR-4.1'."


def test_two_receipt_lines_past_twelve_digits_are_a_conflict_and_record_nothing(api, item, chicago, supplier, operator):
    before = snapshot()
    response = api(operator).post(
        "/api/receipts/",
        {"supplier": "ACME", "location": "CHI", "po_number": "PO-9",
         "lines": [{"sku": "LDR-4.1", "quantity": BIG}, {"sku": "LDR-4.1", "quantity": BIG}]},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "quantity_limit"
    assert "past the largest quantity" in response.json()["detail"]
    assert snapshot() == before


def test_a_transfer_into_a_full_level_is_a_conflict(item, chicago, milwaukee, supplier, operator):
    receive(item, milwaukee, BIG, supplier=supplier, user=operator)
    receive(item, chicago, "5", supplier=supplier, user=operator)
    before = snapshot()

    with pytest.raises(QuantityLimit):
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity="5", user=operator)

    assert snapshot() == before


def test_a_second_short_build_past_twelve_digits_is_a_conflict(item, chicago, operator):
    build_create(location=chicago, reference="WO-1", lines=[Line(item, BIG)], allow_shortfall=True, user=operator)
    before = snapshot()

    with pytest.raises(QuantityLimit):
        build_create(location=chicago, reference="WO-2", lines=[Line(item, BIG)], allow_shortfall=True, user=operator)

    assert snapshot() == before
    assert Decimal(BIG) == -item.stock_levels.get(location=chicago).quantity


def test_the_staff_form_shows_the_limit_on_the_quantity(client, item, chicago, milwaukee, supplier, operator):
    receive(item, milwaukee, BIG, supplier=supplier, user=operator)
    receive(item, chicago, "5", supplier=supplier, user=operator)
    client.force_login(operator)

    response = client.post("/transfers/new/", {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE",
                                               "quantity": "5"})

    assert response.status_code == 200
    assert "past the largest quantity" in response.content.decode()
