"""The valuation pages in SQL (keyset pages, as the stock list): following next walks every row
once, in sku then location order, at any instant; totals cover every row whatever the page; the
page links carry the cursor."""

from decimal import Decimal

import pytest
from django.utils import timezone

from movements.services import Line, receipt_create, transfer_create
from reports.selectors import valuation
from tests.admin_support import signed_in
from tests.api_support import api  # noqa: F401
from tests.factories import ItemFactory
from tests.pages_support import texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(chicago, milwaukee, supplier, operator):
    """60 items at Chicago (1.00 each unit; every fifth of unknown cost), the odd ones partly
    moved to Milwaukee: 90 rows, 10 of them holding units of unknown cost at Chicago."""
    items = [ItemFactory(sku=f"P-{n:03d}") for n in range(60)]
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", user=operator,
                   lines=[Line(item, "10", None if n % 5 == 0 else "1.00") for n, item in enumerate(items)])
    middle = timezone.now()
    for item in items[1::2]:
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity="4", user=operator)
    return middle


def walk(client, path, **query):
    rows, body = [], client.get(path, {"page_size": 25, **query}).json()
    pages = 1
    while True:
        rows += [(row["sku"], row["location"], row["quantity"]) for row in body["results"]]
        assert body["total_value"] == "480.00" if "as_of" not in query else True
        if not body["next"]:
            return rows, pages
        body = client.get(body["next"]).json()
        pages += 1


def test_following_next_walks_every_row_once_in_order(api, many, operator):
    client = api(operator)
    rows, pages = walk(client, "/api/valuation/")
    assert pages == 4 and len(rows) == 90 == len(set(rows))
    assert rows == sorted(rows, key=lambda row: (row[0], row[1]))
    assert rows[:3] == [("P-000", "CHI", "10"), ("P-001", "CHI", "6"), ("P-001", "MKE", "4")]
    body = client.get("/api/valuation/").json()
    # 12 of the 90 rows hold units of unknown cost: P-000, P-010 … P-050 (10 units each at
    # Chicago), and the moved ones, P-005 … P-055, at both places.
    assert body["unknown_cost_quantity_rows"] == 18
    assert body["total_value"] == "480.00"  # 48 known-cost items × 10 × 1.00


def test_as_of_pages_the_state_then(api, many, operator):
    rows, pages = walk(api(operator), "/api/valuation/", as_of=many.isoformat())
    assert pages == 3 and len(rows) == 60 and all(location == "CHI" and quantity == "10" for _, location, quantity in rows)


def test_totals_and_by_location_cover_every_row(many):
    report = valuation()
    assert report.total_quantity == Decimal(600) and report.unknown_cost_quantity == Decimal(120)
    assert [(group["key"], group["quantity"], group["value"]) for group in report.by_location()] == [
        ("CHI", Decimal(480), Decimal("384.00")), ("MKE", Decimal(120), Decimal("96.00"))]
    first = report.by_item(size=7)
    assert [group["key"] for group in first.object_list] == [f"P-{n:03d}" for n in range(7)]
    assert [group["key"] for group in report.by_item(cursor=first.next_cursor, size=7).object_list][0] == "P-007"


def test_the_valuation_page_links_its_next_pages(many, operator):
    client = signed_in(operator)
    page = client.get("/reports/valuation/")
    assert len(texts(page, "tr")) > 50
    first_rows = texts(page, "table", class_="valuation-rows")[0]
    # 50 rows: P-000 … P-032 (the odd ones at both places) and P-033 at Chicago.
    assert first_rows.startswith("SKU Location Quantity Value (USD) Unknown cost P-000 Chicago")
    assert first_rows.endswith("P-033 Chicago Warehouse 6 ea 6.00 0")
    [link] = [line for line in page.content.decode().splitlines() if 'rel="next"' in line and "?cursor=" in line][:1]
    following = client.get("/reports/valuation/" + link.split('href="')[1].split('"')[0].replace("&amp;", "&"))
    rows = texts(following, "table", class_="valuation-rows")[0]
    assert "P-033 Milwaukee Operations Center 4 ea 4.00 0 P-034 Chicago" in rows and "P-032" not in rows
    # A cursor that was edited starts the list again instead of failing.
    assert "P-000" in texts(client.get("/reports/valuation/", {"cursor": "x"}), "table", class_="valuation-rows")[0]


def test_the_rollforward_pages_too_and_its_totals_cover_every_row(api, many, operator):
    client = api(operator)
    body = client.get("/api/reports/rollforward/", {"since": "2000-01-01", "page_size": 40}).json()
    rows = []
    while True:
        rows += [(row["sku"], row["location"], row["received"], row["transferred_out"], row["closing"],
                  row["closing_value"]) for row in body["results"]]
        if not body["next"]:
            break
        body = client.get(body["next"]).json()
    assert len(rows) == 90 == len(set(rows)) and rows == sorted(rows, key=lambda row: (row[0], row[1]))
    assert rows[1:3] == [("P-001", "CHI", "10", "4", "6", "6.00"), ("P-001", "MKE", "0", "0", "4", "4.00")]
    page = signed_in(operator).get("/reports/rollforward/", {"period": "custom", "date_from": "2000-01-01"})
    assert 'rel="next"' in page.content.decode() and len(texts(page, "tr", class_="quantities")) == 50
    # The totals cover all 90 rows: 600 received, 120 moved, 600 at closing worth 480.00.
    assert texts(page, "tr", class_="totals") == [
        "Total Units 0 600 0 120 120 0 0 0 600", "USD 0.00 480.00 0.00 96.00 96.00 0.00 0.00 0.00 480.00"]


def walk_list(client, path, **query):
    body, results = client.get(path, {"page_size": 25, **query}).json(), []
    while True:
        assert "count" not in body
        results += body["results"]
        if not body["next"]:
            return results
        body = client.get(body["next"]).json()


def test_the_as_of_lists_page_with_cursors_like_the_lists_of_now(api, many, operator, chicago, supplier):
    from reports.selectors import stock_rows_as_of

    # A second batch of P-000 after the middle instant, so lots have two batches somewhere.
    receipt_create(supplier=supplier, location=chicago, po_number="PO-2", user=operator,
                   lines=[Line(ItemFactory(sku="Q-1"), "3", "2.00")])
    client = api(operator)
    at = timezone.now().isoformat()
    rows = walk_list(client, "/api/stock/", as_of=at, with_value="true")
    assert [(r["sku"], r["location"], r["quantity"]) for r in rows] == [
        (row.item.sku, row.location.code, f"{row.quantity.normalize():f}") for row in stock_rows_as_of(as_of=timezone.now())]
    assert len(rows) == 91 and rows[-1]["sku"] == "Q-1" and rows[-1]["value"] == "6.00"
    earlier = walk_list(client, "/api/stock/", as_of=many.isoformat())
    assert len(earlier) == 60 and {r["location"] for r in earlier} == {"CHI"}
    by_item = walk_list(client, "/api/stock/by-item/", as_of=at)
    assert len(by_item) == 61 and by_item[1] == {"sku": "P-001", "item_name": by_item[1]["item_name"], "unit": "ea",
                                                 "quantity": "10", "locations": 2}
    by_location = walk_list(client, "/api/stock/by-location/", as_of=at, with_value="true")
    assert [(g["location"], g["quantity"], g["items"], g["value"]) for g in by_location] == [
        ("CHI", "483", 61, "390.00"), ("MKE", "120", 30, "96.00")]
    lots = walk_list(client, "/api/lots/", as_of=at)
    assert len(lots) == 91 == len({lot["id"] for lot in lots})
    export = client.get("/api/stock/export.csv", {"as_of": at})
    assert len(b"".join(export.streaming_content).decode("utf-8-sig").strip().splitlines()) == 92
    assert client.get("/api/stock/", {"as_of": at, "cursor": "nope"}).status_code == 404
    assert client.get("/api/lots/", {"as_of": at, "page": "2"}).status_code == 400


def test_the_as_of_pages_take_as_many_queries_however_many_rows(api, many, operator, django_assert_max_num_queries):
    client = api(operator)
    at = timezone.now().isoformat()
    for path in ("/api/stock/", "/api/stock/by-item/", "/api/stock/by-location/"):
        with django_assert_max_num_queries(12):
            assert client.get(path, {"as_of": at, "with_value": "true", "page_size": 1000}).status_code == 200


def test_the_inventory_page_as_of_pages_items_in_sql(many, operator, django_assert_max_num_queries):
    client = signed_in(operator)
    at = timezone.now().isoformat()
    with django_assert_max_num_queries(20):
        page = client.get("/inventory/", {"as_of": at})
    groups = texts(page, "summary")
    assert len(groups) == 50 and groups[0].startswith("P-000") and groups[49].startswith("P-049")
    assert groups[1].startswith("P-001") and "— 10, value 10.00" in groups[1]
    html = page.content.decode()
    link = html.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    following = texts(client.get("/inventory/" + link), "summary")
    assert [group.split(" ")[0] for group in following] == [f"P-{n:03d}" for n in range(50, 60)]
    # Its rows and lots: P-001 at both places, each with its batch.
    rows = texts(page, "table", class_="as-of-rows")[1]
    assert rows == ("Location Quantity Value Lots (batch: quantity) Chicago Warehouse 6 ea 6.00 0001: 6 "
                    "Milwaukee Operations Center 4 ea 4.00 0001: 4")


def test_lots_as_of_page_in_sql_and_filter_by_batch(api, many, operator, chicago, supplier, item):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-3", user=operator,
                   lines=[Line(item, "7", "3.00")])
    client = api(operator)
    at = timezone.now().isoformat()
    lots = walk_list(client, "/api/lots/", as_of=at)
    assert [(lot["sku"], lot["location"], lot["batch"]) for lot in lots[:3]] == [
        ("LDR-4.1", "CHI", "0001"), ("P-000", "CHI", "0001"), ("P-001", "CHI", "0001")]
    assert len(lots) == 91
    emptied = walk_list(client, "/api/lots/", as_of=many.isoformat(), location="MKE", show_empty="true")
    assert emptied == []  # nothing had reached Milwaukee by then
    assert len(walk_list(client, "/api/lots/", as_of=at, batch="0001")) == 91
    for number in ("0002", "abc", "99999999999999999999"):
        assert walk_list(client, "/api/lots/", as_of=at, batch=number) == []


def download_rows(report, chunk):
    return [(row.sku, row.location, row.quantity) for row in report.iter_rows(chunk=chunk)]


def test_downloads_give_every_row_once_in_page_order(many, milwaukee):
    """The downloads give exactly the rows of one big page, in its order, however they are
    read: the valuation as one stream (7 rows held at a time), now and at an instant, the
    rollforward a chunk of 7 items at a time (pages of 7 rows inside a chunk); items with no
    stock between are skipped; a location or an item scope too."""
    from reports.selectors import Scope, rollforward

    for n in range(5):  # items without stock, between and after the stocked ones
        ItemFactory(sku=f"P-{n:03d}-none")
    ItemFactory(sku="Z-none")
    whole = valuation().page(size=1000)
    assert not whole.next_cursor
    expected = [(row.sku, row.location, row.quantity) for row in whole.object_list]
    assert len(expected) == 90
    assert download_rows(valuation(), 7) == expected == download_rows(valuation(), 2000)
    at_mke = valuation(scope=Scope(location="mke"))
    assert download_rows(at_mke, 7) == [row for row in expected if row[1] == "MKE"]
    then = valuation(as_of=many)  # before the transfers: every item whole at Chicago
    assert download_rows(then, 7) == [(row.sku, row.location, row.quantity) for row in then.page(size=1000).object_list]
    assert len(download_rows(then, 7)) == 60
    one_item = valuation(scope=Scope(item="p-001"))
    assert download_rows(one_item, 7) == [("P-001", "CHI", Decimal(6)), ("P-001", "MKE", Decimal(4))]

    since, until = timezone.now() - timezone.timedelta(days=1), timezone.now() + timezone.timedelta(days=1)
    period = rollforward(since=since, until=until)
    everything = [(row.sku, row.location, row.quantities["closing"]) for row in period.page(size=1000).object_list]
    assert len(everything) == 90
    assert [(row.sku, row.location, row.quantities["closing"]) for row in period.iter_rows(chunk=7)] == everything


def test_a_download_reads_a_chunk_of_items_in_queries_that_do_not_grow_with_its_rows(
        many, chicago, supplier, operator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        assert len(list(valuation().iter_rows(chunk=500))) == 90
    more = [ItemFactory(sku=f"P-{n:03d}") for n in range(60, 90)]  # 30 more rows, the same chunk
    receipt_create(supplier=supplier, location=chicago, po_number="PO-2", user=operator,
                   lines=[Line(item, "1", "1.00") for item in more])
    with CaptureQueriesContext(connection) as after:
        assert len(list(valuation().iter_rows(chunk=500))) == 120
    assert len(after) == len(before)
