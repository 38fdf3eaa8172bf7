"""What the item history and batch pages show of the ledger, ready to display.

Rows are built from querysets the shared selectors already load in a fixed number of
queries (``movements_with_lines``, ``batches``, ``batch_trace``); nothing here queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from hardfin.quantities import Quantity
from inventory.models import Location
from lots.models import Batch

from .models import Movement, MovementLine

Kind = Movement.Kind


@dataclass(frozen=True)
class Change:
    """How a movement changed the stock of its item at one location."""

    location: Location
    quantity: Quantity


@dataclass
class HistoryRow:
    movement: Movement
    changes: list[Change]
    #: ``(batch number, quantity)`` per ledger line.
    batches: list[tuple[str, Quantity]]
    reference: str


def stock_changes(movement: Movement) -> list[Change]:
    """Signed changes per location, so that a location's changes add up to its stock level.

    A settlement changes no stock level: the build already counted the units it was short,
    and the arriving units that pay for them were counted by their own movement."""
    unit = movement.item.unit
    if movement.kind == Kind.SETTLEMENT:
        return [Change(movement.from_location, Quantity(Decimal(0), unit, signed=True))]
    changes = []
    if movement.from_location_id:
        changes.append(Change(movement.from_location, Quantity(-movement.quantity, unit, signed=True)))
    if movement.to_location_id:
        changes.append(Change(movement.to_location, Quantity(movement.quantity, unit, signed=True)))
    return changes


def reference_text(movement: Movement) -> str:
    """The movement's reference, named after what it is for its kind."""
    reference = movement.reference
    if movement.kind == Kind.RECEIPT:
        shipment = f", shipment {movement.shipment_number}" if movement.shipment_number else ""
        return f"PO {reference}{shipment}"
    if movement.kind == Kind.BUILD:
        return f"Build {reference}"
    if movement.kind == Kind.SETTLEMENT:
        return f"Shortfall of build {reference} settled"
    if movement.kind == Kind.REPLACEMENT:
        return f"Asset {reference}"
    if movement.kind == Kind.ADJUSTMENT:
        return ""  # the reason column says it
    return reference


def history_rows(movements: Iterable[Movement], *, location_code: str = "") -> list[HistoryRow]:
    """One row per movement (from ``movements_with_lines``); with ``location_code``, only
    the change at that location is shown."""
    rows = []
    for movement in movements:
        changes = stock_changes(movement)
        if location_code:
            changes = [change for change in changes if change.location.code.lower() == location_code.lower()]
        batches = [(line.batch.label, Quantity(line.quantity, movement.item.unit)) for line in movement.lines.all()]
        rows.append(HistoryRow(movement, changes, batches, reference_text(movement)))
    return rows


@dataclass
class BatchRow:
    batch: Batch
    initial: Quantity
    on_hand: Quantity


def batch_rows(batches: Iterable[Batch]) -> list[BatchRow]:
    """Batches from ``lots.selectors.batches()`` (annotated with ``on_hand``)."""
    return [
        BatchRow(batch, Quantity(batch.initial_quantity, batch.item.unit), Quantity(batch.on_hand, batch.item.unit))
        for batch in batches
    ]


@dataclass
class TraceRow:
    line: MovementLine
    quantity: Quantity
    reference: str


def trace_rows(lines: Iterable[MovementLine]) -> list[TraceRow]:
    """Lines from ``batch_trace``: where the batch's units went, one ledger line each."""
    return [
        TraceRow(line, Quantity(line.quantity, line.movement.item.unit), reference_text(line.movement))
        for line in lines
    ]
