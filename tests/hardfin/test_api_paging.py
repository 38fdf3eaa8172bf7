"""The numbered API lists (items, locations, …) count at most what 10,000 rows cost (issue 9):
a first page that is not full is its own count, and past the limit `count` is left out (API.md
allows it) while `next` still leads on."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hardfin.api.pagination import BoundedCountPaginator
from tests.api_support import api  # noqa: F401  (api is a fixture)
from tests.factories import ItemFactory


@pytest.fixture
def items(db):
    return [ItemFactory(sku=f"P-{n:02d}") for n in range(5)]


def counts(queries) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"]]


def test_a_first_page_that_is_not_full_is_its_own_count(api, items, operator):
    with CaptureQueriesContext(connection) as queries:
        body = api(operator).get("/api/items/").json()
    assert body["count"] == 5 and len(body["results"]) == 5 and body["next"] is None
    assert counts(queries) == []


def test_a_full_page_counts_at_most_the_limit_plus_one(api, items, operator, monkeypatch):
    monkeypatch.setattr(BoundedCountPaginator, "EXACT_LIMIT", 10)
    with CaptureQueriesContext(connection) as queries:
        body = api(operator).get("/api/items/?page_size=2").json()
    assert body["count"] == 5
    assert [sku["sku"] for sku in body["results"]] == ["P-00", "P-01"]
    [count] = counts(queries)
    assert "LIMIT 11" in count


def test_past_the_limit_the_count_is_left_out_and_the_pages_still_lead_on(api, items, operator, monkeypatch):
    monkeypatch.setattr(BoundedCountPaginator, "EXACT_LIMIT", 3)
    client = api(operator)
    first = client.get("/api/items/?page_size=2").json()
    assert "count" not in first and first["previous"] is None
    seen = [row["sku"] for row in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        assert "count" not in page
        seen += [row["sku"] for row in page["results"]]
    assert seen == [f"P-{n:02d}" for n in range(5)]
    assert page["previous"] and len(page["results"]) == 1


def test_a_page_past_the_end_is_still_a_404(api, items, operator, monkeypatch):
    client = api(operator)
    assert client.get("/api/items/?page_size=2&page=3").status_code == 200
    response = client.get("/api/items/?page_size=2&page=4")
    assert response.status_code == 404 and response.json()["detail"] == "Invalid page."
    assert client.get("/api/items/?page=2432902008176640001").status_code == 404
    monkeypatch.setattr(BoundedCountPaginator, "EXACT_LIMIT", 3)
    assert client.get("/api/items/?page_size=2&page=4").status_code == 404
    # Past any offset a database takes: still a 404, not an error.
    assert client.get("/api/items/?page_size=118334&page=2432902008176640001").status_code == 404
    assert client.get("/api/items/?page=0").status_code == 404
    assert client.get("/api/items/?page=x").status_code == 404
