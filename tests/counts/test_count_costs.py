"""A count's corrections carry costs as single adjustments do (API.md v1.1: up at the newest
known cost, down FIFO)."""

from decimal import Decimal

from counts.services import count_enter, count_post, count_start
from lots.models import Batch
from movements.services import Line, receipt_create


def test_an_upward_correction_is_a_new_batch_at_the_newest_known_cost(item, chicago, supplier, operator, manager):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1",
                   lines=[Line(item, "10", unit_cost="10.00")], user=operator)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-2",
                   lines=[Line(item, "5", unit_cost="12.50")], user=operator)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-3", lines=[Line(item, "5")], user=operator)
    count = count_start(location=chicago, user=manager, items=[item])
    count_enter(count=count, entries=[(item, "23")], user=operator)

    count_post(count=count, user=manager)

    correction = Batch.objects.filter(item=item, origin=Batch.Origin.ADJUSTMENT).get()
    assert correction.initial_quantity == Decimal("3")
    assert correction.unit_cost == Decimal("12.50")  # batch 0003's cost is unknown: 0002's is the newest known


def test_an_upward_correction_of_an_item_without_any_known_cost_has_an_unknown_cost(
    item, chicago, supplier, operator, manager
):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(item, "10")], user=operator)
    count = count_start(location=chicago, user=manager, items=[item])
    count_enter(count=count, entries=[(item, "11")], user=operator)

    count_post(count=count, user=manager)

    assert Batch.objects.get(item=item, origin=Batch.Origin.ADJUSTMENT).unit_cost is None
