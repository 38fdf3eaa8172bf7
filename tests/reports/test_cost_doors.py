"""Unit costs through the other doors: the receipt and adjustment pages, the opening-balances
import and the admin's "Set unit cost" page."""

from decimal import Decimal

import pytest

from lots.models import Batch
from movements.imports import OpeningBalancesInvalid, RowError, opening_balances_import, opening_balances_read
from movements.services import Line, receipt_create
from tests.admin_support import admin_url, messages_of, signed_in, superuser  # noqa: F401
from tests.helpers import snapshot
from tests.pages_support import field_errors, lines_data

pytestmark = pytest.mark.django_db


def test_receipt_page_takes_a_unit_cost_per_line(item, chicago, supplier, operator):
    page = signed_in(operator).get("/receipts/new/")
    assert "Unit cost (USD)" in page.content.decode()
    data = {"supplier": "ACME", "location": "CHI", "po_number": "PO-9", **lines_data(("LDR-4.1", "5"), ("LDR-4.1", "2"))}
    data["lines-0-unit_cost"] = "3.10"
    response = signed_in(operator).post("/receipts/new/", data)
    assert response.status_code == 302
    assert list(Batch.objects.filter(item=item).order_by("number").values_list("unit_cost", flat=True)) == [
        Decimal("3.1000"), None,
    ]


def test_receipt_page_shows_a_bad_unit_cost_on_its_line(item, chicago, supplier, operator):
    before = snapshot()
    data = {"supplier": "ACME", "location": "CHI", "po_number": "PO-9", **lines_data(("LDR-4.1", "5"))}
    data["lines-0-unit_cost"] = "1.23456"
    response = signed_in(operator).post("/receipts/new/", data)
    assert response.status_code == 200
    assert field_errors(response)["lines-0-unit_cost"] == ["A unit cost may have at most 4 digits after the decimal point."]
    assert snapshot() == before


def test_adjustment_page_takes_a_unit_cost_for_units_added(item, chicago, manager, settings):
    settings.HARDFIN_CURRENCY = "EUR"
    assert "Unit cost (EUR)" in signed_in(manager).get("/adjustments/new/").content.decode()
    response = signed_in(manager).post("/adjustments/new/", {
        "sku": "LDR-4.1", "location": "CHI", "direction": "up", "quantity": "3", "reason": "found", "unit_cost": "7",
    })
    assert response.status_code == 302
    assert Batch.objects.get(item=item).unit_cost == Decimal("7.0000")


def test_opening_balances_take_a_unit_cost_column(item, chicago, supplier, manager):
    text = "sku,location,quantity,supplier,unit_cost\nLDR-4.1,CHI,10,ACME,4.5\nLDR-4.1,CHI,5,,\n"
    opening_balances_import(rows=opening_balances_read(text), user=manager)
    assert list(Batch.objects.order_by("number").values_list("unit_cost", flat=True)) == [Decimal("4.5000"),
                                                                                        Decimal("4.5000")]


def test_opening_balances_bad_unit_cost_names_its_row(item, chicago, supplier, manager):
    text = "sku,location,quantity,supplier,unit_cost\nLDR-4.1,CHI,10,ACME,4.5\nLDR-4.1,CHI,5,ACME,-3\n"
    before = snapshot()
    with pytest.raises(OpeningBalancesInvalid) as error:
        opening_balances_import(rows=opening_balances_read(text), user=manager)
    assert error.value.errors == [RowError(2, "unit_cost", "A unit cost cannot be negative.")]
    assert snapshot() == before


@pytest.fixture
def unknown_batch(item, chicago, supplier, operator):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, "10")], user=operator)
    return Batch.objects.get(item=item)


def test_admin_sets_an_unknown_cost_once(unknown_batch, accountant, manager):
    url = admin_url(Batch, "set_cost", unknown_batch.pk)
    listing = signed_in(accountant).get(admin_url(Batch))
    assert url in listing.content.decode()
    response = signed_in(accountant).post(url, {"unit_cost": "2.75"}, follow=True)
    assert messages_of(response) == ["Batch 0001 of LDR-4.1 now costs 2.7500 a unit."]
    assert Batch.objects.get(pk=unknown_batch.pk).unit_cost == Decimal("2.7500")
    again = signed_in(manager).post(url, {"unit_cost": "3"})
    assert again.status_code == 200
    assert "already has its unit cost" in again.content.decode()
    assert Batch.objects.get(pk=unknown_batch.pk).unit_cost == Decimal("2.7500")
    assert "2.7500" in signed_in(manager).get(admin_url(Batch, "change", unknown_batch.pk)).content.decode()


def test_operators_neither_see_nor_use_the_set_cost_page(unknown_batch, operator, manager):
    url = admin_url(Batch, "set_cost", unknown_batch.pk)
    # Operators have no admin; a manager sees the link, and the page refuses others.
    assert signed_in(operator).post(url, {"unit_cost": "1"}).status_code in (302, 403)
    assert Batch.objects.get(pk=unknown_batch.pk).unit_cost is None


def test_seed_demo_receipts_carry_realistic_unit_costs_a_few_unknown():
    from django.core.management import call_command

    from reports.selectors import valuation

    call_command("seed_demo")
    received = Batch.objects.filter(origin="receipt")
    unknown = received.filter(unit_cost__isnull=True).count()
    assert 0 < unknown < received.count() * 0.15
    ldr = {b.number: b.unit_cost for b in Batch.objects.filter(item__sku="LDR-4.1")}
    assert ldr == {1: Decimal("1840.0000"), 2: Decimal("1912.5000")}
    report = valuation()
    ldr_rows = {row.location: row.value for row in report.rows if row.sku == "LDR-4.1"}
    # Chicago 155 of 0002; Milwaukee 100 of 0001 and 45 of 0002.
    assert ldr_rows == {"CHI": Decimal("296437.50"), "MKE": Decimal("270062.50")}
    assert report.unknown_cost_quantity_rows > 0
