"""Stock at any instant from the ledger (API.md "Stock at any instant"): at each movement's
``occurred_at`` the rows are exactly the state right after it, shortfalls included."""

from datetime import timedelta
from decimal import Decimal

import pytest

from inventory.models import StockLevel
from lots.models import Lot
from movements.models import Movement
from movements.services import Line, adjustment_create, build_create, receipt_create, transfer_create
from reports.selectors import Scope, lots_as_of, stock_rows_as_of, valuation
from tests.api_support import api  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def now_state():
    levels = {(lv.item.sku, lv.location.code): lv.quantity for lv in StockLevel.objects.select_related("item", "location")
              if lv.quantity}
    lots = {(lot.item.sku, lot.location.code, lot.batch.label): lot.quantity
            for lot in Lot.objects.select_related("item", "location", "batch") if lot.quantity}
    return levels, lots


def state_at(as_of):
    levels = {(row.item.sku, row.location.code): row.quantity for row in stock_rows_as_of(as_of=as_of)}
    lots = {(lot.item.sku, lot.location.code, lot.batch.label): lot.quantity for lot in lots_as_of(as_of=as_of)}
    return levels, lots


def test_as_of_each_movement_is_exactly_the_state_after_it(item, chicago, milwaukee, supplier, operator, manager):
    steps = [
        lambda: receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, 100, "10")],
                               user=operator),
        lambda: transfer_create(item=item, source=chicago, destination=milwaukee, quantity=25, user=operator),
        lambda: receipt_create(supplier=supplier, location=chicago, po_number="PO-2", lines=[Line(item, 200, "12.5")],
                               user=operator),
        lambda: transfer_create(item=item, source=chicago, destination=milwaukee, quantity=120, user=operator),
        lambda: build_create(location=milwaukee, reference="B-1", lines=[Line(item, 150)], allow_shortfall=True,
                             user=operator),
        lambda: adjustment_create(item=item, location=chicago, direction="down", quantity=5, reason="lost",
                                  user=manager),
        # Arrives at Milwaukee, where 5 are short: a settlement at the same instant.
        lambda: transfer_create(item=item, source=chicago, destination=milwaukee, quantity=20, user=operator),
    ]
    seen = []
    for step in steps:
        step()
        seen.append((Movement.objects.order_by("-occurred_at", "-id").first().occurred_at, now_state()))
    for at, expected in seen:
        assert state_at(at) == expected
        assert state_at(at - timedelta(microseconds=1)) != expected
    # While the shortfall was open, Milwaukee's level stood at -5 with no lots.
    build_time = seen[4][0]
    levels, lots = state_at(build_time)
    assert levels[("LDR-4.1", "MKE")] == Decimal(-5)
    assert not [key for key in lots if key[1] == "MKE"]


def test_as_of_before_anything_is_empty_and_values_follow_the_layers(item, chicago, milwaukee, supplier, operator):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, 100, "10")], user=operator)
    first = Movement.objects.get()
    assert stock_rows_as_of(as_of=first.occurred_at - timedelta(seconds=1)) == []
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity=25, user=operator)
    [row] = stock_rows_as_of(as_of=first.occurred_at, scope=Scope(location="chi"))
    assert (row.quantity, row.value) == (Decimal(100), Decimal("1000.00"))
    assert valuation(as_of=first.occurred_at).total_value == Decimal("1000.00")
    empty = stock_rows_as_of(as_of=Movement.objects.last().occurred_at, include_empty=True, search="lidar")
    assert [(r.location.code, r.quantity) for r in empty] == [("CHI", Decimal(75)), ("MKE", Decimal(25))]


# --- the API doors ------------------------------------------------------------------------------

from tests.api_support import api  # noqa: E402,F401


def test_api_as_of_on_stock_lots_and_export(api, item, chicago, milwaukee, supplier, operator):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, 100, "10")], user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity=25, user=operator)
    at = Movement.objects.order_by("id").last().occurred_at.isoformat()
    receipt_create(supplier=supplier, location=chicago, po_number="PO-2", lines=[Line(item, 200, "12.5")],
                   user=operator)
    client = api(operator)
    rows = client.get("/api/stock/", {"as_of": at}).json()
    assert [(r["location"], r["quantity"]) for r in rows["results"]] == [("CHI", "75"), ("MKE", "25")]
    assert "value" not in rows["results"][0] and "currency" not in rows
    valued = client.get("/api/stock/", {"as_of": at, "with_value": "true"}).json()
    assert valued["currency"] == "USD"
    assert [(r["value"], r["unknown_cost_quantity"]) for r in valued["results"]] == [("750.00", "0"), ("250.00", "0")]
    by_item = client.get("/api/stock/by-item/", {"as_of": at}).json()["results"]
    assert [(r["sku"], r["quantity"], r["locations"]) for r in by_item] == [("LDR-4.1", "100", 2)]
    by_location = client.get("/api/stock/by-location/", {"as_of": at, "with_value": "1"}).json()["results"]
    assert [(r["location"], r["quantity"], r["value"]) for r in by_location] == [("CHI", "75", "750.00"),
                                                                                 ("MKE", "25", "250.00")]
    lots = client.get("/api/lots/", {"as_of": at, "location": "CHI"}).json()["results"]
    assert [(lot["batch"], lot["quantity"]) for lot in lots] == [("0001", "75")]
    export = client.get("/api/stock/export.csv", {"as_of": at})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == ["SKU,Item name,Location,Quantity", "LDR-4.1,Lidar unit 4.1,Chicago Warehouse,75",
                                 "LDR-4.1,Lidar unit 4.1,Milwaukee Operations Center,25"]
    # Without as_of: now, as before.
    now = client.get("/api/stock/").json()["results"]
    assert [(r["location"], r["quantity"]) for r in now] == [("CHI", "275"), ("MKE", "25")]
    assert client.get("/api/stock/", {"as_of": "not-a-time"}).status_code == 400
    assert client.get("/api/lots/", {"as_of": "2026-13-45"}).status_code == 400


# --- the pages ----------------------------------------------------------------------------------

from django.utils import timezone as _tz  # noqa: E402

from tests.admin_support import signed_in  # noqa: E402
from tests.pages_support import html_of  # noqa: E402


def test_inventory_page_as_of_by_item_location_lots_and_export(item, chicago, milwaukee, supplier, operator):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, 100, "10")], user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity=25, user=operator)
    at = _tz.localtime(Movement.objects.order_by("id").last().occurred_at).strftime("%Y-%m-%dT%H:%M:%S.%f")
    receipt_create(supplier=supplier, location=chicago, po_number="PO-2", lines=[Line(item, 200, "12.5")],
                   user=operator)
    client = signed_in(operator)
    assert 'name="as_of"' in html_of(client.get("/inventory/"))
    html = html_of(client.get("/inventory/", {"as_of": at}))
    assert "Inventory as of" in html
    assert '<span class="num group-total">100</span>' in html
    assert "0001: 75" in html and "0002" not in html
    assert f"as_of={at}".replace(":", "%3A") in html  # the Export data link carries the instant
    by_location = html_of(client.get("/inventory/", {"as_of": at, "view": "location"}))
    assert "Milwaukee Operations Center" in by_location and "0001: 25" in by_location
    export = client.get("/inventory/export.csv", {"as_of": at})
    assert b"".join(export.streaming_content).decode("utf-8-sig").splitlines()[1:] == [
        "LDR-4.1,Lidar unit 4.1,Chicago Warehouse,75", "LDR-4.1,Lidar unit 4.1,Milwaukee Operations Center,25"]
    item_page = html_of(client.get("/items/LDR-4.1/", {"as_of": at}))
    assert '<span class="as-of-total">100 ea</span>' in item_page
    assert "750.00" in item_page
    assert "is not an ISO 8601 time" in html_of(client.get("/inventory/", {"as_of": "garbage"}))
    # Without as_of, the usual page.
    assert "Inventory as of" not in html_of(client.get("/inventory/"))


@pytest.mark.parametrize("path", ["/api/stock/", "/api/stock/export.csv"])
@pytest.mark.parametrize("instant", [{"as_of": "2026-01-01T00:00:00Z"}, {"with_value": "true"}])
def test_below_minimum_with_as_of_or_with_value_is_refused_not_ignored(api, operator, path, instant):
    response = api(operator).get(path, {**instant, "below_minimum": "true"})

    assert response.status_code == 400
    assert "cannot be combined with as_of or with_value" in response.json()["below_minimum"][0]


def test_below_minimum_still_needs_a_sign_in_with_as_of(client):
    response = client.get("/api/stock/", {"as_of": "2026-01-01T00:00:00Z", "below_minimum": "true"})

    assert response.status_code == 401
