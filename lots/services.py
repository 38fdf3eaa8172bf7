"""Writes on batches and lots. Callers (movement services) hold the stock-level locks of every
item-location they touch, taken in the order of the locking protocol, before calling these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from inventory.models import Item, Location, Supplier

from .fifo import allocate
from .models import Batch, Lot


def items_lock(item_ids: Iterable[int]) -> dict[int, Item]:
    """Lock item rows in id order — step 1 of the locking protocol, taken only by writes that
    number a new batch.

    FOR NO KEY UPDATE, not FOR UPDATE: every insert of a row that refers to the item (a lot, a
    movement, a stock level) takes FOR KEY SHARE on it, which FOR UPDATE would block — so a
    transfer holding a stock-level lock could wait for the item while this writer waits for
    that stock level. The no-key lock still serializes batch numbering."""
    items = Item.objects.select_for_update(no_key=True).filter(id__in=set(item_ids)).order_by("id")
    return {item.id: item for item in items}


@dataclass(frozen=True)
class NewBatch:
    item: Item
    quantity: Decimal


def batches_create(
    *,
    new: Sequence[NewBatch],
    locked_items: dict[int, Item],
    location: Location,
    origin: str,
    received_at: datetime,
    supplier: Supplier | None = None,
    po_number: str = "",
    shipment_number: str = "",
    reference: str = "",
) -> list[Lot]:
    """Create one batch per entry of ``new``, numbered per item, and its lot at ``location``.
    ``locked_items`` comes from ``items_lock``: the numbers are taken from those rows.
    Returns the new lots in the order of ``new`` (each with ``batch`` loaded)."""
    batches = []
    for entry in new:
        item = locked_items[entry.item.id]
        item.last_batch_number += 1
        batches.append(
            Batch(
                item=item,
                number=item.last_batch_number,
                origin=origin,
                supplier=supplier,
                po_number=po_number,
                shipment_number=shipment_number,
                reference=reference,
                received_at=received_at,
                initial_quantity=entry.quantity,
            )
        )
    Item.objects.bulk_update(locked_items.values(), ["last_batch_number"])
    Batch.objects.bulk_create(batches)
    lots = [
        Lot(batch=batch, item=batch.item, location=location, quantity=batch.initial_quantity)
        for batch in batches
    ]
    Lot.objects.bulk_create(lots)
    return lots


def lots_fifo(*, item: Item, location: Location) -> list[Lot]:
    """The non-empty lots of one item at one location, oldest batch first."""
    return list(Lot.objects.non_empty().filter(item=item, location=location).select_related("batch").fifo())


@dataclass(frozen=True)
class Take:
    lot: Lot
    quantity: Decimal


def lots_plan(lots: Sequence[Lot], quantity: Decimal) -> tuple[list[Take], Decimal]:
    """Which lots give how much (FIFO), and what they cannot cover. Changes nothing."""
    allocation = allocate(((lot, lot.quantity) for lot in lots), quantity)
    return [Take(lot, take) for lot, take in allocation.takes], allocation.shortfall


def lots_take(takes: Sequence[Take]) -> None:
    """Remove planned quantities from their lots (which stay, possibly empty)."""
    for take in takes:
        take.lot.quantity -= take.quantity
    Lot.objects.bulk_update([take.lot for take in takes], ["quantity"])


def lots_put(*, location: Location, item: Item, arrivals: Sequence[tuple[Batch, Decimal]]) -> list[Lot]:
    """Add units of existing batches to their lots at ``location`` (creating missing lots).
    Returns the receiving lots in the order of ``arrivals``."""
    batch_ids = [batch.id for batch, _ in arrivals]
    existing = {lot.batch_id: lot for lot in Lot.objects.filter(location=location, batch_id__in=batch_ids)}
    created, updated, result = [], [], []
    for batch, quantity in arrivals:
        lot = existing.get(batch.id)
        if lot is None:
            lot = Lot(batch=batch, item=item, location=location, quantity=quantity)
            created.append(lot)
        else:
            lot.quantity += quantity
            updated.append(lot)
        lot.batch = batch
        result.append(lot)
    if created:
        Lot.objects.bulk_create(created)
    if updated:
        Lot.objects.bulk_update(updated, ["quantity"])
    return result
