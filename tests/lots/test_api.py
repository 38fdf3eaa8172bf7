"""/api/lots/ and /api/batches/: FIFO order, empty lots, filters, what is left of a batch."""

import pytest

from lots.models import Lot
from movements.services import adjustment_create
from tests.api_support import api  # noqa: F401  (api is a fixture)
from tests.factories import ItemFactory, LocationFactory
from tests.stock import receive


@pytest.fixture
def history(ldr_worked_example, item, milwaukee, manager):
    """The worked example, then 5 found at Milwaukee (batch 0003, an adjustment)."""
    adjustment_create(item=item, location=milwaukee, direction="up", quantity="5", reason="found", user=manager)


def lots(response):
    return [(lot["location"], lot["batch"], lot["quantity"]) for lot in response.json()["results"]]


def test_lots_in_fifo_order_with_their_batch(api, operator, history):
    response = api(operator).get("/api/lots/")

    assert lots(response) == [("CHI", "0002", "155"), ("MKE", "0001", "100"), ("MKE", "0002", "45"),
                              ("MKE", "0003", "5")]
    first = response.json()["results"][1]
    assert {key: first[key] for key in first if key not in ("id", "received_at")} == {
        "sku": "LDR-4.1", "batch": "0001", "location": "MKE", "quantity": "100", "supplier": "ACME",
        "origin": "receipt", "reference": "PO-1001"}
    found = response.json()["results"][3]
    assert (found["origin"], found["reference"], found["supplier"]) == ("adjustment", "found", None)


def test_empty_lots_only_when_asked(api, operator, history):
    client = api(operator)

    assert lots(client.get("/api/lots/", {"location": "chi"})) == [("CHI", "0002", "155")]
    assert lots(client.get("/api/lots/", {"location": "CHI", "show_empty": "true"})) == [
        ("CHI", "0001", "0"), ("CHI", "0002", "155")]
    empty = Lot.objects.get(location__code="CHI", batch__number=1)
    assert client.get(f"/api/lots/{empty.pk}/").json()["quantity"] == "0"


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"batch": "0001"}, [("MKE", "0001", "100")]),
        ({"batch": "2"}, [("CHI", "0002", "155"), ("MKE", "0002", "45")]),
        ({"batch": "abc"}, []),
        ({"batch": "²"}, []),
        ({"batch": "99999999999999999999999"}, []),
        ({"item": "NOPE"}, []),
        ({"location": "NOWHERE"}, []),
        ({"show_empty": "not-a-boolean"}, []),
        ({"show_empty": "TRUE"}, [("CHI", "0001", "0"), ("CHI", "0002", "155"), ("MKE", "0001", "100"),
                                  ("MKE", "0002", "45"), ("MKE", "0003", "5")]),
        ({"show_empty": ""}, [("CHI", "0002", "155"), ("MKE", "0001", "100"), ("MKE", "0002", "45"),
                              ("MKE", "0003", "5")]),
    ],
)
def test_lot_filters_never_fail(api, operator, history, params, expected):
    response = api(operator).get("/api/lots/", params)

    assert response.status_code == 200
    assert lots(response) == expected


def test_batches_with_what_is_left(api, operator, history):
    response = api(operator).get("/api/batches/", {"item": "ldr-4.1"})

    assert response.status_code == 200
    batches = response.json()["results"]
    assert [(b["number"], b["origin"], b["supplier"], b["reference"], b["initial_quantity"], b["on_hand"])
            for b in batches] == [
        ("0001", "receipt", "ACME", "PO-1001", "100", "100"),
        ("0002", "receipt", "ACME", "PO-1002", "200", "200"),
        ("0003", "adjustment", None, "found", "5", "5"),
    ]
    assert set(batches[0]) == {"id", "sku", "number", "origin", "supplier", "reference", "po_number",
                               "shipment_number", "received_at", "initial_quantity", "on_hand"}
    detail = api(operator).get(f"/api/batches/{batches[1]['id']}/", {"item": "OTHER"}).json()
    assert (detail["number"], detail["on_hand"]) == ("0002", "200")


@pytest.mark.parametrize("path", ["/api/batches/999999/", "/api/batches/99999999999999999999999/",
                                  "/api/lots/99999999999999999999999/", "/api/batches/abc/"])
def test_unknown_ids_are_404(api, operator, path):
    response = api(operator).get(path)

    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/lots/", "/api/batches/"])
def test_list_queries_do_not_grow_with_rows(api, operator, supplier, path, django_assert_max_num_queries):
    client = api(operator)

    def add_lots(count):
        location = LocationFactory()
        for _ in range(count):
            receive(ItemFactory(), location, "3", supplier=supplier, user=operator)

    add_lots(1)
    with django_assert_max_num_queries(5):
        one = client.get(path)
    add_lots(60)
    with django_assert_max_num_queries(5):
        many = client.get(path)
    assert (len(one.json()["results"]), len(many.json()["results"])) == (1, 50)
