"""The staff pages in a real browser: what an Operator and a Manager see and do."""

import csv
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from movements.models import Movement
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import lots_at, snapshot
from tests.stock import receive, worked_example

# The live server needs a transactional database, which is emptied after each test;
# serialized_rollback puts back what the migrations created (role groups, adjustment reasons).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def shoot(page, tmp_path, name):
    page.screenshot(path=tmp_path / f"{name}.png", full_page=True)


def stock_row(page, sku, location):
    return page.locator(f'tbody.stock-row[data-sku="{sku}"][data-location="{location}"]')


def open_group(page, title):
    """Open a group of the inventory page (a lone group is open already)."""
    summary = page.locator("details.group > summary", has_text=title)
    group = summary.locator("xpath=..")
    if group.get_attribute("open") is None:
        summary.click()
    expect(group).to_have_attribute("open", "")


def test_an_operator_transfers_from_the_inventory_by_location(
    page, sign_in, tmp_path, item, chicago, milwaukee, supplier, operator
):
    # The worked example up to its last step: Chicago holds 75 of 0001 and 200 of 0002.
    worked_example(item, chicago, milwaukee, supplier=supplier, user=operator, steps=3)

    sign_in(operator)
    shoot(page, tmp_path, "inventory-by-item")
    page.get_by_role("link", name="By location").click()
    page.wait_for_url("**/inventory/?view=location")
    open_group(page, "Chicago Warehouse")
    row = stock_row(page, "LDR-4.1", "CHI")
    expect(row.locator(".row-name")).to_have_text("LDR-4.1")
    expect(row.locator("td").first).to_have_text("Lidar unit 4.1")
    expect(row.locator(".row-qty")).to_have_text("275 ea")
    # The list shows a location's first rows; its own view adds their lots.
    page.get_by_role("link", name="Lots of these rows").click()
    page.wait_for_url("**/inventory/?view=location&location=CHI")
    row = stock_row(page, "LDR-4.1", "CHI")
    lots = row.locator("table.lots")
    expect(lots).to_be_hidden()
    row.get_by_text("Lots (2)").click()
    expect(lots).to_be_visible()
    expect(lots.locator("tbody td:is(:nth-child(-n+2), :nth-child(5))")).to_have_text(
        ["0001", "75 ea", "Acme Sensors", "0002", "200 ea", "Acme Sensors"]
    )
    expect(lots.locator("tbody td:nth-child(7)")).to_have_text(["PO-1001", "PO-1002"])
    shoot(page, tmp_path, "inventory-by-location")

    # An Operator may not adjust: no button, no link in the navigation.
    expect(page.get_by_role("link", name="Adjust")).to_have_count(0)
    expect(page.locator('a[href^="/adjustments/"]')).to_have_count(0)

    row.get_by_role("link", name="Transfer LDR-4.1 from Chicago Warehouse").click()
    page.wait_for_url("**/transfers/new/?sku=LDR-4.1&location=CHI")
    expect(page.get_by_label("SKU")).to_have_value("LDR-4.1")
    expect(page.get_by_label("From:", exact=True)).to_have_value("CHI")
    page.get_by_label("To:", exact=True).fill("MKE")

    # Too many first: the error sits next to the quantity and nothing is recorded.
    before = snapshot()
    page.get_by_label("Quantity").fill("500")
    page.get_by_role("button", name="Transfer").click()
    expect(page.locator("#id_quantity_error")).to_have_text("Only 275 of LDR-4.1 available at CHI (500 requested).")
    expect(page.get_by_label("Quantity")).to_have_attribute("aria-describedby", "id_quantity_error")
    assert snapshot() == before
    shoot(page, tmp_path, "transfer-error")

    page.get_by_label("Quantity").fill("120")
    page.get_by_role("button", name="Transfer").click()
    page.wait_for_url("**/items/LDR-4.1/")
    expect(page.get_by_role("status")).to_have_text(
        "Moved 120 ea of LDR-4.1 from Chicago Warehouse to Milwaukee Operations Center: "
        "75 from batch 0001, 45 from batch 0002."
    )
    chicago_stock = page.locator('section[data-location="CHI"]')
    milwaukee_stock = page.locator('section[data-location="MKE"]')
    expect(chicago_stock.locator(".location-qty")).to_have_text("155 ea")
    expect(milwaukee_stock.locator(".location-qty")).to_have_text("145 ea")
    expect(chicago_stock.locator("table.lots tbody tr td:nth-child(-n+2)")).to_have_text(["0002", "155 ea"])
    expect(milwaukee_stock.locator("table.lots tbody tr td:nth-child(-n+2)")).to_have_text(
        ["0001", "100 ea", "0002", "45 ea"]
    )
    shoot(page, tmp_path, "item-after-transfer")
    assert lots_at(item, milwaukee) == {"0001": Decimal("100"), "0002": Decimal("45")}

    page.goto("/adjustments/new/?sku=LDR-4.1&location=CHI")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")


def test_a_manager_adjusts_down_and_sees_the_fifo_result(page, sign_in, tmp_path, ldr_worked_example, manager):
    sign_in(manager)
    open_group(page, "LDR-4.1")
    stock_row(page, "LDR-4.1", "MKE").get_by_role("link", name="Adjust LDR-4.1 at Milwaukee Operations Center").click()
    page.wait_for_url("**/adjustments/new/?sku=LDR-4.1&location=MKE")
    expect(page.get_by_label("Location")).to_have_value("MKE")
    page.get_by_label("Remove units (count down)").check()
    page.get_by_label("Quantity").fill("110")
    page.get_by_label("Reason").select_option(label="Lost")
    shoot(page, tmp_path, "adjustment-form")
    page.get_by_role("button", name="Record adjustment").click()
    page.wait_for_url("**/items/LDR-4.1/")
    expect(page.get_by_role("status")).to_have_text(
        "Removed 110 ea of LDR-4.1 at Milwaukee Operations Center (Lost): 100 from batch 0001, 10 from batch 0002."
    )
    milwaukee_stock = page.locator('section[data-location="MKE"]')
    expect(milwaukee_stock.locator(".location-qty")).to_have_text("35 ea")
    expect(milwaukee_stock.locator("table.lots tbody tr td:nth-child(-n+2)")).to_have_text(["0002", "35 ea"])

    page.get_by_role("link", name="Movement history").click()
    last = page.locator("tr.movement").last
    expect(last).to_contain_text("Adjustment down")
    expect(last.locator("td.changes")).to_have_text("-110 ea MKE")
    expect(last).to_contain_text("0001: 100 ea, 0002: 10 ea")
    expect(last).to_contain_text("Lost")
    shoot(page, tmp_path, "movement-history")
    assert Movement.objects.filter(kind="adjustment", user=manager).count() == 1


def test_export_with_a_filter_downloads_the_rows_of_the_filtered_page(
    page, sign_in, tmp_path, ldr_worked_example, chicago, milwaukee, supplier, operator
):
    receive(ItemFactory(sku="BRK-2", name="Bracket, steel"), milwaukee, "12", supplier=supplier, user=operator)
    receive(ItemFactory(sku="CBL-9", name="Cable", unit="m", fractional=True), chicago, "7.5", supplier=supplier,
            user=operator)
    LocationFactory(code="DET", name="Detroit Depot")
    sign_in(operator)
    page.get_by_label("Location").select_option("MKE")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/inventory/?*location=MKE*")
    for title in ("BRK-2", "LDR-4.1"):
        open_group(page, title)
    shoot(page, tmp_path, "inventory-filtered")
    shown = [
        (row.get_attribute("data-sku"), row.locator(".row-name").inner_text(), row.locator(".row-qty").inner_text())
        for row in page.locator("tbody.stock-row").all()
    ]
    assert shown == [
        ("BRK-2", "Milwaukee Operations Center MKE", "12 ea"),
        ("LDR-4.1", "Milwaukee Operations Center MKE", "145 ea"),
    ]

    with page.expect_download() as download:
        page.get_by_role("link", name="Export data").click()
    assert download.value.suggested_filename == "inventory.csv"
    with open(download.value.path(), encoding="utf-8-sig", newline="") as exported:
        rows = list(csv.reader(exported))
    assert rows == [
        ["SKU", "Item name", "Location", "Quantity", "Unit", "Location code"],
        ["BRK-2", "Bracket, steel", "Milwaukee Operations Center", "12", "ea", "MKE"],
        ["LDR-4.1", "Lidar unit 4.1", "Milwaukee Operations Center", "145", "ea", "MKE"],
    ]
    # The same rows as the page: SKU, location and code, quantity and unit.
    assert [
        (sku, f"{location} {code}", f"{quantity} {unit}") for sku, _, location, quantity, unit, code in rows[1:]
    ] == shown


def test_an_operator_receives_two_lines_then_builds_with_a_shortfall(
    page, sign_in, tmp_path, item, chicago, supplier, operator
):
    ItemFactory(sku="CBL-9", name="Cable", unit="m", fractional=True)
    sign_in(operator)
    page.get_by_role("link", name="Receive").click()
    page.get_by_label("Supplier").select_option("ACME")
    page.get_by_label("Received at").fill("CHI")
    page.get_by_label("PO number").fill("PO-2001")
    page.get_by_label("SKU, line 1").fill("LDR-4.1")
    page.get_by_label("Quantity, line 1").fill("10")
    page.get_by_label("SKU, line 3").fill("cbl-9")  # a blank line between is ignored
    page.get_by_label("Quantity, line 3").fill("12.5")
    shoot(page, tmp_path, "receipt-form")
    page.get_by_role("button", name="Receive").click()
    page.wait_for_url("**/inventory/?view=location&location=CHI")
    expect(page.get_by_role("status")).to_have_text(
        "Received PO PO-2001 at Chicago Warehouse: 10 ea of LDR-4.1 as batch 0001; 12.5 m of CBL-9 as batch 0001. "
        "Open the receipt record to print it or link to it."
    )
    expect(stock_row(page, "CBL-9", "CHI").locator(".row-qty")).to_have_text("12.5 m")

    page.get_by_role("link", name="Build", exact=True).click()
    page.get_by_label("Built at").fill("CHI")
    page.get_by_label("Reference").fill("WO-88")
    page.get_by_label("SKU, line 1").fill("LDR-4.1")
    page.get_by_label("Quantity, line 1").fill("12")
    page.get_by_role("button", name="Record build").click()
    expect(page.locator("#id_lines-0-quantity_error")).to_have_text(
        "Only 10 of LDR-4.1 available at CHI (12 requested)."
    )
    expect(page.locator(".warning-field")).to_contain_text("goes below zero")
    page.get_by_label("Allow shortfall").check()
    shoot(page, tmp_path, "build-form")
    page.get_by_role("button", name="Record build").click()
    page.wait_for_url("**/inventory/?view=location&location=CHI")
    expect(page.get_by_role("status")).to_have_text(
        "Recorded build WO-88 at Chicago Warehouse: 12 ea of LDR-4.1 (10 from batch 0001; 2 ea short, recorded as an "
        "open shortfall). Open the build record to print it or link to it."
    )
    expect(stock_row(page, "LDR-4.1", "CHI").locator(".row-qty")).to_have_text("-2 ea Shortfall")
    shoot(page, tmp_path, "inventory-with-shortfall")

    page.goto("/items/LDR-4.1/batches/")
    expect(page.locator("table.batches tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Batch 0001").click()
    expect(page.locator("table.trace tbody tr td:nth-child(2)")).to_have_text(["Receipt", "Build"])
    shoot(page, tmp_path, "batch-trace")
