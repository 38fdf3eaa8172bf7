"""Input no form or client should send, and that must still never be a 500 (found by review:
NUL bytes, which PostgreSQL refuses in queries, and dates at the end of the calendar)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from hardfin.admin import BackOfficeAdmin
from hardfin.errors import UnknownObject
from inventory.models import Item
from inventory.services import resolve
from movements.services import Line, build_create, transfer_create
from tests.api_support import api  # noqa: F401  (api is a fixture)
from tests.factories import ItemFactory
from tests.pages_support import csv_rows, html_of, text, texts
from tests.stock import receive


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="x")


@pytest.mark.parametrize(
    "url", ["/items/a%00b/", "/items/a%00b/history/", "/items/a%00b/batches/", "/items/LDR 4.1/"]
)
def test_item_pages_with_impossible_skus_are_404(client, operator, item, url):
    client.force_login(operator)
    assert client.get(url).status_code == 404


def test_history_up_to_the_last_day_of_the_calendar(client, operator, item):
    client.force_login(operator)
    response = client.get("/items/LDR-4.1/history/", {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path, query",
    [
        ("/admin/movements/movement/", {"occurred_at_to": "9999-12-31"}),
        ("/admin/movements/movement/", {"sku": "a\x00"}),
        ("/admin/movements/movement/", {"location": "a\x00"}),
        ("/admin/lots/lot/", {"sku": "a\x00"}),
        ("/admin/movements/movement/", {"kind": "\x00"}),
        ("/admin/inventory/item/", {"unit": "\x00"}),
    ],
)
def test_admin_lists_with_hostile_filters_answer(client, superuser, path, query):
    client.force_login(superuser)
    assert client.get(path, query).status_code == 200


def test_resolving_a_key_with_a_nul_byte_is_unknown(item):
    with pytest.raises(UnknownObject):
        resolve(Item, "LDR\x00-4.1", field="sku")


@pytest.fixture
def every_kind_of_row(superuser, item, chicago, milwaukee, supplier):
    """At least one row in every admin list: movements of several kinds, lots, batches, stock
    levels, a shortfall, reasons, users, groups."""
    receive(item, chicago, "100", supplier=supplier, user=superuser)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="10", user=superuser)
    build_create(location=milwaukee, reference="B-1", lines=[Line(ItemFactory(unit="m"), "1")], user=superuser,
                 allow_shortfall=True)


def list_parameters(model_admin, user) -> list[str]:
    """Every query parameter the list filters of ``model_admin`` read, and its search box."""
    request = RequestFactory().get("/")
    request.user = user
    filter_specs = model_admin.get_changelist_instance(request).get_filters(request)[0]
    names = [name for spec in filter_specs for name in spec.expected_parameters()]
    return names + (["q"] if model_admin.get_search_fields(request) else [])


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda model: f"{model._meta.app_label}.{model._meta.model_name}"
)
def test_every_admin_list_filter_and_search_box_takes_a_nul_byte(client, superuser, every_kind_of_row, model):
    """In Hardfin's admins a NUL byte in a filter matches nothing (no stored text holds one, and
    PostgreSQL refuses it even in a query), and Django refuses it in the search box with a
    message. A filter of a typed field (yes/no, a related record, a date) refuses the value the
    way Django's admin refuses any invalid one, by reloading the list with an error flag. The
    user, group and token admins that Django and DRF register have only such typed filters."""
    model_admin = admin.site._registry[model]
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    client.force_login(superuser)
    parameters = list_parameters(model_admin, superuser)
    assert parameters or model._meta.model_name == "group"

    for name in parameters:
        response = client.get(url, {name: "a\x00"})
        if response.status_code == 302:
            assert response["Location"] == f"{url}?e=1", name
        else:
            assert response.status_code == 200, name
            if name == "q":
                assert "Null characters are not allowed." in [str(m) for m in response.context["messages"]]
            elif isinstance(model_admin, BackOfficeAdmin):
                assert list(response.context["cl"].result_list) == [], name


# --- yes/no filters: true/false or 1/0; anything else matches nothing (API.md) -------------------

@pytest.mark.parametrize(
    "path, query",
    [
        ("/api/items/", {"is_active": "2"}),
        ("/api/locations/", {"is_active": "maybe"}),
        ("/api/suppliers/", {"is_active": "yes"}),
        ("/api/stock/", {"include_empty": "x"}),
        ("/api/lots/", {"show_empty": "maybe"}),
        ("/api/shortfalls/", {"open": "zz"}),
    ],
)
def test_unknown_yes_no_values_match_nothing_in_the_api(api, operator, stock_with_a_shortfall, path, query):
    client = api(operator)
    assert client.get(path).json()["results"]  # there is something to hide

    response = client.get(path, query)

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("query", [{"show_empty": "maybe"}, {"include_empty": "x"}])
@pytest.mark.parametrize("view", ["item", "location"])
def test_unknown_yes_no_values_match_nothing_on_the_inventory_page(client, operator, stock_with_a_shortfall,
                                                                   view, query):
    client.force_login(operator)
    assert texts(client.get("/inventory/", {"view": view}), "tbody", class_="stock-row")

    response = client.get("/inventory/", {"view": view, **query})

    assert response.status_code == 200
    assert texts(response, "tbody", class_="stock-row") == []
    assert "No stock matches these filters." in text(response)
    assert " checked" not in html_of(response)  # the unknown value is not shown as ticked
    export = client.get("/inventory/export.csv", query)
    assert csv_rows(export) == [["SKU", "Item name", "Location", "Quantity", "Unit", "Location code"]]


@pytest.mark.parametrize("query", [{"show_empty": "maybe"}, {"include_empty": "x"}])
def test_unknown_yes_no_values_match_nothing_on_the_item_page(client, operator, stock_with_a_shortfall, query):
    client.force_login(operator)

    response = client.get("/items/LDR-4.1/", query)

    assert response.status_code == 200
    assert "LDR-4.1 is not in stock anywhere." in text(response)


@pytest.mark.parametrize(
    "path, query", [("/admin/inventory/stocklevel/", {"show_empty": "maybe"}), ("/admin/movements/shortfall/", {"open": "zz"})]
)
def test_unknown_yes_no_values_match_nothing_in_the_admin(client, superuser, stock_with_a_shortfall, path, query):
    client.force_login(superuser)
    assert client.get(path).context["cl"].result_count

    response = client.get(path, query)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
