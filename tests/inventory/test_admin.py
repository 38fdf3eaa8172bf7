"""The back office for the catalog: who may enter, service-backed writes, and stock levels."""

import pytest
from django.contrib.admin.models import LogEntry

from inventory.models import Item, Location, StockLevel, Supplier
from movements.services import transfer_create
from tests.admin_support import admin_url, messages_of, signed_in, superuser  # noqa: F401
from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory
from tests.helpers import snapshot
from tests.stock import receive

# --- who may enter ------------------------------------------------------------------------------

PAGES = {
    "index": lambda: "/admin/",
    "item list": lambda: admin_url(Item),
    "item add": lambda: admin_url(Item, "add"),
    "item import": lambda: admin_url(Item, "import"),
    "item export": lambda: admin_url(Item, "export"),
    "stock levels": lambda: admin_url(StockLevel),
}

# What each role gets for each page: 200 (allowed), 403 (signed in, not allowed) or "login"
# (sent to the sign-in page: the admin is closed to them).
MATRIX = {
    "operator": {page: "login" for page in PAGES},
    "nobody": {page: "login" for page in PAGES},
    "anonymous": {page: "login" for page in PAGES},
    "manager": {page: 200 for page in PAGES},
    "accountant": {**{page: 200 for page in PAGES}, "item add": 403, "item import": 403},
    "superuser": {page: 200 for page in PAGES},
}


@pytest.mark.parametrize("role", MATRIX)
def test_admin_permission_matrix(role, request, db):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = signed_in(user)
    for page, expected in MATRIX[role].items():
        response = client.get(PAGES[page]())
        if expected == "login":
            assert response.status_code == 302, page
            assert response["Location"].startswith("/admin/login/"), page
        else:
            assert response.status_code == expected, (role, page)


def test_operators_are_refused_even_with_the_staff_flag(db):
    operator = UserFactory(username="staffop", groups=["Operators"], is_staff=True)
    response = signed_in(operator).get("/admin/")
    assert response.status_code == 302


@pytest.mark.parametrize(("role", "admitted"), [("manager", True), ("accountant", True), ("operator", False)])
def test_admin_sign_in_goes_by_group_not_staff_flag(role, admitted, request, client, db):
    user = request.getfixturevalue(role)
    assert not user.is_staff
    response = client.post("/admin/login/?next=/admin/", {"username": user.username, "password": "correct-horse-battery"})
    if admitted:
        assert response.status_code == 302 and response["Location"] == "/admin/"
    else:
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()


def test_inactive_manager_is_refused(manager):
    manager.is_active = False
    manager.save()
    assert signed_in(manager).get("/admin/").status_code == 302


def test_accountant_sees_the_catalog_read_only(accountant, item):
    client = signed_in(accountant)
    page = client.get(admin_url(Item, "change", item.pk))
    assert page.status_code == 200
    assert "Save" not in page.content.decode()
    response = client.post(admin_url(Item, "change", item.pk), {"name": "Renamed"})
    assert response.status_code == 403
    assert client.post(admin_url(Item, "delete", item.pk), {"post": "yes"}).status_code == 403
    item.refresh_from_db()
    assert item.name == "Lidar unit 4.1"
    listing = client.get(admin_url(Item)).content.decode()
    assert "Import" not in listing and "Export" in listing


# --- catalog writes go through the services ---------------------------------------------------

def test_manager_adds_an_item(manager):
    response = signed_in(manager).post(
        admin_url(Item, "add"),
        {"sku": " CBL-7 ", "name": "Cable 7 m", "description": "", "unit": "m", "fractional": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    item = Item.objects.get()
    assert (item.sku, item.name, item.unit, item.fractional) == ("CBL-7", "Cable 7 m", "m", True)
    assert LogEntry.objects.get().object_repr == str(item)


def test_duplicate_sku_ignoring_case_is_a_field_error(manager, item):
    response = signed_in(manager).post(
        admin_url(Item, "add"), {"sku": "ldr-4.1", "name": "Clash", "unit": "ea", "is_active": "on"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"sku": ["Item with SKU 'ldr-4.1' already exists."]}
    assert Item.objects.count() == 1
    assert not LogEntry.objects.exists()


def test_bad_sku_characters_are_a_field_error(manager):
    response = signed_in(manager).post(admin_url(Item, "add"), {"sku": "LDR 4", "name": "Spaces", "unit": "ea"})
    assert response.status_code == 200
    assert "no spaces" in response.context["adminform"].form.errors["sku"][0]
    assert not Item.objects.exists()


def test_manager_changes_an_item_but_never_its_sku(manager, item):
    client = signed_in(manager)
    response = client.post(
        admin_url(Item, "change", item.pk),
        {"sku": "NEW-SKU", "name": "Lidar unit 4.1 (rev B)", "description": "", "unit": "ea", "is_active": "on"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.sku, item.name) == ("LDR-4.1", "Lidar unit 4.1 (rev B)")


def test_blank_name_on_change_is_a_field_error(manager, item):
    response = signed_in(manager).post(
        admin_url(Item, "change", item.pk), {"name": "", "description": "", "unit": "ea", "is_active": "on"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
    item.refresh_from_db()
    assert item.name == "Lidar unit 4.1"


def test_unticking_fractional_while_fractions_are_in_stock_is_a_field_error(manager, chicago, supplier):
    cable = ItemFactory(sku="CBL-7", name="Cable", unit="m", fractional=True)
    receive(cable, chicago, "2.5", supplier=supplier, user=manager)
    before = snapshot()

    response = signed_in(manager).post(
        admin_url(Item, "change", cable.pk), {"name": "Cable", "description": "", "unit": "m", "is_active": "on"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"fractional": [
        "CBL-7 still has fractional quantities in stock; move or adjust them to whole units before making it "
        "a whole-unit item."]}
    cable.refresh_from_db()
    assert cable.fractional is True
    assert snapshot() == before
    assert not LogEntry.objects.exists()


def test_deleting_an_item_with_history_says_why_and_keeps_it(manager, item, chicago, supplier):
    receive(item, chicago, "10", supplier=supplier, user=manager)
    client = signed_in(manager)
    confirm = client.get(admin_url(Item, "delete", item.pk))
    assert confirm.status_code == 200
    before = snapshot()
    response = client.post(admin_url(Item, "delete", item.pk), {"post": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == admin_url(Item, "change", item.pk)
    assert messages_of(response) == ["Item LDR-4.1 has history and cannot be deleted; deactivate it instead."]
    assert Item.objects.filter(pk=item.pk).exists()
    assert snapshot() == before
    assert not LogEntry.objects.exists()


def test_deleting_an_unused_location_works(manager, chicago):
    response = signed_in(manager).post(admin_url(Location, "delete", chicago.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Location.objects.exists()


def test_deactivate_action_goes_through_the_service(manager, chicago, milwaukee):
    response = signed_in(manager).post(
        admin_url(Location), {"action": "deactivate", "_selected_action": [chicago.pk, milwaukee.pk]}, follow=True
    )
    assert messages_of(response) == ["2 locations marked inactive."]
    assert list(Location.objects.values_list("is_active", flat=True)) == [False, False]


def test_bulk_delete_is_not_offered(manager):
    response = signed_in(manager).get(admin_url(Item))
    assert "delete_selected" not in response.content.decode()


def test_supplier_code_clash_ignoring_case(manager, supplier):
    response = signed_in(manager).post(admin_url(Supplier, "add"), {"code": "acme", "name": "Other", "is_active": "on"})
    assert response.context["adminform"].form.errors == {"code": ["Supplier with code 'acme' already exists."]}
    assert Supplier.objects.count() == 1


# --- lists --------------------------------------------------------------------------------------

def test_item_list_shows_on_hand(manager, item, chicago, milwaukee, supplier):
    receive(item, chicago, "100", supplier=supplier, user=manager)
    receive(item, milwaukee, "45", supplier=supplier, user=manager)
    response = signed_in(manager).get(admin_url(Item))
    [row] = response.context["cl"].result_list
    assert row.on_hand == 145
    assert '<td class="field-on_hand">145</td>' in response.content.decode()


def test_item_search_and_filters(manager, item):
    ItemFactory(sku="CBL-7", name="Cable", is_active=False)
    client = signed_in(manager)
    assert [i.sku for i in client.get(admin_url(Item), {"q": "lidar"}).context["cl"].result_list] == ["LDR-4.1"]
    assert [i.sku for i in client.get(admin_url(Item), {"is_active__exact": "0"}).context["cl"].result_list] == ["CBL-7"]


@pytest.mark.parametrize("rows", [1, 100])
def test_item_list_queries_are_bounded(rows, manager, chicago, supplier, django_assert_max_num_queries):
    for _ in range(rows):
        receive(ItemFactory(), chicago, "5", supplier=supplier, user=manager)
    client = signed_in(manager)
    with django_assert_max_num_queries(12):
        response = client.get(admin_url(Item))
    assert response.context["cl"].result_count == rows


@pytest.mark.parametrize("factory", [LocationFactory, SupplierFactory])
@pytest.mark.parametrize("rows", [1, 100])
def test_location_and_supplier_lists_run_a_bounded_number_of_queries(factory, rows, manager,
                                                                     django_assert_max_num_queries):
    factory.create_batch(rows)
    client = signed_in(manager)
    with django_assert_max_num_queries(9):
        response = client.get(admin_url(factory._meta.model))
    assert response.context["cl"].result_count == rows


@pytest.mark.parametrize("rows", [1, 100])
def test_stock_level_list_queries_are_bounded(rows, manager, chicago, supplier, django_assert_max_num_queries):
    for _ in range(rows):
        receive(ItemFactory(), chicago, "5", supplier=supplier, user=manager)
    client = signed_in(manager)
    with django_assert_max_num_queries(12):
        response = client.get(admin_url(StockLevel))
    assert response.context["cl"].result_count == rows


# --- stock levels are read-only -----------------------------------------------------------------

def test_stock_levels_are_read_only_even_for_superusers(superuser, item, chicago, supplier):  # noqa: F811
    receive(item, chicago, "10", supplier=supplier, user=superuser)
    level = StockLevel.objects.get()
    client = signed_in(superuser)
    assert client.get(admin_url(StockLevel, "add")).status_code == 403
    assert client.post(admin_url(StockLevel, "change", level.pk), {"quantity": "99"}).status_code == 403
    assert client.get(admin_url(StockLevel, "delete", level.pk)).status_code == 403
    assert client.get(admin_url(StockLevel, "change", level.pk)).status_code == 200
    level.refresh_from_db()
    assert level.quantity == 10


def test_stock_levels_hide_rows_at_zero_unless_asked(manager, item, chicago, milwaukee, supplier):
    receive(item, chicago, "10", supplier=supplier, user=manager)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="10", user=manager)
    client = signed_in(manager)
    shown = client.get(admin_url(StockLevel)).context["cl"].result_list
    assert [(row.location.code, row.quantity) for row in shown] == [("MKE", 10)]
    everything = client.get(admin_url(StockLevel), {"show_empty": "1"}).context["cl"].result_list
    assert [(row.location.code, row.quantity) for row in everything] == [("CHI", 0), ("MKE", 10)]
    by_sku = client.get(admin_url(StockLevel), {"sku": "ldr-4.1", "show_empty": "1"}).context["cl"].result_list
    assert len(by_sku) == 2
    assert client.get(admin_url(StockLevel), {"sku": "NOPE"}).context["cl"].result_count == 0
