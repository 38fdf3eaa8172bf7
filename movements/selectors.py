from django.db.models import Prefetch, QuerySet

from lots.models import Batch, Lot

from .models import Movement, MovementLine, Shortfall


def movements_with_lines() -> QuerySet[Movement]:
    """Movements in time order (ties by id) with everything a view shows of them."""
    lines = MovementLine.objects.select_related("batch", "from_location", "to_location").order_by("id")
    return (
        Movement.objects.select_related("item", "from_location", "to_location", "reason", "user", "supplier")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("occurred_at", "id")
    )


def batch_trace(batch: Batch) -> QuerySet[MovementLine]:
    """Every ledger line that moved units of ``batch``, in time order."""
    return (
        MovementLine.objects.filter(batch=batch)
        .select_related("movement", "movement__user", "movement__item", "from_location", "to_location", "batch")
        .order_by("movement__occurred_at", "movement_id", "id")
    )


def batch_whereabouts(batch: Batch) -> list[Lot]:
    """The lots of ``batch`` holding units now, by location code."""
    return list(
        Lot.objects.non_empty().filter(batch=batch).select_related("batch", "item", "location").order_by("location__code")
    )


def shortfalls() -> QuerySet[Shortfall]:
    return Shortfall.objects.select_related("item", "location", "build").order_by("created_at", "id")
