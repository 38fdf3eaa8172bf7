"""The ledger pages at a desk (1366×900) and on a tablet held upright (820×1180), in a real
browser: a Manager opens a receipt's record from the success message, filters the ledger and
exports it, opens a location and the open shortfalls — none wider than the screen."""

import csv

import pytest
from playwright.sync_api import expect

from movements.models import Movement
from movements.services import Line, build_create, transfer_create
from tests.browser.conftest import PASSWORD
from tests.factories import ItemFactory
from tests.stock import receive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TABLET = {"width": 820, "height": 1180}
DESK = {"width": 1366, "height": 900}


@pytest.fixture(params=[DESK, TABLET], ids=["desk", "tablet"])
def tablet(request, browser, live_server):
    """A page on a desk's screen or a tablet's (the name kept from when only the tablet ran)."""
    context = browser.new_context(
        base_url=live_server.url, viewport=request.param, java_script_enabled=False, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.screen = request.param
    yield page
    context.close()


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inventory/")


def fits(page):
    """Nothing sideways: the page is no wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.screen["width"]


def shoot(page, tmp_path, name):
    screen = "tablet" if page.screen == TABLET else "desk"
    page.screenshot(path=tmp_path / f"{name.removesuffix('-tablet')}-{screen}.png", full_page=True)


def test_a_receipt_record_and_the_filtered_ledger(
    tablet, tmp_path, item, chicago, milwaukee, supplier, operator, manager
):
    page = tablet
    ItemFactory(sku="CBL-9", name="Signal cable", unit="m", fractional=True)
    receive(item, chicago, "30", supplier=supplier, user=operator, po_number="PO-1000")
    for _ in range(3):
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity="2", user=operator)
    build_create(location=milwaukee, reference="WO-5", lines=[Line(item, "10")], allow_shortfall=True, user=operator)

    sign_in(page, manager)
    page.get_by_role("link", name="Receive", exact=True).first.click()
    page.get_by_label("Supplier").select_option("ACME")
    page.get_by_label("Received at").fill("CHI")
    page.get_by_label("PO number").fill("PO-2001")
    page.get_by_label("SKU, line 1").fill("LDR-4.1")
    page.get_by_label("Quantity, line 1").fill("10")
    page.get_by_label("SKU, line 2").fill("CBL-9")
    page.get_by_label("Quantity, line 2").fill("12.5")
    page.get_by_role("button", name="Receive").click()
    page.wait_for_url("**/inventory/?view=location&location=CHI")
    message = page.get_by_role("status")
    expect(message).to_contain_text("Received PO PO-2001 at Chicago Warehouse")
    fits(page)
    shoot(page, tmp_path, "receipt-success-message")

    # The record, from the message: both lines, their batches, who and when.
    message.get_by_role("link", name="Open the receipt record").click()
    first = Movement.objects.filter(reference="PO-2001").order_by("id").first()
    page.wait_for_url(f"**/movements/{first.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Receipt of PO PO-2001")
    expect(page.locator("tr.document-line")).to_have_count(2)
    expect(page.locator("tr.document-line").nth(0)).to_contain_text("LDR-4.1")
    expect(page.locator("tr.document-line").nth(0)).to_contain_text("batch 0002: 10 ea")
    expect(page.locator("tr.document-line").nth(1)).to_contain_text("batch 0001: 12.5 m")
    expect(page.locator("dl.facts")).to_contain_text("manny")
    expect(page.locator("dl.facts")).to_contain_text("UTC")
    fits(page)
    shoot(page, tmp_path, "receipt-document-tablet")
    # Printed, the page is the record alone: no navigation, the footer names the page.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".print-footer")).to_be_visible()
    shoot(page, tmp_path, "receipt-document-print")
    page.emulate_media(media="screen")

    # The ledger, filtered to Milwaukee's transfers, then exported.
    page.get_by_role("link", name="Movements", exact=True).click()
    page.wait_for_url("**/movements/")
    fits(page)
    shoot(page, tmp_path, "ledger-tablet")
    page.get_by_label("Location").select_option("MKE")
    page.get_by_label("Kind").select_option("transfer")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/movements/?*location=MKE*")
    rows = page.locator("tr.movement")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Transfer")
    expect(rows.first).to_contain_text("+2 ea MKE")
    fits(page)
    shoot(page, tmp_path, "ledger-filtered-tablet")
    ids = [int(row.get_attribute("data-id")) for row in rows.all()]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export data").click()
    download = download_info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header, *lines = list(csv.reader(handle))
    assert header[:4] == ["id", "occurred_at", "kind", "direction"]
    assert [int(line[0]) for line in lines] == ids
    assert {(line[2], line[8], line[9]) for line in lines} == {("transfer", "CHI", "MKE")}

    # A short build reads as short; the shortfalls list and Milwaukee's page fit too.
    page.get_by_role("link", name="Shortfalls").click()
    page.wait_for_url("**/shortfalls/")
    expect(page.locator("tr.shortfall")).to_have_count(1)
    expect(page.locator("tr.shortfall")).to_contain_text("WO-5")
    fits(page)
    shoot(page, tmp_path, "shortfalls-tablet")
    page.locator("tr.shortfall").get_by_role("link", name="MKE").click()
    page.wait_for_url("**/locations/MKE/")
    expect(page.locator("tr.movement").first).to_contain_text("Built 10 ea, 4 ea short — still open")
    fits(page)
    shoot(page, tmp_path, "location-tablet")
