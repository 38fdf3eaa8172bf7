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
