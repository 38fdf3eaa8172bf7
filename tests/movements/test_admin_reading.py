"""The admin as people read it: adjustment direction in the movement list and its CSV, reasons
by label, times with their zone; and deleting a record with history refused on the
confirmation page itself, before anyone says "Yes, I'm sure"."""

import pytest
from django.contrib.admin.models import LogEntry

from inventory.models import Item, Location, Supplier
from lots.models import Batch
from movements.models import AdjustmentReason, Movement
from movements.services import adjustment_create
from tests.admin_support import admin_url, csv_rows, export, signed_in
from tests.factories import ItemFactory, LocationFactory, SupplierFactory
from tests.helpers import snapshot
from tests.pages_support import html_of, text, texts
from tests.stock import receive


@pytest.fixture
def adjusted(item, chicago, supplier, manager):
    receive(item, chicago, "10", supplier=supplier, user=manager)
    down = adjustment_create(item=item, location=chicago, direction="down", quantity="5", reason="damaged", user=manager)
    up = adjustment_create(item=item, location=chicago, direction="up", quantity="2", reason="found", user=manager)
    return down, up


def test_the_movement_list_shows_direction_sign_reason_label_and_zone(manager, adjusted):
    response = signed_in(manager).get(admin_url(Movement), {"kind__exact": "adjustment"})
    rows = [row for row in texts(response, "tr") if "LDR-4.1" in row]
    assert len(rows) == 2
    up, down = rows
    assert "Adjustment up LDR-4.1 +2 ea" in up and "Found" in up
    assert "Adjustment down LDR-4.1 -5 ea" in down and "Damaged" in down
    assert " UTC " in up
    assert "damaged" not in down.split("LDR-4.1")[1]  # the label, not the code


def test_a_movement_page_shows_the_reason_label_and_links_to_the_staff_record(manager, adjusted):
    down, _ = adjusted
    response = signed_in(manager).get(admin_url(Movement, "change", down.pk))
    page = text(response)
    assert "Kind: Adjustment down" in page or "Kind Adjustment down" in page
    assert "-5 ea" in page
    assert f'href="/movements/{down.pk}/"' in html_of(response)


def test_the_admin_csv_has_the_direction_and_the_reason_code(manager, adjusted):
    rows = csv_rows(export(signed_in(manager), Movement, "kind__exact=adjustment"))
    assert list(rows[0])[:4] == ["id", "occurred_at", "kind", "direction"]
    by_direction = {row["direction"]: row for row in rows}
    assert set(by_direction) == {"up", "down"}
    assert (by_direction["down"]["quantity"], by_direction["down"]["reason"]) == ("5", "damaged")
    assert (by_direction["up"]["quantity"], by_direction["up"]["reason"]) == ("2", "found")
    assert by_direction["up"]["occurred_at"].endswith("+00:00")


def test_other_kinds_have_no_direction_in_the_admin_csv(manager, adjusted):
    rows = csv_rows(export(signed_in(manager), Movement, "kind__exact=receipt"))
    assert [row["direction"] for row in rows] == [""]


# --- deleting records with history -----------------------------------------------------------------

@pytest.fixture
def with_history(item, chicago, supplier, manager):
    receive(item, chicago, "10", supplier=supplier, user=manager)
    adjustment_create(item=item, location=chicago, direction="up", quantity="1", reason="found", user=manager)
    return {
        Item: item,
        Location: chicago,
        Supplier: supplier,
        AdjustmentReason: AdjustmentReason.objects.get(code="found"),
    }


MESSAGES = {
    Item: "Item LDR-4.1 has history and cannot be deleted; deactivate it instead.",
    Location: "Location CHI has history and cannot be deleted; deactivate it instead.",
    Supplier: "Supplier ACME has history and cannot be deleted; deactivate it instead.",
    AdjustmentReason: "Adjustment reason found has history and cannot be deleted; deactivate it instead.",
}


@pytest.mark.parametrize("model", [Item, Location, Supplier, AdjustmentReason], ids=lambda m: m.__name__)
def test_the_confirmation_page_refuses_a_record_with_history(manager, with_history, model):
    record = with_history[model]
    client = signed_in(manager)
    before = snapshot()
    response = client.get(admin_url(model, "delete", record.pk))
    assert response.status_code == 200
    assert texts(response, "p", class_="errornote") == [MESSAGES[model]]
    html = html_of(response)
    assert "Yes, I’m sure" not in html and "Yes, I'm sure" not in html
    assert 'type="submit"' not in html.split('id="content"')[1]
    assert f'href="{admin_url(model, "change", record.pk)}"' in html
    assert snapshot() == before
    assert model.objects.filter(pk=record.pk).exists()
    # Posted anyway (history written after the page was shown): refused, with the message.
    response = client.post(admin_url(model, "delete", record.pk), {"post": "yes"}, follow=True)
    assert [str(message) for message in response.context["messages"]] == [MESSAGES[model]]
    assert model.objects.filter(pk=record.pk).exists()
    assert snapshot() == before
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize("factory, model", [(ItemFactory, Item), (LocationFactory, Location),
                                            (SupplierFactory, Supplier)], ids=["item", "location", "supplier"])
def test_a_record_without_history_is_confirmed_then_deleted(manager, factory, model):
    record = factory()
    client = signed_in(manager)
    response = client.get(admin_url(model, "delete", record.pk))
    assert "Yes, I’m sure" in html_of(response)
    assert not texts(response, "p", class_="errornote")
    assert model.objects.filter(pk=record.pk).exists()  # showing the page deleted nothing
    assert client.post(admin_url(model, "delete", record.pk), {"post": "yes"}).status_code == 302
    assert not model.objects.filter(pk=record.pk).exists()


def test_an_item_whose_only_trace_is_an_empty_stock_level_may_be_deleted(manager, item, chicago, supplier):
    """Empty stock-level rows are bookkeeping: the page asks as the service decides."""
    from inventory.models import StockLevel

    StockLevel.objects.create(item=item, location=chicago, quantity=0)
    response = signed_in(manager).get(admin_url(Item, "delete", item.pk))
    assert "Yes, I’m sure" in html_of(response)
    assert StockLevel.objects.filter(item=item).exists()  # the trial delete was rolled back


def test_batches_cannot_be_deleted_at_all(manager, with_history):
    batch = Batch.objects.first()
    assert signed_in(manager).get(admin_url(Batch, "delete", batch.pk)).status_code == 403


def test_the_shortfall_list_shows_times_with_their_zone(manager, item, chicago):
    from movements.models import Shortfall
    from movements.services import Line, build_create

    build_create(location=chicago, reference="WO-1", lines=[Line(item, "2")], allow_shortfall=True, user=manager)
    [row] = [row for row in texts(signed_in(manager).get(admin_url(Shortfall)), "tr") if "WO-1" in row]
    assert " UTC" in row and row.endswith("—")
