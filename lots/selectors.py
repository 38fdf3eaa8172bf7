from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce

from inventory.selectors import ZERO

from .models import FIFO_ORDER, Batch, Lot


def lots_fifo_order() -> QuerySet[Lot]:
    """Lots with what every view shows of them, oldest batch first per item-location."""
    return Lot.objects.select_related("batch", "batch__supplier", "item", "location").order_by(
        "item__sku", "location__code", *FIFO_ORDER
    )


def batches() -> QuerySet[Batch]:
    """Batches with ``on_hand``: the units of the batch still in stock, over all locations."""
    return (
        Batch.objects.select_related("item", "supplier")
        .annotate(on_hand=Coalesce(Sum("lots__quantity"), ZERO))
        .order_by("item__sku", "number")
    )
