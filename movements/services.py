"""The five business actions that move stock, one function each, one transaction each.

Every function follows the locking protocol of DESIGN.md:
1. item rows, by id — only when a new batch number is taken (receipts, adjustments up);
2. the stock levels of every (item, location) touched, by (item id, location id);
3. then the lots of those locked stock levels, read oldest batch first and changed.
Since every writer takes its locks in that one global order, two writers cannot wait for each
other in a cycle. ``retry_on_conflict`` still retries a deadlock or serialization failure that
the database reports (and SQLite's "database is locked") a bounded number of times.

Quantities come in as anything ``check_quantity`` reads exactly and leave as Decimals.
Permissions are checked here as well as in every door, so no door can forget them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hardfin.db import retry_on_conflict
from inventory.errors import (
    InsufficientStock,
    InvalidInput,
    PermissionDeniedError,
    SameLocation,
    Shortage,
    UnknownObject,
)
from inventory.models import Item, Location, Supplier
from inventory.quantities import check_quantity
from inventory.services import catalog_create, require_active, stock_levels_lock, stock_levels_save
from lots.models import Batch, Lot
from lots.services import NewBatch, Take, batches_create, items_lock, lots_fifo, lots_plan, lots_put, lots_take

from .models import AdjustmentReason, Movement, MovementLine, Shortfall

Kind = Movement.Kind


@dataclass(frozen=True)
class Line:
    """One line of a receipt or a build as a door hands it over."""

    item: Item
    quantity: Decimal | str | int


@dataclass
class Receipt:
    po_number: str
    shipment_number: str
    movements: list[Movement] = field(default_factory=list)
    #: Settlements of open build shortfalls that the received units paid for at once.
    settlements: list[Movement] = field(default_factory=list)


@dataclass
class Build:
    reference: str
    movements: list[Movement] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)


# --- permissions --------------------------------------------------------------------------------

PERMISSION = {
    Kind.TRANSFER: "movements.add_transfer",
    Kind.ADJUSTMENT: "movements.add_adjustment",
    Kind.RECEIPT: "movements.add_receipt",
    Kind.BUILD: "movements.add_build",
    Kind.REPLACEMENT: "movements.add_replacement",
}


def user_can(user, kind: str) -> bool:
    """Whether ``user`` may record movements of ``kind`` (groups grant these permissions)."""
    return bool(user and user.is_active and user.has_perm(PERMISSION[kind]))


def _require(user, kind: str) -> None:
    if not user_can(user, kind):
        raise PermissionDeniedError(f"You are not allowed to record {Kind(kind).label.lower()}s.")


# --- shared steps -------------------------------------------------------------------------------

def _write_movement(*, lines: Sequence[tuple[Batch, Decimal]], from_location=None, to_location=None, **fields) -> Movement:
    movement = Movement.objects.create(from_location=from_location, to_location=to_location, **fields)
    MovementLine.objects.bulk_create(
        MovementLine(movement=movement, batch=batch, from_location=from_location, to_location=to_location, quantity=qty)
        for batch, qty in lines
    )
    return movement


def _consume(*, item: Item, location: Location, quantity: Decimal) -> tuple[list[Take], Decimal, Decimal]:
    """Plan a FIFO consumption at a locked item-location: (takes, missing, available)."""
    lots = lots_fifo(item=item, location=location)
    takes, missing = lots_plan(lots, quantity)
    available = sum((lot.quantity for lot in lots), Decimal(0))
    return takes, missing, available


def _settle_arrivals(
    *, item: Item, location: Location, arrived: Sequence[Lot], user, occurred_at: datetime
) -> list[Movement]:
    """Let units that just arrived at a location pay off its open build shortfalls, oldest
    first, each as a ``settlement`` movement that consumes the arriving batches FIFO.

    The caller holds the stock-level lock of (item, location) and has already counted the
    arrival in that level; a settlement leaves the level as it is, since lots and open
    shortfalls fall together. Only arriving units are used: while a shortfall is open the
    location's other lots are empty, as arrivals always settle first."""
    open_shortfalls = list(
        Shortfall.objects.filter(item=item, location=location, outstanding__gt=0).order_by("created_at", "id")
    )
    settlements, changed = [], []
    pool = sorted(arrived, key=lambda lot: lot.batch_id)
    for shortfall in open_shortfalls:
        takes, _ = lots_plan(pool, shortfall.outstanding)
        if not takes:
            break
        paid = sum((take.quantity for take in takes), Decimal(0))
        lots_take(takes)
        shortfall.outstanding -= paid
        if shortfall.outstanding == 0:
            shortfall.settled_at = occurred_at
        changed.append(shortfall)
        settlements.append(
            _write_movement(
                kind=Kind.SETTLEMENT,
                item=item,
                quantity=paid,
                from_location=location,
                reference=shortfall.reference,
                shortfall=shortfall,
                user=user,
                occurred_at=occurred_at,
                lines=[(take.lot.batch, take.quantity) for take in takes],
            )
        )
    if changed:
        Shortfall.objects.bulk_update(changed, ["outstanding", "settled_at"])
    return settlements


def _now(occurred_at: datetime | None) -> datetime:
    return occurred_at or timezone.now()


# --- transfers ----------------------------------------------------------------------------------

@retry_on_conflict
@transaction.atomic
def transfer_create(
    *,
    item: Item,
    source: Location,
    destination: Location,
    quantity,
    user,
    note: str = "",
    reference: str = "",
    occurred_at: datetime | None = None,
) -> Movement:
    """Move units of one item between locations now. The oldest batches at the source leave
    first; the destination receives lots of the same batches."""
    _require(user, Kind.TRANSFER)
    quantity = check_quantity(quantity, fractional=item.fractional, unit=item.unit)
    if source.pk == destination.pk:
        raise SameLocation("Source and destination must be different locations.")
    require_active(item, field="sku")
    require_active(source, field="from_location")
    require_active(destination, field="to_location")
    occurred_at = _now(occurred_at)

    levels = stock_levels_lock([(item.id, source.id), (item.id, destination.id)])
    takes, missing, available = _consume(item=item, location=source, quantity=quantity)
    if missing:
        raise InsufficientStock([Shortage(item.sku, source.code, quantity, available)])
    lots_take(takes)
    arrived = lots_put(
        location=destination, item=item, arrivals=[(take.lot.batch, take.quantity) for take in takes]
    )
    movement = _write_movement(
        kind=Kind.TRANSFER,
        item=item,
        quantity=quantity,
        from_location=source,
        to_location=destination,
        reference=reference,
        note=note,
        user=user,
        occurred_at=occurred_at,
        lines=[(take.lot.batch, take.quantity) for take in takes],
    )
    source_level, destination_level = levels[item.id, source.id], levels[item.id, destination.id]
    source_level.quantity -= quantity
    destination_level.quantity += quantity
    _settle_arrivals(item=item, location=destination, arrived=arrived, user=user, occurred_at=occurred_at)
    stock_levels_save([source_level, destination_level])
    return movement


# --- adjustments --------------------------------------------------------------------------------

@transaction.atomic
def reason_create(*, code: str, label: str, requires_note: bool = False, is_active: bool = True) -> AdjustmentReason:
    """A new adjustment reason; change or retire one with ``inventory.services.catalog_update``
    and ``catalog_delete`` (a reason used by movements can only be deactivated)."""
    return catalog_create(AdjustmentReason, code=code, label=label, requires_note=requires_note, is_active=is_active)


def _resolve_reason(reason: AdjustmentReason | str | None) -> AdjustmentReason:
    if isinstance(reason, AdjustmentReason):
        found = reason
    else:
        if not reason:
            raise InvalidInput("An adjustment needs a reason.", field="reason")
        try:
            found = AdjustmentReason.objects.get(code=str(reason).strip())
        except AdjustmentReason.DoesNotExist:
            raise UnknownObject(f"{reason!r} is not an adjustment reason.", field="reason") from None
    if not found.is_active:
        raise InvalidInput(f"The reason {found.code!r} is no longer in use.", field="reason")
    return found


@retry_on_conflict
@transaction.atomic
def adjustment_create(
    *,
    item: Item,
    location: Location,
    direction: str,
    quantity,
    reason: AdjustmentReason | str | None,
    user,
    note: str = "",
    occurred_at: datetime | None = None,
    received_at: datetime | None = None,
) -> Movement:
    """Correct the count of one item at one location. Up creates a new batch (origin
    adjustment; ``received_at`` dates it, by default now); down consumes the oldest batches
    first. Managers and Accountants only."""
    _require(user, Kind.ADJUSTMENT)
    if direction not in ("up", "down"):
        raise InvalidInput("Direction must be 'up' or 'down'.", field="direction")
    quantity = check_quantity(quantity, fractional=item.fractional, unit=item.unit)
    reason = _resolve_reason(reason)
    note = (note or "").strip()
    if reason.requires_note and not note:
        raise InvalidInput(f"Explain the adjustment in the note when the reason is {reason.label!r}.", field="note")
    require_active(item, field="sku")
    require_active(location, field="location")
    occurred_at = _now(occurred_at)

    if direction == "up":
        locked_items = items_lock([item.id])
        [level] = stock_levels_lock([(item.id, location.id)]).values()
        [lot] = batches_create(
            new=[NewBatch(item, quantity)],
            locked_items=locked_items,
            location=location,
            origin=Batch.Origin.ADJUSTMENT,
            received_at=received_at or occurred_at,
            reference=reason.code,
        )
        movement = _write_movement(
            kind=Kind.ADJUSTMENT, item=item, quantity=quantity, to_location=location, reason=reason,
            reference=reason.code, note=note, user=user, occurred_at=occurred_at, lines=[(lot.batch, quantity)],
        )
        level.quantity += quantity
        _settle_arrivals(item=item, location=location, arrived=[lot], user=user, occurred_at=occurred_at)
    else:
        [level] = stock_levels_lock([(item.id, location.id)]).values()
        takes, missing, available = _consume(item=item, location=location, quantity=quantity)
        if missing:
            raise InsufficientStock([Shortage(item.sku, location.code, quantity, available)])
        lots_take(takes)
        movement = _write_movement(
            kind=Kind.ADJUSTMENT, item=item, quantity=quantity, from_location=location, reason=reason,
            reference=reason.code, note=note, user=user, occurred_at=occurred_at,
            lines=[(take.lot.batch, take.quantity) for take in takes],
        )
        level.quantity -= quantity
    stock_levels_save([level])
    return movement


# --- receipts -----------------------------------------------------------------------------------

def _check_lines(lines: Sequence[Line]) -> list[tuple[Item, Decimal]]:
    if not lines:
        raise InvalidInput("Add at least one line.", field="lines")
    checked = []
    for index, line in enumerate(lines):
        try:
            quantity = check_quantity(line.quantity, fractional=line.item.fractional, unit=line.item.unit)
            require_active(line.item, field="sku")
        except InvalidInput as exc:
            exc.line = index
            exc.message = f"Line {index + 1} ({line.item.sku}): {exc.message}"
            exc.args = (exc.message,)
            raise
        checked.append((line.item, quantity))
    return checked


@retry_on_conflict
@transaction.atomic
def receipt_create(
    *,
    supplier: Supplier,
    location: Location,
    po_number: str,
    lines: Sequence[Line],
    user,
    shipment_number: str = "",
    note: str = "",
    occurred_at: datetime | None = None,
    received_at: datetime | None = None,
) -> Receipt:
    """Receive an inbound shipment: each line becomes a new batch at ``location`` (dated
    ``received_at``, by default now) and a ``receipt`` movement. Open build shortfalls there
    are settled first from the new units."""
    _require(user, Kind.RECEIPT)
    po_number = (po_number or "").strip()
    if not po_number:
        raise InvalidInput("A receipt needs the PO number.", field="po_number")
    require_active(supplier, field="supplier")
    require_active(location, field="location")
    checked = _check_lines(lines)
    occurred_at = _now(occurred_at)

    locked_items = items_lock(item.id for item, _ in checked)
    levels = stock_levels_lock((item.id, location.id) for item, _ in checked)
    lots = batches_create(
        new=[NewBatch(item, quantity) for item, quantity in checked],
        locked_items=locked_items,
        location=location,
        origin=Batch.Origin.RECEIPT,
        received_at=received_at or occurred_at,
        supplier=supplier,
        po_number=po_number,
        shipment_number=shipment_number or "",
        reference=po_number,
    )
    receipt = Receipt(po_number=po_number, shipment_number=shipment_number or "")
    for (item, quantity), lot in zip(checked, lots, strict=True):
        receipt.movements.append(
            _write_movement(
                kind=Kind.RECEIPT, item=item, quantity=quantity, to_location=location, reference=po_number,
                supplier=supplier, shipment_number=shipment_number or "", note=note, user=user,
                occurred_at=occurred_at, lines=[(lot.batch, quantity)],
            )
        )
        levels[item.id, location.id].quantity += quantity
    # One pass per item, after all its lines have arrived, so the oldest batch pays first.
    by_item: dict[int, list[Lot]] = {}
    for (item, _), lot in zip(checked, lots, strict=True):
        by_item.setdefault(item.id, []).append(lot)
    for item_id, arrived in by_item.items():
        receipt.settlements += _settle_arrivals(
            item=locked_items[item_id], location=location, arrived=arrived, user=user, occurred_at=occurred_at
        )
    stock_levels_save(levels.values())
    return receipt


# --- builds -------------------------------------------------------------------------------------

@retry_on_conflict
@transaction.atomic
def build_create(
    *,
    location: Location,
    reference: str,
    lines: Sequence[Line],
    user,
    allow_shortfall: bool = False,
    note: str = "",
    occurred_at: datetime | None = None,
) -> Build:
    """Consume parts at one location into an assembly (``reference`` names the build), the
    oldest batches first. Every short line is reported at once. With ``allow_shortfall`` a
    short line takes what is there and records the rest as an open shortfall, which the next
    units arriving at that location settle first."""
    _require(user, Kind.BUILD)
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput("A build needs a reference.", field="reference")
    require_active(location, field="location")
    checked = _check_lines(lines)
    seen = set()
    for item, _ in checked:
        if item.id in seen:
            raise InvalidInput(f"{item.sku} appears on more than one line; put its whole quantity on one line.",
                               field="lines")
        seen.add(item.id)
    occurred_at = _now(occurred_at)

    levels = stock_levels_lock((item.id, location.id) for item, _ in checked)
    plans, shortages = [], []
    for item, quantity in checked:
        takes, missing, available = _consume(item=item, location=location, quantity=quantity)
        plans.append((item, quantity, takes, missing))
        if missing:
            shortages.append(Shortage(item.sku, location.code, quantity, available))
    if shortages and not allow_shortfall:
        raise InsufficientStock(shortages)

    build = Build(reference=reference)
    for item, quantity, takes, missing in plans:
        lots_take(takes)
        movement = _write_movement(
            kind=Kind.BUILD, item=item, quantity=quantity, from_location=location, reference=reference,
            note=note, user=user, occurred_at=occurred_at, lines=[(take.lot.batch, take.quantity) for take in takes],
        )
        build.movements.append(movement)
        if missing:
            build.shortfalls.append(
                Shortfall.objects.create(
                    item=item, location=location, build=movement, reference=reference,
                    quantity=missing, outstanding=missing, created_at=occurred_at,
                )
            )
        levels[item.id, location.id].quantity -= quantity
    stock_levels_save(levels.values())
    return build


# --- replacements -------------------------------------------------------------------------------

@retry_on_conflict
@transaction.atomic
def replacement_create(
    *,
    item: Item,
    location: Location,
    quantity,
    asset: str,
    user,
    note: str = "",
    occurred_at: datetime | None = None,
) -> Movement:
    """Use parts from one location to repair an asset; the oldest batches go first."""
    _require(user, Kind.REPLACEMENT)
    asset = (asset or "").strip()
    if not asset:
        raise InvalidInput("Name the asset the parts went into.", field="asset")
    quantity = check_quantity(quantity, fractional=item.fractional, unit=item.unit)
    require_active(item, field="sku")
    require_active(location, field="location")
    occurred_at = _now(occurred_at)

    [level] = stock_levels_lock([(item.id, location.id)]).values()
    takes, missing, available = _consume(item=item, location=location, quantity=quantity)
    if missing:
        raise InsufficientStock([Shortage(item.sku, location.code, quantity, available)])
    lots_take(takes)
    movement = _write_movement(
        kind=Kind.REPLACEMENT, item=item, quantity=quantity, from_location=location, reference=asset,
        note=note, user=user, occurred_at=occurred_at, lines=[(take.lot.batch, take.quantity) for take in takes],
    )
    level.quantity -= quantity
    stock_levels_save([level])
    return movement
