"""Catalog (/api/items/, /locations/, /suppliers/) and stock (/api/stock/…) endpoints."""

import csv
import io
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse

from inventory.models import Item, Location, Supplier
from movements.services import Line, build_create, transfer_create
from tests.api_support import api  # noqa: F401  (api is a fixture)
from tests.factories import ItemFactory, LocationFactory, SupplierFactory
from tests.helpers import snapshot
from tests.stock import receive

# --- catalog ---------------------------------------------------------------------------------------


def test_item_create_answers_201_with_defaults(api, manager):
    response = api(manager).post("/api/items/", {"sku": "LDR-4.1", "name": "Lidar unit 4.1"})

    assert response.status_code == 201
    assert response.json() == {"sku": "LDR-4.1", "name": "Lidar unit 4.1", "description": "", "unit": "ea",
                               "fractional": False, "is_active": True, "on_hand": "0"}
    assert Item.objects.get().sku == "LDR-4.1"


def test_items_are_addressed_by_sku_with_dots_ignoring_case(api, operator, item, chicago, supplier):
    receive(item, chicago, "12", supplier=supplier, user=operator)
    client = api(operator)

    assert client.get("/api/items/LDR-4.1/").json()["on_hand"] == "12"
    assert client.get("/api/items/ldr-4.1/").json()["sku"] == "LDR-4.1"
    assert client.get("/api/items/LDR-9.9/").status_code == 404
    assert client.get("/api/items/LDR-9.9/").json() == {"detail": "No Item matches the given query."}


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/items/", {"sku": "ldr-4.1", "name": "Same SKU, other case"}, "sku"),
        ("/api/items/", {"sku": "LDR 4.1", "name": "A space"}, "sku"),
        ("/api/items/", {"sku": "X" * 65, "name": "Too long"}, "sku"),
        ("/api/items/", {"sku": "NEW-1"}, "name"),
        ("/api/items/", {"sku": "NEW-1", "name": "Flag", "fractional": "maybe"}, "fractional"),
        ("/api/locations/", {"code": "chi", "name": "Chicago again"}, "code"),
        ("/api/suppliers/", {"code": "acme", "name": "Acme again"}, "code"),
        ("/api/suppliers/", {"code": "", "name": "No code"}, "code"),
    ],
)
def test_catalog_create_refusals(api, manager, item, chicago, supplier, path, body, field):
    before = [list(Item.objects.values()), list(Location.objects.values()), list(Supplier.objects.values())]

    response = api(manager).post(path, body)

    assert response.status_code == 400
    assert list(response.json()) == [field, "detail"]
    assert before == [list(Item.objects.values()), list(Location.objects.values()), list(Supplier.objects.values())]


def test_duplicate_sku_message(api, manager, item):
    response = api(manager).post("/api/items/", {"sku": "ldr-4.1", "name": "Again"})

    assert response.json() == {"sku": ["Item with SKU 'ldr-4.1' already exists."],
                               "detail": "sku: Item with SKU 'ldr-4.1' already exists."}


def test_item_patch_changes_any_field_but_the_sku(api, manager, item):
    client = api(manager)

    response = client.patch("/api/items/ldr-4.1/", {"name": "Lidar 4.1 rev B", "unit": "pc", "fractional": True})

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["unit"], response.json()["fractional"]) == (
        "Lidar 4.1 rev B", "pc", True)
    refused = client.patch("/api/items/LDR-4.1/", {"sku": "LDR-4.2"})
    assert refused.status_code == 400
    assert refused.json()["sku"] == ["The sku cannot be changed; create a new record instead."]
    assert Item.objects.get().sku == "LDR-4.1"


def test_location_deactivate_and_supplier_rename(api, manager, chicago, supplier):
    client = api(manager)

    assert client.patch("/api/locations/CHI/", {"is_active": False}).json() == {
        "code": "CHI", "name": "Chicago Warehouse", "is_active": False}
    assert client.patch("/api/suppliers/acme/", {"name": "Acme Sensors Inc."}).json()["name"] == "Acme Sensors Inc."


def test_put_is_not_offered(api, manager, item):
    response = api(manager).put("/api/items/LDR-4.1/", {"sku": "LDR-4.1", "name": "x"})

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


def test_delete_without_history_is_a_204(api, manager):
    ItemFactory(sku="TMP-1")
    LocationFactory(code="TMP")

    assert api(manager).delete("/api/items/tmp-1/").status_code == 204
    assert api(manager).delete("/api/locations/TMP/").status_code == 204
    assert not Item.objects.filter(sku="TMP-1").exists()
    assert not Location.objects.filter(code="TMP").exists()


@pytest.mark.parametrize("path", ["/api/items/LDR-4.1/", "/api/locations/CHI/", "/api/suppliers/ACME/"])
def test_delete_with_history_is_a_409(api, manager, operator, item, chicago, supplier, path):
    receive(item, chicago, "1", supplier=supplier, user=operator)
    before = snapshot()

    response = api(manager).delete(path)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "has_history"
    assert body["detail"].endswith("has history and cannot be deleted; deactivate it instead.")
    assert snapshot() == before
    assert (Item.objects.count(), Location.objects.count(), Supplier.objects.count()) == (1, 1, 1)


def test_catalog_filters(api, operator, item):
    ItemFactory(sku="CBL-CAT6", name="Cable", is_active=False)
    client = api(operator)

    def skus(**params):
        return [row["sku"] for row in client.get("/api/items/", params).json()["results"]]

    assert skus() == ["CBL-CAT6", "LDR-4.1"]
    assert skus(search="lidar") == ["LDR-4.1"]
    assert skus(is_active="false") == ["CBL-CAT6"]
    assert skus(search="nothing-like-it") == []


# --- stock -----------------------------------------------------------------------------------------

@pytest.fixture
def stock_positive_zero_and_negative(operator, item, chicago, milwaukee, supplier):
    """LDR-4.1: 155 at CHI, 145 at MKE (as in the worked example); CBL: 0 at CHI (emptied),
    and -6 of SCR at MKE (an open build shortfall)."""
    receive(item, chicago, "300", supplier=supplier, user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="145", user=operator)
    cable = ItemFactory(sku="CBL", name="=HYPERLINK(\"x\")")
    receive(cable, chicago, "4", supplier=supplier, user=operator)
    build_create(location=chicago, reference="B-1", lines=[Line(cable, "4")], user=operator)
    screw = ItemFactory(sku="SCR", name="-screw")
    build_create(location=milwaukee, reference="B-2", lines=[Line(screw, "6")], user=operator, allow_shortfall=True)


def rows(response):
    return [(row["sku"], row["location"], row["quantity"]) for row in response.json()["results"]]


def test_stock_rows_leave_out_zero_unless_asked(api, operator, stock_positive_zero_and_negative):
    client = api(operator)

    assert rows(client.get("/api/stock/")) == [("LDR-4.1", "CHI", "155"), ("LDR-4.1", "MKE", "145"),
                                              ("SCR", "MKE", "-6")]
    assert rows(client.get("/api/stock/", {"include_empty": "true"})) == [
        ("CBL", "CHI", "0"), ("LDR-4.1", "CHI", "155"), ("LDR-4.1", "MKE", "145"), ("SCR", "MKE", "-6")]
    assert rows(client.get("/api/stock/", {"item": "ldr-4.1", "location": "mke"})) == [("LDR-4.1", "MKE", "145")]
    assert rows(client.get("/api/stock/", {"search": "milwaukee"})) == [("LDR-4.1", "MKE", "145"), ("SCR", "MKE", "-6")]
    assert client.get("/api/stock/").json()["results"][0] == {
        "sku": "LDR-4.1", "item_name": "Lidar unit 4.1", "unit": "ea", "location": "CHI",
        "location_name": "Chicago Warehouse", "quantity": "155"}


@pytest.mark.parametrize("params", [{"item": "NOPE"}, {"location": "NOWHERE"}, {"search": "zzz"},
                                    {"item": "' OR 1=1 --"}, {"include_empty": "sometimes"}])
def test_unknown_filter_values_give_empty_results(api, operator, stock_positive_zero_and_negative, params):
    response = api(operator).get("/api/stock/", params)

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}


def test_stock_by_item_and_by_location(api, operator, stock_positive_zero_and_negative):
    client = api(operator)

    assert client.get("/api/stock/by-item/").json()["results"] == [
        {"sku": "LDR-4.1", "item_name": "Lidar unit 4.1", "unit": "ea", "quantity": "300", "locations": 2},
        {"sku": "SCR", "item_name": "-screw", "unit": "ea", "quantity": "-6", "locations": 1},
    ]
    assert client.get("/api/stock/by-item/", {"location": "CHI"}).json()["results"] == [
        {"sku": "LDR-4.1", "item_name": "Lidar unit 4.1", "unit": "ea", "quantity": "155", "locations": 1}]
    assert client.get("/api/stock/by-location/").json()["results"] == [
        {"location": "CHI", "location_name": "Chicago Warehouse", "quantity": "155", "items": 1},
        {"location": "MKE", "location_name": "Milwaukee Operations Center", "quantity": "139", "items": 2},
    ]
    assert client.get("/api/stock/by-location/", {"item": "SCR"}).json()["results"] == [
        {"location": "MKE", "location_name": "Milwaukee Operations Center", "quantity": "-6", "items": 1}]


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))


def test_export_streams_every_row_and_escapes_formulas(api, operator, stock_positive_zero_and_negative):
    response = api(operator).get("/api/stock/export.csv", {"include_empty": "true"}, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="inventory.csv"'
    assert read_csv(response) == [
        ["\ufeffSKU", "Item name", "Location", "Quantity"],
        ["CBL", "'=HYPERLINK(\"x\")", "Chicago Warehouse", "0"],
        ["LDR-4.1", "Lidar unit 4.1", "Chicago Warehouse", "155"],
        ["LDR-4.1", "Lidar unit 4.1", "Milwaukee Operations Center", "145"],
        # A negative quantity stays a number; a name starting with '-' is text and escaped.
        ["SCR", "'-screw", "Milwaukee Operations Center", "-6"],
    ]


@pytest.mark.parametrize("name, cell", [("=1+1", "'=1+1"), ("+x", "'+x"), ("-x", "'-x"), ("@x", "'@x"),
                                        ("plain", "plain")])
def test_export_escapes_text_cells(api, operator, chicago, supplier, name, cell):
    receive(ItemFactory(sku="X-1", name=name), chicago, "2", supplier=supplier, user=operator)

    assert read_csv(api(operator).get("/api/stock/export.csv"))[1] == ["X-1", cell, "Chicago Warehouse", "2"]


def test_export_holds_all_rows_not_one_page(api, operator, chicago, supplier):
    for index in range(60):
        receive(ItemFactory(sku=f"P-{index:03d}"), chicago, "1", supplier=supplier, user=operator)
    client = api(operator)

    assert len(client.get("/api/stock/").json()["results"]) == 50
    lines = read_csv(client.get("/api/stock/export.csv", {"page_size": 10}))
    assert len(lines) == 61
    assert lines[-1][0] == "P-059"


def test_export_filters_like_the_stock_list(api, operator, stock_positive_zero_and_negative):
    lines = read_csv(api(operator).get("/api/stock/export.csv", {"location": "MKE"}))

    assert [line[0] for line in lines[1:]] == ["LDR-4.1", "SCR"]


def test_export_errors_are_json(api, nobody):
    response = api(nobody).get("/api/stock/export.csv", HTTP_ACCEPT="text/csv")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


# --- pagination and query counts ------------------------------------------------------------------

def test_page_size_and_its_limit(api, operator, chicago, supplier):
    for index in range(12):
        ItemFactory(sku=f"P-{index:02d}")
    client = api(operator)

    page = client.get("/api/items/", {"page_size": 5}).json()
    assert (page["count"], len(page["results"]), page["previous"]) == (12, 5, None)
    assert page["next"].endswith("/api/items/?page=2&page_size=5")
    assert len(client.get("/api/items/", {"page_size": 5000}).json()["results"]) == 12
    assert client.get("/api/items/", {"page": 99}).status_code == 404
    assert client.get("/api/items/", {"page": 99}).json() == {"detail": "Invalid page."}


@pytest.mark.parametrize(
    "path, key, size",
    [("/api/stock/", lambda row: (row["sku"], row["location"]), 3), ("/api/stock/by-item/", lambda row: row["sku"], 3),
     ("/api/stock/by-location/", lambda row: row["location"], 1)],
)
def test_stock_lists_page_with_a_cursor_and_count_nothing(api, operator, supplier, path, key, size):
    stock_everywhere(7, operator, supplier)
    client = api(operator)
    everything = [key(row) for row in client.get(path, {"page_size": 1000}).json()["results"]]
    assert everything == sorted(everything)

    seen, url, pages = [], f"{path}?page_size={size}", []
    while url:
        page = client.get(url).json()
        assert "count" not in page
        pages.append(page)
        seen += [key(row) for row in page["results"]]
        url = page["next"]
    assert seen == everything  # every row once, in order
    assert pages[0]["previous"] is None and pages[-1]["next"] is None
    # ``previous`` leads back to the rows just before.
    back = client.get(pages[1]["previous"]).json()
    assert [key(row) for row in back["results"]] == everything[:size]


@pytest.mark.parametrize("path", ["/api/stock/", "/api/stock/by-item/", "/api/stock/by-location/"])
def test_stock_lists_refuse_page_numbers_and_edited_cursors(api, operator, stock_positive_zero_and_negative, path):
    client = api(operator)

    refused = client.get(path, {"page": "2"})
    assert refused.status_code == 400
    assert refused.json()["page"] == ["This list pages with a cursor: follow the next link (there are no page numbers)."]
    assert client.get(path, {"page": "1"}).status_code == 200
    for cursor in ("garbage", "WyJuIiwgWzFdXQ", "WyJuIixbIlx1MDAwMCIsMV1d", "WyJuIixbeyJhIjoxfSwxLDFdXQ"):
        response = client.get(path, {"cursor": cursor})
        assert response.status_code == 404
        assert response.json()["detail"] == "Invalid cursor: follow the next and previous links this list gives."


def stock_everywhere(count: int, operator, supplier):
    locations = [LocationFactory() for _ in range(2)]
    for index in range(count):
        SupplierFactory()
        item = ItemFactory()
        for location in locations:
            receive(item, location, str(index + 1), supplier=supplier, user=operator)


@pytest.mark.parametrize(
    "path", ["/api/items/", "/api/locations/", "/api/suppliers/", "/api/stock/", "/api/stock/by-item/",
             "/api/stock/by-location/"],
)
def test_list_queries_do_not_grow_with_rows(api, operator, supplier, path, django_assert_max_num_queries):
    client = api(operator)
    stock_everywhere(1, operator, supplier)
    with django_assert_max_num_queries(6):
        one = client.get(path)
    stock_everywhere(60, operator, supplier)
    with django_assert_max_num_queries(6):
        many = client.get(path)

    assert one.status_code == many.status_code == 200
    assert len(many.json()["results"]) > len(one.json()["results"])


def test_export_queries_do_not_grow_with_rows(api, operator, supplier, django_assert_max_num_queries):
    client = api(operator)
    stock_everywhere(60, operator, supplier)
    with django_assert_max_num_queries(5):
        lines = read_csv(client.get("/api/stock/export.csv"))

    assert len(lines) == 121
    assert Decimal(lines[-1][3]) == 60
