"""The movement forms help before they record (issue 13): SKU suggestions, what the chosen
location holds, "From" narrowed to the locations holding the item, every field error in one
round, Enter (the form's first button) that checks and never records, "Add line" that keeps
what was typed; and the actions offered where people look."""

import json
import re
from decimal import Decimal

import pytest

from movements.models import Movement
from movements.services import Line, adjustment_create, build_create
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import level, snapshot
from tests.pages_support import code_field, field_errors, html_of, lines_data, texts
from tests.stock import receive

TRANSFER, RECEIPT, BUILD = "/transfers/new/", "/receipts/new/", "/builds/new/"
ADJUST, REPLACE = "/adjustments/new/", "/replacements/new/"


def options(response, name):
    """The location codes the box ``name`` suggests (its datalist)."""
    return code_field(response, name)[1]


def placeholder(response, name):
    return re.search(r'placeholder="([^"]*)"', re.search(
        rf'<input[^>]*name="{name}"[^>]*>', html_of(response)).group(0)).group(1)


def autofocused(response) -> list[str]:
    return re.findall(r'<(?:input|select|textarea)[^>]*name="([\w-]+)"[^>]*autofocus', html_of(response)) + [
        name for name in re.findall(r'<(?:input|select|textarea)[^>]*autofocus[^>]*name="([\w-]+)"', html_of(response))
    ]


@pytest.fixture
def two_sites(item, chicago, milwaukee, supplier, operator):
    """LDR-4.1: Chicago 100 (0001) + 200 (0002); Milwaukee nothing; a van that holds nothing."""
    LocationFactory(code="VAN-1", name="Service van 1")
    receive(item, chicago, "100", supplier=supplier, user=operator, po_number="PO-1001")
    receive(item, chicago, "200", supplier=supplier, user=operator, po_number="PO-1002")


# --- what the form shows ------------------------------------------------------------------------

def test_a_transfer_form_shows_the_stock_at_the_source_batch_by_batch_oldest_first(client, two_sites, operator):
    client.force_login(operator)
    response = client.get(TRANSFER, {"sku": "LDR-4.1", "location": "CHI"})
    [box] = texts(response, "section", class_="availability")
    assert box.startswith("Available at CHI: 300 ea Lots of LDR-4.1 at Chicago Warehouse, oldest first")
    assert [row.split()[:3] for row in texts(response, "tr", class_="available-lot")] == [
        ["0001", "100", "ea"], ["0002", "200", "ea"]]


def test_from_offers_only_the_locations_holding_the_item(client, two_sites, item, milwaukee, operator):
    client.force_login(operator)
    response = client.get(TRANSFER, {"sku": "LDR-4.1"})
    # The one holder is chosen already; To still offers every location.
    assert options(response, "from_location") == ["CHI"]
    assert placeholder(response, "from_location") == "1 location holds LDR-4.1"
    assert code_field(response, "from_location")[0] == "CHI"
    assert options(response, "to_location") == ["CHI", "MKE", "VAN-1"]
    # Without a SKU, every location.
    response = client.get(TRANSFER)
    assert options(response, "from_location") == ["CHI", "MKE", "VAN-1"]


def test_a_location_chosen_that_holds_nothing_stays_offered_and_says_so(client, two_sites, operator):
    client.force_login(operator)
    response = client.get(TRANSFER, {"sku": "LDR-4.1", "location": "VAN-1"})
    assert options(response, "from_location") == ["CHI", "VAN-1"]
    assert texts(response, "section", class_="availability")[0].startswith(
        "Available at VAN-1: 0 ea No units of LDR-4.1 at VAN-1.")
    response = client.post(TRANSFER, {"sku": "LDR-4.1", "from_location": "VAN-1", "to_location": "MKE",
                                      "quantity": "5"})
    assert field_errors(response) == {"quantity": ["Only 0 of LDR-4.1 available at VAN-1 (5 requested)."]}


def test_a_replacement_offers_only_the_holders_and_an_adjustment_every_location(client, two_sites, manager):
    client.force_login(manager)
    assert options(client.get(REPLACE, {"sku": "LDR-4.1"}), "location") == ["CHI"]
    assert options(client.get(ADJUST, {"sku": "LDR-4.1"}), "location") == ["CHI", "MKE", "VAN-1"]


# --- Enter checks, never records ----------------------------------------------------------------

def test_check_shows_the_form_again_with_the_stock_and_records_nothing(client, two_sites, operator):
    client.force_login(operator)
    before = snapshot()
    response = client.post(TRANSFER, {"step": "check", "sku": "ldr-4.1", "quantity": "", "to_location": ""})
    assert snapshot() == before
    assert response.status_code == 200
    assert field_errors(response) == {}  # nothing is wrong with fields not filled yet
    assert "Nothing was recorded" not in html_of(response)
    assert 'value="ldr-4.1"' in html_of(response)
    assert texts(response, "section", class_="availability")[0].startswith("Available at CHI: 300 ea")
    # The next field to fill has the focus: the source was chosen (the one holder), so To.
    assert autofocused(response) == ["to_location"]


def test_enter_is_the_check_button_the_forms_first_button(client, operator, db):
    client.force_login(operator)
    html = html_of(client.get(TRANSFER))
    form = html[html.index('<form method="post" class="stacked-form'):]
    buttons = re.findall(r'<button type="submit"[^>]*>', form)
    assert 'name="step" value="check"' in buttons[0]
    assert 'autofocus' in re.search(r'<input[^>]*name="sku"[^>]*>', html).group(0)  # ready for a scanner


def test_a_sku_that_is_not_one_gets_suggestions_and_a_pick_sets_it(client, two_sites, operator):
    ItemFactory(sku="LDR-9", name="Lidar unit 9")
    ItemFactory(sku="CAM-1", name="Camera on an LDR mount")
    client.force_login(operator)
    response = client.post(TRANSFER, {"step": "check", "sku": "ldr"})
    assert re.findall(r'<datalist id="sku-suggestions"[^>]*>(.*?)</datalist>', html_of(response), re.S)
    assert re.findall(r'<option value="([^"]+)">', re.search(
        r'<datalist id="sku-suggestions".*?</datalist>', html_of(response), re.S).group(0)) == [
        "LDR-4.1", "LDR-9", "CAM-1"]  # SKUs starting with it first, then names containing it
    assert texts(response, "div", class_="suggestions")[0].startswith("Items matching “ldr” — pick one: LDR-4.1")
    response = client.post(TRANSFER, {"pick_sku": "LDR-4.1", "sku": "ldr"})
    assert 'value="LDR-4.1"' in re.search(r'<input[^>]*name="sku"[^>]*>', html_of(response)).group(0)
    assert texts(response, "section", class_="availability")[0].startswith("Available at CHI: 300 ea")


def test_item_suggestions_are_few_and_for_signed_in_staff_only(client, operator, nobody, db):
    for n in range(30):
        ItemFactory(sku=f"BLT-{n:02d}", name=f"Bolt {n}")
    client.force_login(operator)
    items = json.loads(client.get("/lookup/items/", {"q": "blt"}).content)["items"]
    assert len(items) == 12 and items[0] == {"sku": "BLT-00", "name": "Bolt 0", "unit": "ea"}
    assert json.loads(client.get("/lookup/items/", {"q": ""}).content) == {"items": []}
    assert json.loads(client.get("/lookup/items/", {"q": "\x00"}).content) == {"items": []}
    client.force_login(nobody)
    assert client.get("/lookup/items/", {"q": "blt"}).status_code == 403


# --- every error in one round -------------------------------------------------------------------

def test_a_transfer_reports_every_mistake_at_once(client, two_sites, operator):
    client.force_login(operator)
    before = snapshot()
    response = client.post(TRANSFER, {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "CHI",
                                      "quantity": "500"})
    assert snapshot() == before
    assert field_errors(response) == {
        "to_location": ["Source and destination must be different locations."],
        "quantity": ["Only 300 of LDR-4.1 available at CHI (500 requested)."],
    }
    # And the stock is shown with them, so the next try is the right one.
    assert texts(response, "section", class_="availability")[0].startswith("Available at CHI: 300 ea")
    response = client.post(TRANSFER, {"sku": "NOPE-1", "from_location": "CHI", "to_location": "CHI",
                                      "quantity": "1.0001"})
    assert field_errors(response) == {
        "sku": ["No item 'NOPE-1'."],
        "to_location": ["Source and destination must be different locations."],
        "quantity": ["Quantity may have at most 3 digits after the decimal point."],
    }


def test_an_adjustment_reports_every_mistake_at_once(client, two_sites, manager):
    client.force_login(manager)
    before = snapshot()
    response = client.post(ADJUST, {"sku": "LDR-4.1", "location": "CHI", "direction": "down", "quantity": "301",
                                    "reason": "other", "unit_cost": "2.50"})
    assert snapshot() == before
    assert field_errors(response) == {
        "quantity": ["Only 300 of LDR-4.1 available at CHI (301 requested)."],
        "unit_cost": ["Only an upward adjustment takes a unit cost; units removed keep their batches' costs."],
        "note": ["Explain the adjustment in the note when the reason is 'Other (explain in the note)'."],
    }


def test_a_build_reports_every_short_line_and_every_repeated_sku_at_once(client, two_sites, chicago, supplier,
                                                                          operator):
    receive(ItemFactory(sku="BRK-2"), chicago, "4", supplier=supplier, user=operator)
    client.force_login(operator)
    response = client.post(BUILD, {"location": "CHI", "reference": "",
                                   **lines_data(("LDR-4.1", "301"), ("BRK-2", "5"), ("brk-2", "1"), ("X", "1.5"))})
    assert field_errors(response) == {
        "reference": ["This field is required."],
        "lines-0-quantity": ["Only 300 of LDR-4.1 available at CHI (301 requested)."],
        "lines-1-quantity": ["Only 4 of BRK-2 available at CHI (5 requested)."],
        "lines-2-sku": ["BRK-2 appears on more than one line; put its whole quantity on one line."],
        "lines-3-sku": ["No item 'X'."],
    }
    # Each line says what Chicago holds.
    assert [row.split()[-2:] for row in texts(response, "tr", class_="has-error")][:2] == [["300", "ea"], ["4", "ea"]]


# --- as many lines as needed --------------------------------------------------------------------

def test_add_line_keeps_every_line_and_header_field_typed_and_adds_one(client, item, chicago, supplier, operator):
    for n in range(1, 7):
        ItemFactory(sku=f"HW-{n}")
    client.force_login(operator)
    typed = {"supplier": "ACME", "location": "CHI", "po_number": "PO-5", "shipment_number": "SH-1",
             **lines_data(*[(f"HW-{n}", str(n)) for n in range(1, 6)])}
    before = snapshot()
    response = client.post(RECEIPT, {**typed, "step": "add_line"})
    assert snapshot() == before
    html = html_of(response)
    assert 'name="lines-TOTAL_FORMS" value="6"' in html
    assert [re.search(rf'name="lines-{i}-sku"[^>]*value="([^"]*)"', html).group(1) for i in range(5)] == [
        f"HW-{n}" for n in range(1, 6)]
    assert 'name="lines-5-sku"' in html and not re.search(r'name="lines-5-sku"[^>]*value=', html)
    assert 'value="PO-5"' in html and 'value="SH-1"' in html
    assert autofocused(response) == ["lines-5-sku"]
    # Seven lines go in as seven batches.
    seven = {**typed, **lines_data(*[(f"HW-{n}", str(n)) for n in range(1, 7)], ("LDR-4.1", "7"), total=7)}
    response = client.post(RECEIPT, seven, follow=True)
    assert Movement.objects.filter(kind="receipt", reference="PO-5").count() == 7
    assert "Received PO PO-5 at Chicago Warehouse" in texts(response, "p", class_="message")[0]


def test_enter_after_a_scanned_line_sku_moves_to_its_quantity_then_to_a_new_line(client, item, chicago, supplier,
                                                                                  operator):
    client.force_login(operator)
    header = {"supplier": "ACME", "location": "CHI", "po_number": "PO-5"}
    response = client.post(RECEIPT, {**header, **lines_data(("LDR-4.1", ""), total=1), "step": "check"})
    assert autofocused(response) == ["lines-0-quantity"]
    response = client.post(RECEIPT, {**header, **lines_data(("LDR-4.1", "3"), total=1), "step": "check"})
    assert 'name="lines-TOTAL_FORMS" value="2"' in html_of(response)  # a blank line to scan into
    assert autofocused(response) == ["lines-1-sku"]


# --- actions where people look ------------------------------------------------------------------

def links(response, selector_class):
    block = "".join(re.findall(rf'<p class="header-links {selector_class}">(.*?)</p>', html_of(response), re.S))
    return re.findall(r'href="([^"]+)">([^<]+)</a>', block)


def test_the_item_page_offers_every_form_prefilled_with_the_item(client, two_sites, operator, manager):
    client.force_login(operator)
    assert links(client.get("/items/LDR-4.1/"), "item-actions") == [
        ("/transfers/new/?sku=LDR-4.1", "Transfer"), ("/receipts/new/?sku=LDR-4.1", "Receive"),
        ("/builds/new/?sku=LDR-4.1", "Build"), ("/replacements/new/?sku=LDR-4.1", "Replace")]
    client.force_login(manager)
    assert ("/adjustments/new/?sku=LDR-4.1", "Adjust") in links(client.get("/items/LDR-4.1/history/"), "item-actions")


def test_the_location_page_offers_every_form_prefilled_with_the_location(client, two_sites, operator):
    client.force_login(operator)
    assert links(client.get("/locations/CHI/"), "location-actions") == [
        ("/transfers/new/?location=CHI", "Transfer from CHI"), ("/receipts/new/?location=CHI", "Receive at CHI"),
        ("/builds/new/?location=CHI", "Build at CHI"), ("/replacements/new/?location=CHI", "Replace at CHI")]
    response = client.get("/inventory/", {"view": "location"})
    assert ("/receipts/new/?location=CHI", "Receive at CHI") in links(response, "location-actions")


def test_rows_offer_receive_build_and_replace_prefilled(client, two_sites, operator):
    client.force_login(operator)
    response = client.get("/inventory/", {"item": "LDR-4.1"})
    [menu] = texts(response, "div", class_="row-more-menu")
    assert menu == "Receive Build Replace"
    html = html_of(response)
    for path in ("/receipts/new/", "/builds/new/", "/replacements/new/"):
        assert f'href="{path}?sku=LDR-4.1&amp;location=CHI"' in html
    # The prefilled forms open with the item and the location.
    response = client.get(RECEIPT, {"sku": "LDR-4.1", "location": "CHI"})
    assert 'value="LDR-4.1"' in re.search(r'<input[^>]*name="lines-0-sku"[^>]*>', html_of(response)).group(0)
    assert code_field(response, "location")[0] == "CHI"


def test_a_short_row_offers_neither_transfer_nor_replace_nor_lots(client, item, milwaukee, manager):
    build_create(location=milwaukee, reference="WO-5", lines=[Line(item, "4")], allow_shortfall=True, user=manager)
    client.force_login(manager)
    response = client.get("/inventory/", {"item": "LDR-4.1"})
    [row] = texts(response, "tbody", class_="stock-row")
    assert row.startswith("Milwaukee Operations Center MKE -4 ea Shortfall Adjust More Receive Build")
    assert "Transfer" not in row and "Replace" not in row and "Lots (" not in row
    assert "The next units to arrive settle this open shortfall first." in row


def test_an_empty_row_offers_no_lots_toggle(client, two_sites, item, chicago, milwaukee, operator):
    from movements.services import transfer_create
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="300", user=operator)
    client.force_login(operator)
    response = client.get("/inventory/", {"item": "LDR-4.1", "include_empty": "true"})
    chicago_row = [row for row in texts(response, "tbody", class_="stock-row") if row.startswith("Chicago")][0]
    assert "Lots (" not in chicago_row and "No lots with units here" in chicago_row
    assert "Transfer" not in chicago_row


def test_the_lots_drill_down_names_an_adjustments_reason_by_its_label(client, item, chicago, manager):
    adjustment_create(item=item, location=chicago, direction="up", quantity="3", reason="found", user=manager)
    client.force_login(manager)
    response = client.get("/inventory/", {"item": "LDR-4.1"})
    [lot] = texts(response, "table", class_="lots")
    assert "Adjustment: Found" in lot and "found" not in lot
    assert level(item, chicago) == Decimal("3")
