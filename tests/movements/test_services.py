"""The movement services, rule by rule (DESIGN.md "The rules"), with bad input at the service
layer: every failure raises a domain error that says why and changes nothing."""

from decimal import Decimal

import pytest

from hardfin.errors import (
    InactiveObject,
    InsufficientStock,
    InvalidInput,
    InvalidQuantity,
    PermissionDeniedError,
    SameLocation,
    UnknownObject,
)
from lots.models import Batch, Lot
from movements.models import Movement, Shortfall
from movements.reconciliation import reconcile
from movements.services import (
    Line,
    adjustment_create,
    build_create,
    receipt_create,
    replacement_create,
    transfer_create,
)
from tests.factories import ItemFactory, LocationFactory, SupplierFactory
from tests.helpers import level, lots_at, snapshot
from tests.stock import receive

D = Decimal


# --- rule 1: FIFO -------------------------------------------------------------------------------

def test_rule_1_transfer_takes_oldest_batches_and_destination_gets_the_same_batches(
    item, ldr_10_20_30_at_chicago, chicago, milwaukee, operator
):
    movement = transfer_create(item=item, source=chicago, destination=milwaukee, quantity=25, user=operator)
    assert [(line.batch.label, line.quantity, line.from_location.code, line.to_location.code)
            for line in movement.lines.all()] == [("0001", D(10), "CHI", "MKE"), ("0002", D(15), "CHI", "MKE")]
    assert lots_at(item, chicago) == {"0002": D(5), "0003": D(30)}
    assert lots_at(item, milwaukee) == {"0001": D(10), "0002": D(15)}


def test_rule_1_transfer_back_merges_into_the_existing_lot(item, ldr_10_20_30_at_chicago, chicago, milwaukee, operator):
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity=10, user=operator)
    transfer_create(item=item, source=milwaukee, destination=chicago, quantity=4, user=operator)
    assert Lot.objects.filter(batch__number=1, location=chicago).count() == 1
    assert lots_at(item, chicago) == {"0001": D(4), "0002": D(20), "0003": D(30)}


@pytest.mark.parametrize("consume", ["adjust_down", "build", "replace"])
def test_rule_1_every_consumption_is_fifo(item, ldr_10_20_30_at_chicago, chicago, manager, consume):
    if consume == "adjust_down":
        movement = adjustment_create(item=item, location=chicago, direction="down", quantity=12,
                                     reason="damaged", user=manager)
    elif consume == "build":
        movement = build_create(location=chicago, reference="BLD-7", lines=[Line(item, 12)], user=manager).movements[0]
    else:
        movement = replacement_create(item=item, location=chicago, quantity=12, asset="TRUCK-9", user=manager)
    assert [(line.batch.label, line.quantity) for line in movement.lines.all()] == [("0001", D(10)), ("0002", D(2))]
    assert lots_at(item, chicago) == {"0002": D(18), "0003": D(30)}
    assert lots_at(item, chicago, show_empty=True)["0001"] == 0  # the empty lot stays
    assert level(item, chicago) == D(48)


# --- rule 2: nothing goes negative ----------------------------------------------------------------

@pytest.mark.parametrize("consume", ["transfer", "adjust_down", "build", "replace"])
def test_rule_2_asking_for_more_than_present_fails_whole_with_the_available_quantity(
    item, ldr_10_20_30_at_chicago, chicago, milwaukee, manager, consume
):
    before = snapshot()
    with pytest.raises(InsufficientStock) as caught:
        if consume == "transfer":
            transfer_create(item=item, source=chicago, destination=milwaukee, quantity=61, user=manager)
        elif consume == "adjust_down":
            adjustment_create(item=item, location=chicago, direction="down", quantity=61, reason="lost", user=manager)
        elif consume == "build":
            build_create(location=chicago, reference="B1", lines=[Line(item, 61)], user=manager)
        else:
            replacement_create(item=item, location=chicago, quantity=61, asset="A1", user=manager)
    error = caught.value
    assert (error.sku, error.location, error.requested, error.available) == ("LDR-4.1", "CHI", D(61), D(60))
    assert str(error) == "Only 60 of LDR-4.1 available at CHI (61 requested)."
    assert snapshot() == before


def test_rule_2_a_build_lists_every_short_line(item, chicago, manager, supplier, operator):
    bolt = ItemFactory(sku="BOLT-M6")
    receive(item, chicago, 5, supplier=supplier, user=operator)
    before = snapshot()
    with pytest.raises(InsufficientStock) as caught:
        build_create(location=chicago, reference="B2", lines=[Line(item, 6), Line(bolt, 4)], user=manager)
    assert [(s.sku, s.requested, s.available) for s in caught.value.shortages] == [
        ("LDR-4.1", D(6), D(5)),
        ("BOLT-M6", D(4), D(0)),
    ]
    assert snapshot() == before


def test_rule_2_transfer_from_a_location_that_never_held_the_item(item, chicago, milwaukee, operator):
    before = snapshot()
    with pytest.raises(InsufficientStock) as caught:
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity=1, user=operator)
    assert caught.value.available == 0
    assert snapshot() == before  # not even an empty stock-level row is left behind


# --- rule 3: conservation -------------------------------------------------------------------------

def test_rule_3_conservation_after_every_kind_of_movement(
    item, ldr_10_20_30_at_chicago, chicago, milwaukee, manager, supplier, operator
):
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity=15, user=manager)
    adjustment_create(item=item, location=milwaukee, direction="up", quantity=3, reason="found", user=manager)
    adjustment_create(item=item, location=chicago, direction="down", quantity=2, reason="damaged", user=manager)
    build_create(location=milwaukee, reference="B9", lines=[Line(item, 20)], allow_shortfall=True, user=manager)
    replacement_create(item=item, location=chicago, quantity=4, asset="VAN-2", user=manager)
    receive(item, milwaukee, 5, supplier=supplier, user=operator)  # settles 2 of the shortfall of 2

    on_hand = sum(Lot.objects.filter(item=item).values_list("quantity", flat=True))
    open_shortfalls = sum(Shortfall.objects.filter(item=item).values_list("outstanding", flat=True))
    # received 60 + 5, adjusted +3 -2, built 20, replaced 4
    assert on_hand - open_shortfalls == D(60 + 5 + 3 - 2 - 20 - 4)
    assert level(item, chicago) + level(item, milwaukee) == on_hand - open_shortfalls
    assert reconcile() == []


def test_rule_3_a_transfer_changes_no_total(item, ldr_10_20_30_at_chicago, chicago, milwaukee, operator):
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity=33, user=operator)
    assert level(item, chicago) + level(item, milwaukee) == D(60)


# --- rule 5: adjustments --------------------------------------------------------------------------

def test_rule_5_upward_adjustment_creates_a_new_batch(item, ldr_10_20_30_at_chicago, chicago, accountant):
    movement = adjustment_create(item=item, location=chicago, direction="up", quantity=7, reason="found",
                                 user=accountant)
    batch = Batch.objects.get(item=item, number=4)
    assert (batch.origin, batch.reference, batch.initial_quantity, batch.supplier) == ("adjustment", "found", D(7), None)
    assert movement.to_location == chicago and movement.from_location is None
    assert movement.direction == "up" and movement.reason.code == "found"
    assert lots_at(item, chicago) == {"0001": D(10), "0002": D(20), "0003": D(30), "0004": D(7)}


def test_rule_5_downward_adjustment_consumes_fifo(item, ldr_10_20_30_at_chicago, chicago, manager):
    movement = adjustment_create(item=item, location=chicago, direction="down", quantity=25, reason="lost",
                                 user=manager)
    assert movement.direction == "down" and movement.to_location is None
    assert lots_at(item, chicago) == {"0002": D(5), "0003": D(30)}


def test_rule_5_operator_cannot_adjust(item, ldr_10_20_30_at_chicago, chicago, operator):
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        adjustment_create(item=item, location=chicago, direction="up", quantity=1, reason="found", user=operator)
    assert snapshot() == before


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_rule_5_managers_and_accountants_can_adjust(item, ldr_10_20_30_at_chicago, chicago, role, request):
    user = request.getfixturevalue(role)
    adjustment_create(item=item, location=chicago, direction="down", quantity=1, reason="damaged", user=user)
    assert level(item, chicago) == D(59)


def test_rule_5_superuser_can_adjust(item, ldr_10_20_30_at_chicago, chicago, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    adjustment_create(item=item, location=chicago, direction="up", quantity=1, reason="found", user=root)
    assert level(item, chicago) == D(61)


@pytest.mark.parametrize(
    "reason, note, error, field",
    [
        ("", "", InvalidInput, "reason"),
        (None, "", InvalidInput, "reason"),
        ("stolen-by-aliens", "", UnknownObject, "reason"),
        ("other", "", InvalidInput, "note"),
    ],
)
def test_rule_5_adjustment_needs_a_known_reason(
    item, ldr_10_20_30_at_chicago, chicago, manager, reason, note, error, field
):
    before = snapshot()
    with pytest.raises(error) as caught:
        adjustment_create(item=item, location=chicago, direction="up", quantity=1, reason=reason, note=note,
                          user=manager)
    assert caught.value.field == field
    assert snapshot() == before


def test_rule_5_reason_other_with_a_note_is_accepted(item, ldr_10_20_30_at_chicago, chicago, manager):
    movement = adjustment_create(item=item, location=chicago, direction="up", quantity=1, reason="other",
                                 note="Returned by the field team", user=manager)
    assert movement.note == "Returned by the field team"


# --- rule 6: one transaction ----------------------------------------------------------------------

def test_rule_6_a_receipt_with_one_bad_line_records_nothing(item, chicago, supplier, operator):
    retired = ItemFactory(sku="OLD-1", is_active=False)
    before = snapshot()
    with pytest.raises(InactiveObject) as caught:
        receipt_create(supplier=supplier, location=chicago, po_number="PO-9",
                       lines=[Line(item, 5), Line(retired, 5)], user=operator)
    # The error says which line (doors word it "Line 2 (OLD-1): …" from these).
    assert caught.value.line == 1 and caught.value.sku == "OLD-1"
    assert snapshot() == before


def test_rule_6_a_build_with_one_short_line_records_nothing(item, chicago, manager, supplier, operator):
    bolt = ItemFactory(sku="BOLT-M6")
    receive(item, chicago, 10, supplier=supplier, user=operator)
    receive(bolt, chicago, 1, supplier=supplier, user=operator)
    before = snapshot()
    with pytest.raises(InsufficientStock):
        build_create(location=chicago, reference="B3", lines=[Line(item, 2), Line(bolt, 2)], user=manager)
    assert snapshot() == before


# --- rule 7: quantities ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "quantity, message",
    [
        (0, "greater than zero"),
        (-5, "greater than zero"),
        ("-0.001", "greater than zero"),
        ("1.0005", "3 digits after"),
        ("1000000000000", "12 digits before"),
        ("2.5", "whole units"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ("abc", "not a number"),
        ("", "not a number"),
        (2.5, "decimal number"),
    ],
)
def test_rule_7_bad_quantities_are_refused_and_change_nothing(
    item, ldr_10_20_30_at_chicago, chicago, milwaukee, operator, quantity, message
):
    before = snapshot()
    with pytest.raises(InvalidQuantity) as caught:
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity=quantity, user=operator)
    assert message in caught.value.message
    assert caught.value.field == "quantity"
    assert snapshot() == before


def test_rule_7_fractional_items_take_up_to_three_decimals(chicago, milwaukee, operator, supplier):
    cable = ItemFactory(sku="CBL-CAT6", unit="m", fractional=True)
    receive(cable, chicago, "100.5", supplier=supplier, user=operator)
    movement = transfer_create(item=cable, source=chicago, destination=milwaukee, quantity="2.125", user=operator)
    assert movement.quantity == D("2.125")
    assert lots_at(cable, chicago) == {"0001": D("98.375")}


def test_rule_7_trailing_zeros_are_fine(item, ldr_10_20_30_at_chicago, chicago, milwaukee, operator):
    movement = transfer_create(item=item, source=chicago, destination=milwaukee, quantity="25.000", user=operator)
    assert movement.quantity == D(25)


# --- bad references -------------------------------------------------------------------------------

def test_transfer_to_the_same_location_is_refused(item, ldr_10_20_30_at_chicago, chicago, operator):
    before = snapshot()
    with pytest.raises(SameLocation):
        transfer_create(item=item, source=chicago, destination=chicago, quantity=1, user=operator)
    assert snapshot() == before


@pytest.mark.parametrize("inactive", ["item", "source", "destination"])
def test_inactive_item_or_location_cannot_move(item, ldr_10_20_30_at_chicago, chicago, milwaukee, operator, inactive):
    target = {"item": item, "source": chicago, "destination": milwaukee}[inactive]
    type(target).objects.filter(pk=target.pk).update(is_active=False)
    target.refresh_from_db()
    before = snapshot()
    with pytest.raises(InactiveObject) as caught:
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity=1, user=operator)
    assert caught.value.field == {"item": "sku", "source": "from_location", "destination": "to_location"}[inactive]
    assert "inactive" in caught.value.message
    assert snapshot() == before


def test_inactive_supplier_cannot_deliver(item, chicago, operator):
    gone = SupplierFactory(is_active=False)
    with pytest.raises(InactiveObject):
        receipt_create(supplier=gone, location=chicago, po_number="PO", lines=[Line(item, 1)], user=operator)
    assert not Movement.objects.exists()


def test_receipt_and_build_need_lines_and_references(chicago, supplier, operator, item):
    with pytest.raises(InvalidInput) as caught:
        receipt_create(supplier=supplier, location=chicago, po_number="PO", lines=[], user=operator)
    assert caught.value.field == "lines"
    with pytest.raises(InvalidInput) as caught:
        receipt_create(supplier=supplier, location=chicago, po_number=" ", lines=[Line(item, 1)], user=operator)
    assert caught.value.field == "po_number"
    with pytest.raises(InvalidInput) as caught:
        build_create(location=chicago, reference="", lines=[Line(item, 1)], user=operator)
    assert caught.value.field == "reference"
    with pytest.raises(InvalidInput) as caught:
        replacement_create(item=item, location=chicago, quantity=1, asset="", user=operator)
    assert caught.value.field == "asset"
    assert not Movement.objects.exists()


# --- permissions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["nobody", "accountant"])
def test_only_operators_and_managers_move_stock(
    item, ldr_10_20_30_at_chicago, chicago, milwaukee, supplier, role, request
):
    user = request.getfixturevalue(role)
    before = snapshot()
    for attempt in (
        lambda: transfer_create(item=item, source=chicago, destination=milwaukee, quantity=1, user=user),
        lambda: receipt_create(supplier=supplier, location=chicago, po_number="P", lines=[Line(item, 1)], user=user),
        lambda: build_create(location=chicago, reference="B", lines=[Line(item, 1)], user=user),
        lambda: replacement_create(item=item, location=chicago, quantity=1, asset="A", user=user),
    ):
        with pytest.raises(PermissionDeniedError):
            attempt()
    assert snapshot() == before


# --- each movement kind ---------------------------------------------------------------------------

def test_receipt_makes_one_batch_per_line_numbered_per_item(item, chicago, supplier, operator):
    bolt = ItemFactory(sku="BOLT-M6")
    receipt = receipt_create(
        supplier=supplier, location=chicago, po_number="PO-77", shipment_number="SH-1",
        lines=[Line(item, 5), Line(bolt, 100), Line(item, 7)], user=operator,
    )
    assert receipt.po_number == "PO-77" and receipt.shipment_number == "SH-1"
    assert [(m.item.sku, m.quantity, m.reference, m.kind) for m in receipt.movements] == [
        ("LDR-4.1", D(5), "PO-77", "receipt"),
        ("BOLT-M6", D(100), "PO-77", "receipt"),
        ("LDR-4.1", D(7), "PO-77", "receipt"),
    ]
    batches = Batch.objects.order_by("item__sku", "number")
    assert [(b.item.sku, b.label, b.origin, b.supplier.code, b.po_number, b.shipment_number, b.initial_quantity)
            for b in batches] == [
        ("BOLT-M6", "0001", "receipt", "ACME", "PO-77", "SH-1", D(100)),
        ("LDR-4.1", "0001", "receipt", "ACME", "PO-77", "SH-1", D(5)),
        ("LDR-4.1", "0002", "receipt", "ACME", "PO-77", "SH-1", D(7)),
    ]
    assert level(item, chicago) == D(12)


def test_replacement_records_the_asset(item, ldr_10_20_30_at_chicago, chicago, operator):
    movement = replacement_create(item=item, location=chicago, quantity=3, asset="TURBINE-12", user=operator)
    assert (movement.kind, movement.reference, movement.from_location, movement.to_location) == (
        "replacement", "TURBINE-12", chicago, None,
    )


def test_build_consumes_every_line_at_one_location(item, chicago, operator, supplier):
    bolt = ItemFactory(sku="BOLT-M6")
    receive(item, chicago, 4, supplier=supplier, user=operator)
    receive(bolt, chicago, 50, supplier=supplier, user=operator)
    build = build_create(location=chicago, reference="ASM-100", lines=[Line(item, 2), Line(bolt, 8)], user=operator)
    assert build.reference == "ASM-100" and build.shortfalls == []
    assert [(m.item.sku, m.quantity, m.kind, m.reference) for m in build.movements] == [
        ("LDR-4.1", D(2), "build", "ASM-100"),
        ("BOLT-M6", D(8), "build", "ASM-100"),
    ]
    assert (level(item, chicago), level(bolt, chicago)) == (D(2), D(42))


def test_build_refuses_the_same_item_on_two_lines(item, ldr_10_20_30_at_chicago, chicago, operator):
    with pytest.raises(InvalidInput) as caught:
        build_create(location=chicago, reference="B", lines=[Line(item, 1), Line(item, 1)], user=operator)
    assert "more than one line" in caught.value.message
    assert not Movement.objects.filter(kind="build").exists()


# --- build shortfalls -----------------------------------------------------------------------------

def test_shortfall_is_recorded_and_the_stock_level_goes_negative(item, chicago, operator, supplier):
    receive(item, chicago, 4, supplier=supplier, user=operator)
    build = build_create(location=chicago, reference="ASM-1", lines=[Line(item, 10)], allow_shortfall=True,
                         user=operator)
    [movement] = build.movements
    [shortfall] = build.shortfalls
    assert movement.quantity == D(10)
    assert [(line.batch.label, line.quantity) for line in movement.lines.all()] == [("0001", D(4))]
    assert (shortfall.quantity, shortfall.outstanding, shortfall.reference, shortfall.settled_at) == (
        D(6), D(6), "ASM-1", None,
    )
    assert lots_at(item, chicago, show_empty=True) == {"0001": D(0)}  # lots never below zero
    assert level(item, chicago) == D(-6)
    assert reconcile() == []


def test_shortfall_is_settled_first_by_a_receipt_attributed_to_the_build(item, chicago, supplier, operator):
    build_create(location=chicago, reference="ASM-2", lines=[Line(item, 6)], allow_shortfall=True, user=operator)
    receipt = receipt_create(supplier=supplier, location=chicago, po_number="PO-5", lines=[Line(item, 10)], user=operator)
    [settlement] = receipt.settlements
    assert (settlement.kind, settlement.quantity, settlement.reference, settlement.from_location, settlement.to_location) == (
        "settlement", D(6), "ASM-2", chicago, None,
    )
    assert [(line.batch.label, line.quantity) for line in settlement.lines.all()] == [("0001", D(6))]
    shortfall = Shortfall.objects.get()
    assert shortfall.outstanding == 0 and shortfall.settled_at is not None
    assert receipt.movements[0].quantity == D(10)  # the receipt itself is recorded as usual
    assert lots_at(item, chicago) == {"0001": D(4)}
    assert level(item, chicago) == D(4)
    assert reconcile() == []


def test_shortfall_is_settled_by_a_transfer_in_and_an_upward_adjustment(
    item, chicago, milwaukee, manager, supplier, operator
):
    receive(item, milwaukee, 3, supplier=supplier, user=operator)
    build_create(location=chicago, reference="ASM-3", lines=[Line(item, 5)], allow_shortfall=True, user=manager)
    transfer_create(item=item, source=milwaukee, destination=chicago, quantity=3, user=manager)
    shortfall = Shortfall.objects.get()
    assert shortfall.outstanding == D(2) and shortfall.settled_at is None  # partly settled
    assert level(item, chicago) == D(-2)
    adjustment_create(item=item, location=chicago, direction="up", quantity=5, reason="found", user=manager)
    shortfall.refresh_from_db()
    assert shortfall.outstanding == 0
    settlements = Movement.objects.filter(kind="settlement").order_by("id")
    assert [(m.quantity, m.lines.get().batch.label) for m in settlements] == [(D(3), "0001"), (D(2), "0002")]
    assert lots_at(item, chicago) == {"0002": D(3)}
    assert level(item, chicago) == D(3)
    assert reconcile() == []


def test_oldest_shortfall_is_settled_first(item, chicago, manager, supplier, operator):
    build_create(location=chicago, reference="OLD", lines=[Line(item, 2)], allow_shortfall=True, user=manager)
    build_create(location=chicago, reference="NEW", lines=[Line(item, 3)], allow_shortfall=True, user=manager)
    assert level(item, chicago) == D(-5)
    receive(item, chicago, 4, supplier=supplier, user=operator)
    assert dict(Shortfall.objects.values_list("reference", "outstanding")) == {"OLD": D(0), "NEW": D(1)}
    assert list(Movement.objects.filter(kind="settlement").order_by("id").values_list("reference", "quantity")) == [
        ("OLD", D(2)), ("NEW", D(2)),
    ]
    assert level(item, chicago) == D(-1)
    assert reconcile() == []


def test_arrivals_elsewhere_do_not_settle(item, chicago, milwaukee, manager, supplier, operator):
    build_create(location=chicago, reference="B", lines=[Line(item, 2)], allow_shortfall=True, user=manager)
    receive(item, milwaukee, 5, supplier=supplier, user=operator)
    assert Shortfall.objects.get().outstanding == D(2)
    assert not Movement.objects.filter(kind="settlement").exists()


def test_nothing_moves_out_of_a_location_with_an_open_shortfall(item, chicago, milwaukee, manager):
    build_create(location=chicago, reference="B", lines=[Line(item, 2)], allow_shortfall=True, user=manager)
    with pytest.raises(InsufficientStock) as caught:
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity=1, user=manager)
    assert caught.value.available == 0


def test_movements_record_who_and_when(item, ldr_10_20_30_at_chicago, chicago, milwaukee, operator):
    movement = transfer_create(item=item, source=chicago, destination=milwaukee, quantity=1, user=operator,
                               note="for the Tuesday install", reference="WO-55")
    assert movement.user == operator
    assert movement.occurred_at is not None
    assert (movement.note, movement.reference) == ("for the Tuesday install", "WO-55")


def test_locations_are_independent_per_item(chicago, operator, supplier):
    a, b = ItemFactory(), ItemFactory()
    receive(a, chicago, 5, supplier=supplier, user=operator)
    receive(b, chicago, 7, supplier=supplier, user=operator)
    assert Batch.objects.get(item=b).label == "0001"  # numbering is per item
    other = LocationFactory()
    transfer_create(item=b, source=chicago, destination=other, quantity=7, user=operator)
    assert (level(a, chicago), level(b, chicago), level(b, other)) == (D(5), D(0), D(7))
