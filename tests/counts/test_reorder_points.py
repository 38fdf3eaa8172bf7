"""API.md v1.1 "Reorder points", low stock on the stock endpoints, and the CSV import."""

from decimal import Decimal

import pytest
from django.test import Client

from counts import services
from counts.models import ReorderPoint
from movements.services import Line, build_create
from tests.factories import ItemFactory
from tests.pages_support import csv_rows

pytestmark = pytest.mark.django_db


def test_create_list_change_delete(api, manager, operator, item, chicago):
    response = api(manager).post("/api/reorder-points/", {"sku": "ldr-4.1", "location": "chi", "minimum": "10",
                                                          "target": 25}, format="json")
    assert response.status_code == 201, response.json()
    point = response.json()
    assert point == {"id": point["id"], "sku": "LDR-4.1", "location": "CHI", "minimum": "10", "target": "25"}
    assert api(operator).get("/api/reorder-points/?item=LDR-4.1&location=CHI").json()["results"] == [point]
    assert api(operator).get("/api/reorder-points/?location=MKE").json()["results"] == []
    again = api(manager).post("/api/reorder-points/", {"sku": "LDR-4.1", "location": "CHI", "minimum": "1"},
                              format="json")
    assert again.status_code == 400 and again.json()["detail"]
    changed = api(manager).patch(f"/api/reorder-points/{point['id']}/", {"target": None}, format="json")
    assert changed.status_code == 200 and changed.json()["target"] is None
    assert api(manager).patch(f"/api/reorder-points/{point['id']}/", {"minimum": "12"},
                              format="json").json()["minimum"] == "12"
    assert api(manager).delete(f"/api/reorder-points/{point['id']}/").status_code == 204
    assert not ReorderPoint.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"minimum": "10", "target": "5"}, "target"),
    ({"minimum": "-1"}, "minimum"),
    ({"minimum": "1.5"}, "minimum"),
    ({"minimum": "abc"}, "minimum"),
    ({}, "minimum"),
])
def test_bad_reorder_points_are_400(api, manager, item, chicago, body, field):
    response = api(manager).post("/api/reorder-points/", {"sku": "LDR-4.1", "location": "CHI", **body}, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not ReorderPoint.objects.exists()


def test_only_managers_write_reorder_points(api, manager, operator, accountant, item, chicago):
    body = {"sku": "LDR-4.1", "location": "CHI", "minimum": "1"}
    assert api(operator).post("/api/reorder-points/", body, format="json").status_code == 403
    assert api(accountant).post("/api/reorder-points/", body, format="json").status_code == 403
    point = api(manager).post("/api/reorder-points/", body, format="json").json()
    assert api(accountant).patch(f"/api/reorder-points/{point['id']}/", {"minimum": "2"},
                                 format="json").status_code == 403
    assert api(operator).delete(f"/api/reorder-points/{point['id']}/").status_code == 403
    assert api(accountant).get("/api/reorder-points/").status_code == 200
    assert api(None).get("/api/reorder-points/").status_code == 401


@pytest.fixture
def low(stocked, chicago, milwaukee, manager, operator):
    never = ItemFactory(sku="NEVER-1", name="Never stocked")
    services.reorder_point_create(item=stocked["bolt"], location=chicago, minimum="20", target="50", user=manager)
    services.reorder_point_create(item=stocked["item"], location=chicago, minimum="100", user=manager)  # at 100: not
    services.reorder_point_create(item=never, location=milwaukee, minimum="4", user=manager)
    # An open shortfall: NUT-M6 at Chicago is -3, below a minimum of 0.
    build_create(location=chicago, reference="WO-1", lines=[Line(stocked["nut"], "8")], user=operator,
                 allow_shortfall=True)
    services.reorder_point_create(item=stocked["nut"], location=chicago, minimum="0", user=manager)


def test_stock_below_minimum(api, operator, low):
    body = api(operator).get("/api/stock/?below_minimum=true").json()
    assert len(body["results"]) == 3 and body["next"] is None
    assert [(r["sku"], r["location"], r["quantity"], r["minimum"], r["target"], r["to_order"])
            for r in body["results"]] == [
        ("BOLT-M6", "CHI", "10", "20", "50", "40"),
        ("NEVER-1", "MKE", "0", "4", None, "4"),
        ("NUT-M6", "CHI", "-3", "0", None, "3"),
    ]
    assert body["results"][1]["item_name"] == "Never stocked" and body["results"][1]["location_name"]
    filtered = api(operator).get("/api/stock/?below_minimum=true&location=mke&search=never").json()["results"]
    assert [r["sku"] for r in filtered] == ["NEVER-1"]
    # false or absent: the stock rows as always (no zero rows, no reorder fields).
    rows = api(operator).get("/api/stock/?below_minimum=false").json()["results"]
    assert [r["sku"] for r in rows] == ["BOLT-M6", "LDR-4.1", "NUT-M6"] and "minimum" not in rows[0]
    assert api(operator).get("/api/stock/?below_minimum=maybe").json()["results"] == []


def test_stock_export_below_minimum(api, operator, low):
    response = api(operator).get("/api/stock/export.csv?below_minimum=true")
    assert response.status_code == 200
    rows = csv_rows(response)
    assert rows == [["SKU", "Item name", "Location", "Quantity"],
                    ["BOLT-M6", "Bolt M6", "Chicago Warehouse", "10"],
                    ["NEVER-1", "Never stocked", "Milwaukee Operations Center", "0"],
                    ["NUT-M6", "Nut M6", "Chicago Warehouse", "-3"]]
    assert len(csv_rows(api(operator).get("/api/stock/export.csv"))) == 4
    assert api(None).get("/api/stock/export.csv?below_minimum=true").status_code == 401


def test_reorder_points_import_is_all_or_nothing(manager, item, chicago, milwaukee):
    from tablib import Dataset

    from counts.resources import ReorderPointResource

    ItemFactory(sku="BOLT-M6")
    services.reorder_point_create(item=item, location=chicago, minimum="1", user=manager)
    bad = Dataset(headers=["sku", "location", "minimum", "target"])
    bad.append(["LDR-4.1", "CHI", "5", "10"])
    bad.append(["NOPE", "CHI", "5", ""])
    bad.append(["BOLT-M6", "MKE", "9", "3"])
    result = ReorderPointResource(user=manager).import_data(bad, dry_run=False)
    assert result.has_validation_errors() or result.has_errors()
    assert [(p.item.sku, p.minimum) for p in ReorderPoint.objects.all()] == [("LDR-4.1", Decimal("1"))]
    good = Dataset(headers=["sku", "location", "minimum", "target"])
    good.append(["ldr-4.1", "CHI", "5", "10"])
    good.append(["BOLT-M6", "MKE", "9", ""])
    result = ReorderPointResource(user=manager).import_data(good, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert sorted((p.item.sku, p.location.code, p.minimum, p.target) for p in ReorderPoint.objects.all()) == [
        ("BOLT-M6", "MKE", Decimal("9"), None), ("LDR-4.1", "CHI", Decimal("5"), Decimal("10"))]


def test_reorder_points_admin_import_page(manager, item, chicago):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(manager)
    assert client.get("/admin/counts/reorderpoint/import/").status_code == 200
    upload = SimpleUploadedFile("points.csv", b"sku,location,minimum,target\nLDR-4.1,CHI,7,9\n")
    response = client.post("/admin/counts/reorderpoint/import/", {"import_file": upload, "format": "0"})
    assert response.status_code == 200
    assert not ReorderPoint.objects.exists()  # a preview records nothing
