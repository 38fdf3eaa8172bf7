"""Input no form or client should send, and that must still never be a 500 (found by review:
NUL bytes, which PostgreSQL refuses in queries, and dates at the end of the calendar)."""

import pytest

from hardfin.errors import UnknownObject
from inventory.models import Item
from inventory.services import resolve


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
    ],
)
def test_admin_lists_with_hostile_filters_answer(client, superuser, path, query):
    client.force_login(superuser)
    assert client.get(path, query).status_code == 200


def test_resolving_a_key_with_a_nul_byte_is_unknown(item):
    with pytest.raises(UnknownObject):
        resolve(Item, "LDR\x00-4.1", field="sku")
