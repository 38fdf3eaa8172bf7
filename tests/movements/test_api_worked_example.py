"""DESIGN.md's worked example, driven entirely through the REST API."""

import csv
import io

from movements.reconciliation import reconcile
from tests.api_support import api  # noqa: F401  (fixture)

#: A line of a batch whose cost is unknown carries these too (API.md v1.1).
NO_COST = {"unit_cost": None, "value": None}


def test_worked_example_through_the_api(api, manager, operator):
    admin, ops = api(manager), api(operator)
    assert admin.post("/api/items/", {"sku": "LDR-4.1", "name": "Lidar unit 4.1"}).status_code == 201
    assert admin.post("/api/locations/", {"code": "CHI", "name": "Chicago Warehouse"}).status_code == 201
    assert admin.post("/api/locations/", {"code": "MKE", "name": "Milwaukee Operations Center"}).status_code == 201
    assert admin.post("/api/suppliers/", {"code": "ACME", "name": "Acme Sensors"}).status_code == 201

    def receive(quantity, po_number):
        response = ops.post("/api/receipts/", {"supplier": "ACME", "location": "CHI", "po_number": po_number,
                                               "lines": [{"sku": "LDR-4.1", "quantity": quantity}]})
        assert response.status_code == 201, response.json()
        return response.json()

    def transfer(quantity):
        response = ops.post("/api/transfers/", {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE",
                                                "quantity": quantity})
        assert response.status_code == 201, response.json()
        return response.json()

    first_receipt = receive("100", "PO-1001")
    first = transfer("25")
    receive(200, "PO-1002")  # a JSON number works as well as a string
    second = transfer("120")

    assert [line["batch"] for line in first_receipt["movements"][0]["lines"]] == ["0001"]
    assert first["lines"] == [{"batch": "0001", "from_location": "CHI", "to_location": "MKE", "quantity": "25", **NO_COST}]
    # Batch 0001 is drained at Chicago (75 left of it) before 0002 is touched.
    assert second["lines"] == [
        {"batch": "0001", "from_location": "CHI", "to_location": "MKE", "quantity": "75", **NO_COST},
        {"batch": "0002", "from_location": "CHI", "to_location": "MKE", "quantity": "45", **NO_COST},
    ]
    assert {key: second[key] for key in ("kind", "sku", "quantity", "from_location", "to_location", "user")} == {
        "kind": "transfer", "sku": "LDR-4.1", "quantity": "120", "from_location": "CHI", "to_location": "MKE",
        "user": "olivia",
    }

    lots = ops.get("/api/lots/", {"item": "LDR-4.1"}).json()["results"]
    assert [(lot["location"], lot["batch"], lot["quantity"]) for lot in lots] == [
        ("CHI", "0002", "155"), ("MKE", "0001", "100"), ("MKE", "0002", "45"),
    ]
    chicago_all = ops.get("/api/lots/", {"location": "CHI", "show_empty": "true"}).json()["results"]
    assert [(lot["batch"], lot["quantity"]) for lot in chicago_all] == [("0001", "0"), ("0002", "155")]

    stock = ops.get("/api/stock/").json()["results"]
    assert [(row["sku"], row["location"], row["location_name"], row["quantity"]) for row in stock] == [
        ("LDR-4.1", "CHI", "Chicago Warehouse", "155"),
        ("LDR-4.1", "MKE", "Milwaukee Operations Center", "145"),
    ]
    assert ops.get("/api/items/LDR-4.1/").json()["on_hand"] == "300"

    ledger = ops.get("/api/movements/", {"item": "LDR-4.1"}).json()["results"]
    assert [(m["kind"], m["quantity"]) for m in ledger] == [
        ("receipt", "100"), ("transfer", "25"), ("receipt", "200"), ("transfer", "120"),
    ]

    export = ops.get("/api/stock/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        ["SKU", "Item name", "Location", "Quantity"],
        ["LDR-4.1", "Lidar unit 4.1", "Chicago Warehouse", "155"],
        ["LDR-4.1", "Lidar unit 4.1", "Milwaukee Operations Center", "145"],
    ]
    assert reconcile() == []
