"""Unit costs and values on the ledger's pages (issue 11: "shown on lots, batches, movement lines
and movements with their values"): a movement's record, the ledger, the item's history, its
batches and a batch's trace. DESIGN.md's worked example with batch 0001 at 10.00 and 0002 at
12.50; a third receipt whose cost is still unknown."""

import pytest

from movements.models import Movement
from movements.services import Line, batch_cost_set, receipt_create, transfer_create
from tests.factories import ItemFactory
from tests.pages_support import texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def costed(item, chicago, milwaukee, supplier, operator):
    """The worked example at 10.00 and 12.50: returns the transfer of 120 (75 of 0001, 45 of 0002)."""
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1001", lines=[Line(item, "100", "10.00")],
                   user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="25", user=operator)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1002", lines=[Line(item, "200", "12.50")],
                   user=operator)
    return transfer_create(item=item, source=chicago, destination=milwaukee, quantity="120", user=operator)


def test_the_record_of_the_split_transfer_shows_each_lines_cost_and_value(client, costed, operator):
    client.force_login(operator)
    page = client.get(f"/movements/{costed.pk}/")
    assert texts(page, "th", scope="col")[-2:] == ["Unit cost (USD)", "Value (USD)"]
    [line] = texts(page, "tr", class_="document-line")
    assert line == ("1 LDR-4.1 Lidar unit 4.1 120 ea batch 0001: 75 ea, batch 0002: 45 ea "
                    "0001: 10.0000 0002: 12.5000 0001: 750.00 0002: 562.50 1,312.50")
    assert texts(page, "strong", class_="movement-value") == ["1,312.50"]


def test_a_receipt_record_totals_its_lines_and_calls_an_unknown_cost_unknown(client, item, chicago, supplier, operator):
    cable = ItemFactory(sku="CBL-9", name="Cable", unit="m", fractional=True)
    brk = ItemFactory(sku="BRK-2", name="Bracket")
    receipt = receipt_create(supplier=supplier, location=chicago, po_number="PO-7",
                             lines=[Line(item, "3", "10.005"), Line(cable, "12.5", "0.1")], user=operator)
    client.force_login(operator)
    page = client.get(f"/movements/{receipt.movements[0].pk}/")
    assert texts(page, "tr", class_="document-line") == [
        "1 LDR-4.1 Lidar unit 4.1 3 ea batch 0001: 3 ea 10.0050 30.02",  # 30.015 rounded half-up
        "2 CBL-9 Cable 12.5 m batch 0001: 12.5 m 0.1000 1.25",
    ]
    # The total is the exact sum (30.015 + 1.25 = 31.265), rounded once: 31.27, not 30.02 + 1.25.
    assert texts(page, "tr", class_="document-total") == ["Total value 31.27"]

    unknown = receipt_create(supplier=supplier, location=chicago, po_number="PO-8",
                             lines=[Line(brk, "4"), Line(item, "1", "2")], user=operator)
    page = client.get(f"/movements/{unknown.movements[0].pk}/")
    assert texts(page, "tr", class_="document-line") == [
        "1 BRK-2 Bracket 4 ea batch 0001: 4 ea unknown unknown",
        "2 LDR-4.1 Lidar unit 4.1 1 ea batch 0002: 1 ea 2.0000 2.00",
    ]
    assert texts(page, "tr", class_="document-total") == ["Total value unknown"]


def test_the_ledger_and_the_history_show_costs_and_values_a_cost_set_later_included(
        client, costed, item, chicago, supplier, operator, accountant):
    brk = ItemFactory(sku="BRK-2", name="Bracket")
    late = receipt_create(supplier=supplier, location=chicago, po_number="PO-9", lines=[Line(brk, "4")],
                          user=operator).movements[0]
    client.force_login(operator)
    rows = texts(client.get("/movements/"), "tr", class_="movement")
    assert rows[0].endswith("olivia unknown unknown")
    assert rows[1].endswith("olivia 0001: 10.0000 0002: 12.5000 1,312.50")
    assert rows[2].endswith("olivia 12.5000 2,500.00")
    assert rows[3].endswith("olivia 10.0000 250.00")
    assert rows[4].endswith("olivia 10.0000 1,000.00")

    history = texts(client.get(f"/items/{item.sku}/history/"), "tr", class_="movement")
    assert [row.split(" olivia ")[1] for row in history] == [
        "10.0000 1,000.00", "10.0000 250.00", "12.5000 2,500.00", "0001: 10.0000 0002: 12.5000 1,312.50"]

    # The invoice comes: the earlier line shows the cost now (the line itself never changed).
    batch_cost_set(batch=late.lines.get().batch, unit_cost="7.25", user=accountant)
    rows = texts(client.get("/movements/", {"item": "BRK-2"}), "tr", class_="movement")
    assert rows == [rows[0]] and rows[0].endswith("olivia 7.2500 29.00")


def test_batches_and_a_batch_trace_show_cost_and_value_on_hand(client, costed, item, operator):
    client.force_login(operator)
    batches = texts(client.get(f"/items/{item.sku}/batches/"), "tbody")[0]
    assert "PO-1001 " in batches and "100 ea 100 ea 10.0000 1,000.00" in batches  # all at Milwaukee
    assert "200 ea 200 ea 12.5000 2,500.00" in batches  # 155 at Chicago + 45 at Milwaukee
    trace = client.get(f"/items/{item.sku}/batches/2/")
    facts = texts(trace, "dl", class_="facts")[0]
    assert "Unit cost 12.5000 USD Value on hand 2,500.00 USD" in facts
    assert [row.rsplit(" ", 1)[1] for row in texts(trace, "tr")[1:]] == ["2,500.00", "562.50"]


def test_the_ledger_and_a_record_take_as_many_queries_with_costs(client, item, chicago, supplier, operator,
                                                                 django_assert_max_num_queries):
    items = [ItemFactory() for _ in range(20)]
    receipt = receipt_create(supplier=supplier, location=chicago, po_number="PO-1",
                             lines=[Line(one, "2", "1.50") for one in items], user=operator)
    client.force_login(operator)
    with django_assert_max_num_queries(12):
        page = client.get(f"/movements/{receipt.movements[5].pk}/")
    assert texts(page, "tr", class_="document-total") == ["Total value 60.00"]
    with django_assert_max_num_queries(12):
        rows = texts(client.get("/movements/"), "tr", class_="movement")
    assert len(rows) == 20 and all(row.endswith("1.5000 3.00") for row in rows)
    assert Movement.objects.count() == 20
