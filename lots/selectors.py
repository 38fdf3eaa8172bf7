from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from inventory.selectors import QUANTITY, ZERO

from .models import FIFO_ORDER, Batch, Lot


def lots_fifo_order() -> QuerySet[Lot]:
    """Lots with what every view shows of them, oldest batch first per item-location."""
    return Lot.objects.select_related("batch", "batch__supplier", "item", "location").order_by(
        "item__sku", "location__code", *FIFO_ORDER
    )


def batches() -> QuerySet[Batch]:
    """Batches with ``on_hand``: the units of the batch still in stock, over all locations.
    A subquery per batch rather than a join grouped over every lot, so a page of batches adds
    up only its own lots."""
    on_hand = Lot.objects.filter(batch=OuterRef("pk")).order_by().values("batch").annotate(total=Sum("quantity"))
    return (
        Batch.objects.select_related("item", "supplier")
        .annotate(on_hand=Coalesce(Subquery(on_hand.values("total"), output_field=QUANTITY), ZERO))
        .order_by("item__sku", "number")
    )


def lots_available(item, location) -> QuerySet[Lot]:
    """The lots of ``item`` at ``location`` that hold units, oldest batch first: what a
    consumption there takes, in the order it takes it."""
    return (
        Lot.objects.filter(item=item, location=location, quantity__gt=0)
        .select_related("batch", "batch__supplier")
        .order_by(*FIFO_ORDER)
    )


def lots_available_totals(location, item_ids) -> dict[int, Decimal]:
    """For each of ``item_ids``, the units its lots hold at ``location`` (what a consumption
    there may take), in one grouped read; items with none are left out."""
    rows = (
        Lot.objects.filter(location=location, item_id__in=list(item_ids), quantity__gt=0)
        .order_by().values("item_id").annotate(total=Sum("quantity"))
    )
    return {row["item_id"]: row["total"] for row in rows}
