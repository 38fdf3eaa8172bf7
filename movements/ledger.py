"""The ledger's primitives: the only code that writes batches, lots, stock levels, shortfalls
and ledger rows. Every movement service is one short story over them:

    check the input → lock → consume / arrive → record

``LedgerWrite`` is that story's unit of work, opened inside the service's transaction:

- ``lock`` takes the locks of the protocol (DESIGN.md), always in one global order:
  1. item rows, by id — only when new batch numbers are taken (``numbering=True``);
  2. the stock levels of every (item, location) the write touches, by (item id, location id),
     created first if missing;
  3. the lots of those locked levels are then read oldest batch first and changed.
  Since every writer takes its locks in that one order, two writers cannot wait for each other
  in a cycle. Nothing below reads or changes the lots of a pair that is not locked.
- ``plan`` / ``consume``: which lots give how much (the pure ``lots.fifo.allocate``), refused
  with ``InsufficientStock`` unless the write allows a shortfall; then the lots and the level
  go down together.
- ``put`` / ``create_batches``: arriving units raise their lots and the level together; when
  the write ends, the units that arrived settle the open build shortfalls there, oldest first.
- ``record``: the movement and its lines.
- ``move``: a transfer's plan, consume, record and put; on PostgreSQL the same reads and
  writes in three prepared statements after the lock.

So no code path can change a lot without its level, and none can forget a settlement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from hardfin.db import prepared_cursor, prepared_insert
from hardfin.errors import ConflictError, InsufficientStock, Shortage, UnknownObject
from hardfin.quantities import LIMIT, check_quantity, fmt
from inventory.models import Item, Location, StockLevel, Supplier
from inventory.services import require_active
from lots.fifo import allocate
from lots.models import Batch, Lot

from .models import Movement, MovementLine, Shortfall

Kind = Movement.Kind


class QuantityLimit(ConflictError):
    """A total would pass the 12 digits a stored quantity may have."""

    code = "quantity_limit"
    field = "quantity"


@dataclass(frozen=True)
class Take:
    lot: Lot
    quantity: Decimal


@dataclass(frozen=True)
class Plan:
    """A consumption decided but not yet done: the lots that give how much, and what they
    could not cover."""

    item: Item
    location: Location
    quantity: Decimal
    takes: list[Take]
    missing: Decimal
    available: Decimal

    @property
    def shortage(self) -> Shortage:
        return Shortage(self.item.sku, self.location.code, self.quantity, self.available)


#: What a movement moved: one (batch, quantity) per batch, in FIFO order.
Moved = list[tuple[Batch, Decimal]]


def require_stock(plans: Iterable[Plan]) -> None:
    """Refuse the whole write, naming every short line, if any plan cannot be covered."""
    shortages = [plan.shortage for plan in plans if plan.missing]
    if shortages:
        raise InsufficientStock(shortages)


class LedgerWrite:
    """The locks and changes of one write, inside its transaction (see the module's story)."""

    def __init__(self, *, user, occurred_at: datetime | None = None):
        self.user = user
        self.occurred_at = occurred_at or timezone.now()
        self.items: dict[int, Item] = {}
        self.levels: dict[tuple[int, int], StockLevel] = {}
        #: Lots that received units where a shortfall is open, per (item id, location id), to
        #: settle it with.
        self._arrived: dict[tuple[int, int], list[Lot]] = {}

    def __enter__(self) -> LedgerWrite:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.settle()

    # --- 1 and 2: locks ------------------------------------------------------------------------

    def lock(self, pairs: Iterable[tuple[Item, Location]], *, numbering: bool = False) -> None:
        """Lock the item rows (when ``numbering``) and the stock levels of ``pairs``, in the
        protocol's order. The items as locked (or as read under the level locks) replace the
        callers' copies: ``item(...)`` returns them, so rules such as whole units and
        "active" are checked against the row as it is now, not as a door read it earlier."""
        pairs = list(pairs)
        if numbering:
            self.items.update(_items_lock({item.id for item, _ in pairs}))
            for item, _ in pairs:
                if item.id not in self.items:  # deleted since the door read it
                    raise UnknownObject(f"No item {item.sku!r}.", field="sku")
        for level in _stock_levels_lock({(item.id, location.id) for item, location in pairs}):
            self.levels[level.item_id, level.location_id] = level
            self.items.setdefault(level.item_id, level.item)

    def item(self, item: Item) -> Item:
        """``item`` as locked or read under the locks of this write."""
        return self.items[item.id]

    def require_movable(self, item: Item, quantity: Decimal) -> Decimal:
        """``quantity`` as the locked item takes it (whole units unless fractional), and the
        locked item still active."""
        locked = self.item(item)
        quantity = check_quantity(quantity, fractional=locked.fractional, unit=locked.unit)
        require_active(locked, field="sku")
        return quantity

    def _level(self, item: Item, location: Location) -> StockLevel:
        try:
            return self.levels[item.id, location.id]
        except KeyError:
            raise AssertionError(f"{item.sku} @ {location.code} was not locked before it was changed") from None

    def _change_level(self, level: StockLevel, delta: Decimal) -> None:
        new = _level_after(level, delta)
        StockLevel.objects.filter(pk=level.pk).update(quantity=F("quantity") + delta, updated_at=timezone.now())
        level.quantity = new

    # --- 3: consume ----------------------------------------------------------------------------

    def plan(self, *, item: Item, location: Location, quantity: Decimal) -> Plan:
        """Which non-empty lots of a locked item-location give ``quantity``, oldest first.
        Changes nothing."""
        self._level(item, location)
        # The lots alone, then the batches of the lots taken, by id: joined in one query, the
        # planner (counting an item's empty lots in its estimate) scanned every batch for an
        # item-location with thousands of empty lots (17 of 26 ms at 10,000 of them).
        lots = list(Lot.objects.non_empty().filter(item=item, location=location).fifo())
        allocation = allocate(((lot, lot.quantity) for lot in lots), quantity)
        _attach_batches([lot for lot, _ in allocation.takes])
        return Plan(
            item=self.item(item),
            location=location,
            quantity=quantity,
            takes=[Take(lot, take) for lot, take in allocation.takes],
            missing=allocation.shortfall,
            available=sum((lot.quantity for lot in lots), Decimal(0)),
        )

    def consume(self, plan: Plan) -> Moved:
        """Take the planned units from their lots (which stay, possibly empty) and lower the
        level by the whole quantity: for a short build the level goes negative by what is
        missing, which the shortfall then holds."""
        level = self._level(plan.item, plan.location)
        _lots_take(plan.takes)
        self._change_level(level, -plan.quantity)
        return [(take.lot.batch, take.quantity) for take in plan.takes]

    def shortfall_open(self, plan: Plan, *, build: Movement, reference: str) -> Shortfall:
        """Record what a short build could not take from stock, for arrivals to settle."""
        return Shortfall.objects.create(
            item=plan.item, location=plan.location, build=build, reference=reference,
            quantity=plan.missing, outstanding=plan.missing, created_at=self.occurred_at,
        )

    # --- 3: arrive -----------------------------------------------------------------------------

    def put(self, *, item: Item, location: Location, moved: Moved) -> None:
        """Add units of existing batches to their lots at ``location`` (creating missing lots)
        and raise the level."""
        level = self._level(item, location)
        existing = {
            lot.batch_id: lot
            for lot in Lot.objects.filter(location=location, batch_id__in=[batch.id for batch, _ in moved])
        }
        created, changed = [], []
        for batch, quantity in moved:
            lot = existing.get(batch.id)
            if lot is None:
                lot = Lot(batch=batch, item=item, location=location, quantity=quantity)
                created.append(lot)
            else:
                _check_lot_limit(lot, quantity)
                lot.quantity += quantity
                changed.append(lot)
            lot.batch = batch
        self._arriving(level, [*created, *changed])
        self._change_level(level, sum((quantity for _, quantity in moved), Decimal(0)))
        if created:
            Lot.objects.bulk_create(created)
        _save_lot_quantities(changed)

    def create_batches(
        self,
        *,
        location: Location,
        new: Sequence[tuple[Item, Decimal]],
        origin: str,
        received_at: datetime | None = None,
        supplier: Supplier | None = None,
        po_number: str = "",
        shipment_number: str = "",
        reference: str = "",
        unit_costs: Sequence[Decimal | None] | None = None,
    ) -> list[Lot]:
        """One new batch per ``(item, quantity)``, numbered per item from the locked item rows,
        each with its lot at ``location``; the levels rise. ``unit_costs`` (one per line, None
        = unknown) is each batch's cost layer. Returns the lots in order."""
        costs = list(unit_costs) if unit_costs is not None else [None] * len(new)
        batches = []
        for (item, quantity), unit_cost in zip(new, costs, strict=True):
            locked = self.item(item)
            locked.last_batch_number += 1
            batches.append(
                Batch(
                    item=locked, number=locked.last_batch_number, origin=origin, supplier=supplier,
                    po_number=po_number, shipment_number=shipment_number, reference=reference,
                    received_at=received_at or self.occurred_at, initial_quantity=quantity,
                    unit_cost=unit_cost,
                )
            )
        numbered = {item.id: self.items[item.id] for item, _ in new}
        for item_id, locked in numbered.items():
            Item.objects.filter(pk=item_id).update(last_batch_number=locked.last_batch_number)
        Batch.objects.bulk_create(batches)
        lots = [Lot(batch=batch, item=batch.item, location=location, quantity=batch.initial_quantity) for batch in batches]
        for lot in lots:
            level = self._level(lot.item, location)
            self._arriving(level, [lot])
            self._change_level(level, lot.quantity)
        Lot.objects.bulk_create(lots)
        return lots

    def _arriving(self, level: StockLevel, lots: list[Lot]) -> None:
        """Note lots that receive units at a level with an open shortfall, to settle it when
        the write ends. A level is below zero exactly while a shortfall is open there (lots
        never are, and arrivals settle first), so elsewhere no shortfall is even looked up."""
        if level.quantity < 0 or (level.item_id, level.location_id) in self._arrived:
            self._arrived.setdefault((level.item_id, level.location_id), []).extend(lots)

    def settle(self) -> list[Movement]:
        """Let the units that arrived pay off open build shortfalls at their location, oldest
        first, each as a ``settlement`` movement that consumes the arriving batches FIFO; the
        settlements in order. The level stays as it is: lots and open shortfalls fall together.
        Only arriving units are used: while a shortfall is open the location's other lots are
        empty, as arrivals always settle first. The end of the write settles whatever a service
        did not settle itself."""
        settlements = []
        for (item_id, location_id), arrived in self._arrived.items():
            open_shortfalls = list(
                Shortfall.objects.filter(item_id=item_id, location_id=location_id, outstanding__gt=0)
                .select_related("location")
                .order_by("created_at", "id")
            )
            if not open_shortfalls:
                continue
            pool = sorted(arrived, key=lambda lot: lot.batch_id)
            changed = []
            for shortfall in open_shortfalls:
                allocation = allocate(((lot, lot.quantity) for lot in pool), shortfall.outstanding)
                if not allocation.takes:
                    break
                takes = [Take(lot, quantity) for lot, quantity in allocation.takes]
                _lots_take(takes)
                shortfall.outstanding -= allocation.taken
                if shortfall.outstanding == 0:
                    shortfall.settled_at = self.occurred_at
                changed.append(shortfall)
                settlements.append(self.record(
                    kind=Kind.SETTLEMENT, item=self.items[item_id], quantity=allocation.taken,
                    from_location=shortfall.location, reference=shortfall.reference, shortfall=shortfall,
                    moved=[(take.lot.batch, take.quantity) for take in takes],
                ))
            Shortfall.objects.bulk_update(changed, ["outstanding", "settled_at"])
        self._arrived.clear()
        return settlements

    # --- record --------------------------------------------------------------------------------

    def record(
        self, *, kind: str, item: Item, quantity: Decimal, moved: Moved, from_location=None, to_location=None, **fields
    ) -> Movement:
        """The movement and one line per batch it moved."""
        movement = self._movement(kind=kind, item=item, quantity=quantity, from_location=from_location,
                                  to_location=to_location, **fields)
        movement.save()
        lines = MovementLine.objects.bulk_create(_lines(movement, moved))
        _cache_lines(movement, lines)
        return movement

    def _movement(self, **fields) -> Movement:
        return Movement(user=self.user, occurred_at=self.occurred_at, **fields)

    # --- a transfer: consume at one location, arrive at another -------------------------------

    def move(self, *, item: Item, source: Location, destination: Location, quantity: Decimal, **fields) -> Movement:
        """Move ``quantity`` of a locked item from the locked ``source`` to the locked
        ``destination``, oldest batches first, refused (``InsufficientStock``) if the source
        holds less; the movement as recorded (``fields``: its kind, reference, note).

        This is ``plan``, ``consume``, ``record`` and ``put`` in that order. On PostgreSQL,
        unless a shortfall is open at the destination (``put`` settles it), the same reads
        and writes take three statements: the source's lots; the batches taken with their
        lots at the destination; then every write in one statement (``_write_move``), where
        the ORM's way sends nine and spends most of a transfer's time building them."""
        destination_level = self._level(item, destination)
        if connection.vendor != "postgresql" or destination_level.quantity < 0 or (
            (item.id, destination.id) in self._arrived
        ):
            plan = self.plan(item=item, location=source, quantity=quantity)
            require_stock([plan])
            moved = self.consume(plan)
            movement = self.record(item=item, quantity=quantity, moved=moved, from_location=source,
                                   to_location=destination, **fields)
            self.put(item=item, location=destination, moved=moved)
            return movement

        source_level = self._level(item, source)
        lots = _fifo_lots(item.id, source.id)
        allocation = allocate(((lot, lot.quantity) for lot in lots), quantity)
        require_stock([Plan(
            item=self.item(item), location=source, quantity=quantity,
            takes=[Take(lot, take) for lot, take in allocation.takes], missing=allocation.shortfall,
            available=sum((lot.quantity for lot in lots), Decimal(0)),
        )])
        batches, arriving = _batches_with_lots_at([lot.batch_id for lot, _ in allocation.takes], destination.id)
        source_after = _level_after(source_level, -quantity)
        destination_after = _level_after(destination_level, quantity)
        changed, created, moved = [], [], []
        for lot, take in allocation.takes:
            lot.batch = batch = batches[lot.batch_id]
            lot.quantity -= take
            changed.append(lot)
            moved.append((batch, take))
            there = arriving.get(batch.id)
            if there is None:
                created.append(Lot(batch=batch, item=item, location=destination, quantity=take))
            else:
                there.batch = batch
                _check_lot_limit(there, take)
                there.quantity += take
                changed.append(there)
        movement = self._movement(kind=fields.pop("kind"), item=item, quantity=quantity, from_location=source,
                                  to_location=destination, **fields)
        lines = _lines(movement, moved)
        _write_move(
            lots=changed, new_lots=created, levels=[(source_level, -quantity), (destination_level, quantity)],
            movement=movement, lines=lines,
        )
        source_level.quantity, destination_level.quantity = source_after, destination_after
        _cache_lines(movement, lines)
        return movement


def _level_after(level: StockLevel, delta: Decimal) -> Decimal:
    """The level's quantity after ``delta``, refused past the 12 digits a quantity may have."""
    new = level.quantity + delta
    if abs(new) >= LIMIT:
        raise QuantityLimit(
            f"That would bring {level.item.sku} at {level.location.code} to {fmt(new)}, past the "
            f"largest quantity the inventory can hold ({fmt(LIMIT - 1)})."
        )
    return new


def _lines(movement: Movement, moved: Moved) -> list[MovementLine]:
    return [
        MovementLine(movement=movement, batch=batch, from_location=movement.from_location,
                     to_location=movement.to_location, quantity=quantity)
        for batch, quantity in moved
    ]


def _cache_lines(movement: Movement, lines: list[MovementLine]) -> None:
    """Fill in ``movement.lines`` as ``prefetch_related("lines")`` fills it, so a door can
    show the movement as recorded without reading it back (a further filter still queries)."""
    cached = MovementLine.objects.filter(movement=movement).order_by("id")
    cached._result_cache, cached._prefetch_done = lines, True
    movement._prefetched_objects_cache = {"lines": cached}


# --- a transfer's statements on PostgreSQL --------------------------------------------------------

def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model, alias: str) -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    return ", ".join(f"{alias}.{quote(f.column)}" for f in fields), [f.attname for f in fields]


def _lock_pairs(pairs: Sequence[tuple[int, int]]) -> list[StockLevel]:
    """``_lock_existing`` of a transfer's one or two pairs on PostgreSQL: the same statement
    (the levels locked in (item, location) order, with their items and locations), written
    out instead of built by the ORM."""
    columns = [_columns(StockLevel, "s"), _columns(Item, "i"), _columns(Location, "o")]
    item_field, location_field = StockLevel._meta.get_field("item"), StockLevel._meta.get_field("location")
    widths = [len(names) for _, names in columns]
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT {', '.join(sql for sql, _ in columns)} FROM {_table(StockLevel)} s "
            f"JOIN {_table(Item)} i ON i.id = s.item_id JOIN {_table(Location)} o ON o.id = s.location_id "
            f"WHERE (s.item_id, s.location_id) IN ({', '.join(['(%s, %s)'] * len(pairs))}) "
            "ORDER BY s.item_id, s.location_id FOR UPDATE OF s",
            [value for pair in pairs for value in pair],
        )
        levels = []
        for row in cursor.fetchall():
            level_row, item_row, location_row = row[:widths[0]], row[widths[0]:-widths[2]], row[-widths[2]:]
            level = StockLevel.from_db("default", columns[0][1], level_row)
            item_field.set_cached_value(level, Item.from_db("default", columns[1][1], item_row))
            location_field.set_cached_value(level, Location.from_db("default", columns[2][1], location_row))
            levels.append(level)
    return levels


def _fifo_lots(item_id: int, location_id: int) -> list[Lot]:
    """The non-empty lots of one item-location, oldest batch first: the read of
    ``Lot.objects.non_empty().filter(...).fifo()`` (through ``lot_fifo_non_empty``) without
    the ORM building it."""
    columns, names = _columns(Lot, "l")
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {_table(Lot)} l "
            f"WHERE l.item_id = %s AND l.location_id = %s AND l.quantity > 0 ORDER BY l.batch_id",
            [item_id, location_id],
        )
        return [Lot.from_db("default", names, row) for row in cursor.fetchall()]


def _batches_with_lots_at(batch_ids: list[int], location_id: int) -> tuple[dict[int, Batch], dict[int, Lot]]:
    """The batches ``batch_ids``, by id, and their lots at ``location_id`` where they have
    one: one read by primary key and the unique (batch, location) index. The batches are not
    joined to the FIFO read itself: next to thousands of empty lots the planner, estimating
    from all of them, answered that join with a scan of every batch."""
    if not batch_ids:
        return {}, {}
    batch_columns, batch_names = _columns(Batch, "b")
    lot_columns, lot_names = _columns(Lot, "l")
    batches, lots = {}, {}
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT {batch_columns}, {lot_columns} FROM {_table(Batch)} b "
            f"LEFT JOIN {_table(Lot)} l ON l.batch_id = b.id AND l.location_id = %s "
            f"WHERE b.id = ANY(%s)",
            [location_id, list(batch_ids)],
        )
        width = len(batch_names)
        for row in cursor.fetchall():
            batch = batches[row[0]] = Batch.from_db("default", batch_names, row[:width])
            if row[width] is not None:
                lots[batch.id] = Lot.from_db("default", lot_names, row[width:])
    return batches, lots


def _write_move(*, lots: list[Lot], new_lots: list[Lot], levels: list[tuple[StockLevel, Decimal]],
                movement: Movement, lines: list[MovementLine]) -> None:
    """Every write of a transfer as one statement of data-modifying CTEs: the lots' new
    quantities, the lots created, the levels' deltas, the movement and its lines (which take
    the movement's new id). Gives ``movement`` and ``lines`` their ids."""
    quote = connection.ops.quote_name
    parts, params = [], []
    if lots:
        parts.append(
            f"lot_set AS (UPDATE {_table(Lot)} t SET quantity = v.quantity FROM (VALUES "
            + ", ".join(["(%s::bigint, %s::numeric)"] * len(lots))
            + ") v (id, quantity) WHERE t.id = v.id)"
        )
        params += [value for lot in lots for value in (lot.pk, _db_quantity(lot.quantity))]
    if new_lots:
        names, rows, values = prepared_insert(Lot, new_lots, connection)
        parts.append(f"lot_new AS (INSERT INTO {_table(Lot)} ({names}) VALUES {rows})")
        params += values
    parts.append(
        f"level_set AS (UPDATE {_table(StockLevel)} t SET quantity = t.quantity + v.delta, updated_at = %s "
        "FROM (VALUES " + ", ".join(["(%s::bigint, %s::numeric)"] * len(levels)) + ") v (id, delta) WHERE t.id = v.id)"
    )
    params += [connection.ops.adapt_datetimefield_value(timezone.now())]
    params += [value for level, delta in levels for value in (level.pk, _db_quantity(delta))]
    names, rows, values = prepared_insert(Movement, [movement], connection)
    parts.append(f"movement AS (INSERT INTO {_table(Movement)} ({names}) VALUES {rows} RETURNING id)")
    params += values
    line_fields = [f for f in MovementLine._meta.concrete_fields if not f.primary_key and f.attname != "movement_id"]
    parts.append(
        f"line AS (INSERT INTO {_table(MovementLine)} (movement_id, "
        + ", ".join(quote(f.column) for f in line_fields)
        + ") SELECT movement.id, v.* FROM movement, (VALUES "
        + ", ".join(["(" + ", ".join(f"%s::{f.db_type(connection).split('(')[0]}" for f in line_fields) + ")"] * len(lines))
        + ") v RETURNING id)"
    )
    params += [f.get_db_prep_save(getattr(line, f.attname), connection) for line in lines for f in line_fields]
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            "WITH " + ", ".join(parts) + " SELECT (SELECT id FROM movement), ARRAY(SELECT id FROM line ORDER BY id)",
            params,
        )
        movement_id, line_ids = cursor.fetchone()
    for obj, pk in [(movement, movement_id), *zip(lines, line_ids, strict=True)]:
        obj.pk = pk
        obj._state.adding, obj._state.db = False, "default"


# --- cost layers --------------------------------------------------------------------------------

def newest_known_cost(item: Item) -> Decimal | None:
    """The cost of the item's newest batch that has one (the default of an upward adjustment
    and of a count correction), else None. Read under the item lock the caller holds, so no
    batch of the item is being numbered meanwhile."""
    return (
        Batch.objects.filter(item_id=item.id, unit_cost__isnull=False)
        .order_by("-number")
        .values_list("unit_cost", flat=True)
        .first()
    )


def newest_known_costs(item_ids: Iterable[int]) -> dict[int, Decimal]:
    """``newest_known_cost`` of many items at once (a count's upward corrections): the items
    without a known cost are left out. One query per 500 items."""
    ids, costs = sorted(set(item_ids)), {}
    newest = Batch.objects.filter(item_id=OuterRef("pk"), unit_cost__isnull=False).order_by("-number")
    for start in range(0, len(ids), 500):
        costs.update(
            Item.objects.filter(pk__in=ids[start:start + 500])
            .annotate(cost=Subquery(newest.values("unit_cost")[:1]))
            .filter(cost__isnull=False)
            .values_list("pk", "cost")
        )
    return costs


def _attach_batches(lots: list[Lot]) -> None:
    """Give ``lots`` their batches, read by id (a batch per lot, 500 ids a query)."""
    ids = sorted({lot.batch_id for lot in lots})
    batches: dict[int, Batch] = {}
    for start in range(0, len(ids), 500):
        batches.update(Batch.objects.in_bulk(ids[start:start + 500]))
    for lot in lots:
        lot.batch = batches[lot.batch_id]


def batch_cost_set(batch: Batch, unit_cost: Decimal) -> bool:
    """Give ``batch`` its cost if it has none yet; whether it did. One conditional UPDATE, so
    of two people setting the same unknown cost at once only the first wins, and a known cost
    is never changed."""
    changed = Batch.objects.filter(pk=batch.pk, unit_cost__isnull=True).update(unit_cost=unit_cost)
    if changed:
        batch.unit_cost = unit_cost
    return bool(changed)


# --- the locks ----------------------------------------------------------------------------------

def _items_lock(item_ids: set[int]) -> dict[int, Item]:
    """Lock item rows in id order — step 1, taken only by writes that number a new batch.

    FOR NO KEY UPDATE, not FOR UPDATE: every insert of a row that refers to the item (a lot, a
    movement, a stock level) takes FOR KEY SHARE on it, which FOR UPDATE would block — so a
    transfer holding a stock-level lock could wait for the item while this writer waits for
    that stock level. The no-key lock still serializes batch numbering."""
    items = Item.objects.select_for_update(no_key=True).filter(id__in=item_ids).order_by("id")
    return {item.id: item for item in items}


def _stock_levels_lock(pairs: set[tuple[int, int]]) -> list[StockLevel]:
    """Create (if missing) and lock the stock levels of ``(item_id, location_id)`` pairs, in
    (item id, location id) order — step 2. Every write to the lots of a pair happens while its
    stock level is locked, so the lots can then be read and changed without further locks.

    The item comes with each level, read in the same statement after the lock was granted, so
    a concurrent change of the item (whole units, deactivation) that committed first is seen;
    one that commits later waits for this write (``catalog_update`` locks the item's levels)."""
    ordered = sorted(pairs)
    if not ordered:
        return []
    levels = _lock_existing(ordered)
    missing = sorted(set(ordered) - {(level.item_id, level.location_id) for level in levels})
    if missing:
        # INSERT … ON CONFLICT DO NOTHING, in lock order, so two writers creating the same
        # rows wait for each other in the same order too; then lock what they created. Rows
        # that already exist are locked first without the insert, which is the common case.
        StockLevel.objects.bulk_create(
            [StockLevel(item_id=item_id, location_id=location_id, quantity=Decimal(0)) for item_id, location_id in missing],
            ignore_conflicts=True,
        )
        levels = sorted(levels + _lock_existing(missing), key=lambda level: (level.item_id, level.location_id))
    return levels


def _lock_existing(pairs: Sequence[tuple[int, int]]) -> list[StockLevel]:
    if connection.vendor == "postgresql" and len(pairs) <= 2:
        return _lock_pairs(pairs)
    match = Q()
    for item_id, location_id in pairs:
        match |= Q(item_id=item_id, location_id=location_id)
    return list(
        StockLevel.objects.select_for_update(of=("self",))
        .select_related("item", "location")
        .filter(match)
        .order_by("item_id", "location_id")
    )


# --- lots ---------------------------------------------------------------------------------------

def _lots_take(takes: Sequence[Take]) -> None:
    for take in takes:
        take.lot.quantity -= take.quantity
    _save_lot_quantities([take.lot for take in takes])


def _check_lot_limit(lot: Lot, quantity: Decimal) -> None:
    if lot.quantity + quantity >= LIMIT:
        raise QuantityLimit(
            f"That would bring batch {lot.batch.label} at {lot.location.code} past the largest quantity a lot can "
            f"hold ({fmt(LIMIT - 1)})."
        )


def _save_lot_quantities(lots: Sequence[Lot]) -> None:
    # One plain UPDATE per lot: a FIFO take touches one or two lots, where a CASE
    # bulk_update costs more than the statements it saves.
    for lot in lots:
        Lot.objects.filter(pk=lot.pk).update(quantity=lot.quantity)


# --- many pairs at once (appended for counts) ----------------------------------------------------

#: Stock levels locked per statement by ``lock_many``: SQLite refuses a WHERE nested deeper than
#: 1,000 terms, and one pair is two.
LOCK_CHUNK = 200


def lock_many(ledger: LedgerWrite, pairs: Iterable[tuple[Item, Location]], *, numbering: bool = False) -> None:
    """``ledger.lock(pairs, numbering=...)`` for a write of thousands of pairs (a count's
    corrections): the item rows (when ``numbering``) in one statement, then the stock levels a
    chunk at a time in (item id, location id) order, so the protocol's order holds across the
    chunks exactly as it does within one ``lock``."""
    pairs = list(pairs)
    if numbering:
        ledger.items.update(_items_lock({item.id for item, _ in pairs}))
        for item, _ in pairs:
            if item.id not in ledger.items:  # deleted since the door read it
                raise UnknownObject(f"No item {item.sku!r}.", field="sku")
    ordered = sorted({(item.id, location.id) for item, location in pairs})
    locations = {location_id for _, location_id in ordered}
    if len(locations) == 1:
        # One location (a count): by item id within it is the protocol's order, and
        # ``item_id IN (…)`` is a far cheaper statement than as many (item, location) terms.
        # As in ``_stock_levels_lock``, the rows that exist are locked first, without an insert,
        # and only the missing ones are then created and locked: an INSERT … ON CONFLICT over
        # rows another writer is changing would wait on that writer outside the lock order.
        [location_id] = locations
        item_ids = [item_id for item_id, _ in ordered]
        locked = _lock_at(location_id, item_ids)
        missing = [item_id for item_id in item_ids if item_id not in locked]
        if missing:
            for start in range(0, len(missing), 500):
                StockLevel.objects.bulk_create(
                    [StockLevel(item_id=item_id, location_id=location_id, quantity=Decimal(0))
                     for item_id in missing[start:start + 500]],
                    ignore_conflicts=True,
                )
            locked.update(_lock_at(location_id, missing))
        for item_id in item_ids:
            level = locked[item_id]
            ledger.levels[item_id, location_id] = level
            ledger.items.setdefault(item_id, level.item)
        return
    for start in range(0, len(ordered), LOCK_CHUNK):
        for level in _stock_levels_lock(set(ordered[start:start + LOCK_CHUNK])):
            ledger.levels[level.item_id, level.location_id] = level
            ledger.items.setdefault(level.item_id, level.item)


def _lock_at(location_id: int, item_ids: Sequence[int]) -> dict[int, StockLevel]:
    """Lock the existing stock levels of ``item_ids`` at one location, by item id, 500 a
    statement."""
    locked = {}
    for start in range(0, len(item_ids), 500):
        levels = (StockLevel.objects.select_for_update(of=("self",)).select_related("item", "location")
                  .filter(location_id=location_id, item_id__in=item_ids[start:start + 500]).order_by("item_id"))
        locked.update((level.item_id, level) for level in levels)
    return locked


def adjust_many(
    ledger: LedgerWrite,
    *,
    location: Location,
    changes: Sequence[tuple[Item, str, Decimal]],
    reason,
    note: str = "",
) -> list[Movement]:
    """Many adjustments at one location as set operations, for a count's thousands of
    corrections: ``(item, "up" | "down", quantity)`` each, every pair locked already
    (``lock_many``). Records exactly what ``adjustment_create`` records one by one — down: the
    oldest lots first, refused whole (every short line named) if any falls short; up: a new
    batch numbered from the locked item row, origin adjustment, reference the reason's code —
    but reads the lots, and writes lots, levels, batches, movements and lines, a few
    statements for all of them. Arrivals where a shortfall is open are settled when the write
    ends, as always. The movements in the order given."""
    downs = {item.id: (item, quantity) for item, direction, quantity in changes if direction == "down"}
    lots_of: dict[int, list[Lot]] = {}
    ids = sorted(downs)
    for start in range(0, len(ids), 500):
        for lot in Lot.objects.non_empty().filter(location=location, item_id__in=ids[start:start + 500]).fifo():
            lots_of.setdefault(lot.item_id, []).append(lot)
    plans = {}
    for item_id, (item, quantity) in downs.items():
        ledger._level(item, location)
        lots = lots_of.get(item_id, [])
        allocation = allocate(((lot, lot.quantity) for lot in lots), quantity)
        plans[item_id] = Plan(
            item=ledger.item(item), location=location, quantity=quantity,
            takes=[Take(lot, take) for lot, take in allocation.takes], missing=allocation.shortfall,
            available=sum((lot.quantity for lot in lots), Decimal(0)),
        )
    require_stock([plans[item.id] for item, direction, _ in changes if direction == "down"])
    _attach_batches([take.lot for plan in plans.values() for take in plan.takes])

    now = ledger.occurred_at
    level_deltas: dict[int, tuple[StockLevel, Decimal]] = {}
    changed_lots: list[Lot] = []
    new_batches: list[Batch] = []
    moved_of: dict[int, Moved] = {}
    # Up: a new batch at the item's newest known cost, as ``adjustment_create`` gives it.
    costs = newest_known_costs(item.id for item, direction, _ in changes if direction == "up")
    for item, direction, quantity in changes:
        level = ledger._level(item, location)
        new = level.quantity + (quantity if direction == "up" else -quantity)
        if abs(new) >= LIMIT:
            raise QuantityLimit(
                f"That would bring {item.sku} at {location.code} to {fmt(new)}, past the largest quantity the "
                f"inventory can hold ({fmt(LIMIT - 1)})."
            )
        if direction == "down":
            takes = plans[item.id].takes
            for take in takes:
                take.lot.quantity -= take.quantity
                changed_lots.append(take.lot)
            moved_of[item.id] = [(take.lot.batch, take.quantity) for take in takes]
        else:
            locked = ledger.item(item)
            locked.last_batch_number += 1
            new_batches.append(Batch(
                item=locked, number=locked.last_batch_number, origin=Batch.Origin.ADJUSTMENT,
                reference=reason.code, received_at=now, initial_quantity=quantity, unit_cost=costs.get(item.id),
            ))
        level_deltas[level.pk] = (level, new - level.quantity)
        level.quantity = new

    if new_batches:
        _execute_many(f"UPDATE {Item._meta.db_table} SET last_batch_number = %s WHERE id = %s",
                      [(batch.item.last_batch_number, batch.item_id) for batch in new_batches])
        Batch.objects.bulk_create(new_batches, batch_size=500)
        new_lots = [Lot(batch=batch, item=batch.item, location=location, quantity=batch.initial_quantity)
                    for batch in new_batches]
        for lot in new_lots:
            # The level already holds the new quantity; below zero means a shortfall is open.
            level = ledger._level(lot.item, location)
            if level.quantity - lot.quantity < 0 or (level.item_id, level.location_id) in ledger._arrived:
                ledger._arrived.setdefault((level.item_id, level.location_id), []).append(lot)
            moved_of[lot.item_id] = [(lot.batch, lot.quantity)]
        Lot.objects.bulk_create(new_lots, batch_size=500)
    _execute_many(f"UPDATE {Lot._meta.db_table} SET quantity = %s WHERE id = %s",
                  [(_db_quantity(lot.quantity), lot.pk) for lot in changed_lots])
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    _execute_many(
        f"UPDATE {StockLevel._meta.db_table} SET quantity = quantity + %s, updated_at = %s WHERE id = %s",
        [(_db_quantity(delta), stamp, pk) for pk, (_, delta) in level_deltas.items()],
    )

    movements = Movement.objects.bulk_create(
        [
            Movement(
                kind=Kind.ADJUSTMENT, item=ledger.item(item), quantity=quantity, user=ledger.user, occurred_at=now,
                reason=reason, reference=reason.code, note=note,
                **({"to_location": location} if direction == "up" else {"from_location": location}),
            )
            for item, direction, quantity in changes
        ],
        batch_size=500,
    )
    lines_of: dict[int, list[MovementLine]] = {}
    all_lines = []
    for movement, (item, direction, _) in zip(movements, changes, strict=True):
        places = {"to_location": location} if direction == "up" else {"from_location": location}
        lines = [MovementLine(movement=movement, batch=batch, quantity=quantity, **places)
                 for batch, quantity in moved_of[item.id]]
        lines_of[movement.pk] = lines
        all_lines.extend(lines)
    MovementLine.objects.bulk_create(all_lines, batch_size=500)
    for movement in movements:
        cached = MovementLine.objects.filter(movement=movement).order_by("id")
        cached._result_cache, cached._prefetch_done = lines_of[movement.pk], True
        movement._prefetched_objects_cache = {"lines": cached}
    return movements


def _db_quantity(value: Decimal):
    return connection.ops.adapt_decimalfield_value(value, 15, 3)


def _execute_many(sql: str, rows: list[tuple]) -> None:
    """One statement run for many rows: plain UPDATEs by primary key, where the ORM's
    ``bulk_update`` would build a CASE per row and cost more than the writes themselves."""
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
