"""The inventory page (by item, by location), its CSV export and the item stock page."""

import html
import re
from decimal import Decimal

import pytest

from inventory.models import Item
from movements.services import Line, build_create, transfer_create, user_can
from tests.factories import ItemFactory, LocationFactory
from tests.pages_support import csv_rows, html_of, text, texts
from tests.stock import receive

INVENTORY = "/inventory/"
EXPORT = "/inventory/export.csv"
ITEM_PAGE = "/items/LDR-4.1/"


@pytest.fixture
def signed_in(client, operator):
    client.force_login(operator)
    return client


def group_texts(response):
    return texts(response, "details", class_="group")


def row_text(response, sku, location):
    [row] = texts(response, "tbody", data_sku=sku, data_location=location)
    return row


# --- who may see the pages ------------------------------------------------------------------------

def test_home_redirects_to_the_inventory(client, operator):
    client.force_login(operator)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == INVENTORY


@pytest.mark.parametrize("url", [INVENTORY, f"{INVENTORY}?view=location", EXPORT, ITEM_PAGE])
def test_anonymous_visitors_are_sent_to_sign_in(client, item, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", [INVENTORY, EXPORT, ITEM_PAGE])
def test_signed_in_users_in_no_group_get_403(client, nobody, item, url):
    client.force_login(nobody)
    response = client.get(url)
    assert response.status_code == 403
    assert "Not allowed" in text(response)
    assert texts(response, "nav", class_="site-nav") == [""]  # no link to anything


@pytest.mark.parametrize("role", ["operator", "manager", "accountant"])
@pytest.mark.parametrize("url", [INVENTORY, f"{INVENTORY}?view=location", EXPORT, ITEM_PAGE])
def test_every_role_may_view_and_export(client, request, ldr_worked_example, role, url):
    client.force_login(request.getfixturevalue(role))
    assert client.get(url).status_code == 200


def test_sign_in_page_signs_in_and_goes_to_the_inventory(client, operator):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'for="id_username"' in html_of(page) and 'for="id_password"' in html_of(page)
    response = client.post("/accounts/login/", {"username": "olivia", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response["Location"] == INVENTORY


def test_sign_out_is_a_post_that_ends_the_session(client, operator):
    client.force_login(operator)
    assert 'action="/accounts/logout/"' in html_of(client.get(INVENTORY))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get(INVENTORY).status_code == 302


# --- by item ----------------------------------------------------------------------------------

def test_by_item_shows_each_item_with_its_total_rows_and_lots(signed_in, ldr_worked_example):
    listed = signed_in.get(INVENTORY)
    assert listed.status_code == 200
    [group] = group_texts(listed)
    assert group.startswith("LDR-4.1 Lidar unit 4.1 300 ea 2 locations")
    assert row_text(listed, "LDR-4.1", "CHI").startswith("Chicago Warehouse CHI 155 ea")
    assert row_text(listed, "LDR-4.1", "MKE").startswith("Milwaukee Operations Center MKE 145 ea")
    # The list shows each item's rows; their lots are in the item's own view, one link away.
    assert "0002" not in group
    assert 'href="?item=LDR-4.1">Lots of these rows</a>' in html_of(listed)
    response = signed_in.get(INVENTORY, {"item": "LDR-4.1"})
    [group] = group_texts(response)
    assert group.startswith("LDR-4.1 Lidar unit 4.1 300 ea 2 locations")
    assert '<details class="group" open>' in html_of(response)
    chicago_row = row_text(response, "LDR-4.1", "CHI")
    assert chicago_row.startswith("Chicago Warehouse CHI 155 ea")
    # The empty lot of 0001 stays hidden until asked for.
    assert "0002 155 ea unknown unknown Acme Sensors" in chicago_row and "PO-1002" in chicago_row
    assert "0001" not in chicago_row
    milwaukee_row = row_text(response, "LDR-4.1", "MKE")
    assert milwaukee_row.startswith("Milwaukee Operations Center MKE 145 ea")
    assert "0001 100 ea unknown unknown Acme Sensors" in milwaukee_row and "PO-1001" in milwaukee_row
    assert "0002 45 ea unknown unknown Acme Sensors" in milwaukee_row
    assert milwaukee_row.index("0001") < milwaukee_row.index("0002")  # oldest batch first


def test_quantities_are_written_as_people_write_them(signed_in, ldr_worked_example):
    html = html_of(signed_in.get(INVENTORY))
    assert "155 ea" in html and "155.000" not in html


def test_show_empty_lots_reveals_consumed_lots(signed_in, ldr_worked_example):
    response = signed_in.get(INVENTORY, {"item": "LDR-4.1", "show_empty": "true"})
    chicago_row = row_text(response, "LDR-4.1", "CHI")
    assert "0001 0 ea unknown unknown Acme Sensors" in chicago_row
    assert "0002 155 ea" in chicago_row
    assert 'name="show_empty" value="true" checked' in html_of(response)


def test_include_empty_rows_reveals_item_locations_at_zero(
    signed_in, item, ldr_worked_example, chicago, milwaukee, manager
):
    transfer_create(item=item, source=milwaukee, destination=chicago, quantity="145", user=manager)
    assert texts(signed_in.get(INVENTORY), "tbody", data_location="MKE") == []
    response = signed_in.get(INVENTORY, {"include_empty": "true"})
    assert row_text(response, "LDR-4.1", "MKE").startswith("Milwaukee Operations Center MKE 0 ea")
    response = signed_in.get(INVENTORY, {"include_empty": "true", "item": "LDR-4.1"})
    assert "No lots with units here" in row_text(response, "LDR-4.1", "MKE")
    shown = signed_in.get(INVENTORY, {"include_empty": "true", "show_empty": "true", "item": "LDR-4.1"})
    assert "0001 0 ea" in row_text(shown, "LDR-4.1", "MKE")


def test_a_negative_row_is_marked_as_a_shortfall(signed_in, item, ldr_worked_example, chicago, manager):
    build_create(location=chicago, reference="WO-7", lines=[Line(item, "160")], allow_shortfall=True, user=manager)
    for view in ("item", "location"):
        response = signed_in.get(INVENTORY, {"view": view})
        row = row_text(response, "LDR-4.1", "CHI")
        assert "-5 ea Shortfall" in row
        assert "open shortfall" in row
        assert 'class="stock-row negative-row"' in html_of(response)


def test_only_rows_holding_units_offer_a_transfer(signed_in, item, ldr_worked_example, chicago, milwaukee, manager):
    build_create(location=chicago, reference="WO-7", lines=[Line(item, "160")], allow_shortfall=True, user=manager)
    transfer_create(item=item, source=milwaukee, destination=chicago, quantity="5", user=manager)  # settles it: CHI 0
    build_create(location=milwaukee, reference="WO-8", lines=[Line(item, "150")], allow_shortfall=True, user=manager)

    response = signed_in.get(INVENTORY, {"include_empty": "true"})

    page = html_of(response)
    assert row_text(response, "LDR-4.1", "CHI").startswith("Chicago Warehouse CHI 0 ea")
    assert "-10 ea" in row_text(response, "LDR-4.1", "MKE")
    assert 'aria-label="Transfer LDR-4.1 from Chicago Warehouse"' not in page  # nothing to move
    assert 'aria-label="Transfer LDR-4.1 from Milwaukee Operations Center"' not in page  # an open shortfall
    item_page = html_of(signed_in.get("/items/LDR-4.1/", {"include_empty": "true"}))
    assert 'aria-label="Transfer LDR-4.1 from' not in item_page


def test_fractional_items_show_their_decimals_and_unit(signed_in, chicago, supplier, operator):
    cable = ItemFactory(sku="CBL_9", name="Cable", unit="m", fractional=True)
    receive(cable, chicago, "2.5", supplier=supplier, user=operator)
    [group] = group_texts(signed_in.get(INVENTORY))
    assert group.startswith("CBL_9 Cable 2.5 m 1 location")


# --- by location ------------------------------------------------------------------------------

def test_by_location_shows_each_location_with_its_items_and_never_adds_units_of_different_kinds(
    signed_in, ldr_worked_example, chicago, supplier, operator
):
    receive(ItemFactory(sku="BRK-2", name="Bracket"), chicago, "10", supplier=supplier, user=operator)
    receive(ItemFactory(sku="CBL-1", name="Cable", unit="m", fractional=True), chicago, "2.5", supplier=supplier,
            user=operator)
    response = signed_in.get(INVENTORY, {"view": "location"})
    chicago_group, milwaukee_group = group_texts(response)
    # 155 ea + 10 ea + 2.5 m is no quantity: a location shows its rows, each in its unit.
    assert chicago_group.startswith(
        "Chicago Warehouse (CHI) Location page Transfer from CHI Receive at CHI Build at CHI Replace at CHI "
        "Chicago Warehouse: stock by item SKU"
    )
    assert "167.5" not in chicago_group and "165" not in chicago_group
    assert milwaukee_group.startswith("Milwaukee Operations Center (MKE) Location page Transfer from MKE")
    assert row_text(response, "CBL-1", "CHI").startswith("CBL-1 Cable 2.5 m")
    assert 'href="?view=location&amp;location=CHI">Lots of these rows</a>' in html_of(response)
    response = signed_in.get(INVENTORY, {"view": "location", "location": "CHI"})
    item_row = row_text(response, "LDR-4.1", "CHI")
    assert item_row.startswith("LDR-4.1 Lidar unit 4.1 155 ea")
    assert "0002 155 ea" in item_row
    assert row_text(response, "BRK-2", "CHI").startswith("BRK-2 Bracket 10 ea")


def test_an_unknown_view_falls_back_to_by_item(signed_in, ldr_worked_example):
    [group] = group_texts(signed_in.get(INVENTORY, {"view": "sideways"}))
    assert group.startswith("LDR-4.1")


def test_a_single_group_opens_by_itself(signed_in, ldr_worked_example, chicago, supplier, operator):
    receive(ItemFactory(sku="BRK-2"), chicago, "1", supplier=supplier, user=operator)
    assert '<details class="group" open>' not in html_of(signed_in.get(INVENTORY))
    assert '<details class="group" open>' in html_of(signed_in.get(INVENTORY, {"item": "BRK-2"}))


# --- filters ----------------------------------------------------------------------------------

@pytest.fixture
def two_items(ldr_worked_example, chicago, supplier, operator):
    receive(ItemFactory(sku="BRK-2", name="Steel bracket"), chicago, "10", supplier=supplier, user=operator)


@pytest.mark.parametrize(
    "query, skus",
    [
        ({}, ["LDR-4.1", "BRK-2"]),
        ({"search": "bracket"}, ["BRK-2"]),
        ({"search": "milwaukee"}, ["LDR-4.1"]),
        ({"item": "ldr-4.1"}, ["LDR-4.1"]),
        ({"location": "MKE"}, ["LDR-4.1"]),
        ({"location": "NOWHERE"}, []),
        ({"item": "NOPE"}, []),
    ],
)
def test_filters_narrow_the_rows(signed_in, two_items, query, skus):
    response = signed_in.get(INVENTORY, query)
    shown = [group.split()[0] for group in group_texts(response)]
    assert sorted(shown) == sorted(skus)
    if not skus:
        assert "No stock matches these filters." in text(response)


def test_a_location_filter_limits_the_rows_and_totals(signed_in, ldr_worked_example):
    response = signed_in.get(INVENTORY, {"location": "MKE"})
    [group] = group_texts(response)
    assert group.startswith("LDR-4.1 Lidar unit 4.1 145 ea 1 location")
    assert texts(response, "tbody", data_location="CHI") == []


def test_the_filter_form_keeps_the_query(signed_in, two_items):
    html = html_of(signed_in.get(INVENTORY, {"view": "location", "search": "brack", "location": "CHI"}))
    assert '<form method="get" class="filters"' in html
    assert 'name="view" value="location"' in html
    assert 'name="search" value="brack"' in html
    assert '<option value="CHI" selected>' in html


def next_link(response) -> str:
    [link] = re.findall(r'rel="next" href="([^"]+)"', html_of(response))
    return html.unescape(link)


def previous_link(response) -> str:
    [link] = re.findall(r'rel="prev" href="([^"]+)"', html_of(response))
    return html.unescape(link)


def test_pages_of_fifty_groups_keep_the_filters(signed_in, chicago, supplier, operator):
    for number in range(51):
        receive(ItemFactory(sku=f"P-{number:03d}"), chicago, "1", supplier=supplier, user=operator)
    first = signed_in.get(INVENTORY, {"search": "P-"})
    assert len(group_texts(first)) == 50
    assert 'rel="prev"' not in html_of(first)
    # Keyset pages: the next page is "after P-049", with the filters kept; no total is counted.
    link = next_link(first)
    assert link.startswith("?search=P-&cursor=")
    second = signed_in.get(INVENTORY + link)
    assert [group.split()[0] for group in group_texts(second)] == ["P-050"]
    assert 'rel="next"' not in html_of(second)
    back = signed_in.get(INVENTORY + previous_link(second))
    assert [group.split()[0] for group in group_texts(back)] == [f"P-{number:03d}" for number in range(50)]


def test_an_edited_cursor_shows_the_first_page(signed_in, two_items):
    for cursor in ("not-a-cursor", "WyJuIiwgWzFdXQ", "WyJuIixbIlx1MDAwMCIsMV1d"):
        response = signed_in.get(INVENTORY, {"cursor": cursor})
        assert response.status_code == 200
        assert [group.split()[0] for group in group_texts(response)] == ["BRK-2", "LDR-4.1"]


# --- row buttons and navigation -----------------------------------------------------------------

TRANSFER_CHI = 'href="/transfers/new/?sku=LDR-4.1&amp;location=CHI"'
ADJUST_CHI = 'href="/adjustments/new/?sku=LDR-4.1&amp;location=CHI"'


@pytest.mark.parametrize(
    "role, transfer, adjust",
    [("operator", True, False), ("manager", True, True), ("accountant", False, True)],
)
@pytest.mark.parametrize("url", [INVENTORY, f"{INVENTORY}?view=location", ITEM_PAGE])
def test_row_buttons_open_prefilled_forms_for_allowed_users_only(
    client, request, ldr_worked_example, role, transfer, adjust, url
):
    client.force_login(request.getfixturevalue(role))
    html = html_of(client.get(url))
    assert (TRANSFER_CHI in html) is transfer
    assert (ADJUST_CHI in html) is adjust


NAV = {
    "receipt": 'href="/receipts/new/"',
    "transfer": 'href="/transfers/new/"',
    "build": 'href="/builds/new/"',
    "replacement": 'href="/replacements/new/"',
    "adjustment": 'href="/adjustments/new/"',
}


@pytest.mark.parametrize("role", ["operator", "manager", "accountant"])
def test_navigation_links_only_to_what_the_user_may_use(db, client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    html = html_of(client.get(INVENTORY))
    [nav] = texts(html, "nav", class_="site-nav")
    nav_html = html[html.index('<nav class="site-nav"'):html.index("</nav>")]
    for kind, link in NAV.items():
        assert (link in nav_html) is user_can(user, kind), kind
    assert nav.startswith("Inventory")
    # The admin is for Managers and Accountants (by group, whatever is_staff says).
    assert ("Admin" in nav) is (role in ("manager", "accountant"))


def test_staff_flag_alone_gives_no_admin_link(client, operator):
    operator.is_staff = True
    operator.save()
    client.force_login(operator)
    assert 'href="/admin/">Admin</a>' not in html_of(client.get(INVENTORY))


def test_export_button_carries_the_current_filters(signed_in, ldr_worked_example):
    html = html_of(signed_in.get(INVENTORY, {"view": "location", "location": "MKE", "page": "1"}))
    assert 'href="/inventory/export.csv?view=location&amp;location=MKE" download>Export data</a>' in html


# --- export -----------------------------------------------------------------------------------

def test_export_writes_item_location_rows_with_the_exact_header(signed_in, ldr_worked_example):
    response = signed_in.get(EXPORT)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="inventory.csv"'
    assert csv_rows(response) == [
        ["SKU", "Item name", "Location", "Quantity", "Unit", "Location code"],
        ["LDR-4.1", "Lidar unit 4.1", "Chicago Warehouse", "155", "ea", "CHI"],
        ["LDR-4.1", "Lidar unit 4.1", "Milwaukee Operations Center", "145", "ea", "MKE"],
    ]


@pytest.mark.parametrize("view", ["item", "location"])
def test_export_follows_the_filters_whichever_view_is_shown(signed_in, two_items, view):
    rows = csv_rows(signed_in.get(EXPORT, {"view": view, "location": "CHI", "search": "bracket"}))
    assert rows == [
        ["SKU", "Item name", "Location", "Quantity", "Unit", "Location code"],
        ["BRK-2", "Steel bracket", "Chicago Warehouse", "10", "ea", "CHI"],
    ]


def test_export_includes_empty_and_negative_rows_as_the_page_does(signed_in, item, ldr_worked_example, chicago, milwaukee, manager):
    transfer_create(item=item, source=milwaukee, destination=chicago, quantity="145", user=manager)
    build_create(location=chicago, reference="WO-1", lines=[Line(item, "310")], allow_shortfall=True, user=manager)
    assert csv_rows(signed_in.get(EXPORT))[1:] == [["LDR-4.1", "Lidar unit 4.1", "Chicago Warehouse", "-10", "ea", "CHI"]]
    assert csv_rows(signed_in.get(EXPORT, {"include_empty": "true"}))[1:] == [
        ["LDR-4.1", "Lidar unit 4.1", "Chicago Warehouse", "-10", "ea", "CHI"],
        ["LDR-4.1", "Lidar unit 4.1", "Milwaukee Operations Center", "0", "ea", "MKE"],
    ]


def test_export_has_every_row_not_one_page_and_escapes_formulas(signed_in, chicago, supplier, operator):
    for number in range(60):
        receive(ItemFactory(sku=f"P-{number:03d}", name=f"=HYPERLINK({number})"), chicago, "1", supplier=supplier,
                user=operator)
    rows = csv_rows(signed_in.get(EXPORT, {"page": "2"}))
    assert len(rows) == 61
    assert rows[1] == ["P-000", "'=HYPERLINK(0)", "Chicago Warehouse", "1", "ea", "CHI"]


# --- item page ---------------------------------------------------------------------------------

def test_item_page_shows_stock_by_location_with_lots(signed_in, ldr_worked_example):
    response = signed_in.get(ITEM_PAGE)
    assert "LDR-4.1 Lidar unit 4.1 On hand: 300 ea" in text(response)
    chicago_section, milwaukee_section = texts(response, "section", class_="location-stock")
    assert chicago_section.startswith("Chicago Warehouse CHI 155 ea")
    assert "0002 155 ea unknown unknown Acme Sensors" in chicago_section and "0001" not in chicago_section
    assert milwaukee_section.startswith("Milwaukee Operations Center MKE 145 ea")
    assert "0001 100 ea" in milwaukee_section and "0002 45 ea" in milwaukee_section
    for tab in ('href="/items/LDR-4.1/history/"', 'href="/items/LDR-4.1/batches/"'):
        assert tab in html_of(response)


def test_item_page_toggles_empty_lots_and_rows(signed_in, item, ldr_worked_example, chicago, milwaukee, manager):
    transfer_create(item=item, source=milwaukee, destination=chicago, quantity="145", user=manager)
    assert [section.split()[0] for section in texts(signed_in.get(ITEM_PAGE), "section")] == ["Chicago"]
    response = signed_in.get(ITEM_PAGE, {"include_empty": "true", "show_empty": "true"})
    chicago_section, milwaukee_section = texts(response, "section")
    assert "0001 0 ea" in milwaukee_section and "0002 0 ea" in milwaukee_section


def test_item_page_finds_the_sku_in_any_case(signed_in, ldr_worked_example):
    assert "On hand: 300 ea" in text(signed_in.get("/items/ldr-4.1/"))


def test_skus_with_dots_dashes_and_underscores_work_in_the_address(signed_in, chicago, supplier, operator):
    odd = ItemFactory(sku="A.b-C_1.2", name="Odd one")
    receive(odd, chicago, "3", supplier=supplier, user=operator)
    response = signed_in.get("/items/A.b-C_1.2/")
    assert "On hand: 3 ea" in text(response)
    assert 'href="/transfers/new/?sku=A.b-C_1.2&amp;location=CHI"' in html_of(response)


def test_an_unknown_sku_is_404(signed_in, ldr_worked_example):
    response = signed_in.get("/items/NOPE-1/")
    assert response.status_code == 404
    assert "Not found" in text(response)


def test_an_item_without_stock_says_so(signed_in, item):
    assert "LDR-4.1 is not in stock anywhere." in text(signed_in.get(ITEM_PAGE))


def test_an_inactive_item_is_flagged(signed_in, item, ldr_worked_example):
    Item.objects.filter(pk=item.pk).update(is_active=False)
    assert "This item is inactive" in text(signed_in.get(ITEM_PAGE))


# --- bounded queries -----------------------------------------------------------------------------

def stock_many(count, *, supplier, user, one_location, two_batches=True):
    """``count`` items (by-item view) or ``count`` locations (by-location view), each row
    with two lots."""
    locations = [one_location] * count if one_location else [LocationFactory() for _ in range(count)]
    items = [ItemFactory() for _ in range(count)] if one_location else [ItemFactory()] * count
    for item, location in zip(items, locations):
        receive(item, location, "5", supplier=supplier, user=user)
        if two_batches:
            receive(item, location, "7", supplier=supplier, user=user)


@pytest.mark.parametrize("count", [1, 50])
@pytest.mark.parametrize("view", ["item", "location"])
def test_inventory_page_runs_a_fixed_number_of_queries(
    signed_in, chicago, supplier, operator, django_assert_max_num_queries, count, view
):
    stock_many(count, supplier=supplier, user=operator, one_location=chicago if view == "item" else None)
    with django_assert_max_num_queries(10):
        response = signed_in.get(INVENTORY, {"view": view, "show_empty": "true"})
    groups = group_texts(response)
    assert len(groups) == count
    assert all("12 ea" in group for group in groups)


@pytest.mark.parametrize("count", [1, 50])
def test_item_page_runs_a_fixed_number_of_queries(signed_in, supplier, operator, django_assert_max_num_queries, count):
    stock_many(count, supplier=supplier, user=operator, one_location=None)
    sku = Item.objects.get().sku
    with django_assert_max_num_queries(8):
        response = signed_in.get(f"/items/{sku}/")
    assert len(texts(response, "section")) == count


@pytest.mark.parametrize("count", [1, 50])
def test_export_runs_a_fixed_number_of_queries(
    signed_in, chicago, supplier, operator, django_assert_max_num_queries, count
):
    stock_many(count, supplier=supplier, user=operator, one_location=chicago, two_batches=False)
    with django_assert_max_num_queries(5):
        rows = csv_rows(signed_in.get(EXPORT))
    assert len(rows) == count + 1
    assert {row[3] for row in rows[1:]} == {"5"}


def test_quantities_sum_exactly(signed_in, chicago, supplier, operator):
    bolt = ItemFactory(sku="BLT", unit="kg", fractional=True)
    for quantity in ("0.1", "0.2", "0.005"):
        receive(bolt, chicago, quantity, supplier=supplier, user=operator)
    [group] = group_texts(signed_in.get(INVENTORY))
    assert "0.305 kg" in group
    assert csv_rows(signed_in.get(EXPORT))[1][3] == str(Decimal("0.305"))


def test_lots_show_their_unit_cost_and_value_and_an_unknown_cost_says_so(signed_in, item, chicago, milwaukee,
                                                                        supplier, operator):
    """Issue 11: lots are shown with their values — the worked example at 10.00 and 12.50, and
    a third batch whose cost is still unknown."""
    receive(item, chicago, "100", supplier=supplier, user=operator, po_number="PO-1001", unit_cost="10.00")
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="25", user=operator)
    receive(item, chicago, "200", supplier=supplier, user=operator, po_number="PO-1002", unit_cost="12.50")
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="120", user=operator)
    receive(item, milwaukee, "3", supplier=supplier, user=operator, po_number="PO-1003")

    page = signed_in.get(ITEM_PAGE)
    assert texts(page, "table", class_="lots")[0].startswith(
        "Lots of LDR-4.1 at Chicago Warehouse Batch Quantity Unit cost (USD) Value (USD) Supplier")
    rows = [row.split(" ")[:4] for row in texts(page, "tr") if row.startswith("000")]
    assert rows == [
        ["0002", "155", "ea", "12.5000"],  # Chicago
        ["0001", "100", "ea", "10.0000"],  # Milwaukee, oldest first
        ["0002", "45", "ea", "12.5000"],
        ["0003", "3", "ea", "unknown"],
    ]
    values = [row.split(" ")[4] for row in texts(page, "tr") if row.startswith("000")]
    assert values == ["1,937.50", "1,000.00", "562.50", "unknown"]
