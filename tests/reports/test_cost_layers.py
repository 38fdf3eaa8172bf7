"""Cost layers (API.md "Costs on batches"): each receipt line and upward adjustment is a batch
at its own unit cost; lots and ledger lines are valued at their batch's cost; an unknown cost
may be set once, never changed."""

from decimal import Decimal

import pytest

from hardfin.errors import InvalidInput, PermissionDeniedError
from hardfin.money import CostAlreadySet, round_value
from lots.models import Batch, Lot
from movements.reconciliation import reconcile
from movements.services import Line, adjustment_create, batch_cost_set, receipt_create, transfer_create
from reports.selectors import valuation
from tests.api_support import api  # noqa: F401
from tests.helpers import snapshot

pytestmark = pytest.mark.django_db


def lot_values(item):
    """``{("CHI", "0001"): (quantity, value)}`` as the lots API shows them."""
    lots = Lot.objects.filter(item=item).select_related("batch", "location")
    return {
        (lot.location.code, lot.batch.label): (lot.quantity, round_value(lot.exact_value))
        for lot in lots
    }


def values_by_location(item):
    return {row.location: row.value for row in valuation().rows if row.sku == item.sku}


def test_worked_example_with_costs(item, chicago, milwaukee, supplier, operator):
    """DESIGN.md's worked example with batch 0001 at 10.00 and 0002 at 12.50: every lot's and
    line's value after each step, and the total."""
    D = Decimal
    first = receipt_create(supplier=supplier, location=chicago, po_number="PO-1001",
                           lines=[Line(item, "100", "10.00")], user=operator).movements[0]
    assert [(line.batch.label, round_value(line.exact_value)) for line in first.lines.all()] == [("0001", D("1000.00"))]
    assert round_value(first.exact_value) == D("1000.00")
    assert lot_values(item) == {("CHI", "0001"): (D("100"), D("1000.00"))}
    assert valuation().total_value == D("1000.00")

    move = transfer_create(item=item, source=chicago, destination=milwaukee, quantity="25", user=operator)
    assert round_value(move.exact_value) == D("250.00")
    assert lot_values(item) == {("CHI", "0001"): (D("75"), D("750.00")), ("MKE", "0001"): (D("25"), D("250.00"))}
    assert valuation().total_value == D("1000.00")

    receipt_create(supplier=supplier, location=chicago, po_number="PO-1002",
                   lines=[Line(item, "200", "12.50")], user=operator)
    assert lot_values(item)[("CHI", "0002")] == (D("200"), D("2500.00"))
    assert valuation().total_value == D("3500.00")

    split = transfer_create(item=item, source=chicago, destination=milwaukee, quantity="120", user=operator)
    lines = [(line.batch.label, line.quantity, line.unit_cost, round_value(line.exact_value))
             for line in split.lines.order_by("batch__number")]
    assert lines == [("0001", D("75"), D("10.0000"), D("750.00")), ("0002", D("45"), D("12.5000"), D("562.50"))]
    assert round_value(split.exact_value) == D("1312.50")
    assert lot_values(item) == {
        ("CHI", "0001"): (D("0"), D("0.00")),
        ("CHI", "0002"): (D("155"), D("1937.50")),
        ("MKE", "0001"): (D("100"), D("1000.00")),
        ("MKE", "0002"): (D("45"), D("562.50")),
    }
    assert values_by_location(item) == {"CHI": D("1937.50"), "MKE": D("1562.50")}
    # A transfer moves value between locations; the total stays.
    assert valuation().total_value == D("3500.00")
    assert reconcile() == []


def test_values_round_half_up_per_row_and_totals_from_exact_values(item, chicago, milwaukee, supplier, operator):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, "2", "0.0025")],
                   user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="1", user=operator)
    rows = {row.location: row.value for row in valuation().rows}
    # Each row is 0.0025, shown 0.00 (half-up at the cent: 0.0025 < 0.005) ...
    assert rows == {"CHI": Decimal("0.00"), "MKE": Decimal("0.00")}
    # ... and the total is 0.005 rounded once (0.01), not the sum of the rounded rows.
    assert valuation().total_value == Decimal("0.01")


def test_upward_adjustment_takes_the_newest_known_cost_by_default(item, chicago, supplier, operator, manager):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, "5", "10")], user=operator)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-2", lines=[Line(item, "5", "11.25")],
                   user=operator)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-3", lines=[Line(item, "5")], user=operator)
    found = adjustment_create(item=item, location=chicago, direction="up", quantity="2", reason="found", user=manager)
    assert found.lines.get().batch.unit_cost == Decimal("11.2500")
    priced = adjustment_create(item=item, location=chicago, direction="up", quantity="1", reason="found",
                               user=manager, unit_cost="9.5")
    assert priced.lines.get().batch.unit_cost == Decimal("9.5000")


def test_upward_adjustment_of_an_item_never_costed_is_unknown(item, chicago, manager):
    movement = adjustment_create(item=item, location=chicago, direction="up", quantity="2", reason="found",
                                 user=manager)
    assert movement.lines.get().batch.unit_cost is None
    assert movement.exact_value is None


def test_downward_adjustment_refuses_a_unit_cost(item, chicago, supplier, operator, manager):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, "5", "10")], user=operator)
    before = snapshot()
    with pytest.raises(InvalidInput) as error:
        adjustment_create(item=item, location=chicago, direction="down", quantity="1", reason="lost",
                          user=manager, unit_cost="3")
    assert error.value.field == "unit_cost"
    assert snapshot() == before


@pytest.mark.parametrize("bad", ["-1", "1.00001", "1e3", "abc", "NaN", 1.5, "1000000000000"])
def test_a_bad_unit_cost_records_nothing(item, chicago, supplier, operator, bad):
    before = snapshot()
    with pytest.raises(InvalidInput) as error:
        receipt_create(supplier=supplier, location=chicago, po_number="PO-1",
                       lines=[Line(item, "5", "1"), Line(item, "5", bad)], user=operator)
    assert (error.value.field, error.value.line) == ("unit_cost", 1)
    assert snapshot() == before


def test_an_unknown_cost_is_set_once_and_shows_on_earlier_lines(item, chicago, milwaukee, supplier, operator,
                                                                  accountant):
    receipt = receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, "10")],
                             user=operator)
    move = transfer_create(item=item, source=chicago, destination=milwaukee, quantity="4", user=operator)
    assert move.exact_value is None
    batch = Batch.objects.get(item=item, number=1)
    batch_cost_set(batch=batch, unit_cost="2.5", user=accountant)
    assert Batch.objects.get(pk=batch.pk).unit_cost == Decimal("2.5000")
    move.refresh_from_db()
    assert round_value(type(move).objects.get(pk=move.pk).exact_value) == Decimal("10.00")
    assert round_value(receipt.movements[0].lines.get().exact_value) == Decimal("25.00")
    with pytest.raises(CostAlreadySet):
        batch_cost_set(batch=batch, unit_cost="3", user=accountant)
    assert Batch.objects.get(pk=batch.pk).unit_cost == Decimal("2.5000")


def test_operators_may_not_set_costs(item, chicago, supplier, operator):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, "10")], user=operator)
    batch = Batch.objects.get(item=item)
    with pytest.raises(PermissionDeniedError):
        batch_cost_set(batch=batch, unit_cost="1", user=operator)
    assert Batch.objects.get(pk=batch.pk).unit_cost is None


# --- the API ------------------------------------------------------------------------------------

def test_api_receipt_with_unit_costs_and_values(api, item, chicago, supplier, operator):
    response = api(operator).post("/api/receipts/", {
        "supplier": "ACME", "location": "CHI", "po_number": "PO-9",
        "lines": [{"sku": "LDR-4.1", "quantity": "3", "unit_cost": "12.5"}],
    }, format="json")
    assert response.status_code == 201, response.json()
    movement = response.json()["movements"][0]
    assert movement["value"] == "37.50"
    assert movement["lines"][0]["unit_cost"] == "12.5000"
    assert movement["lines"][0]["value"] == "37.50"
    lots = api(operator).get("/api/lots/?item=LDR-4.1").json()["results"]
    assert [(lot["unit_cost"], lot["value"]) for lot in lots] == [("12.5000", "37.50")]
    batches = api(operator).get("/api/batches/?item=LDR-4.1").json()["results"]
    assert batches[0]["unit_cost"] == "12.5000"


def test_api_unknown_cost_is_null(api, item, chicago, supplier, operator):
    response = api(operator).post("/api/receipts/", {
        "supplier": "ACME", "location": "CHI", "po_number": "PO-9", "lines": [{"sku": "LDR-4.1", "quantity": 3}],
    }, format="json")
    movement = response.json()["movements"][0]
    assert (movement["value"], movement["lines"][0]["unit_cost"], movement["lines"][0]["value"]) == (None, None, None)


def test_api_bad_unit_cost_is_400_on_its_line(api, item, chicago, supplier, operator):
    before = snapshot()
    response = api(operator).post("/api/receipts/", {
        "supplier": "ACME", "location": "CHI", "po_number": "PO-9",
        "lines": [{"sku": "LDR-4.1", "quantity": "3", "unit_cost": "-2"}],
    }, format="json")
    assert response.status_code == 400
    assert response.json()["lines"][0]["unit_cost"] == ["A unit cost cannot be negative."]
    assert snapshot() == before


def test_api_adjustment_up_with_unit_cost(api, item, chicago, manager):
    response = api(manager).post("/api/adjustments/", {
        "sku": "LDR-4.1", "location": "CHI", "direction": "up", "quantity": "4", "reason": "found",
        "unit_cost": 2.25,
    }, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["value"] == "9.00"
    assert response.json()["lines"][0]["unit_cost"] == "2.2500"


def test_api_patch_sets_an_unknown_cost_once(api, item, chicago, supplier, operator, accountant, manager):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, "10")], user=operator)
    batch = Batch.objects.get(item=item)
    path = f"/api/batches/{batch.pk}/"
    assert api(operator).patch(path, {"unit_cost": "1"}, format="json").status_code == 403
    response = api(accountant).patch(path, {"unit_cost": "4.125"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["unit_cost"] == "4.1250"
    assert response.json()["number"] == "0001"
    again = api(manager).patch(path, {"unit_cost": "5"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "cost_already_set"
    assert Batch.objects.get(pk=batch.pk).unit_cost == Decimal("4.1250")
    assert api(operator).get(path).json()["unit_cost"] == "4.1250"


@pytest.mark.parametrize("body", [{}, {"unit_cost": None}, {"unit_cost": "x"}, {"unit_cost": "-1"}])
def test_api_patch_bad_cost_is_400(api, item, chicago, supplier, operator, accountant, body):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, "10")], user=operator)
    batch = Batch.objects.get(item=item)
    response = api(accountant).patch(f"/api/batches/{batch.pk}/", body, format="json")
    assert response.status_code == 400
    assert "unit_cost" in response.json()
    assert Batch.objects.get(pk=batch.pk).unit_cost is None


def test_api_patch_unknown_batch_is_404(api, accountant):
    assert api(accountant).patch("/api/batches/999/", {"unit_cost": "1"}, format="json").status_code == 404
