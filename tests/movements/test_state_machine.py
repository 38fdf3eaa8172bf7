"""A model-based test of the five movement services (issue 10): Hypothesis drives random
receipts, transfers, adjustments, builds (with and without ``allow_shortfall``) and
replacements — and some bad requests — over three items and three locations, and after every
step compares the database with a small in-memory reference model of FIFO lots written from
DESIGN.md and API.md, not from the code:

- every lot (empty ones included), every batch (number, origin, initial quantity) and each
  item's batch counter;
- every stock level, and which item-locations have one;
- every shortfall (quantity, outstanding, settled or not, the build it belongs to);
- every movement and each of its ledger lines, in the order they were recorded;
- and ``reconcile()`` finds nothing.

It runs on whichever database the suite runs on (SQLite and PostgreSQL in CI). Each example
runs inside one transaction that is rolled back at its end. The default run is small so that
it stays well under a minute per database; a longer hunt:

    HARDFIN_STATE_MACHINE_EXAMPLES=500 HARDFIN_STATE_MACHINE_STEPS=60 bin/test tests/movements/test_state_machine.py
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal

import pytest
from django.db import transaction
from django.db.models import Prefetch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from hardfin.errors import InsufficientStock, InvalidQuantity
from inventory.models import Item, StockLevel
from lots.models import Batch, Lot
from movements.models import Movement, MovementLine, Shortfall
from movements.reconciliation import reconcile
from movements.services import (
    Line,
    adjustment_create,
    build_create,
    reason_create,
    receipt_create,
    replacement_create,
    transfer_create,
)
from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory

EXAMPLES = int(os.environ.get("HARDFIN_STATE_MACHINE_EXAMPLES", "15"))
STEPS = int(os.environ.get("HARDFIN_STATE_MACHINE_STEPS", "20"))

#: (sku, unit, fractional): two whole-unit items and one sold by the metre.
ITEMS = [("BOLT-M8", "ea", False), ("LDR-4.1", "ea", False), ("CABLE-CAT6", "m", True)]
LOCATIONS = ["CHI", "MKE", "DET"]
ZERO = Decimal(0)
#: What the run did, printed at its end (``-s`` shows it): examples, steps, outcomes.
TALLY: Counter[str] = Counter()
STEP = Decimal("0.001")

Kind = Movement.Kind

items = st.integers(0, len(ITEMS) - 1)
locations = st.integers(0, len(LOCATIONS) - 1)
#: Whole part and thousandths of what arrives (whole-unit items ignore the thousandths);
#: what leaves is a share of what is there (``how_much``).
wholes = st.integers(0, 40)
thousandths = st.sampled_from([0, 0, 0, 1, 250, 500, 999])


def quantity_for(item: int, whole: int, frac: int) -> Decimal:
    """A valid quantity of ``item`` (> 0; whole units unless it is fractional)."""
    if ITEMS[item][2]:
        value = Decimal(whole) + Decimal(frac) * STEP
        return value if value > 0 else STEP
    return Decimal(max(whole, 1))


# --- the reference model ------------------------------------------------------------------------

@dataclass
class ExpectedMovement:
    kind: str
    item: int
    quantity: Decimal
    source: int | None
    destination: int | None
    #: (batch number, from location, to location, quantity), in the order written (FIFO).
    lines: list[tuple[int, int | None, int | None, Decimal]]
    shortfall: int | None = None  # the shortfall a settlement paid

    def as_tuple(self):
        return (self.kind, self.item, self.quantity, self.source, self.destination, self.shortfall,
                [(n, f, t, q) for n, f, t, q in self.lines])


@dataclass
class ExpectedShortfall:
    item: int
    location: int
    quantity: Decimal
    outstanding: Decimal
    build: int  # index of the build movement

    def as_tuple(self):
        return (self.item, self.location, self.quantity, self.outstanding, self.outstanding == 0, self.build)


@dataclass
class Model:
    """What DESIGN.md says the inventory holds after the writes so far."""

    #: per item, its batches in number order: (origin, initial quantity)
    batches: dict[int, list[tuple[str, Decimal]]] = field(default_factory=lambda: {i: [] for i in range(len(ITEMS))})
    #: (item, location, batch number) -> quantity; a lot that reaches 0 stays
    lots: dict[tuple[int, int, int], Decimal] = field(default_factory=dict)
    #: (item, location) -> quantity, for every item-location some write has touched
    levels: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    shortfalls: list[ExpectedShortfall] = field(default_factory=list)
    movements: list[ExpectedMovement] = field(default_factory=list)

    # --- reads ---

    def fifo(self, item: int, location: int) -> list[tuple[int, Decimal]]:
        """The non-empty lots of an item-location, oldest batch first."""
        return sorted((n, q) for (i, loc, n), q in self.lots.items() if i == item and loc == location and q > 0)

    def available(self, item: int, location: int) -> Decimal:
        return sum((q for _, q in self.fifo(item, location)), ZERO)

    def open_shortfalls(self, item: int, location: int) -> list[int]:
        return [index for index, s in enumerate(self.shortfalls)
                if s.item == item and s.location == location and s.outstanding > 0]

    # --- writes (each called only once the write is known to succeed) ---

    def touch(self, *pairs: tuple[int, int]) -> None:
        for pair in pairs:
            self.levels.setdefault(pair, ZERO)

    def take(self, item: int, location: int, quantity: Decimal) -> tuple[list[tuple[int, Decimal]], Decimal]:
        """Take up to ``quantity`` oldest batch first; the takes and what was missing."""
        takes, remaining = [], quantity
        for number, present in self.fifo(item, location):
            if remaining == 0:
                break
            amount = min(present, remaining)
            self.lots[item, location, number] -= amount
            takes.append((number, amount))
            remaining -= amount
        self.levels[item, location] -= quantity
        return takes, remaining

    def new_batch(self, item: int, location: int, quantity: Decimal, origin: str) -> int:
        self.batches[item].append((origin, quantity))
        number = len(self.batches[item])
        self.lots[item, location, number] = quantity
        self.levels[item, location] += quantity
        return number

    def settle(self, item: int, location: int, arrived: list[tuple[int, Decimal]]) -> None:  
        """The units that just arrived at an item-location pay its open shortfalls, oldest
        shortfall first, oldest arriving batch first; each payment is a settlement movement.
        The level does not change: the lots and the open shortfalls fall together."""
        pool = {}
        for number, amount in sorted(arrived):
            pool[number] = pool.get(number, ZERO) + amount
        for index in self.open_shortfalls(item, location):
            shortfall = self.shortfalls[index]
            lines = []
            for number in sorted(pool):
                if shortfall.outstanding == 0:
                    break
                amount = min(pool[number], shortfall.outstanding)
                if amount == 0:
                    continue
                pool[number] -= amount
                shortfall.outstanding -= amount
                self.lots[item, location, number] -= amount
                lines.append((number, location, None, amount))
            if not lines:
                break
            self.movements.append(ExpectedMovement(
                Kind.SETTLEMENT, item, sum((line[3] for line in lines), ZERO), location, None, lines, shortfall=index,
            ))


# --- the machine --------------------------------------------------------------------------------

class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # One transaction per example, rolled back in teardown: every example starts empty.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.model = Model()
        self.items = [ItemFactory(sku=sku, unit=unit, fractional=fractional) for sku, unit, fractional in ITEMS]
        self.locations = [LocationFactory(code=code) for code in LOCATIONS]
        self.item_index = {item.id: index for index, item in enumerate(self.items)}
        self.location_index = {location.id: index for index, location in enumerate(self.locations)}
        self.supplier = SupplierFactory(code="ACME")
        self.operator = UserFactory(username="sm-operator", groups=["Operators"])
        self.manager = UserFactory(username="sm-manager", groups=["Managers"])
        self.reason = reason_create(code="sm-found", label="Found in a state machine")
        self.writes = 0
        self.settlements = 0
        TALLY["examples"] += 1

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- rules ---

    @initialize(opening=st.lists(st.tuples(items, locations, wholes, thousandths), min_size=1, max_size=6))
    def open_with_some_stock(self, opening):
        """Every example starts with a few receipts, so that consumptions have stock to take."""
        for item, location, whole, frac in opening:
            self.receipt(location, [(item, quantity_for(item, whole, frac))])

    @rule(data=st.data(), lines=st.lists(st.tuples(items, wholes, thousandths), min_size=1, max_size=3),
          repeat=st.booleans())
    def receive(self, data, lines, repeat):
        """A receipt: one new batch per line (an item may appear on several lines)."""
        first, location = self.where(data, arriving=True)  # the first line's item: often one short there
        # With ``repeat`` the second line is of the same item: two batches arrive at once.
        lines = [(first if n == 0 or (n == 1 and repeat) else i, w, f) for n, (i, w, f) in enumerate(lines)]
        self.receipt(location, [(i, quantity_for(i, w, f)) for i, w, f in lines])

    def receipt(self, location: int, lines: list[tuple[int, Decimal]]) -> None:
        receipt_create(
            supplier=self.supplier, location=self.locations[location], po_number=f"PO-{self.writes}",
            lines=[Line(self.items[item], quantity) for item, quantity in lines], user=self.operator,
        )
        model = self.model
        model.touch(*((item, location) for item, _ in lines))
        arrived: dict[int, list[tuple[int, Decimal]]] = {}
        for item, quantity in lines:
            number = model.new_batch(item, location, quantity, Batch.Origin.RECEIPT)
            model.movements.append(ExpectedMovement(Kind.RECEIPT, item, quantity, None, location,
                                                    [(number, None, location, quantity)]))
            arrived.setdefault(item, []).append((number, quantity))
        # Settlements after all lines have arrived, item by item in the order of the lines.
        for item, batches in arrived.items():
            model.settle(item, location, batches)
        self.recorded("receipt")

    @rule(data=st.data(), offset=st.integers(1, len(LOCATIONS) - 1))
    def transfer(self, data, offset):
        item, source = self.where(data)
        destination = (source + offset) % len(LOCATIONS)
        short_there = sorted({s.location for s in self.model.shortfalls
                              if s.item == item and s.outstanding > 0 and s.location != source})
        if short_there and data.draw(st.booleans(), label="into an open shortfall"):
            destination = data.draw(st.sampled_from(short_there), label="destination")
        quantity = self.how_much(data, item, source)
        model = self.model
        available = model.available(item, source)
        call = lambda: transfer_create(  # noqa: E731
            item=self.items[item], source=self.locations[source], destination=self.locations[destination],
            quantity=quantity, user=self.operator,
        )
        if available < quantity:
            self.refused(call, InsufficientStock, available=available)
            return
        call()
        model.touch((item, source), (item, destination))
        taken, missing = model.take(item, source, quantity)
        assert missing == 0
        model.movements.append(ExpectedMovement(Kind.TRANSFER, item, quantity, source, destination,
                                                [(n, source, destination, q) for n, q in taken]))
        for number, amount in taken:
            key = (item, destination, number)
            model.lots[key] = model.lots.get(key, ZERO) + amount
        model.levels[item, destination] += quantity
        model.settle(item, destination, taken)
        self.recorded("transfer")

    @rule(data=st.data(), up=st.booleans())
    def adjust(self, data, up):
        item, location = self.where(data, arriving=up)
        quantity = self.how_much(data, item, location)
        model = self.model
        call = lambda: adjustment_create(  # noqa: E731
            item=self.items[item], location=self.locations[location], direction="up" if up else "down",
            quantity=quantity, reason=self.reason.code, user=self.manager,
        )
        if up:
            call()
            model.touch((item, location))
            number = model.new_batch(item, location, quantity, Batch.Origin.ADJUSTMENT)
            model.movements.append(ExpectedMovement(Kind.ADJUSTMENT, item, quantity, None, location,
                                                    [(number, None, location, quantity)]))
            model.settle(item, location, [(number, quantity)])
        else:
            available = model.available(item, location)
            if available < quantity:
                self.refused(call, InsufficientStock, available=available)
                return
            call()
            model.touch((item, location))
            taken, _ = model.take(item, location, quantity)
            model.movements.append(ExpectedMovement(Kind.ADJUSTMENT, item, quantity, location, None,
                                                    [(n, location, None, q) for n, q in taken]))
        self.recorded("adjustment " + ("up" if up else "down"))

    @rule(data=st.data(), allow_shortfall=st.booleans(),
          line_items=st.lists(items, min_size=1, max_size=3, unique=True))
    def build(self, data, allow_shortfall, line_items):
        _, location = self.where(data)
        lines = [(item, self.how_much(data, item, location, over=2 if allow_shortfall else 6)) for item in line_items]
        model = self.model
        call = lambda: build_create(  # noqa: E731
            location=self.locations[location], reference=f"BLD-{self.writes}", allow_shortfall=allow_shortfall,
            lines=[Line(self.items[item], quantity) for item, quantity in lines], user=self.operator,
        )
        short = [(item, model.available(item, location)) for item, quantity in lines
                 if model.available(item, location) < quantity]
        if short and not allow_shortfall:
            error = self.refused(call, InsufficientStock)
            assert [(s.sku, s.available) for s in error.shortages] == [
                (ITEMS[item][0], available) for item, available in short
            ]
            return
        result = call()
        model.touch(*((item, location) for item, _ in lines))
        opened = []
        for item, quantity in lines:
            taken, missing = model.take(item, location, quantity)
            model.movements.append(ExpectedMovement(Kind.BUILD, item, quantity, location, None,
                                                    [(n, location, None, q) for n, q in taken]))
            if missing:
                model.shortfalls.append(ExpectedShortfall(item, location, missing, missing, len(model.movements) - 1))
                opened.append((ITEMS[item][0], missing))
        assert [(s.item.sku, s.quantity) for s in result.shortfalls] == opened
        self.recorded("build with a shortfall" if opened else "build")

    @rule(data=st.data())
    def replace(self, data):
        item, location = self.where(data)
        quantity = self.how_much(data, item, location)
        model = self.model
        available = model.available(item, location)
        call = lambda: replacement_create(  # noqa: E731
            item=self.items[item], location=self.locations[location], quantity=quantity,
            asset=f"TRUCK-{self.writes}", user=self.operator,
        )
        if available < quantity:
            self.refused(call, InsufficientStock, available=available)
            return
        call()
        model.touch((item, location))
        taken, _ = model.take(item, location, quantity)
        model.movements.append(ExpectedMovement(Kind.REPLACEMENT, item, quantity, location, None,
                                                [(n, location, None, q) for n, q in taken]))
        self.recorded("replacement")

    @rule(item=items, source=locations, kind=st.sampled_from(["transfer", "replacement", "receipt", "build"]),
          quantity=st.sampled_from(["0", "-1", "0.0001", "1.5", "1e12", "abc"]))
    def bad_quantity(self, item, source, kind, quantity):
        """A quantity the item cannot take is refused and changes nothing."""
        if quantity == "1.5" and ITEMS[item][2]:
            quantity = "1.5001"  # 1.5 is fine for the fractional item
        target = self.locations[(source + 1) % len(LOCATIONS)]
        calls = {
            "transfer": lambda: transfer_create(item=self.items[item], source=self.locations[source],
                                                destination=target, quantity=quantity, user=self.operator),
            "replacement": lambda: replacement_create(item=self.items[item], location=self.locations[source],
                                                      quantity=quantity, asset="X", user=self.operator),
            "receipt": lambda: receipt_create(supplier=self.supplier, location=self.locations[source], po_number="PO-X",
                                              lines=[Line(self.items[item], quantity)], user=self.operator),
            "build": lambda: build_create(location=self.locations[source], reference="BLD-X", allow_shortfall=True,
                                          lines=[Line(self.items[item], quantity)], user=self.operator),
        }
        self.refused(calls[kind], InvalidQuantity)

    def where(self, data, *, arriving: bool = False) -> tuple[int, int]:
        """An (item, location): mostly one that holds stock, sometimes one with an open
        shortfall (often, for arrivals), else any."""
        stocked = sorted({(i, loc) for (i, loc, _), q in self.model.lots.items() if q > 0})
        short = sorted({(s.item, s.location) for s in self.model.shortfalls if s.outstanding > 0})
        choice = data.draw(st.integers(0, 7), label="where")
        if short and (choice == 1 or (arriving and choice <= 4)):
            return data.draw(st.sampled_from(short), label="item, location with an open shortfall")
        if stocked and choice >= 2:
            return data.draw(st.sampled_from(stocked), label="item, location with stock")
        return data.draw(items, label="item"), data.draw(locations, label="location")

    def how_much(self, data, item: int, location: int, *, over: int = 6) -> Decimal:
        """A valid quantity of ``item``: a share of what is at ``location`` (one time in
        ``over`` above 100 %: more than there is), or a few units where there is nothing."""
        available = self.model.available(item, location)
        if available == 0:
            return quantity_for(item, data.draw(st.integers(0, 8), label="units"), data.draw(thousandths, label="thousandths"))
        more = data.draw(st.integers(1, over), label="more than there is?") == 1
        percent = data.draw(st.integers(101, 130) if more else st.integers(1, 100), label="percent of what is there")
        raw = available * percent / 100
        step = STEP if ITEMS[item][2] else Decimal(1)
        return max(raw.quantize(step, rounding=ROUND_UP), step)

    def recorded(self, what: str) -> None:
        self.writes += 1
        TALLY[f"recorded: {what}"] += 1
        settlements = sum(1 for m in self.model.movements if m.kind == Kind.SETTLEMENT)
        if settlements > self.settlements:
            TALLY["recorded: settlement movements"] += settlements - self.settlements
        self.settlements = settlements

    def refused(self, call, error_class, available=None):
        """``call`` raises ``error_class`` (naming ``available``) — and the invariant that
        follows checks that it changed nothing."""
        with pytest.raises(error_class) as caught:
            call()
        TALLY[f"refused: {error_class.__name__}"] += 1
        if available is not None:
            assert caught.value.shortages[0].available == available
        return caught.value

    # --- the check after every step ---

    @invariant()
    def database_agrees_with_the_model(self):
        TALLY["checks against the model"] += 1
        model = self.model
        I, L = self.item_index, self.location_index  # noqa: E741

        lots = {(I[i], L[loc], n): q for i, loc, n, q in
                Lot.objects.values_list("item_id", "location_id", "batch__number", "quantity")}
        assert lots == model.lots

        batches = {i: [] for i in range(len(ITEMS))}
        for i, number, origin, initial in Batch.objects.order_by("item_id", "number").values_list(
                "item_id", "number", "origin", "initial_quantity"):
            assert number == len(batches[I[i]]) + 1, "batch numbers run 0001, 0002, … per item"
            batches[I[i]].append((origin, initial))
        assert batches == model.batches
        counters = dict(Item.objects.filter(id__in=list(I)).values_list("id", "last_batch_number"))
        assert {I[i]: n for i, n in counters.items()} == {i: len(b) for i, b in model.batches.items()}

        levels = {(I[i], L[loc]): q for i, loc, q in StockLevel.objects.values_list("item_id", "location_id", "quantity")}
        assert levels == model.levels

        movements = list(Movement.objects.order_by("id").prefetch_related(
            Prefetch("lines", queryset=MovementLine.objects.select_related("batch").order_by("id"))
        ))
        index = {movement.id: position for position, movement in enumerate(movements)}
        shortfall_rows = list(Shortfall.objects.order_by("id"))
        shortfalls = [
            (I[s.item_id], L[s.location_id], s.quantity, s.outstanding, s.settled_at is not None, index[s.build_id])
            for s in shortfall_rows
        ]
        assert shortfalls == [s.as_tuple() for s in model.shortfalls]
        shortfall_index = {s.id: position for position, s in enumerate(shortfall_rows)}

        def place(location_id):
            return None if location_id is None else L[location_id]

        actual = [
            (m.kind, I[m.item_id], m.quantity, place(m.from_location_id), place(m.to_location_id),
             None if m.shortfall_id is None else shortfall_index[m.shortfall_id],
             [(line.batch.number, place(line.from_location_id), place(line.to_location_id), line.quantity)
              for line in m.lines.all()])
            for m in movements
        ]
        assert actual == [m.as_tuple() for m in model.movements]

        assert [str(mismatch) for mismatch in reconcile()] == []


@pytest.mark.django_db
def test_the_services_agree_with_a_reference_model_of_fifo_lots():
    TALLY.clear()
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print(f"\nstate machine ({EXAMPLES} examples x up to {STEPS} steps requested):")
    for what, count in sorted(TALLY.items()):
        print(f"  {what}: {count}")
