"""Issue 9: every page and list is bounded by what it shows, never by the data behind it.

Each page and list runs the same number of queries with 1 or 1,000 groups (items, locations)
or rows behind it, on SQLite and PostgreSQL alike; on PostgreSQL, EXPLAIN shows the filters
and orders that matter served by their indexes. Timings are bench/scale's business, not these
tests'.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Item, Location, StockLevel
from lots.models import Batch, Lot
from movements.models import Movement, MovementLine
from tests.api_support import api  # noqa: F401  (a fixture)
from tests.factories import ItemFactory, LocationFactory
from tests.pages_support import texts


def group_texts_of(html: str) -> list[str]:
    return texts(html, "details", class_="group")

SMALL, LARGE = 1, 1000


def stock(user, supplier, *, items: int, locations: int, first: int = 0):
    """``items`` items at the location WIDE-0 ("a location's rows") and one item, WIDE, at
    ``locations`` locations ("an item's rows", and as many location groups), each pair with
    one batch, one lot of 5 and its receipt. Written in bulk: only the reads are under test."""
    home = Location.objects.get_or_create(code="WIDE-0", defaults={"name": "Wide home"})[0]
    wide = Item.objects.get_or_create(sku="WIDE", defaults={"name": "Wide item"})[0]
    new_items = Item.objects.bulk_create(
        [Item(sku=f"N-{first + n:05d}", name=f"Narrow {first + n}") for n in range(items)]
    )
    new_locations = Location.objects.bulk_create(
        [Location(code=f"L-{first + n:05d}", name=f"Place {first + n}") for n in range(locations)]
    )
    pairs = [(item, home) for item in new_items] + [(wide, location) for location in new_locations]
    batches = Batch.objects.bulk_create([
        Batch(item=item, number=first + n + 1, origin=Batch.Origin.RECEIPT, supplier=supplier, po_number="PO-B",
              reference="PO-B", received_at=timezone.now(), initial_quantity=Decimal(5))
        for n, (item, location) in enumerate(pairs)
    ])
    Lot.objects.bulk_create([
        Lot(batch=batch, location=location, item=item, quantity=Decimal(5))
        for batch, (item, location) in zip(batches, pairs)
    ])
    StockLevel.objects.bulk_create([StockLevel(item=item, location=location, quantity=Decimal(5))
                                    for item, location in pairs])
    start = timezone.now() - datetime.timedelta(days=1)
    movements = Movement.objects.bulk_create([
        Movement(kind=Movement.Kind.RECEIPT, occurred_at=start + datetime.timedelta(seconds=first + n), item=item,
                 quantity=Decimal(5), to_location=location, reference="PO-B", supplier=supplier, user=user)
        for n, (item, location) in enumerate(pairs)
    ])
    MovementLine.objects.bulk_create([
        MovementLine(movement=movement, batch=batch, to_location=movement.to_location, quantity=Decimal(5))
        for movement, batch in zip(movements, batches)
    ])


PAGES = [
    # (address, what a page of it shows at 1,000: the number of groups or rows)
    ("/inventory/", 50),
    ("/inventory/?view=location", 50),
    ("/inventory/?sort=-name", 50),
    ("/inventory/?sort=quantity", 50),
    ("/inventory/?view=location&sort=quantity", 50),
    ("/inventory/?item=WIDE", 1),  # one group, a page of its 1,000 rows
    ("/inventory/?view=location&location=WIDE-0", 1),
    ("/inventory/?view=location&location=WIDE-0&sort=-quantity&show_empty=true", 1),
    ("/inventory/?search=narrow", 50),
    ("/inventory/?include_empty=true", 50),
]

API_LISTS = [
    "/api/stock/",
    "/api/stock/?item=WIDE",
    "/api/stock/?location=WIDE-0",
    "/api/stock/?search=narrow",
    "/api/stock/?include_empty=true",
    "/api/stock/by-item/",
    "/api/stock/by-item/?location=WIDE-0",
    "/api/stock/by-location/",
    "/api/stock/by-location/?item=WIDE",
    "/api/lots/",
    "/api/lots/?item=WIDE",
    "/api/lots/?location=WIDE-0&show_empty=true",
    "/api/batches/",
    "/api/batches/?item=WIDE",
    "/api/movements/",
    "/api/movements/?item=WIDE",
    "/api/movements/?location=WIDE-0",
    "/api/movements/?ordering=-occurred_at",
    "/api/shortfalls/",
]


def queries_of(client, url, **headers) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries), response


@pytest.mark.parametrize("url, shown", PAGES)
def test_pages_run_the_same_queries_at_1_and_1000_groups_or_rows(client, manager, supplier, url, shown):
    client.force_login(manager)
    stock(manager, supplier, items=SMALL, locations=SMALL)
    small, _ = queries_of(client, url)
    stock(manager, supplier, items=LARGE - SMALL, locations=LARGE - SMALL, first=SMALL)
    large, response = queries_of(client, url)

    assert large == small, f"{url}: {small} queries at {SMALL}, {large} at {LARGE}"
    html = response.content.decode()
    if shown == 1:
        assert len(group_texts_of(html)) == 1
        assert html.count('<tbody class="stock-row') == 50  # one page of the group's 1,000 rows
    else:
        assert len(group_texts_of(html)) == shown
    assert 'rel="next"' in html


def test_the_page_export_runs_the_same_queries_at_1_and_1000_rows(client, manager, supplier):
    client.force_login(manager)
    stock(manager, supplier, items=SMALL, locations=SMALL)
    small, _ = queries_of(client, "/inventory/export.csv?view=location&sort=-quantity")
    stock(manager, supplier, items=LARGE - SMALL, locations=LARGE - SMALL, first=SMALL)
    large, response = queries_of(client, "/inventory/export.csv?view=location&sort=-quantity")
    assert large == small


@pytest.mark.parametrize("url", API_LISTS)
def test_api_lists_run_the_same_queries_at_1_and_1000_rows(api, manager, supplier, url):
    client = api(manager)
    stock(manager, supplier, items=SMALL, locations=SMALL)
    small, _ = queries_of(client, url)
    stock(manager, supplier, items=LARGE - SMALL, locations=LARGE - SMALL, first=SMALL)
    large, response = queries_of(client, url)

    assert large == small, f"{url}: {small} queries at {SMALL}, {large} at {LARGE}"
    body = response.json()
    assert "count" not in body or url.startswith("/api/shortfalls/")
    if not url.startswith("/api/shortfalls/") and "by-location/?" not in url and "by-item/?" not in url:
        assert len(body["results"]) == (1 if url.startswith("/api/stock/by-location/?") else 50), url
        assert body["next"]


# --- PostgreSQL: the plans -----------------------------------------------------------------------

def plan_of(queryset) -> str:
    """EXPLAIN of ``queryset`` with sequential scans made unattractive: on a test database of a
    few rows a scan is always cheapest, so this shows which index the query *can* use — a
    filter that defeats every index still shows a scan or a sort."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_the_ledger_filter_by_sku_walks_the_item_time_index(manager, supplier):
    from movements.filters import MovementFilter
    from movements.selectors import movements_with_lines

    stock(manager, supplier, items=20, locations=3)
    movements = MovementFilter({"item": "wide"}, queryset=movements_with_lines()).qs[:50]
    wide = Item.objects.get(sku="WIDE")
    assert f'"item_id" = {wide.pk}' in str(movements.query)  # resolved to the id first
    plan = plan_of(movements)
    assert "movement_item_time" in plan, plan
    assert "Sort" not in plan, plan  # the index gives the time order too


@pytest.mark.postgres
def test_the_ledger_filter_by_location_is_an_id_that_indexes_serve_on_both_sides(manager, supplier):
    from movements.filters import MovementFilter
    from movements.selectors import movements_with_lines

    stock(manager, supplier, items=20, locations=3)
    place = Location.objects.get(code="L-00001")  # one movement of the 23: a selective filter
    movements = MovementFilter({"location": "l-00001"}, queryset=movements_with_lines()).qs[:50]
    sql = str(movements.query)
    assert f'"from_location_id" = {place.pk}' in sql and f'"to_location_id" = {place.pk}' in sql, sql
    with connection.cursor() as cursor:  # statistics of these rows, not of earlier tests' rows
        cursor.execute("ANALYZE movements_movement")
    plan = plan_of(movements)
    assert f"Index Cond: (from_location_id = {place.pk})" in plan, plan
    assert f"Index Cond: (to_location_id = {place.pk})" in plan, plan


@pytest.mark.postgres
def test_stock_rows_in_sku_order_walk_the_sku_index(manager, supplier):
    from hardfin.pagination import keyset_page
    from inventory.filters import StockLevelFilter
    from inventory.selectors import items_in_stock, stock_rows

    stock(manager, supplier, items=20, locations=3)
    rows = StockLevelFilter({}, queryset=stock_rows()).qs
    items = items_in_stock(rows).order_by("sku", "id")[:51]
    assert "item_sku" in plan_of(items)
    assert keyset_page(items_in_stock(rows), ["sku", "id"], per_page=5).object_list[0].sku == "N-00000"


@pytest.mark.postgres
def test_item_searches_use_the_trigram_indexes(db):
    from inventory.filters import ItemFilter

    for n in range(20):
        ItemFactory(sku=f"SRCH-{n}", name=f"Searchable {n}")
    plan = plan_of(ItemFilter({"search": "SRCH-1"}, queryset=Item.objects.all()).qs.order_by())
    assert "item_sku_trgm" in plan and "item_name_trgm" in plan, plan


def test_keyset_pages_survive_rows_removed_behind_the_cursor(manager, supplier):
    """A cursor names a row's values, not its position: rows written or gone since do not
    shift the next page."""
    from hardfin.pagination import keyset_page

    for n in range(6):
        LocationFactory(code=f"K-{n}")
    first = keyset_page(Location.objects.all(), ["code", "id"], per_page=3)
    Location.objects.filter(code="K-0").delete()
    LocationFactory(code="K-00")  # sorts before the cursor
    second = keyset_page(Location.objects.all(), ["code", "id"], first.next_cursor, per_page=3)
    assert [location.code for location in second] == ["K-3", "K-4", "K-5"]


def test_the_item_list_sums_on_hand_for_the_page_only(api, manager, supplier):
    """``on_hand`` is worked out for the items a page shows: the list's count reads the items
    alone, and the page's one query sums stock levels per shown item (the grouped join summed
    every level of the catalog, twice, on every page)."""
    stock(manager, supplier, items=60, locations=3)
    with CaptureQueriesContext(connection) as queries:
        body = api(manager).get("/api/items/", {"page_size": 10}).json()
    assert body["count"] == 61 and len(body["results"]) == 10
    assert body["results"][0]["sku"] == "N-00000" and body["results"][0]["on_hand"] == "5"
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    assert counts and all("stocklevel" not in sql for sql in counts), counts
    [page] = [query["sql"] for query in queries if "inventory_stocklevel" in query["sql"]]
    assert 'JOIN "inventory_stocklevel"' not in page and "LIMIT" in page, page  # a subquery per shown item
    assert api(manager).get("/api/items/wide/").json()["on_hand"] == "15"
