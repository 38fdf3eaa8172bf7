"""The five business actions that move stock, one function each, one transaction each.

Each one reads the same way: check the input → lock → consume / arrive → record, over the
ledger's primitives in ``movements.ledger``, which keep the locking protocol of DESIGN.md (item
rows when numbering batches, then the stock levels by (item id, location id), then their lots)
and change every lot together with its stock level. ``retry_on_conflict`` retries a deadlock
or serialization failure that the database still reports (and SQLite's "database is locked") a
bounded number of times.

Quantities come in as anything ``check_quantity`` reads exactly and leave as Decimals.
Permissions are checked here as well as in every door, so no door can forget them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction

from hardfin.db import retry_on_conflict
from hardfin.errors import (
    InvalidInput,
    PermissionDeniedError,
    SameLocation,
    UnknownObject,
)
from hardfin.money import CostAlreadySet, check_unit_cost
from hardfin.quantities import check_quantity
from inventory.models import Item, Location, Supplier
from inventory.services import catalog_create, require_active
from lots.models import Batch

from .ledger import LedgerWrite, adjust_many, lock_many, newest_known_cost, require_stock
from .ledger import batch_cost_set as _ledger_batch_cost_set
from .models import AdjustmentReason, Movement, Shortfall

Kind = Movement.Kind


class Line(NamedTuple):
    """One line of a receipt or a build as a door hands it over; a receipt line may carry
    its ``unit_cost`` (None = unknown)."""

    item: Item
    quantity: Decimal | str | int
    unit_cost: Decimal | str | int | None = None


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


# --- input checks shared by the services ------------------------------------------------------

def _movable(item: Item, quantity) -> Decimal:
    """``quantity`` as a Decimal that ``item`` may move (whole units unless fractional), and
    the item active — as the door read it; checked again against the locked row."""
    quantity = check_quantity(quantity, fractional=item.fractional, unit=item.unit)
    require_active(item, field="sku")
    return quantity


def _check_lines(lines: Iterable[tuple[Item, object]], check: Callable[[Item, object], Decimal]):
    """``[(item, quantity)]`` with every quantity checked by ``check``; an error names its line."""
    lines = list(lines)
    if not lines:
        raise InvalidInput("Add at least one line.", field="lines")
    checked = []
    for index, line in enumerate(lines):
        item, quantity = line[0], line[1]
        try:
            checked.append((item, check(item, quantity)))
        except InvalidInput as exc:
            raise exc.at_line(index, item.sku) from None
    return checked


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

    with LedgerWrite(user=user, occurred_at=occurred_at) as ledger:
        ledger.lock([(item, source), (item, destination)])
        quantity = ledger.require_movable(item, quantity)
        return ledger.move(item=item, source=source, destination=destination, quantity=quantity,
                           kind=Kind.TRANSFER, reference=reference, note=note)


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
            raise UnknownObject(
                f"{reason!r} is not an adjustment reason; see /api/adjustment-reasons/.", field="reason"
            ) from None
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
    unit_cost=None,
) -> Movement:
    """Correct the count of one item at one location. Up creates a new batch (origin
    adjustment; ``received_at`` dates it, by default now) at ``unit_cost``, by default the
    cost of the item's newest batch that has one (else unknown); down consumes the oldest
    batches first, at their own costs. Managers and Accountants only."""
    _require(user, Kind.ADJUSTMENT)
    if direction not in ("up", "down"):
        raise InvalidInput("Direction must be 'up' or 'down'.", field="direction")
    quantity = check_quantity(quantity, fractional=item.fractional, unit=item.unit)
    unit_cost = check_unit_cost(unit_cost)
    if direction == "down" and unit_cost is not None:
        raise InvalidInput(
            "Only an upward adjustment takes a unit cost; units removed keep their batches' costs.",
            field="unit_cost",
        )
    reason = _resolve_reason(reason)
    note = (note or "").strip()
    if reason.requires_note and not note:
        raise InvalidInput(f"Explain the adjustment in the note when the reason is {reason.label!r}.", field="note")
    require_active(item, field="sku")
    require_active(location, field="location")

    with LedgerWrite(user=user, occurred_at=occurred_at) as ledger:
        ledger.lock([(item, location)], numbering=direction == "up")
        quantity = ledger.require_movable(item, quantity)
        if direction == "up":
            if unit_cost is None:
                unit_cost = newest_known_cost(item)
            [lot] = ledger.create_batches(
                location=location, new=[(item, quantity)], origin=Batch.Origin.ADJUSTMENT,
                received_at=received_at, reference=reason.code, unit_costs=[unit_cost],
            )
            moved, places = [(lot.batch, quantity)], {"to_location": location}
        else:
            plan = ledger.plan(item=item, location=location, quantity=quantity)
            require_stock([plan])
            moved, places = ledger.consume(plan), {"from_location": location}
        return ledger.record(
            kind=Kind.ADJUSTMENT, item=item, quantity=quantity, moved=moved, reason=reason,
            reference=reason.code, note=note, **places,
        )


# --- receipts -----------------------------------------------------------------------------------

@retry_on_conflict
@transaction.atomic
def receipt_create(
    *,
    supplier: Supplier,
    location: Location,
    po_number: str,
    lines: Iterable[Line],
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
    shipment_number = shipment_number or ""
    if not po_number:
        raise InvalidInput("A receipt needs the PO number.", field="po_number")
    require_active(supplier, field="supplier")
    require_active(location, field="location")
    lines = list(lines)
    checked = _check_lines(lines, _movable)
    costs = []
    for index, line in enumerate(lines):
        try:
            costs.append(check_unit_cost(getattr(line, "unit_cost", None)))
        except InvalidInput as exc:
            raise exc.at_line(index, line[0].sku) from None

    with LedgerWrite(user=user, occurred_at=occurred_at) as ledger:
        ledger.lock([(item, location) for item, _ in checked], numbering=True)
        checked = _check_lines(checked, ledger.require_movable)
        lots = ledger.create_batches(
            location=location, new=checked, origin=Batch.Origin.RECEIPT, received_at=received_at,
            supplier=supplier, po_number=po_number, shipment_number=shipment_number, reference=po_number,
            unit_costs=costs,
        )
        receipt = Receipt(po_number=po_number, shipment_number=shipment_number)
        for (item, quantity), lot in zip(checked, lots, strict=True):
            receipt.movements.append(
                ledger.record(
                    kind=Kind.RECEIPT, item=item, quantity=quantity, moved=[(lot.batch, quantity)],
                    to_location=location, reference=po_number, supplier=supplier,
                    shipment_number=shipment_number, note=note,
                )
            )
        # After all lines have arrived, so that the oldest batch of an item pays first.
        receipt.settlements = ledger.settle()
    return receipt


# --- builds -------------------------------------------------------------------------------------

@retry_on_conflict
@transaction.atomic
def build_create(
    *,
    location: Location,
    reference: str,
    lines: Iterable[Line],
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
    checked = _check_lines(lines, _movable)
    seen = set()
    for item, _ in checked:
        if item.id in seen:
            raise InvalidInput(f"{item.sku} appears on more than one line; put its whole quantity on one line.",
                               field="lines")
        seen.add(item.id)

    with LedgerWrite(user=user, occurred_at=occurred_at) as ledger:
        ledger.lock([(item, location) for item, _ in checked])
        checked = _check_lines(checked, ledger.require_movable)
        plans = [ledger.plan(item=item, location=location, quantity=quantity) for item, quantity in checked]
        if not allow_shortfall:
            require_stock(plans)
        build = Build(reference=reference)
        for plan in plans:
            moved = ledger.consume(plan)
            movement = ledger.record(
                kind=Kind.BUILD, item=plan.item, quantity=plan.quantity, moved=moved, from_location=location,
                reference=reference, note=note,
            )
            build.movements.append(movement)
            if plan.missing:
                build.shortfalls.append(ledger.shortfall_open(plan, build=movement, reference=reference))
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

    with LedgerWrite(user=user, occurred_at=occurred_at) as ledger:
        ledger.lock([(item, location)])
        quantity = ledger.require_movable(item, quantity)
        plan = ledger.plan(item=item, location=location, quantity=quantity)
        require_stock([plan])
        return ledger.record(
            kind=Kind.REPLACEMENT, item=item, quantity=quantity, moved=ledger.consume(plan),
            from_location=location, reference=asset, note=note,
        )


# --- cost layers --------------------------------------------------------------------------------

SET_UNIT_COST = "lots.set_unit_cost"


def user_can_set_cost(user) -> bool:
    return bool(user and user.is_active and user.has_perm(SET_UNIT_COST))


@retry_on_conflict
@transaction.atomic
def batch_cost_set(*, batch: Batch, unit_cost, user) -> Batch:
    """Give a batch whose cost is still unknown its cost (the invoice came later). A known cost
    is never changed: ``CostAlreadySet``. Managers and Accountants only. The batch's lines are
    not touched: a line's cost is its batch's, so the earlier lines show it too."""
    if not user_can_set_cost(user):
        raise PermissionDeniedError("You are not allowed to set unit costs.")
    unit_cost = check_unit_cost(unit_cost)
    if unit_cost is None:
        raise InvalidInput("Give the unit cost.", field="unit_cost")
    if not _ledger_batch_cost_set(batch, unit_cost):
        known = Batch.objects.filter(pk=batch.pk).values_list("unit_cost", flat=True).first()
        raise CostAlreadySet(
            f"Batch {batch.label} of {batch.item.sku} already has its unit cost ({known}); it is kept for ever."
        )
    return batch



# --- many adjustments in one write (appended for counts) ---------------------------------------

class Correction(NamedTuple):
    """One adjustment of ``adjustments_create``: ``direction`` is ``up`` or ``down``."""

    item: Item
    location: Location
    direction: str
    quantity: Decimal | str | int


@retry_on_conflict
@transaction.atomic
def adjustments_create(
    *,
    corrections: Iterable[Correction],
    reason: AdjustmentReason | str | None,
    user,
    note: str = "",
    occurred_at: datetime | None = None,
) -> list[Movement]:
    """Many adjustments as one write (a count's corrections): each is what ``adjustment_create``
    records — up a new batch, down the oldest batches first — but the locks are taken once for
    all of them, and every short downward line is reported at once. All or nothing. The
    movements in the order given. Managers and Accountants only."""
    _require(user, Kind.ADJUSTMENT)
    reason = _resolve_reason(reason)
    note = (note or "").strip()
    if reason.requires_note and not note:
        raise InvalidInput(f"Explain the adjustment in the note when the reason is {reason.label!r}.", field="note")
    checked, seen = [], set()
    for index, (item, location, direction, quantity) in enumerate(corrections):
        try:
            if (item.id, location.id) in seen:
                raise InvalidInput(f"{item.sku} at {location.code} appears more than once; adjust it once.",
                                   field="sku")
            seen.add((item.id, location.id))
            if direction not in ("up", "down"):
                raise InvalidInput("Direction must be 'up' or 'down'.", field="direction")
            quantity = _movable(item, quantity)
            require_active(location, field="location")
        except InvalidInput as exc:
            raise exc.at_line(index, item.sku) from None
        checked.append(Correction(item, location, direction, quantity))
    if not checked:
        return []

    with LedgerWrite(user=user, occurred_at=occurred_at) as ledger:
        lock_many(ledger, [(c.item, c.location) for c in checked], numbering=any(c.direction == "up" for c in checked))
        for index, correction in enumerate(checked):
            try:
                checked[index] = correction._replace(quantity=ledger.require_movable(correction.item, correction.quantity))
            except InvalidInput as exc:
                raise exc.at_line(index, correction.item.sku) from None
        by_location: dict[int, list[int]] = {}
        for index, correction in enumerate(checked):
            by_location.setdefault(correction.location.id, []).append(index)
        movements: list[Movement | None] = [None] * len(checked)
        for indexes in by_location.values():
            recorded = adjust_many(
                ledger, location=checked[indexes[0]].location, reason=reason, note=note,
                changes=[(checked[i].item, checked[i].direction, checked[i].quantity) for i in indexes],
            )
            for i, movement in zip(indexes, recorded, strict=True):
                movements[i] = movement
    return movements
