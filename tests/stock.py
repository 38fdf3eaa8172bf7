"""The one set of helpers that put stock in place for tests. They go through the movement
services, as any door does (only the ledger writes stock: tests/test_layers.py), so what they
set up is what a user could have recorded. The stocked fixtures built on them live in
tests/conftest.py, each named for what it holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from inventory.models import Item, Location
from movements.models import Movement
from movements.services import Line, receipt_create, transfer_create


def receive(item, location, quantity, *, supplier, user, po_number="PO-1", unit_cost=None, **options) -> Movement:
    """Receive ``quantity`` of ``item`` at ``location`` from ``supplier`` as one new batch
    (at ``unit_cost``, unknown by default), recorded by ``user``; the receipt's movement.
    ``options`` go to ``receipt_create`` (``occurred_at``, ``received_at``, ``shipment_number``,
    ``note``)."""
    receipt = receipt_create(
        supplier=supplier, location=location, po_number=po_number, lines=[Line(item, quantity, unit_cost)], user=user,
        **options,
    )
    return receipt.movements[0]


@dataclass(frozen=True)
class WorkedExample:
    """What ``worked_example`` recorded, in order: the receipts of batches 0001 and 0002 and
    the transfers of 25 and 120 (as far as it went)."""

    item: Item
    chicago: Location
    milwaukee: Location
    movements: tuple[Movement, ...]

    @property
    def receipts(self) -> tuple[Movement, ...]:
        return tuple(m for m in self.movements if m.kind == Movement.Kind.RECEIPT)

    @property
    def transfers(self) -> tuple[Movement, ...]:
        return tuple(m for m in self.movements if m.kind == Movement.Kind.TRANSFER)


def worked_example(item, chicago, milwaukee, *, supplier, user, steps: int = 4,
                   occurred_at: Sequence[datetime] | None = None, first_transfer_reference: str = "") -> WorkedExample:
    """DESIGN.md's LDR-4.1 story, recorded by ``user``: receive 100 at Chicago (batch 0001,
    PO-1001), transfer 25 to Milwaukee, receive 200 at Chicago (0002, PO-1002), transfer 120
    to Milwaukee. At the end Chicago has 155 of 0002 (and an empty lot of 0001), Milwaukee
    100 of 0001 and 45 of 0002.

    ``steps`` stops the story early (2: Chicago holds 75 of 0001, Milwaukee 25 of it; 3: and
    200 of 0002 at Chicago). ``occurred_at`` dates each step; ``first_transfer_reference`` is
    the reference of the transfer of 25."""
    def when(step: int) -> dict:
        return {"occurred_at": occurred_at[step]} if occurred_at else {}

    def move(quantity, step: int, reference: str = "") -> Movement:
        return transfer_create(item=item, source=chicago, destination=milwaukee, quantity=quantity, user=user,
                               reference=reference, **when(step))

    story = [
        lambda: receive(item, chicago, "100", supplier=supplier, user=user, po_number="PO-1001", **when(0)),
        lambda: move("25", 1, first_transfer_reference),
        lambda: receive(item, chicago, "200", supplier=supplier, user=user, po_number="PO-1002", **when(2)),
        lambda: move("120", 3),
    ]
    movements = tuple(step() for step in story[:steps])
    return WorkedExample(item=item, chicago=chicago, milwaukee=milwaukee, movements=movements)
