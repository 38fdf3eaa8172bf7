"""A count on the floor, in a real browser on a tablet held upright (820×1180): a Manager starts
it, an Operator scans three SKUs (typed, then Enter, as a scanner does) and enters counts, the
Manager reviews and posts. JavaScript is off, as everywhere: scanning works without it."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from counts.models import Count
from inventory.models import Item
from movements.models import Movement
from movements.services import Line, receipt_create
from tests.factories import ItemFactory
from tests.helpers import level

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TABLET = {"width": 820, "height": 1180}


@pytest.fixture
def tablet(signed_in_page):
    """``tablet(user)``: a signed-in page on its own tablet-sized browser context."""
    return lambda user: signed_in_page(user, TABLET, has_touch=True)


def shoot(page, tmp_path, name):
    page.screenshot(path=tmp_path / f"{name}.png", full_page=True)


def scan(page, sku):
    """What a USB or Bluetooth scanner does: type the code into the focused field, then Enter."""
    expect(page.get_by_label("Scan or type a SKU")).to_be_focused()
    page.keyboard.type(sku)
    page.keyboard.press("Enter")


def test_a_forty_item_count_is_counted_on_a_tablet_and_posted(tablet, tmp_path, chicago, supplier, operator, manager):
    items = [ItemFactory(sku=f"HW-{n:02d}", name=f"Hardware part {n}") for n in range(1, 41)]
    receipt_create(supplier=supplier, location=chicago, po_number="PO-7",
                   lines=[Line(item, "20") for item in items], user=operator)
    ItemFactory(sku="STRAY-9", name="Stray bracket")

    # The Manager starts the count from the list of counts.
    boss = tablet(manager)
    boss.get_by_role("link", name="Counts").click()
    boss.get_by_label("Location").select_option("CHI")
    boss.get_by_label("Note").fill("Aisle 4, quarterly")
    shoot(boss, tmp_path, "counts-start")
    boss.get_by_role("button", name="Start the count").click()
    count = Count.objects.get()
    boss.wait_for_url(f"**/counts/{count.pk}/")
    expect(boss.get_by_role("status").first).to_contain_text("(40 items)")

    # The Operator counts: the scan field has the focus, a scanned row comes up focused.
    floor = tablet(operator)
    floor.goto("/counts/")
    floor.get_by_role("link", name=f"Count {count.pk}").click()
    expect(floor.locator(".progress")).to_have_text("0 of 40 counted")
    expect(floor.get_by_text("Expected")).to_have_count(0)  # counting blind
    shoot(floor, tmp_path, "count-sheet")

    for sku, counted in [("HW-07", "18"), ("hw-31", "20"), ("STRAY-9", "3")]:
        scan(floor, sku)
        row = floor.locator(f'.count-line[data-sku="{sku.upper()}"]')
        expect(floor.locator(".count-line").first).to_have_attribute("data-sku", sku.upper())
        field = row.locator("input[type=text]")
        expect(field).to_be_focused()
        if sku == "STRAY-9":
            expect(row).to_contain_text("Not on this count: found stock")
            shoot(floor, tmp_path, "count-sheet-found-stock")
        floor.keyboard.type(counted)
        floor.keyboard.press("Enter")  # saves the sheet
        expect(floor.get_by_role("status").first).to_contain_text(f"Saved 1 count: {sku.upper()}.")
    expect(floor.locator(".progress")).to_have_text("3 of 41 counted")
    # Touch targets: the number fields and the scan field are at least 44px tall.
    assert floor.get_by_label("Scan or type a SKU").bounding_box()["height"] >= 44
    assert floor.locator('.count-line[data-sku="HW-01"] input').bounding_box()["height"] >= 44
    shoot(floor, tmp_path, "count-sheet-counted")

    # The Manager reviews: expected, counted, variance; the others stay as they are; Post.
    boss.goto(f"/counts/{count.pk}/review/")
    rows = boss.locator("tr.review-line.differs")
    expect(rows.locator("td.code")).to_have_text(["HW-07", "STRAY-9"])
    expect(boss.locator('tr[data-sku="HW-07"] td.variance')).to_have_text("-2")
    expect(boss.locator('tr[data-sku="STRAY-9"] td.expected')).to_have_text("0 ea")
    expect(boss.locator('tr[data-sku="HW-31"] td.variance')).to_have_text("0")
    expect(boss.get_by_label("Leave them as they are (no adjustment)")).to_be_checked()
    shoot(boss, tmp_path, "count-review")
    boss.get_by_role("button", name="Post the count").click()
    expect(boss.get_by_role("status").first).to_have_text(f"Posted count {count.pk}: 2 corrections recorded.")
    shoot(boss, tmp_path, "count-posted")

    assert level(Item.objects.get(sku="HW-07"), chicago) == Decimal("18")
    assert level(Item.objects.get(sku="STRAY-9"), chicago) == Decimal("3")
    assert level(Item.objects.get(sku="HW-31"), chicago) == Decimal("20")
    assert Movement.objects.filter(reason__code="count_correction", note=f"Count {count.pk}").count() == 2
    call_command("reconcile")

    # The item's history links the correction to its count.
    floor.goto("/items/HW-07/history/")
    floor.get_by_role("link", name=f"Count {count.pk}").click()
    floor.wait_for_url(f"**/counts/{count.pk}/")
    expect(floor.locator('tr[data-sku="HW-07"]')).to_contain_text("-2")
