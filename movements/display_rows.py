"""What the item history and batch pages show of the ledger, ready to display.

Rows are built from querysets the shared selectors already load in a fixed number of
queries (``movements_with_lines``, ``batches``, ``batch_trace``); nothing here queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from hardfin.money import exact_value, sum_values
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


@dataclass(frozen=True)
class LineCost:
    """One ledger line as the pages show its money: its batch, quantity, the batch's unit cost
    and the exact value (both None while the cost is unknown; the template rounds once)."""

    label: str
    quantity: Quantity
    unit_cost: Decimal | None
    value: Decimal | None


def line_costs(movement: Movement) -> list[LineCost]:
    unit = movement.item.unit
    return [
        LineCost(line.batch.label, Quantity(line.quantity, unit), line.batch.unit_cost,
                 exact_value(line.quantity, line.batch.unit_cost))
        for line in movement.lines.all()
    ]


@dataclass
class HistoryRow:
    movement: Movement
    changes: list[Change]
    #: ``(batch number, quantity)`` per ledger line.
    batches: list[tuple[str, Quantity]]
    reference: str
    #: In words, what a short build or a settlement did (empty for other movements):
    #: ``Built 10 ea, 6 ea short — settled later``, ``Settled 6 ea of build B-7's shortfall``.
    shortfall_note: str = ""
    #: The lines with their costs and values, and the movement's exact value: the sum of its
    #: lines' (None if any line's cost is unknown; 0 for a build that found nothing in stock).
    lines: list[LineCost] = field(default_factory=list)
    value: Decimal | None = None


def stock_changes(movement: Movement) -> list[Change]:
    """Signed changes per location, so that a location's changes add up to its stock level.

    A settlement changes no stock level: the build already counted the units it was short,
    and the arriving units that pay for them were counted by their own movement. So it shows
    no change (its quantity is in ``shortfall_text``)."""
    unit = movement.item.unit
    if movement.kind == Kind.SETTLEMENT:
        return []
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


def shortfall_text(movement: Movement) -> str:
    """A short build or a settlement in words. A build's shortfalls must be prefetched
    (``ledger_newest_first``, ``document_movements``); without them a build reads as whole."""
    unit = movement.item.unit
    if movement.kind == Kind.SETTLEMENT:
        return f"Settled {Quantity(movement.quantity, unit)} of the shortfall of build {movement.reference}"
    if movement.kind != Kind.BUILD:
        return ""
    cache = getattr(movement, "_prefetched_objects_cache", {})
    if "shortfalls" not in cache:
        return ""
    short = [shortfall for shortfall in cache["shortfalls"]]
    if not short:
        return ""
    missing = sum((shortfall.quantity for shortfall in short), Decimal(0))
    outstanding = sum((shortfall.outstanding for shortfall in short), Decimal(0))
    text = f"Built {Quantity(movement.quantity, unit)}, {Quantity(missing, unit)} short"
    if outstanding == 0:
        return f"{text} — settled later"
    if outstanding == missing:
        return f"{text} — still open"
    return f"{text} — {Quantity(outstanding, unit)} still open"


def history_rows(movements: Iterable[Movement], *, location_code: str = "") -> list[HistoryRow]:
    """One row per movement (from ``movements_with_lines``); with ``location_code``, only
    the change at that location is shown."""
    rows = []
    for movement in movements:
        changes = stock_changes(movement)
        if location_code:
            changes = [change for change in changes if change.location.code.lower() == location_code.lower()]
        batches = [(line.batch.label, Quantity(line.quantity, movement.item.unit)) for line in movement.lines.all()]
        rows.append(HistoryRow(movement, changes, batches, reference_text(movement), shortfall_text(movement),
                               line_costs(movement), movement.exact_value))
    return rows


def signed_quantity(movement: Movement) -> Quantity:
    """The movement's quantity with the sign of its effect where it has one direction: an
    adjustment up is ``+5 ea``, down ``-5 ea``; a receipt adds, a build or replacement takes
    away; a transfer or a settlement is shown unsigned (it changes no total)."""
    unit = movement.item.unit
    if movement.kind in (Kind.TRANSFER, Kind.SETTLEMENT):
        return Quantity(movement.quantity, unit)
    if movement.to_location_id and not movement.from_location_id:
        return Quantity(movement.quantity, unit, signed=True)
    return Quantity(-movement.quantity, unit, signed=True)


def kind_label(movement: Movement) -> str:
    """``Adjustment up``, ``Adjustment down``, ``Receipt``…"""
    label = movement.get_kind_display()
    return f"{label} {movement.direction}" if movement.direction else label


@dataclass
class DocumentLine:
    """One line of a receipt, build or replacement as its document page prints it."""

    movement: Movement
    quantity: Quantity
    batches: list[tuple[str, Quantity]]
    shortfall_note: str
    lines: list[LineCost] = field(default_factory=list)
    #: The exact value of the movement (None if a line's cost is unknown).
    value: Decimal | None = None


def document_value(lines: Iterable[DocumentLine]) -> Decimal | None:
    """The total value of one receipt's or build's lines (``document_lines``): the exact sum of
    their exact values, rounded only when shown; None if any is unknown."""
    return sum_values(line.value for line in lines)


def document_lines(movements: Iterable[Movement]) -> list[DocumentLine]:
    """From ``document_movements``: one line per item, with the batches it moved."""
    return [
        DocumentLine(
            movement,
            # An adjustment's line says its direction (+2 ea, -5 ea); other documents list
            # what was received, built or used, all in one direction.
            signed_quantity(movement) if movement.kind == Kind.ADJUSTMENT else Quantity(movement.quantity, movement.item.unit),
            [(line.batch.label, Quantity(line.quantity, movement.item.unit)) for line in movement.lines.all()],
            shortfall_text(movement),
            line_costs(movement),
            movement.exact_value,
        )
        for movement in movements
    ]


@dataclass
class ShortfallRow:
    shortfall: object
    quantity: Quantity
    outstanding: Quantity
    settled: Quantity


def shortfall_rows(shortfalls) -> list[ShortfallRow]:
    """From ``open_shortfalls``: how much was short, how much is still open, how much settled."""
    rows = []
    for shortfall in shortfalls:
        unit = shortfall.item.unit
        rows.append(ShortfallRow(
            shortfall, Quantity(shortfall.quantity, unit), Quantity(shortfall.outstanding, unit),
            Quantity(shortfall.quantity - shortfall.outstanding, unit),
        ))
    return rows


@dataclass
class BatchRow:
    batch: Batch
    initial: Quantity
    on_hand: Quantity
    #: The PO number, or for a batch made by an upward adjustment its reason by label.
    reference: str = ""

    @property
    def unit_cost(self) -> Decimal | None:
        return self.batch.unit_cost

    @property
    def on_hand_value(self) -> Decimal | None:
        """The exact value of the units on hand (None while the cost is unknown)."""
        return exact_value(self.batch.on_hand, self.batch.unit_cost)


def batch_rows(batches: Iterable[Batch], *, reason_labels: dict[str, str] | None = None) -> list[BatchRow]:
    """Batches from ``lots.selectors.batches()`` (annotated with ``on_hand``). A batch made
    by an adjustment keeps its reason's code as reference; ``reason_labels`` (code → label)
    turns it into the label people read."""
    labels = reason_labels or {}
    rows = []
    for batch in batches:
        reference = batch.reference
        if batch.origin == Batch.Origin.ADJUSTMENT and reference:
            reference = labels.get(reference, reference)
        rows.append(BatchRow(batch, Quantity(batch.initial_quantity, batch.item.unit),
                             Quantity(batch.on_hand, batch.item.unit), reference))
    return rows


@dataclass
class TraceRow:
    line: MovementLine
    quantity: Quantity
    reference: str

    @property
    def value(self) -> Decimal | None:
        """The exact value of the units this line moved (None while the cost is unknown)."""
        return self.line.exact_value


def trace_rows(lines: Iterable[MovementLine]) -> list[TraceRow]:
    """Lines from ``batch_trace``: where the batch's units went, one ledger line each."""
    return [
        TraceRow(line, Quantity(line.quantity, line.movement.item.unit),
                 reference_text(line.movement) or _reason_label(line.movement))
        for line in lines
    ]


def _reason_label(movement: Movement) -> str:
    """An adjustment's reason by label (select ``movement__reason`` with the lines)."""
    return movement.reason.label if movement.reason_id else ""
