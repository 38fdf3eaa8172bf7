"""Readers that state the database as a user would see it, for assertions."""

from decimal import Decimal

from inventory.models import Item, StockLevel
from lots.models import Batch, Lot
from movements.models import Movement, MovementLine, Shortfall


def lots_at(item, location, *, show_empty=False):
    """``{"0001": Decimal("155"), …}`` for the lots of ``item`` at ``location``."""
    lots = Lot.objects.filter(item=item, location=location).select_related("batch").order_by("batch__number")
    return {lot.batch.label: lot.quantity for lot in lots if show_empty or lot.quantity > 0}


def level(item, location) -> Decimal:
    row = StockLevel.objects.filter(item=item, location=location).first()
    return row.quantity if row else Decimal(0)


def snapshot():
    """Everything a write could change, to assert that a failed write changed nothing."""
    return {
        "lots": sorted(Lot.objects.values_list("batch_id", "location_id", "quantity")),
        "levels": sorted(StockLevel.objects.values_list("item_id", "location_id", "quantity")),
        "movements": Movement.objects.count(),
        "lines": MovementLine.objects.count(),
        "shortfalls": sorted(Shortfall.objects.values_list("id", "outstanding")),
        "batches": sorted(Batch.objects.values_list("item_id", "number")),
        "batch_counters": sorted(Item.objects.values_list("id", "last_batch_number")),
    }
