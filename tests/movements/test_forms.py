"""The movement forms on their own (the admin reuses TransferForm and AdjustmentForm):
``submit(user)`` returns what was recorded, or None with the service's error next to the
field it is about, and nothing recorded."""

import re
from decimal import Decimal

import pytest

from inventory.models import Item, Location
from movements.forms import (
    AdjustmentForm,
    BuildForm,
    ReceiptForm,
    ReplacementForm,
    TransferForm,
)
from movements.models import Movement
from tests.factories import ItemFactory
from tests.helpers import level, lots_at, snapshot
from tests.pages_support import lines_data
from tests.stock import receive


def transfer(quantity="120", **changes):
    data = {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": quantity}
    return TransferForm({**data, **changes})


def rejected(form, user):
    """Submit a form that must fail; return its errors after checking nothing was recorded."""
    before = snapshot()
    assert form.submit(user) is None
    assert snapshot() == before
    return form.errors


# --- transfers ----------------------------------------------------------------------------------

def test_transfer_form_moves_the_oldest_batches_first(
    item, ldr_worked_example_first_half, chicago, milwaukee, supplier, operator
):
    receive(item, chicago, "200", supplier=supplier, user=operator, po_number="PO-1002")
    form = transfer()
    movement = form.submit(operator)
    assert isinstance(movement, Movement) and movement.kind == "transfer"
    assert lots_at(item, chicago) == {"0002": Decimal("155")}
    assert lots_at(item, milwaukee) == {"0001": Decimal("100"), "0002": Decimal("45")}
    assert form.success_message(movement) == (
        "Moved 120 ea of LDR-4.1 from Chicago Warehouse to Milwaukee Operations Center: "
        "75 from batch 0001, 45 from batch 0002."
    )


def test_transfer_form_reads_the_sku_in_any_case_and_keeps_reference_and_note(ldr_worked_example_first_half, operator):
    movement = transfer("5", sku="ldr-4.1", reference="SHIP-9", note="For the van").submit(operator)
    assert (movement.item.sku, movement.reference, movement.note) == ("LDR-4.1", "SHIP-9", "For the van")


def test_transfer_of_more_than_is_there_says_how_much_is_available(ldr_worked_example_first_half, operator):
    errors = rejected(transfer("120"), operator)
    assert errors == {"quantity": ["Only 75 of LDR-4.1 available at CHI (120 requested)."]}


def test_transfer_to_the_same_location_is_an_error_on_the_destination(ldr_worked_example_first_half, operator):
    errors = rejected(transfer("5", to_location="CHI"), operator)
    assert errors == {"to_location": ["Source and destination must be different locations."]}


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("0", "Quantity must be greater than zero."),
        ("-3", "Quantity must be greater than zero."),
        ("abc", "'abc' is not a number."),
        ("NaN", "A quantity must be a finite number."),
        ("1.5", "This item is counted in whole units (ea); send a whole number."),
        ("1.0001", "Quantity may have at most 3 digits after the decimal point."),
        ("1000000000000", "Quantity may have at most 12 digits before the decimal point."),
        ("", "This field is required."),
    ],
)
def test_a_bad_quantity_is_an_error_on_the_quantity(ldr_worked_example_first_half, operator, quantity, message):
    assert rejected(transfer(quantity), operator) == {"quantity": [message]}


def test_an_unknown_sku_is_an_error_on_the_sku(ldr_worked_example_first_half, operator):
    assert rejected(transfer("5", sku="NOPE"), operator) == {"sku": ["No item 'NOPE'."]}


def test_an_inactive_item_cannot_move(ldr_worked_example_first_half, operator):
    Item.objects.filter(sku="LDR-4.1").update(is_active=False)
    errors = rejected(transfer("5"), operator)
    assert errors == {"sku": ["The item LDR-4.1 is inactive and cannot take part in new movements."]}


def test_inactive_locations_are_not_offered(ldr_worked_example_first_half, operator):
    Location.objects.filter(code="MKE").update(is_active=False)
    form = transfer("5")
    to_list = re.search(r'<datalist id="id_to_location-codes"[^>]*>(.*?)</datalist>', form.as_div(), re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"', to_list) == ["CHI"]
    assert rejected(form, operator)["to_location"] == [
        "The location MKE is inactive and cannot take part in new movements."]


def test_missing_fields_are_required(db, operator):
    errors = rejected(TransferForm({}), operator)
    assert set(errors) == {"sku", "from_location", "to_location", "quantity"}


def test_a_user_who_may_not_transfer_gets_the_error_above_the_form(ldr_worked_example_first_half, accountant):
    assert rejected(transfer("5"), accountant) == {"__all__": ["You are not allowed to record transfers."]}


def test_transfer_form_renders_without_any_page_template(db):
    html = TransferForm(initial={"sku": "LDR-4.1", "from_location": "CHI"}).as_div()
    assert 'name="sku"' in html and 'value="LDR-4.1"' in html
    assert 'inputmode="decimal"' in html


# --- adjustments --------------------------------------------------------------------------------

def adjust(direction, quantity, reason="damaged", **changes):
    return AdjustmentForm(
        {"sku": "LDR-4.1", "location": "CHI", "direction": direction, "quantity": quantity, "reason": reason, **changes}
    )


def test_adjusting_down_takes_the_oldest_batches_first(item, ldr_worked_example, chicago, milwaukee, manager):
    form = AdjustmentForm(
        {"sku": "LDR-4.1", "location": "MKE", "direction": "down", "quantity": "110", "reason": "damaged"}
    )
    movement = form.submit(manager)
    assert lots_at(item, milwaukee) == {"0002": Decimal("35")}
    assert level(item, milwaukee) == Decimal("35")
    assert form.success_message(movement) == (
        "Removed 110 ea of LDR-4.1 at Milwaukee Operations Center (Damaged): 100 from batch 0001, 10 from batch 0002."
    )


def test_adjusting_up_creates_a_new_batch(item, ldr_worked_example, chicago, accountant):
    form = adjust("up", "5", reason="found")
    movement = form.submit(accountant)
    assert lots_at(item, chicago) == {"0002": Decimal("155"), "0003": Decimal("5")}
    assert form.success_message(movement) == "Added 5 ea of LDR-4.1 at Chicago Warehouse (Found) as new batch 0003."


def test_adjusting_down_more_than_is_there_fails(ldr_worked_example, manager):
    errors = rejected(adjust("down", "156"), manager)
    assert errors == {"quantity": ["Only 155 of LDR-4.1 available at CHI (156 requested)."]}


def test_an_adjustment_needs_a_reason_and_a_direction(ldr_worked_example, manager):
    errors = rejected(adjust("sideways", "1", reason=""), manager)
    assert errors["reason"] == ["This field is required."]
    assert errors["direction"] == ["Select a valid choice. sideways is not one of the available choices."]


def test_the_other_reason_needs_a_note(ldr_worked_example, manager):
    errors = rejected(adjust("down", "1", reason="other"), manager)
    assert errors == {"note": ["Explain the adjustment in the note when the reason is 'Other (explain in the note)'."]}
    assert adjust("down", "1", reason="other", note="Counted twice").submit(manager).note == "Counted twice"


def test_operators_may_not_adjust(ldr_worked_example, operator):
    assert rejected(adjust("down", "1"), operator) == {"__all__": ["You are not allowed to record adjustments."]}


# --- replacements -------------------------------------------------------------------------------

def test_replacement_form_uses_the_oldest_batches_for_an_asset(item, ldr_worked_example, milwaukee, operator):
    form = ReplacementForm({"sku": "LDR-4.1", "location": "MKE", "quantity": "101", "asset": "TRUCK-7"})
    movement = form.submit(operator)
    assert lots_at(item, milwaukee) == {"0002": Decimal("44")}
    assert form.success_message(movement) == (
        "Used 101 ea of LDR-4.1 at Milwaukee Operations Center on asset TRUCK-7: "
        "100 from batch 0001, 1 from batch 0002."
    )


def test_a_replacement_needs_an_asset(ldr_worked_example, operator):
    form = ReplacementForm({"sku": "LDR-4.1", "location": "MKE", "quantity": "1", "asset": "  "})
    assert rejected(form, operator) == {"asset": ["This field is required."]}


# --- receipts (several lines) -------------------------------------------------------------------

def receipt(*lines, **changes):
    return ReceiptForm({"supplier": "ACME", "location": "CHI", "po_number": "PO-77", **lines_data(*lines), **changes})


def test_receipt_form_makes_one_batch_per_line_and_skips_blank_lines(item, chicago, supplier, operator):
    cable = ItemFactory(sku="CBL-9", unit="m", fractional=True)
    form = receipt(("LDR-4.1", "10"), ("", ""), ("cbl-9", "2.5"), shipment_number="S-1")
    result = form.submit(operator)
    assert [movement.item.sku for movement in result.movements] == ["LDR-4.1", "CBL-9"]
    assert lots_at(item, chicago) == {"0001": Decimal("10")}
    assert lots_at(cable, chicago) == {"0001": Decimal("2.5")}
    assert form.success_message(result) == (
        "Received PO PO-77 at Chicago Warehouse: 10 ea of LDR-4.1 as batch 0001; 2.5 m of CBL-9 as batch 0001."
    )


def test_a_receipt_says_which_open_shortfalls_it_settled(item, chicago, supplier, manager):
    build(("LDR-4.1", "3"), allow_shortfall="on").submit(manager)
    form = receipt(("LDR-4.1", "10"))
    result = form.submit(manager)
    assert level(item, chicago) == Decimal("7")
    assert form.success_message(result) == (
        "Received PO PO-77 at Chicago Warehouse: 10 ea of LDR-4.1 as batch 0001. "
        "Settled open build shortfalls there: 3 ea of LDR-4.1."
    )


def test_an_unknown_sku_on_a_line_is_shown_on_that_line(item, chicago, supplier, operator):
    form = receipt(("LDR-4.1", "10"), ("", ""), ("NOPE", "1"))
    assert rejected(form, operator) == {}  # the header is fine: the error is on the line
    assert form.lines.errors == [{}, {}, {"sku": ["No item 'NOPE'."]}, {}, {}]


def test_a_line_error_from_the_service_lands_on_its_line(item, chicago, supplier, operator):
    form = receipt(("", ""), ("LDR-4.1", "10"), ("LDR-4.1", "0"))
    rejected(form, operator)
    # Shown on its own row (the third), so without the service's "Line 2 (LDR-4.1):" prefix.
    assert form.lines.forms[2].errors == {"quantity": ["Quantity must be greater than zero."]}
    assert form.lines.forms[1].errors == {}


def test_a_receipt_needs_lines_and_a_po_number(item, chicago, supplier, operator):
    # Both at once: nothing is left for a second round.
    form = receipt(po_number="")
    assert rejected(form, operator) == {"po_number": ["This field is required."], "__all__": ["Add at least one line."]}
    form = receipt()
    assert rejected(form, operator) == {"__all__": ["Add at least one line."]}


def test_a_half_written_line_is_checked(item, chicago, supplier, operator):
    form = receipt(("LDR-4.1", ""))
    rejected(form, operator)
    assert form.lines.forms[0].errors == {"quantity": ["This field is required."]}


def test_an_initial_sku_prefills_the_first_line_only(db):
    form = ReceiptForm(initial={"sku": "LDR-4.1", "location": "CHI"})
    assert form.lines.forms[0]["sku"].value() == "LDR-4.1"
    assert form.lines.forms[1]["sku"].value() is None
    assert form["location"].value() == "CHI"


# --- builds (several lines) -----------------------------------------------------------------------

def build(*lines, **changes):
    return BuildForm({"location": "CHI", "reference": "WO-12", **lines_data(*lines), **changes})


@pytest.fixture
def two_parts(item, ldr_worked_example, chicago, supplier, operator):
    bracket = ItemFactory(sku="BRK-2", name="Bracket")
    receive(bracket, chicago, "4", supplier=supplier, user=operator)
    return item, bracket


def test_a_short_build_marks_every_short_line(two_parts, manager):
    form = build(("LDR-4.1", "160"), ("BRK-2", "3"), ("", ""))
    rejected(form, manager)
    assert form.lines.forms[0].errors == {"quantity": ["Only 155 of LDR-4.1 available at CHI (160 requested)."]}
    assert form.lines.forms[1].errors == {}
    form = build(("LDR-4.1", "160"), ("BRK-2", "5"))
    rejected(form, manager)
    assert form.lines.forms[1].errors == {"quantity": ["Only 4 of BRK-2 available at CHI (5 requested)."]}


def test_allowing_a_shortfall_records_the_build_and_says_what_is_owed(two_parts, chicago, manager):
    ldr, bracket = two_parts
    form = build(("LDR-4.1", "160"), ("BRK-2", "3"), allow_shortfall="on")
    result = form.submit(manager)
    assert level(ldr, chicago) == Decimal("-5")
    assert level(bracket, chicago) == Decimal("1")
    assert form.success_message(result) == (
        "Recorded build WO-12 at Chicago Warehouse: 160 ea of LDR-4.1 (155 from batch 0002; 5 ea short, recorded "
        "as an open shortfall); 3 ea of BRK-2 (3 from batch 0001)."
    )


def test_a_build_line_with_nothing_in_stock_still_says_what_is_owed(item, chicago, manager):
    form = build(("LDR-4.1", "2"), allow_shortfall="on")
    result = form.submit(manager)
    assert form.success_message(result) == (
        "Recorded build WO-12 at Chicago Warehouse: 2 ea of LDR-4.1 (2 ea short, recorded as an open shortfall)."
    )


def test_a_sku_on_two_build_lines_is_refused(two_parts, manager):
    form = build(("LDR-4.1", "1"), ("ldr-4.1", "1"))
    assert rejected(form, manager) == {}
    # On the second line, where it is corrected.
    assert form.lines.forms[0].errors == {}
    assert form.lines.forms[1].errors == {
        "sku": ["LDR-4.1 appears on more than one line; put its whole quantity on one line."]
    }


def test_a_build_needs_a_reference(two_parts, manager):
    assert rejected(build(("LDR-4.1", "1"), reference=""), manager) == {"reference": ["This field is required."]}
