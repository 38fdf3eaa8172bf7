"""DESIGN.md's worked example, which must hold exactly."""

from decimal import Decimal

from movements.models import Movement
from movements.reconciliation import reconcile
from tests.helpers import level, lots_at


def test_worked_example_ldr_4_1(item, chicago, milwaukee, ldr_worked_example):
    first, second = ldr_worked_example.transfers

    assert [(line.batch.label, line.quantity) for line in first.lines.all()] == [("0001", Decimal("25"))]
    # The second transfer drains batch 0001 at Chicago (75 left) before touching 0002.
    assert [(line.batch.label, line.quantity) for line in second.lines.order_by("batch__number")] == [
        ("0001", Decimal("75")),
        ("0002", Decimal("45")),
    ]
    assert lots_at(item, chicago) == {"0002": Decimal("155")}
    assert lots_at(item, chicago, show_empty=True) == {"0001": Decimal("0"), "0002": Decimal("155")}
    assert lots_at(item, milwaukee) == {"0001": Decimal("100"), "0002": Decimal("45")}
    assert level(item, chicago) == Decimal("155")
    assert level(item, milwaukee) == Decimal("145")
    assert Movement.objects.filter(item=item).count() == 4
    assert reconcile() == []
