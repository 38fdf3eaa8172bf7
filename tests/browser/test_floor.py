"""The staff pages on the floor, in a real browser at a desk (1366×900) and on a tablet held
upright (820×1180): an Operator scans a SKU into the transfer form (typed, then Enter, as a
scanner does), sees what the location holds and where the item is, and transfers; a receipt
with more lines than the form starts with; and no staff page wider than the tablet.

JavaScript is off except where a test says so: the scanning path works without it."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from counts.services import count_start
from movements.models import Movement
from movements.services import Line, build_create, receipt_create
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import lots_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESK = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
SCREENS = {"desk": DESK, "tablet": TABLET}


@pytest.fixture
def open_as(signed_in_page):
    """``open_as(user, screen, javascript=False)``: a signed-in page in its own browser context."""
    return lambda user, screen, *, javascript=False: signed_in_page(user, SCREENS[screen], javascript=javascript)


def fits(page, width):
    """Nothing sideways: the page is no wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def shoot(page, tmp_path, name):
    page.screenshot(path=tmp_path / f"{name}.png", full_page=True)


@pytest.fixture
def stocked(item, chicago, milwaukee, supplier, operator):
    """LDR-4.1 at Chicago only, in two batches (0001: 100, 0002: 200); a van that holds nothing."""
    LocationFactory(code="VAN-1", name="Service van 1")
    for quantity, po in (("100", "PO-1001"), ("200", "PO-1002")):
        receipt_create(supplier=supplier, location=chicago, po_number=po, lines=[Line(item, quantity)], user=operator)


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_an_operator_scans_a_sku_into_the_transfer_form_and_transfers(
    open_as, tmp_path, screen, stocked, item, chicago, milwaukee, operator
):
    page = open_as(operator, screen)
    page.get_by_role("link", name="Transfer", exact=True).first.click()
    page.wait_for_url("**/transfers/new/")
    sku = page.get_by_label("SKU")
    expect(sku).to_be_focused()  # ready for the scanner

    page.keyboard.type("ldr-4.1")
    page.keyboard.press("Enter")  # a scanner's Enter checks: it never records

    expect(page.locator("#availability")).to_contain_text("Available at CHI: 300 ea")
    # Batch by batch, oldest first: the order they leave in.
    expect(page.locator("tr.available-lot td:nth-child(-n+2)")).to_have_text(["0001", "100 ea", "0002", "200 ea"])
    # The only location holding the item is chosen as the source, and the only one offered.
    source = page.get_by_label("From:", exact=True)
    expect(source).to_have_value("CHI")
    expect(source).to_have_attribute("placeholder", "1 location holds LDR-4.1")
    assert page.locator("#id_from_location-codes option").evaluate_all("options => options.map(o => o.value)") == [
        "CHI"]
    expect(page.locator("#id_to_location-codes option[value='VAN-1']")).to_have_text("Service van 1")
    expect(page.get_by_label("To:", exact=True)).to_be_focused()  # the next field to fill
    assert Movement.objects.filter(kind="transfer").count() == 0
    fits(page, SCREENS[screen]["width"])
    shoot(page, tmp_path, f"transfer-scanned-{screen}")

    # Every mistake in one round: the same location and too many units.
    page.get_by_label("To:", exact=True).fill("CHI")
    page.get_by_label("Quantity").fill("500")
    page.get_by_role("button", name="Transfer", exact=True).click()
    expect(page.locator("#id_to_location_error")).to_have_text("Source and destination must be different locations.")
    expect(page.locator("#id_quantity_error")).to_have_text("Only 300 of LDR-4.1 available at CHI (500 requested).")
    expect(page.locator("#availability")).to_contain_text("Available at CHI: 300 ea")
    assert Movement.objects.filter(kind="transfer").count() == 0
    fits(page, SCREENS[screen]["width"])
    shoot(page, tmp_path, f"transfer-errors-{screen}")

    # A location scanned into To: the scanner types the code, then Enter, which checks.
    page.get_by_label("To:", exact=True).fill("")
    page.get_by_label("To:", exact=True).focus()
    page.keyboard.type("mke")
    page.keyboard.press("Enter")
    expect(page.get_by_label("To:", exact=True)).to_have_value("mke")
    expect(page.locator(".errorlist")).to_have_count(0)
    assert Movement.objects.filter(kind="transfer").count() == 0
    page.get_by_label("Quantity").fill("120")
    page.get_by_role("button", name="Transfer", exact=True).click()
    page.wait_for_url("**/items/LDR-4.1/")
    expect(page.get_by_role("status").first).to_have_text(
        "Moved 120 ea of LDR-4.1 from Chicago Warehouse to Milwaukee Operations Center: "
        "100 from batch 0001, 20 from batch 0002."
    )
    assert lots_at(item, milwaukee) == {"0001": Decimal("100"), "0002": Decimal("20")}
    fits(page, SCREENS[screen]["width"])
    shoot(page, tmp_path, f"transfer-done-{screen}")


def test_with_javascript_the_form_suggests_skus_and_shows_stock_as_soon_as_it_is_known(
    open_as, tmp_path, stocked, item, milwaukee, operator
):
    ItemFactory(sku="LDR-9", name="Lidar unit 9")
    page = open_as(operator, "desk", javascript=True)
    page.goto("/transfers/new/")
    page.get_by_label("SKU").press_sequentially("LDR")
    expect(page.locator("#sku-suggestions option")).to_have_count(2)
    assert page.locator("#sku-suggestions option").evaluate_all("options => options.map(o => o.value)") == [
        "LDR-4.1", "LDR-9"]
    page.get_by_label("SKU").fill("LDR-4.1")
    page.get_by_label("SKU").dispatch_event("change")
    expect(page.locator("#availability")).to_contain_text("Available at CHI: 300 ea")
    expect(page.get_by_label("From:", exact=True)).to_have_value("CHI")
    shoot(page, tmp_path, "transfer-live")


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_a_receipt_with_more_lines_than_the_form_starts_with(
    open_as, tmp_path, screen, chicago, supplier, operator
):
    for n in range(1, 8):
        ItemFactory(sku=f"HW-{n:02d}", name=f"Hardware part {n}")
    page = open_as(operator, screen)
    page.goto("/receipts/new/")
    page.get_by_label("Supplier").select_option("ACME")
    page.get_by_label("Received at").fill("CHI")
    page.get_by_label("PO number").fill("PO-77")
    # Scan, quantity, Enter, seven times: each Enter keeps the lines and adds the next one.
    for n in range(1, 8):
        sku = page.get_by_label(f"SKU, line {n}")
        sku.click()
        page.keyboard.type(f"HW-{n:02d}")
        page.keyboard.press("Enter")
        expect(page.get_by_label(f"Quantity, line {n}")).to_be_focused()
        page.keyboard.type(str(n))
        page.keyboard.press("Enter")
    expect(page.get_by_label("SKU, line 8")).to_be_focused()
    expect(page.get_by_label("SKU, line 1")).to_have_value("HW-01")
    expect(page.get_by_label("Quantity, line 7")).to_have_value("7")
    fits(page, SCREENS[screen]["width"])
    shoot(page, tmp_path, f"receipt-lines-{screen}")
    page.get_by_role("button", name="Receive", exact=True).click()
    page.wait_for_url("**/inventory/?view=location&location=CHI")
    expect(page.get_by_role("status").first).to_contain_text("Received PO PO-77 at Chicago Warehouse")
    assert Movement.objects.filter(kind="receipt", reference="PO-77").count() == 7


def staff_pages(count):
    movement = Movement.objects.filter(kind="receipt").order_by("pk").first()
    return [
        "/inventory/", "/inventory/?view=location", "/inventory/?item=LDR-4.1",
        "/inventory/?view=location&location=CHI",
        "/items/LDR-4.1/", "/items/LDR-4.1/history/", "/items/LDR-4.1/batches/", "/items/LDR-4.1/batches/1/",
        "/transfers/new/?sku=LDR-4.1&location=CHI", "/receipts/new/", "/builds/new/?location=CHI",
        "/replacements/new/?sku=LDR-4.1&location=CHI", "/adjustments/new/?sku=LDR-4.1&location=CHI",
        "/movements/", f"/movements/{movement.pk}/", "/locations/CHI/", "/locations/MKE/", "/shortfalls/",
        "/low-stock/", "/counts/", "/reports/valuation/", "/reports/rollforward/", "/reports/recall/?supplier=ACME",
        "/inventory/?as_of=2030-01-01T00:00", "/items/LDR-4.1/?as_of=2030-01-01T00:00", "/accounts/password_change/",
        f"/counts/{count.pk}/", f"/counts/{count.pk}/review/",
        "/admin/", "/admin/inventory/item/", "/admin/movements/movement/", "/admin/lots/lot/", "/admin/lots/batch/",
        "/admin/inventory/location/", "/admin/movements/movement/transfer/",
    ]


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_no_staff_page_is_wider_than_a_tablet(open_as, tmp_path, javascript, stocked, item, chicago, milwaukee,
                                              manager):
    build_create(location=milwaukee, reference="WO-5", lines=[Line(item, "4")], allow_shortfall=True, user=manager)
    count = count_start(location=chicago, user=manager)
    page = open_as(manager, "tablet", javascript=javascript)
    for path in staff_pages(count):
        response = page.goto(path)
        assert response.status == 200, path
        fits(page, TABLET["width"])
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("&", "-").replace("=", "-") or "home"
        shoot(page, tmp_path, f"tablet-{'js' if javascript else 'no-js'}-{name[:60]}")


def test_the_admin_on_a_tablet_gives_the_list_the_width_and_its_sidebar_toggles(
    open_as, tmp_path, stocked, manager
):
    page = open_as(manager, "tablet", javascript=True)
    page.goto("/admin/movements/movement/")
    sidebar = page.locator("#nav-sidebar")
    expect(sidebar).to_be_hidden()  # closed on a narrow screen until opened
    assert page.locator("#changelist .results").bounding_box()["width"] > 700
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    shoot(page, tmp_path, "admin-list-tablet")
    fits(page, TABLET["width"])
    page.locator("#toggle-nav-sidebar").click()
    expect(sidebar).to_be_visible()
    expect(sidebar.get_by_role("link", name="Items")).to_be_visible()
    fits(page, TABLET["width"])  # it lies over the list rather than pushing it sideways
    shoot(page, tmp_path, "admin-sidebar-open-tablet")
    page.locator("#toggle-nav-sidebar").click()
    expect(sidebar).to_be_hidden()
