"""The ledger (/api/movements/), read-only; batch traces; shortfalls; adjustment reasons."""

from datetime import datetime, timedelta, timezone

import pytest

from lots.models import Batch
from movements.models import Movement
from movements.services import (
    Line,
    adjustment_create,
    build_create,
    receipt_create,
    transfer_create,
)
from tests.api_support import api  # noqa: F401  (fixture)
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import snapshot
from tests.stock import receive, worked_example

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def ledger(item, chicago, milwaukee, supplier, operator, manager):
    """The worked example at minutes 0, 10, 20, 30 (the transfer of 25 for WO-1), then a
    damaged unit at Milwaukee (40)."""
    worked_example(item, chicago, milwaukee, supplier=supplier, user=operator,
                   occurred_at=[at(0), at(10), at(20), at(30)], first_transfer_reference="WO-1")
    adjustment_create(item=item, location=milwaukee, direction="down", quantity="1", reason="damaged",
                      user=manager, occurred_at=at(40))


def kinds(response):
    return [(m["kind"], m["quantity"]) for m in response.json()["results"]]


def test_ledger_oldest_first_or_newest_first(api, operator, ledger):
    client = api(operator)

    assert kinds(client.get("/api/movements/")) == [
        ("receipt", "100"), ("transfer", "25"), ("receipt", "200"), ("transfer", "120"), ("adjustment", "1")]
    assert kinds(client.get("/api/movements/", {"ordering": "-occurred_at"})) == [
        ("adjustment", "1"), ("transfer", "120"), ("receipt", "200"), ("transfer", "25"), ("receipt", "100")]
    assert kinds(client.get("/api/movements/", {"ordering": "user__password"})) == kinds(client.get("/api/movements/"))


def test_movement_fields(api, operator, ledger):
    adjustment = api(operator).get("/api/movements/", {"kind": "adjustment"}).json()["results"][0]

    assert {key: adjustment[key] for key in adjustment if key != "id"} == {
        "kind": "adjustment", "occurred_at": "2025-03-01T09:40:00Z", "sku": "LDR-4.1", "quantity": "1",
        "from_location": "MKE", "to_location": None, "direction": "down", "reference": "damaged",
        "reason": "damaged", "supplier": None, "shipment_number": "", "note": "", "user": "manny",
        "lines": [{"batch": "0001", "from_location": "MKE", "to_location": None, "quantity": "1"}],
    }
    assert api(operator).get(f"/api/movements/{adjustment['id']}/").json() == adjustment


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"item": "ldr-4.1"}, 5),
        ({"item": "NOPE"}, 0),
        ({"location": "mke"}, 3),
        ({"location": "NOWHERE"}, 0),
        ({"kind": "transfer"}, 2),
        ({"kind": "receipt, adjustment"}, 3),
        ({"kind": "teleport"}, 0),
        ({"since": "2025-03-01T09:10:00Z"}, 4),
        ({"until": "2025-03-01T09:10:00Z"}, 1),
        ({"since": "2025-03-01T09:10:00Z", "until": "2025-03-01T09:30:00+00:00"}, 2),
        # Offsets PostgreSQL does not take, and times whose UTC form leaves years 1-9999.
        ({"since": "2025-03-01T00:00:00-16:49"}, 0),
        ({"until": "2025-03-01T00:00:00+16:49"}, 0),
        ({"since": "0001-01-01T00:00:00+16:00"}, 5),
        ({"until": "9999-12-31T23:59:59-16:00"}, 5),
        ({"reference": "po-1002"}, 1),
        ({"reference": "WO-1"}, 1),
    ],
)
def test_ledger_filters(api, operator, ledger, params, expected):
    response = api(operator).get("/api/movements/", params)

    assert response.status_code == 200
    assert len(response.json()["results"]) == expected


def test_a_malformed_time_is_a_400(api, operator, ledger):
    response = api(operator).get("/api/movements/", {"since": "last tuesday"})

    assert response.status_code == 400
    assert response.json() == {"since": ["Enter a valid date/time."], "detail": "since: Enter a valid date/time."}


def test_ledger_pages_with_a_cursor(api, operator, ledger):
    client = api(operator)
    first = client.get("/api/movements/", {"page_size": 2}).json()

    assert set(first) == {"next", "previous", "results"}
    assert kinds(client.get(first["next"])) == [("receipt", "200"), ("transfer", "120")]
    assert client.get("/api/movements/", {"cursor": "garbage"}).status_code == 404


def test_cursor_never_skips_movements_that_share_a_time(api, operator, item, chicago, supplier):
    items = [ItemFactory() for _ in range(5)]
    receipt_create(supplier=supplier, location=chicago, po_number="PO-SAME", lines=[Line(i, "1") for i in items],
                   user=operator, occurred_at=at(0))
    client = api(operator)

    for ordering in ("occurred_at", "-occurred_at"):
        seen, url = [], "/api/movements/?page_size=2&ordering=" + ordering
        while url:
            page = client.get(url).json()
            seen += [m["id"] for m in page["results"]]
            url = page["next"]
        expected = sorted(Movement.objects.values_list("id", flat=True), reverse=ordering.startswith("-"))
        assert seen == expected


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_ledger_cannot_be_changed(api, manager, ledger, method):
    movement = Movement.objects.first()
    before = snapshot()

    response = getattr(api(manager), method)(f"/api/movements/{movement.pk}/", {"quantity": "1"})

    assert response.status_code == 405
    assert response.json()["detail"] == f'Method "{method.upper()}" not allowed.'
    assert snapshot() == before


def test_movements_cannot_be_posted_to_the_ledger(api, manager, ledger):
    assert api(manager).post("/api/movements/", {"kind": "receipt"}).status_code == 405


def test_batch_trace_says_where_its_units_went(api, operator, ledger):
    batch = Batch.objects.get(number=1)

    response = api(operator).get(f"/api/batches/{batch.pk}/trace/")

    assert response.status_code == 200
    assert [(line["kind"], line["from_location"], line["to_location"], line["quantity"], line["user"])
            for line in response.json()["results"]] == [
        ("receipt", None, "CHI", "100", "olivia"),
        ("transfer", "CHI", "MKE", "25", "olivia"),
        ("transfer", "CHI", "MKE", "75", "olivia"),
        ("adjustment", "MKE", None, "1", "manny"),
    ]
    first = response.json()["results"][0]
    assert (first["sku"], first["batch"], first["reference"], first["occurred_at"]) == (
        "LDR-4.1", "0001", "PO-1001", "2025-03-01T09:00:00Z")
    assert api(operator).get("/api/batches/999999/trace/").status_code == 404


def test_adjustment_reasons(api, accountant):
    response = api(accountant).get("/api/adjustment-reasons/")

    assert [(r["code"], r["requires_note"]) for r in response.json()["results"]] == [
        ("count_correction", False), ("damaged", False), ("expired", False), ("found", False), ("lost", False),
        ("other", True)]
    assert response.json()["results"][1] == {"code": "damaged", "label": "Damaged", "requires_note": False}


def test_shortfalls_filters(api, operator, item, chicago, milwaukee):
    build_create(location=chicago, reference="B-1", lines=[Line(item, "4")], user=operator, allow_shortfall=True)
    build_create(location=milwaukee, reference="B-2", lines=[Line(item, "2")], user=operator, allow_shortfall=True)
    client = api(operator)

    def references(**params):
        return [s["reference"] for s in client.get("/api/shortfalls/", params).json()["results"]]

    assert references() == ["B-1", "B-2"]
    assert references(location="mke") == ["B-2"]
    assert references(item="LDR-4.1", open="true") == ["B-1", "B-2"]
    assert references(open="false") == []
    assert references(item="NOPE") == []
    row = client.get("/api/shortfalls/", {"location": "CHI"}).json()["results"][0]
    assert {key: row[key] for key in ("sku", "location", "quantity", "outstanding", "settled_at")} == {
        "sku": "LDR-4.1", "location": "CHI", "quantity": "4", "outstanding": "4", "settled_at": None}


def grow_ledger(count: int, operator, supplier):
    """``count`` receipts of two lines, a transfer, an adjustment and a shortfall each."""
    source, destination = LocationFactory(), LocationFactory()
    for index in range(count):
        first, second = ItemFactory(), ItemFactory()
        receipt_create(supplier=supplier, location=source, po_number=f"PO-{index}",
                       lines=[Line(first, "5"), Line(first, "5"), Line(second, "1")], user=operator)
        transfer_create(item=first, source=source, destination=destination, quantity="7", user=operator)
        build_create(location=destination, reference=f"B-{index}", lines=[Line(second, "2")], user=operator,
                     allow_shortfall=True)


@pytest.mark.parametrize(
    "path", ["/api/movements/", "/api/shortfalls/", "/api/adjustment-reasons/", "/api/batches/{batch}/trace/"],
)
def test_list_queries_do_not_grow_with_rows(api, operator, supplier, path, django_assert_max_num_queries):
    client = api(operator)
    grow_ledger(1, operator, supplier)
    url = path.format(batch=Batch.objects.order_by("id").first().pk)
    with django_assert_max_num_queries(6):
        one = client.get(url)
    grow_ledger(30, operator, supplier)
    with django_assert_max_num_queries(6):
        many = client.get(url)

    assert one.status_code == many.status_code == 200
    if "reasons" not in path and "trace" not in path:
        assert len(many.json()["results"]) > len(one.json()["results"])


def test_trace_queries_do_not_grow_with_lines(api, operator, manager, item, chicago, milwaukee, supplier,
                                              django_assert_max_num_queries):
    receive(item, chicago, "100", supplier=supplier, user=operator)
    batch = Batch.objects.get()
    client = api(operator)
    with django_assert_max_num_queries(6):
        assert len(client.get(f"/api/batches/{batch.pk}/trace/").json()["results"]) == 1
    for _ in range(30):
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity="1", user=operator)
        transfer_create(item=item, source=milwaukee, destination=chicago, quantity="1", user=operator)
    with django_assert_max_num_queries(6):
        assert len(client.get(f"/api/batches/{batch.pk}/trace/").json()["results"]) == 50
