from django.db.models import Prefetch, QuerySet

from lots.models import Batch

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


def shortfalls() -> QuerySet[Shortfall]:
    return Shortfall.objects.select_related("item", "location", "build").order_by("created_at", "id")


# --- the ledger pages (/movements/, /movements/<id>/, /locations/<code>/, /shortfalls/) ----------

def ledger_newest_first() -> QuerySet[Movement]:
    """Movements newest first (ties by id, newest first), with their lines and the shortfalls a
    build opened, ready for ``display_rows.history_rows``; page it by keyset on (time, id)."""
    return (
        movements_with_lines()
        .prefetch_related(Prefetch("shortfalls", queryset=Shortfall.objects.order_by("id")))
        .order_by("-occurred_at", "-id")
    )


def document_movements(movement: Movement) -> QuerySet[Movement]:
    """The movements written together with ``movement`` as one receipt or build (the lines of
    one document): the same kind, reference, user and location at the same server-assigned
    instant, in the order they were recorded. Any other movement stands alone."""
    same = movements_with_lines().prefetch_related(Prefetch("shortfalls", queryset=Shortfall.objects.order_by("id")))
    if movement.kind == Movement.Kind.RECEIPT:
        return same.filter(
            kind=movement.kind, reference=movement.reference, occurred_at=movement.occurred_at,
            user_id=movement.user_id, to_location_id=movement.to_location_id,
            supplier_id=movement.supplier_id, shipment_number=movement.shipment_number,
        ).order_by("id")
    if movement.kind == Movement.Kind.BUILD:
        return same.filter(
            kind=movement.kind, reference=movement.reference, occurred_at=movement.occurred_at,
            user_id=movement.user_id, from_location_id=movement.from_location_id,
        ).order_by("id")
    return same.filter(pk=movement.pk)


def document_settlements(movement: Movement) -> QuerySet[Movement]:
    """For a receipt: the settlements its units paid at once (written in the same instant, by
    the same user, at the receiving location). For a build: every settlement, then or later,
    of the shortfalls it opened."""
    if movement.kind == Movement.Kind.RECEIPT:
        return movements_with_lines().filter(
            kind=Movement.Kind.SETTLEMENT, occurred_at=movement.occurred_at, user_id=movement.user_id,
            from_location_id=movement.to_location_id,
        )
    if movement.kind == Movement.Kind.BUILD:
        return movements_with_lines().filter(
            kind=Movement.Kind.SETTLEMENT, shortfall__build__in=document_movements(movement).values("pk"),
        )
    return Movement.objects.none()


def open_shortfalls() -> QuerySet[Shortfall]:
    """Open build shortfalls, oldest first, with their build."""
    return shortfalls().filter(outstanding__gt=0).select_related("build", "build__user")
