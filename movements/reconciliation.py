"""Checks every invariant of DESIGN.md rule 3 against the database, read-only.

All sums are grouped in the database, so the check's memory grows with the number of lots
and item-locations, not with the length of the ledger."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from hardfin.quantities import fmt
from inventory.models import Item, Location, StockLevel
from lots.models import Batch, Lot

from .models import Movement, MovementLine, Shortfall

ZERO = Decimal(0)


@dataclass(frozen=True)
class Mismatch:
    check: str
    subject: str
    expected: Decimal
    actual: Decimal

    def __str__(self):
        return f"[{self.check}] {self.subject}: expected {fmt(self.expected)}, found {fmt(self.actual)}"


def _sum(value) -> Decimal:
    return value if value is not None else ZERO


def reconcile() -> list[Mismatch]:
    skus = dict(Item.objects.values_list("id", "sku"))
    codes = dict(Location.objects.values_list("id", "code"))
    labels = {bid: (item_id, number) for bid, item_id, number in Batch.objects.values_list("id", "item_id", "number")}

    def pair(item_id, location_id):
        return f"{skus[item_id]} @ {codes[location_id]}"

    def batch_at(batch_id, location_id):
        item_id, number = labels[batch_id]
        return f"{skus[item_id]} batch {number:04d} @ {codes[location_id]}"

    mismatches: list[Mismatch] = []

    # 1. Every lot equals the replay of the ledger lines that touched it.
    replay: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for batch_id, location_id, total in (
        MovementLine.objects.filter(to_location__isnull=False)
        .values_list("batch_id", "to_location_id").annotate(total=Sum("quantity")).order_by()
    ):
        replay[batch_id, location_id] += total
    for batch_id, location_id, total in (
        MovementLine.objects.filter(from_location__isnull=False)
        .values_list("batch_id", "from_location_id").annotate(total=Sum("quantity")).order_by()
    ):
        replay[batch_id, location_id] -= total
    lots = {(b, loc): q for b, loc, q in Lot.objects.values_list("batch_id", "location_id", "quantity")}
    for key in sorted(set(replay) | set(lots)):
        expected, actual = replay.get(key, ZERO), lots.get(key)
        if actual is None or expected != actual:
            mismatches.append(Mismatch("lot vs ledger replay", batch_at(*key), expected, actual if actual is not None else ZERO))
        if actual is not None and actual < 0:
            mismatches.append(Mismatch("lot not negative", batch_at(*key), ZERO, actual))

    # 2. Every stock level equals its lots minus its open shortfalls.
    lot_sums = defaultdict(lambda: ZERO)
    for item_id, location_id, total in Lot.objects.values_list("item_id", "location_id").annotate(t=Sum("quantity")).order_by():
        lot_sums[item_id, location_id] = total
    open_sums = defaultdict(lambda: ZERO)
    for item_id, location_id, total in (
        Shortfall.objects.filter(outstanding__gt=0).values_list("item_id", "location_id")
        .annotate(t=Sum("outstanding")).order_by()
    ):
        open_sums[item_id, location_id] = total
    levels = {(i, loc): q for i, loc, q in StockLevel.objects.values_list("item_id", "location_id", "quantity")}
    for key in sorted(set(levels) | set(lot_sums) | set(open_sums)):
        expected = lot_sums[key] - open_sums[key]
        actual = levels.get(key, ZERO)
        if key not in levels or expected != actual:
            mismatches.append(Mismatch("stock level vs lots - shortfalls", pair(*key), expected, actual))

    # 3. Conservation per item: on hand = received + adjusted up - down - built - replaced.
    Kind = Movement.Kind
    flows = defaultdict(lambda: ZERO)
    incoming = Movement.objects.filter(kind__in=[Kind.RECEIPT, Kind.ADJUSTMENT], to_location__isnull=False)
    outgoing = Movement.objects.filter(
        kind__in=[Kind.ADJUSTMENT, Kind.BUILD, Kind.REPLACEMENT], from_location__isnull=False
    )
    for sign, movements in ((1, incoming), (-1, outgoing)):
        for item_id, total in movements.values_list("item_id").annotate(t=Sum("quantity")).order_by():
            flows[item_id] += sign * total
    on_hand = defaultdict(lambda: ZERO)
    for (item_id, _), total in lot_sums.items():
        on_hand[item_id] += total
    for (item_id, _), total in open_sums.items():
        on_hand[item_id] -= total
    for item_id in sorted(set(flows) | set(on_hand)):
        if flows[item_id] != on_hand[item_id]:
            mismatches.append(Mismatch("conservation (lots - shortfalls vs ledger)", skus[item_id], flows[item_id], on_hand[item_id]))

    # 4. Each movement's lines add up to its quantity; a build's gap is exactly its shortfall.
    line_sums = dict(MovementLine.objects.values_list("movement_id").annotate(t=Sum("quantity")).order_by())
    shortfall_by_build = dict(Shortfall.objects.values_list("build_id").annotate(t=Sum("quantity")).order_by())
    for movement_id, kind, item_id, quantity in Movement.objects.values_list("id", "kind", "item_id", "quantity").iterator():
        covered = _sum(line_sums.get(movement_id))
        if kind == Movement.Kind.BUILD:
            covered += _sum(shortfall_by_build.get(movement_id))
        if covered != quantity:
            mismatches.append(Mismatch(f"{kind} lines add up", f"movement #{movement_id} ({skus[item_id]})", quantity, covered))

    # 5. Each shortfall's outstanding = its quantity minus what settlements paid.
    settled = dict(
        Movement.objects.filter(kind=Movement.Kind.SETTLEMENT).values_list("shortfall_id").annotate(t=Sum("quantity")).order_by()
    )
    for sid, item_id, location_id, quantity, outstanding, settled_at in Shortfall.objects.values_list(
        "id", "item_id", "location_id", "quantity", "outstanding", "settled_at"
    ):
        expected = quantity - _sum(settled.get(sid))
        if expected != outstanding:
            mismatches.append(Mismatch("shortfall outstanding", f"shortfall #{sid} {pair(item_id, location_id)}", expected, outstanding))
        if (outstanding == 0) != (settled_at is not None):
            mismatches.append(Mismatch("shortfall settled_at set iff settled", f"shortfall #{sid}", ZERO, outstanding))

    # 6. Each batch's initial quantity is what its creating movement brought in.
    created = dict(
        MovementLine.objects.filter(
            movement__kind__in=[Movement.Kind.RECEIPT, Movement.Kind.ADJUSTMENT], to_location__isnull=False
        ).values_list("batch_id").annotate(t=Sum("quantity")).order_by()
    )
    for bid, initial in Batch.objects.values_list("id", "initial_quantity"):
        if _sum(created.get(bid)) != initial:
            item_id, number = labels[bid]
            mismatches.append(Mismatch("batch initial quantity", f"{skus[item_id]} batch {number:04d}", initial, _sum(created.get(bid))))

    return mismatches
