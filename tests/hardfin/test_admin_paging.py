"""Issue 9: the admin's lists over tables that grow with history (items, stock levels, lots,
batches, the ledger) cost what they show, not what is behind them.

Counts stop at ``BoundedCountPaginator.EXACT_LIMIT`` rows; past it, on PostgreSQL, the page
gives the planner's estimate and says "about"; SQLite (the embedded default) counts exactly.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hardfin.admin import BoundedCountPaginator
from inventory.models import Item, StockLevel
from lots.models import Batch, Lot
from movements.models import Movement
from tests.admin_support import admin_url, signed_in, superuser  # noqa: F401  (superuser is a fixture)
from tests.factories import ItemFactory
from tests.test_bounded_lists import LARGE, SMALL, stock

LISTS = [Item, StockLevel, Lot, Batch, Movement]


def queries_of(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db
@pytest.mark.parametrize("model", LISTS, ids=lambda model: model._meta.model_name)
def test_admin_lists_run_the_same_queries_at_1_and_1000_rows(superuser, supplier, model):  # noqa: F811
    client = signed_in(superuser)
    url = admin_url(model)
    stock(superuser, supplier, items=SMALL, locations=SMALL)
    small = queries_of(client, url)
    stock(superuser, supplier, items=LARGE, locations=LARGE, first=SMALL)
    large = queries_of(client, url)
    assert len(large) == len(small)


@pytest.mark.django_db
@pytest.mark.parametrize("model", LISTS, ids=lambda model: model._meta.model_name)
def test_past_the_exact_limit_no_count_reads_the_whole_list(superuser, supplier, model, monkeypatch):  # noqa: F811
    monkeypatch.setattr(BoundedCountPaginator, "EXACT_LIMIT", 100)
    stock(superuser, supplier, items=300, locations=1)
    client = signed_in(superuser)

    sql = queries_of(client, admin_url(model))
    response = client.get(admin_url(model))
    paginator = response.context["cl"].paginator
    counts = [query for query in sql if re.search(r"\bCOUNT\(", query)]

    if connection.vendor == "postgresql":
        assert counts and all("LIMIT 101" in query for query in counts), counts
        assert paginator.estimated and paginator.count >= 101
        assert f"about {paginator.count:,} {model._meta.verbose_name_plural}" in response.content.decode()
        assert "(estimated: more than 100)" in response.content.decode()
    else:
        # Counted exactly: one bounded count, then the exact one past the limit.
        exact = model.objects.exclude(**({"quantity": 0} if model in (StockLevel, Lot) else {})).count()
        assert not paginator.estimated and paginator.count == exact
        assert f"{exact} {model._meta.verbose_name_plural}" in response.content.decode()


@pytest.mark.django_db
def test_under_the_limit_the_count_is_exact_everywhere(superuser, supplier):  # noqa: F811
    stock(superuser, supplier, items=30, locations=1)
    response = signed_in(superuser).get(admin_url(StockLevel))
    assert not response.context["cl"].paginator.estimated
    paginator = re.search(r'<p class="paginator">(.*?)</p>', response.content.decode(), re.S).group(1)
    assert " ".join(paginator.split()) == "31 stock levels"


@pytest.mark.django_db
@pytest.mark.postgres
def test_with_an_estimate_a_page_past_the_real_end_is_empty_not_an_error(superuser, supplier, monkeypatch):  # noqa: F811
    monkeypatch.setattr(BoundedCountPaginator, "EXACT_LIMIT", 10)
    stock(superuser, supplier, items=30, locations=1)
    client = signed_in(superuser)

    response = client.get(admin_url(StockLevel) + "?p=500")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert client.get(admin_url(StockLevel) + "?p=2").context["cl"].result_list.count() == 0  # 31 rows: one page
    # Past any offset a database takes: the admin's "invalid page" redirect, not an error.
    response = client.get(admin_url(StockLevel) + "?p=2432902008176640001")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@pytest.mark.django_db
def test_the_unit_filter_offers_the_units_in_use_and_filters_by_them(superuser):  # noqa: F811
    ItemFactory(sku="M-1", unit="m")
    ItemFactory(sku="KG-1", unit="kg")
    ItemFactory(sku="KG-2", unit="kg")
    client = signed_in(superuser)

    response = client.get(admin_url(Item))
    unit_filter = next(spec for spec in response.context["cl"].filter_specs if spec.title == "unit")
    assert [choice["display"] for choice in unit_filter.choices(response.context["cl"])] == ["All", "kg", "m"]

    response = client.get(admin_url(Item) + "?unit=kg")
    assert sorted(item.sku for item in response.context["cl"].result_list) == ["KG-1", "KG-2"]
