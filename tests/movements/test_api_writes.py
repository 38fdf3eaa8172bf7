"""POST /api/transfers/, /adjustments/, /receipts/, /builds/, /replacements/: what they
record, and every error API.md lists — each answered with its status and JSON body, with
nothing recorded."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Item
from lots.models import Batch
from movements.models import Movement
from tests.api_support import api, post_raw  # noqa: F401  (api is a fixture)
from tests.helpers import level, lots_at, snapshot
from tests.stock import receive


def transfer_body(**changes):
    return {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "25", **changes}


def assert_refused(response, status_code, before, **fields):
    """The response has ``status_code``, a ``detail``, the given fields, and the database is
    exactly as it was."""
    body = response.json()
    assert response.status_code == status_code, body
    assert isinstance(body["detail"], str) and body["detail"]
    for field, expected in fields.items():
        assert body[field] == expected, body
    assert snapshot() == before


# --- transfers -------------------------------------------------------------------------------------

def test_transfer_answers_201_with_the_movement(api, operator, item, ldr_75_at_chicago, chicago, milwaukee):
    response = api(operator).post("/api/transfers/", transfer_body(note="for the van", reference="WO-7"))

    assert response.status_code == 201
    body = response.json()
    assert body["id"] == Movement.objects.get(kind="transfer").pk
    assert {key: body[key] for key in body if key not in ("id", "occurred_at")} == {
        "kind": "transfer", "sku": "LDR-4.1", "quantity": "25", "from_location": "CHI", "to_location": "MKE",
        "direction": None, "reference": "WO-7", "reason": None, "supplier": None, "shipment_number": "",
        "note": "for the van", "user": "olivia",
        "lines": [{"batch": "0001", "from_location": "CHI", "to_location": "MKE", "quantity": "25"}],
    }
    assert body["occurred_at"].endswith("Z")
    assert lots_at(item, chicago) == {"0001": Decimal("50")}
    assert lots_at(item, milwaukee) == {"0001": Decimal("25")}


def test_transfer_of_more_than_is_there_is_a_409_with_the_shortage(api, operator, ldr_75_at_chicago):
    before = snapshot()

    response = api(operator).post("/api/transfers/", transfer_body(quantity="120"))

    assert response.status_code == 409
    assert response.json() == {
        "code": "insufficient_stock",
        "detail": "Only 75 of LDR-4.1 available at CHI (120 requested).",
        "sku": "LDR-4.1",
        "location": "CHI",
        "requested": "120",
        "available": "75",
        "shortages": [{"sku": "LDR-4.1", "location": "CHI", "requested": "120", "available": "75"}],
    }
    assert snapshot() == before


@pytest.mark.parametrize(
    "quantity",
    [
        pytest.param(None, id="null"),
        pytest.param("0", id="zero"),
        pytest.param(0, id="zero-number"),
        pytest.param("-5", id="negative"),
        pytest.param("abc", id="not-a-number"),
        pytest.param("", id="empty"),
        pytest.param("NaN", id="nan-string"),
        pytest.param("Infinity", id="infinity-string"),
        pytest.param("1.2345", id="four-decimals"),
        pytest.param("1000000000000", id="thirteen-digits"),
        pytest.param("2.5", id="fraction-of-a-whole-unit-item"),
        pytest.param(True, id="boolean"),
        pytest.param([25], id="list"),
        pytest.param({"value": 25}, id="object"),
    ],
)
def test_transfer_quantity_must_be_a_valid_quantity(api, operator, ldr_75_at_chicago, quantity):
    before = snapshot()

    response = api(operator).post("/api/transfers/", transfer_body(quantity=quantity))

    assert_refused(response, 400, before)
    assert list(response.json()) == ["quantity", "detail"]
    assert response.json()["detail"].startswith("quantity: ")


def test_transfer_quantity_is_required(api, operator, ldr_75_at_chicago):
    before = snapshot()
    body = transfer_body()
    del body["quantity"]

    response = api(operator).post("/api/transfers/", body)

    assert_refused(response, 400, before, quantity=["This field is required."])


@pytest.mark.parametrize(
    "raw_quantity", ["NaN", "Infinity", "-Infinity", "1e400", "0.0001", "-1", "1.5"],
)
def test_transfer_quantity_as_a_bare_json_number_is_checked_too(api, operator, ldr_75_at_chicago, raw_quantity):
    before = snapshot()
    body = f'{{"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": {raw_quantity}}}'

    response = post_raw(api(operator), "/api/transfers/", body)

    assert_refused(response, 400, before)
    assert "quantity" in response.json()


def test_json_numbers_are_read_exactly_never_through_a_float(api, manager, cable, chicago, milwaukee, supplier):
    # 999999999999.999 has no exact binary float; read as a float it would round up to 10**12.
    client = api(manager)
    body = '{"supplier": "ACME", "location": "CHI", "po_number": "PO-9", ' \
           '"lines": [{"sku": "CBL-CAT6", "quantity": 999999999999.999}]}'
    assert post_raw(client, "/api/receipts/", body).status_code == 201

    for _ in range(3):
        response = post_raw(client, "/api/transfers/",
                            '{"sku": "CBL-CAT6", "from_location": "CHI", "to_location": "MKE", "quantity": 0.1}')
        assert response.status_code == 201
        assert response.json()["quantity"] == "0.1"

    assert level(cable, milwaukee) == Decimal("0.3")
    assert level(cable, chicago) == Decimal("999999999999.699")


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"sku": "NOPE-1"}, "sku", "No item 'NOPE-1'."),
        ({"from_location": "NOWHERE"}, "from_location", "No location 'NOWHERE'."),
        ({"to_location": "NOWHERE"}, "to_location", "No location 'NOWHERE'."),
        ({"to_location": "chi"}, "to_location", "Source and destination must be different locations."),
        ({"sku": ""}, "sku", "This field may not be blank."),
        ({"sku": ["LDR-4.1"]}, "sku", "Not a valid string."),
    ],
)
def test_transfer_refuses_unknown_objects_and_the_same_location(
    api, operator, ldr_75_at_chicago, changes, field, message
):
    before = snapshot()

    response = api(operator).post("/api/transfers/", transfer_body(**changes))

    assert_refused(response, 400, before, **{field: [message]})


@pytest.mark.parametrize("inactive", ["item", "chicago", "milwaukee"])
def test_inactive_items_and_locations_take_no_part_in_movements(api, operator, ldr_75_at_chicago, inactive, request):
    obj = request.getfixturevalue(inactive)
    obj.is_active = False
    obj.save()
    field = {"item": "sku", "chicago": "from_location", "milwaukee": "to_location"}[inactive]
    before = snapshot()

    response = api(operator).post("/api/transfers/", transfer_body())

    assert_refused(response, 400, before)
    assert "inactive" in response.json()[field][0]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{not json", id="malformed"),
        pytest.param('["sku", "LDR-4.1"]', id="a-list"),
        pytest.param('"LDR-4.1"', id="a-string"),
        pytest.param("[" * 100000 + "]" * 100000, id="absurdly-deep"),
        pytest.param(b'{"sku": "\xff"}', id="not-utf-8"),
    ],
)
def test_bodies_that_are_not_a_json_object_are_a_400(api, operator, ldr_75_at_chicago, body):
    before = snapshot()

    response = post_raw(api(operator), "/api/transfers/", body)

    assert_refused(response, 400, before)


def test_a_body_that_is_not_json_is_a_415(api, operator, ldr_75_at_chicago):
    before = snapshot()

    response = api(operator).post("/api/transfers/", "sku=LDR-4.1", content_type="application/x-www-form-urlencoded")

    assert_refused(response, 415, before)


def test_a_body_larger_than_the_upload_limit_is_a_413(api, operator, ldr_75_at_chicago, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = snapshot()

    response = api(operator).post("/api/transfers/", transfer_body(note="x" * 1000))

    assert_refused(response, 413, before, detail="The request body is too large.")
    assert api(operator).post("/api/transfers/", transfer_body(note="x" * 800)).status_code == 201


def test_transfer_query_count_does_not_grow_with_empty_lots(api, operator, item, chicago, milwaukee, supplier):
    def transfer_queries():
        receive(item, chicago, "1", supplier=supplier, user=operator)
        client = api(operator)
        with CaptureQueriesContext(connection) as queries:
            assert client.post("/api/transfers/", transfer_body(quantity="1")).status_code == 201
        return len(queries)

    transfer_queries()  # creates Milwaukee's stock level, which every later transfer finds
    first = transfer_queries()  # leaves one more empty lot at Chicago
    for _ in range(30):
        transfer_queries()
    assert Batch.objects.filter(item=item).count() == 32
    assert transfer_queries() == first


# --- adjustments -----------------------------------------------------------------------------------

def adjustment_body(**changes):
    return {"sku": "LDR-4.1", "location": "CHI", "direction": "down", "quantity": "5", "reason": "damaged",
            **changes}


def test_adjustment_down_consumes_the_oldest_batch(api, accountant, item, ldr_75_at_chicago, chicago):
    response = api(accountant).post("/api/adjustments/", adjustment_body())

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["direction"], body["reason"], body["from_location"], body["to_location"]) == (
        "adjustment", "down", "damaged", "CHI", None,
    )
    assert body["lines"] == [{"batch": "0001", "from_location": "CHI", "to_location": None, "quantity": "5"}]
    assert lots_at(item, chicago) == {"0001": Decimal("70")}


def test_adjustment_up_creates_a_new_batch(api, manager, ldr_75_at_chicago, chicago):
    response = api(manager).post("/api/adjustments/", adjustment_body(direction="up", reason="found", quantity=3))

    assert response.status_code == 201
    assert response.json()["lines"] == [{"batch": "0002", "from_location": None, "to_location": "CHI", "quantity": "3"}]
    lot = api(manager).get("/api/lots/", {"item": "LDR-4.1", "batch": "0002"}).json()["results"][0]
    assert (lot["origin"], lot["reference"], lot["supplier"], lot["quantity"]) == ("adjustment", "found", None, "3")


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"reason": None}, "reason", "This field may not be null."),
        ({"reason": "typo"}, "reason", "'typo' is not an adjustment reason; see /api/adjustment-reasons/."),
        ({"reason": "other"}, "note", "Explain the adjustment in the note when the reason is "
                                      "'Other (explain in the note)'."),
        ({"direction": "sideways"}, "direction", '"sideways" is not a valid choice.'),
        ({"location": "NOWHERE"}, "location", "No location 'NOWHERE'."),
    ],
)
def test_adjustment_refusals(api, manager, ldr_75_at_chicago, changes, field, message):
    before = snapshot()

    response = api(manager).post("/api/adjustments/", adjustment_body(**changes))

    assert_refused(response, 400, before, **{field: [message]})


def test_adjustment_without_a_reason_is_a_400(api, manager, ldr_75_at_chicago):
    before = snapshot()
    body = adjustment_body()
    del body["reason"]

    assert_refused(api(manager).post("/api/adjustments/", body), 400, before, reason=["This field is required."])


def test_adjustment_down_below_zero_is_a_409(api, manager, ldr_75_at_chicago):
    before = snapshot()

    response = api(manager).post("/api/adjustments/", adjustment_body(quantity="76"))

    assert_refused(response, 409, before, code="insufficient_stock", requested="76", available="75")


# --- receipts --------------------------------------------------------------------------------------

def receipt_body(*lines, **changes):
    return {"supplier": "ACME", "location": "CHI", "po_number": "PO-77", "shipment_number": "SHP-1",
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], **changes}


def test_receipt_creates_one_batch_per_line(api, operator, item, cable, chicago, supplier):
    response = api(operator).post("/api/receipts/", receipt_body(("LDR-4.1", "10"), ("cbl-cat6", "2.5")))

    assert response.status_code == 201
    body = response.json()
    assert (body["po_number"], body["shipment_number"], body["settlements"]) == ("PO-77", "SHP-1", [])
    assert [(m["kind"], m["sku"], m["quantity"], m["supplier"], m["reference"], m["to_location"], m["lines"])
            for m in body["movements"]] == [
        ("receipt", "LDR-4.1", "10", "ACME", "PO-77", "CHI",
         [{"batch": "0001", "from_location": None, "to_location": "CHI", "quantity": "10"}]),
        ("receipt", "CBL-CAT6", "2.5", "ACME", "PO-77", "CHI",
         [{"batch": "0001", "from_location": None, "to_location": "CHI", "quantity": "2.5"}]),
    ]
    assert lots_at(cable, chicago) == {"0001": Decimal("2.5")}


@pytest.mark.parametrize(
    "body, expected",
    [
        (receipt_body(), {"lines": ["Add at least one line."]}),
        (receipt_body(lines="LDR-4.1"), {"lines": ['Expected a list of items but got type "str".']}),
        (receipt_body(("LDR-4.1", "10"), ("LDR-4.1", "2.5")),
         {"lines": [{}, {"quantity": ["This item is counted in whole units (ea); send a whole number."]}]}),
        (receipt_body(("LDR-4.1", "10"), ("NOPE", "1"), ("LDR-4.1", "0")),
         {"lines": [{}, {"sku": ["No item 'NOPE'."]}, {"quantity": ["Quantity must be greater than zero."]}]}),
        (receipt_body(("LDR-4.1", "10"), supplier="NOBODY"), {"supplier": ["No supplier 'NOBODY'."]}),
        (receipt_body(("LDR-4.1", "10"), po_number=" "), {"po_number": ["This field may not be blank."]}),
    ],
)
def test_receipt_refusals_say_which_line(api, operator, item, chicago, supplier, body, expected):
    before = snapshot()

    response = api(operator).post("/api/receipts/", body)

    assert_refused(response, 400, before, **expected)


@pytest.mark.parametrize(
    "inactive, expected",
    [
        ("chicago", {"location": ["The location CHI is inactive and cannot take part in new movements."]}),
        ("supplier", {"supplier": ["The supplier ACME is inactive and cannot take part in new movements."]}),
        ("cable", {"lines": [{}, {"sku": ["The item CBL-CAT6 is inactive and cannot take part in new movements."]}]}),
    ],
)
def test_receipt_with_inactive_records_is_a_400(api, operator, item, cable, chicago, supplier, request, inactive,
                                                expected):
    record = request.getfixturevalue(inactive)
    record.is_active = False
    record.save()
    before = snapshot()

    response = api(operator).post("/api/receipts/", receipt_body(("LDR-4.1", "10"), ("CBL-CAT6", "1")))

    assert_refused(response, 400, before, **expected)


# --- builds and shortfalls ---------------------------------------------------------------------------

def build_body(*lines, **changes):
    return {"location": "CHI", "reference": "WO-500",
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], **changes}


def test_build_consumes_oldest_batches(api, operator, item, ldr_75_at_chicago, chicago, supplier):
    receive(item, chicago, "10", supplier=supplier, user=operator)

    response = api(operator).post("/api/builds/", build_body(("LDR-4.1", "80")))

    assert response.status_code == 201
    body = response.json()
    assert (body["reference"], body["shortfalls"]) == ("WO-500", [])
    [movement] = body["movements"]
    assert (movement["kind"], movement["quantity"], movement["reference"]) == ("build", "80", "WO-500")
    assert [(line["batch"], line["quantity"]) for line in movement["lines"]] == [("0001", "75"), ("0002", "5")]


def test_a_short_build_is_a_409_listing_every_short_line(api, operator, ldr_75_at_chicago, cable, chicago):
    before = snapshot()

    response = api(operator).post("/api/builds/", build_body(("LDR-4.1", "80"), ("CBL-CAT6", "1.5")))

    assert_refused(response, 409, before, code="insufficient_stock", sku="LDR-4.1", requested="80",
                   available="75")
    assert response.json()["shortages"] == [
        {"sku": "LDR-4.1", "location": "CHI", "requested": "80", "available": "75"},
        {"sku": "CBL-CAT6", "location": "CHI", "requested": "1.5", "available": "0"},
    ]


def test_build_with_allow_shortfall_goes_negative_until_units_arrive(
    api, operator, item, ldr_75_at_chicago, chicago, supplier
):
    client = api(operator)
    response = client.post("/api/builds/", build_body(("LDR-4.1", "80"), allow_shortfall=True))

    assert response.status_code == 201
    body = response.json()
    [shortfall] = body["shortfalls"]
    assert {key: shortfall[key] for key in ("sku", "location", "reference", "quantity", "outstanding")} == {
        "sku": "LDR-4.1", "location": "CHI", "reference": "WO-500", "quantity": "5", "outstanding": "5",
    }
    assert body["movements"][0]["quantity"] == "80"
    assert [line["quantity"] for line in body["movements"][0]["lines"]] == ["75"]
    assert client.get("/api/stock/", {"location": "CHI"}).json()["results"][0]["quantity"] == "-5"
    assert [s["id"] for s in client.get("/api/shortfalls/", {"open": "true"}).json()["results"]] == [shortfall["id"]]

    receipt = client.post("/api/receipts/", receipt_body(("LDR-4.1", "8"))).json()

    [settlement] = receipt["settlements"]
    assert (settlement["kind"], settlement["quantity"], settlement["reference"]) == ("settlement", "5", "WO-500")
    assert client.get("/api/shortfalls/", {"open": "true"}).json()["results"] == []
    settled = client.get(f"/api/shortfalls/{shortfall['id']}/").json()
    assert (settled["outstanding"], settled["settled_at"] is not None) == ("0", True)
    assert level(item, chicago) == Decimal("3")


@pytest.mark.parametrize(
    "body, expected",
    [
        (build_body(), {"lines": ["Add at least one line."]}),
        (build_body(("LDR-4.1", "1"), ("ldr-4.1", "2")),
         {"lines": ["LDR-4.1 appears on more than one line; put its whole quantity on one line."]}),
        (build_body(("LDR-4.1", "1"), reference=""), {"reference": ["This field may not be blank."]}),
        (build_body(("LDR-4.1", "1"), allow_shortfall="perhaps"), {"allow_shortfall": ["Must be a valid boolean."]}),
    ],
)
def test_build_refusals(api, operator, ldr_75_at_chicago, body, expected):
    before = snapshot()

    assert_refused(api(operator).post("/api/builds/", body), 400, before, **expected)


# --- replacements ----------------------------------------------------------------------------------

def replacement_body(**changes):
    return {"sku": "LDR-4.1", "location": "CHI", "quantity": "2", "asset": "TRUCK-12", **changes}


def test_replacement_records_the_asset_as_reference(api, operator, item, ldr_75_at_chicago, chicago):
    response = api(operator).post("/api/replacements/", replacement_body())

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["reference"], body["from_location"], body["to_location"]) == (
        "replacement", "TRUCK-12", "CHI", None,
    )
    assert lots_at(item, chicago) == {"0001": Decimal("73")}


@pytest.mark.parametrize(
    "changes, status_code, field",
    [({"asset": ""}, 400, "asset"), ({"quantity": "1.5"}, 400, "quantity"), ({"quantity": "100"}, 409, "code")],
)
def test_replacement_refusals(api, operator, ldr_75_at_chicago, changes, status_code, field):
    before = snapshot()

    response = api(operator).post("/api/replacements/", replacement_body(**changes))

    assert_refused(response, status_code, before)
    assert field in response.json()


def test_whole_unit_items_refuse_fractions_everywhere(api, manager, ldr_75_at_chicago):
    before = snapshot()
    client = api(manager)
    for path, body in [
        ("/api/transfers/", transfer_body(quantity="0.5")),
        ("/api/adjustments/", adjustment_body(quantity="0.5")),
        ("/api/replacements/", replacement_body(quantity="0.5")),
        ("/api/builds/", build_body(("LDR-4.1", "0.5"))),
    ]:
        response = client.post(path, body)
        assert response.status_code == 400, path
        errors = response.json()
        message = errors["lines"][0]["quantity"] if "lines" in errors else errors["quantity"]
        assert message == ["This item is counted in whole units (ea); send a whole number."]
    assert snapshot() == before
    assert Item.objects.get(sku="LDR-4.1").last_batch_number == 1


def test_quantities_with_trailing_zeros_come_back_as_sent_values(api, operator, ldr_75_at_chicago):
    response = api(operator).post("/api/transfers/", transfer_body(quantity="25.000"))

    assert response.status_code == 201
    assert response.json()["quantity"] == "25"

