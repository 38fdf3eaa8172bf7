"""The accountant's reads, all from the ledger: stock and lots at any instant, the valuation
(FIFO cost layers: each lot at its own batch's cost) and the period rollforward.

Every figure is a handful of grouped SQL aggregates whose rows are small (one per item,
location and cost layer); no query runs per row shown. Values are multiplied in Python from
exact quantity sums, so they are exact on every database (SQLite keeps decimals as floats,
which an SQL product would carry into the value), and rounded only when shown
(``hardfin.money``).

Instants: ``as_of`` includes the movements at that very instant (``occurred_at ≤ as_of``);
a period runs from ``since`` (inclusive) to ``until`` (exclusive), so the opening of a period is
the state strictly before ``since`` and its closing the state strictly before ``until``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Case, Count, DecimalField, ExpressionWrapper, F, IntegerField, Q, Sum, Value, When

from hardfin.money import COST_STEP, ZERO, round_value, tie_out
from hardfin.pagination import PAGE_SIZE, InvalidCursor, KeysetPage, decode_cursor, keyset_result
from hardfin.quantities import STEP
from inventory.models import Item, Location
from inventory.selectors import item_id, location_id
from lots.models import Batch, Lot
from movements.models import Movement, MovementLine

Kind = Movement.Kind
QUANTITY_FIELD = DecimalField(max_digits=15, decimal_places=3)


@dataclass(frozen=True)
class Scope:
    """Which item-locations a report covers: an item (sku) and/or a location (code), any case.
    An unknown sku or code matches nothing."""

    item: str = ""
    location: str = ""


def _scoped(queryset, scope: Scope, *, item: str, location: str):
    """``queryset`` narrowed to the scope, by ids looked up first (``inventory.selectors``:
    the (item, …) and (location, …) indexes serve the filter, and a text that cannot be a key —
    a NUL byte, say — matches nothing without reaching the database)."""
    for given, lookup, resolve in ((scope.item, item, item_id), (scope.location, location, location_id)):
        if given:
            key = resolve(given)
            if key is None:
                return queryset.none()
            queryset = queryset.filter(**{f"{lookup}_id": key})
    return queryset


# --- stock at an instant ------------------------------------------------------------------------

@dataclass
class Holding:
    """What one item-location (or one lot) holds: quantity, the exact value of its known-cost
    units, and how many units are of unknown cost."""

    item_id: int
    location_id: int
    quantity: Decimal = ZERO
    value: Decimal = ZERO
    unknown_cost_quantity: Decimal = ZERO
    batch_id: int | None = None

    def add(self, quantity: Decimal, unit_cost: Decimal | None) -> None:
        self.quantity += quantity
        if unit_cost is None:
            self.unknown_cost_quantity += quantity
        else:
            self.value += quantity * unit_cost

    @property
    def shown_value(self) -> Decimal | None:
        """The value as shown: null only when every unit is of unknown cost."""
        if self.quantity and self.unknown_cost_quantity == self.quantity:
            return None
        return round_value(self.value)


def _line_sums(*, until: datetime | None, inclusive: bool, scope: Scope, by_batch: bool, item_ids=None):
    """Signed sums of ledger lines up to an instant: ``{(item_id, location_id, key): quantity}``
    where key is the batch id (``by_batch``) or the unit cost. Two grouped queries: units in
    (to_location) and units out (from_location)."""
    cut = Q()
    if until is not None:
        cut = Q(movement__occurred_at__lte=until) if inclusive else Q(movement__occurred_at__lt=until)
    key = "batch_id" if by_batch else "batch__unit_cost"
    sums: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for side, sign in (("to_location", 1), ("from_location", -1)):
        lines = MovementLine.objects.filter(cut, **{f"{side}__isnull": False})
        if item_ids is not None:
            lines = lines.filter(movement__item_id__in=list(item_ids))
        rows = _scoped(lines, scope, item="batch__item", location=side).values_list(
            "batch__item_id", f"{side}_id", key).annotate(quantity=Sum("quantity")).order_by()
        for item_id, location_id, layer, quantity in rows:
            sums[item_id, location_id, layer] += sign * quantity
    return sums


def holdings(*, as_of: datetime | None = None, scope: Scope = Scope()) -> list[Holding]:
    """Item-location rows with units in lots (> 0) at ``as_of`` (now when None), each with its
    value at FIFO cost layers."""
    if as_of is None:
        rows = (
            _scoped(Lot.objects.non_empty(), scope, item="item", location="location")
            .values_list("item_id", "location_id", "batch__unit_cost")
            .annotate(quantity=Sum("quantity"))
            .order_by()
        )
        sums = {(item_id, location_id, cost): quantity for item_id, location_id, cost, quantity in rows}
    else:
        sums = _line_sums(until=as_of, inclusive=True, scope=scope, by_batch=False)
    rows: dict[tuple[int, int], Holding] = {}
    for (item_id, location_id, cost), quantity in sums.items():
        if quantity:
            rows.setdefault((item_id, location_id), Holding(item_id, location_id)).add(quantity, cost)
    return [row for row in rows.values() if row.quantity > 0]


def lots_as_of(*, as_of: datetime, scope: Scope = Scope(), show_empty: bool = False, item_ids=None) -> list[Lot]:
    """The lots as they stood at ``as_of``, oldest batch first per item-location (sku, code):
    each a Lot with ``quantity`` as it was then. A lot that did not exist yet is left out; one
    that was empty then only with ``show_empty``."""
    sums = _line_sums(until=as_of, inclusive=True, scope=scope, by_batch=True, item_ids=item_ids)
    wanted = {(batch_id, location_id): quantity for (_, location_id, batch_id), quantity in sums.items()}
    if not wanted:
        return []
    lots = []
    for lot in (
        Lot.objects.filter(batch_id__in={b for b, _ in wanted}, location_id__in={loc for _, loc in wanted})
        .select_related("batch", "batch__supplier", "item", "location")
        .order_by("item__sku", "location__code", "batch_id")
    ):
        quantity = wanted.get((lot.batch_id, lot.location_id))
        if quantity is None or (quantity == 0 and not show_empty):
            continue
        lot.quantity = quantity
        lots.append(lot)
    return lots


def levels_as_of(*, as_of: datetime, scope: Scope = Scope()) -> dict[tuple[int, int], Decimal]:
    """Stock levels (lots − open shortfalls) at ``as_of``, ``{(item_id, location_id): quantity}``,
    for every item-location the ledger touched up to then. From the movements: each changes
    the level of its source by −quantity (a build by its whole quantity, shortfall included)
    and of its destination by +quantity; a settlement changes no level (lots and the shortfall
    fall together)."""
    levels: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for side, sign in (("to_location", 1), ("from_location", -1)):
        rows = (
            _scoped(
                Movement.objects.filter(occurred_at__lte=as_of, **{f"{side}__isnull": False})
                .exclude(kind=Kind.SETTLEMENT),
                scope, item="item", location=side,
            )
            .values_list("item_id", f"{side}_id")
            .annotate(quantity=Sum("quantity"))
            .order_by()
        )
        for item_id, location_id, quantity in rows:
            levels[item_id, location_id] += sign * quantity
    return dict(levels)


# --- valuation ----------------------------------------------------------------------------------

@dataclass
class ValuationRow:
    sku: str
    item_name: str
    unit: str
    location: str
    location_name: str
    holding: Holding

    @property
    def quantity(self):
        return self.holding.quantity

    @property
    def value(self):
        return self.holding.shown_value

    @property
    def unknown_cost_quantity(self):
        return self.holding.unknown_cost_quantity


#: Half the smallest quantity step: a grouped sum above it holds units. (SQLite sums decimals
#: as floats, whose last bits must not turn an emptied row into one with units.)
HOLDS_UNITS = Decimal("0.0005")


def _number(value, step: Decimal = STEP) -> Decimal:
    """A sum or cost read by raw SQL as an exact decimal (SQLite hands floats back)."""
    if value is None:
        return None
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(step)


def _layers_sql(*, as_of: datetime | None, scope: Scope, item_ids=None, location_ids=None, search: str = ""):
    """SQL of the units held per item-location and cost layer at ``as_of`` (now when None), one
    row per lot (now) or per signed ledger line (then): columns ``s_item``, ``s_location``,
    ``s_cost`` and ``s_quantity``, and its parameters. Compiled by the ORM, so table names and
    parameter types are the database's own; the callers group it."""
    if as_of is None:
        branches = [
            _scoped(Lot.objects.non_empty(), scope, item="item", location="location")
            .annotate(s_item=F("item_id"), s_location=F("location_id"), s_cost=F("batch__unit_cost"),
                      s_quantity=F("quantity"))
        ]
    else:
        branches = []
        for side, sign in (("to_location", 1), ("from_location", -1)):
            quantity = F("quantity") if sign > 0 else ExpressionWrapper(-F("quantity"), output_field=QUANTITY_FIELD)
            branches.append(
                _scoped(MovementLine.objects.filter(movement__occurred_at__lte=as_of, **{f"{side}__isnull": False}),
                        scope, item="movement__item", location=side)
                .annotate(s_item=F("movement__item_id"), s_location=F(f"{side}_id"), s_cost=F("batch__unit_cost"),
                          s_quantity=quantity)
            )
    parts, params = [], []
    for branch in branches:
        if search:
            item = "item" if as_of is None else "movement__item"
            branch = branch.filter(Q(**{f"{item}__sku__icontains": search}) | Q(**{f"{item}__name__icontains": search}))
        if item_ids is not None:
            branch = branch.filter(**{"s_item__in": list(item_ids)})
        if location_ids is not None:
            branch = branch.filter(**{"s_location__in": list(location_ids)})
        try:
            sql, branch_params = (branch.order_by().values("s_item", "s_location", "s_cost", "s_quantity")
                                  .query.sql_with_params())
        except EmptyResultSet:  # a scope that names nothing (``_scoped``'s none())
            continue
        parts.append(sql)
        params.extend(branch_params)
    if not parts:
        # The same columns and no rows: no lot has a negative id.
        sql, params = (Lot.objects.filter(pk__lt=0).annotate(
            s_item=F("item_id"), s_location=F("location_id"), s_cost=F("batch__unit_cost"), s_quantity=F("quantity"))
            .order_by().values("s_item", "s_location", "s_cost", "s_quantity").query.sql_with_params())
        return sql, list(params)
    return " UNION ALL ".join(parts), params


def _fetch(sql: str, params) -> Iterable[tuple]:
    """The rows of a raw query, fetched a chunk at a time (bounded memory however many), from
    the database the ORM would read lots from (the replica inside replica_reads())."""
    with connections[router.db_for_read(Lot)].cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(2000)
            if not rows:
                return
            yield from rows


def _stream(sql: str, params, chunk: int = 2000) -> Iterator[tuple]:
    """The rows of a raw query of any size through a server-side cursor (PostgreSQL; SQLite
    steps through its rows natively), ``chunk`` rows held at a time, from the database
    ``_fetch`` reads. For the downloads: one query, read once, in its own order."""
    with connections[router.db_for_read(Lot)].chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(chunk)
            if not rows:
                return
            yield from rows


def _decode_keys(cursor: str, count: int) -> tuple[str, list[str]]:
    """A cursor of these reports, whose keys are all text (SKUs, codes, a batch id as digits):
    anything else would reach the SQL as a comparison of text with a number."""
    direction, after = decode_cursor(cursor, count)
    if not all(isinstance(value, str) for value in after):
        raise InvalidCursor(cursor)
    return direction, after


def _key_page(source: tuple[str, list], *, by_location: bool, cursor: str | None, size: int,
              having: str = f"SUM(s.s_quantity) > {HOLDS_UNITS}", extra: tuple[str, list] = ("", [])) -> KeysetPage:
    """One page of the groups of ``source`` (a raw SQL source and its parameters with columns
    ``s_item`` and ``s_location``) that pass ``having``: per item-location (``by_location``), in
    the order of the stock list (sku, then location code), or per item (sku). Keyset paging in
    SQL: the page is "the next ``size`` groups after the cursor's", so the rows before it are
    neither returned nor kept, and no query runs per row. Each key is ``(item_id, location_id
    or None, sku, code or None)``."""
    sql, params = source
    columns = ["i.sku", "o.code"] if by_location else ["i.sku"]
    direction, after = "n", None
    if cursor:
        direction, after = _decode_keys(cursor, len(columns))
    forward = direction == "n"
    where, where_params = "", []
    if after is not None:
        row = f"({', '.join(columns)})" if by_location else columns[0]
        mark = f"({', '.join(['%s'] * len(columns))})" if by_location else "%s"
        where = f"WHERE {row} {'>' if forward else '<'} {mark}"
        where_params = list(after)
    order = ", ".join(f"{column} {'ASC' if forward else 'DESC'}" for column in columns)
    location_join = f"JOIN {Location._meta.db_table} o ON o.id = s.s_location" if by_location else ""
    group = "s.s_item, s.s_location, i.sku, o.code" if by_location else "s.s_item, i.sku"
    select = "s.s_item, s.s_location, i.sku, o.code" if by_location else "s.s_item, NULL, i.sku, NULL"
    query = (
        f"SELECT {select} FROM ({sql}) s JOIN {Item._meta.db_table} i ON i.id = s.s_item {location_join} "
        f"{where} GROUP BY {group} HAVING {having}{extra[0]} ORDER BY {order} LIMIT %s"
    )
    rows = list(_fetch(query, [*params, *where_params, *extra[1], size + 1]))
    return keyset_result(rows, per_page=size, forward=forward, after=after,
                         key=lambda row: [row[2], row[3]] if by_location else [row[2]])


def _item_chunks(scope: Scope, size: int) -> Iterator[list[int]]:
    """The ids of the items a report may cover, ``size`` at a time in sku order (the order of
    its rows), read by keyset over the sku index: the scope's one item, or the whole catalog."""
    if scope.item:
        key = item_id(scope.item)
        if key is not None:
            yield [key]
        return
    items = Item.objects.order_by("sku").values_list("id", "sku")
    last = None
    while True:
        chunk = list((items if last is None else items.filter(sku__gt=last))[:size])
        if not chunk:
            return
        yield [key for key, _ in chunk]
        last = chunk[-1][1]


class _PagedReport:
    """What a report paged in keyset pages (``page(cursor=, size=, item_ids=)``) offers its
    downloads: every row in order, a page at a time."""

    def iter_rows(self, chunk: int = 2000) -> Iterator:
        """Every row, in page order: the catalog a chunk of items at a time (sku order), each
        chunk's rows paged within it. A page's key query groups every row it may return, so
        walking the whole report's pages would group every remaining row once per page (a
        million-row download never ended); narrowed to a chunk of items, each query reads
        only that chunk's rows, and the download reads every row once."""
        for item_ids in _item_chunks(self.scope, chunk):
            cursor = None
            while True:
                page = self.page(cursor=cursor, size=chunk, item_ids=item_ids)
                yield from page.object_list
                if not page.next_cursor:
                    break
                cursor = page.next_cursor

    @property
    def rows(self) -> list:
        """Every row (small reports and tests; the doors page or stream)."""
        return list(self.iter_rows())


@dataclass
class ValuationTotals:
    """Every row's figures together: exact value of the known-cost units, units, units of
    unknown cost, and how many rows hold any of those."""

    value: Decimal = ZERO
    quantity: Decimal = ZERO
    unknown_cost_quantity: Decimal = ZERO
    unknown_cost_quantity_rows: int = 0


class Valuation(_PagedReport):
    """Item-location rows with stock > 0 at ``as_of`` (now when None), ordered by sku then
    location code (as the stock list), each valued at its lots' own batch costs.

    Nothing here holds every row: ``page`` reads one keyset page of rows (a grouped query for
    its keys, one for their cost layers, one for names), the totals and the by-location figures
    are grouped aggregates read a chunk at a time, and ``iter_rows`` walks the pages for the
    downloads. So memory stays bounded and the queries of a page do not grow with its rows."""

    def __init__(self, *, as_of: datetime | None = None, scope: Scope = Scope()):
        self.as_of, self.scope = as_of, scope

    def _source(self, **ids):
        return _layers_sql(as_of=self.as_of, scope=self.scope, **ids)

    def _rows_for(self, keys) -> list[ValuationRow]:
        if not keys:
            return []
        item_ids = {key[0] for key in keys}
        location_ids = {key[1] for key in keys}
        sql, params = self._source(item_ids=item_ids, location_ids=location_ids)
        holdings: dict[tuple[int, int], Holding] = {}
        for item_id, location_id, cost, quantity in _fetch(
            f"SELECT s.s_item, s.s_location, s.s_cost, SUM(s.s_quantity) FROM ({sql}) s "
            "GROUP BY s.s_item, s.s_location, s.s_cost", params
        ):
            quantity = _number(quantity)
            if quantity:
                holdings.setdefault((item_id, location_id), Holding(item_id, location_id)).add(
                    quantity, _number(cost, COST_STEP))
        items, locations = _names(item_ids, location_ids)
        return [
            ValuationRow(
                sku=items[item_id].sku, item_name=items[item_id].name, unit=items[item_id].unit,
                location=locations[location_id].code, location_name=locations[location_id].name,
                holding=holdings[item_id, location_id],
            )
            for item_id, location_id, *_ in keys if (item_id, location_id) in holdings
        ]

    def page(self, *, cursor: str | None = None, size: int = PAGE_SIZE,
             unknown_only: bool = False, item_ids=None) -> KeysetPage:
        """One page of rows (``ValuationRow``); ``unknown_only``: only rows holding units of
        unknown cost; ``item_ids``: only those items' rows (``iter_rows``' chunks). Raises
        ``InvalidCursor`` for a cursor this list did not hand out."""
        # The threshold is written into the SQL: SQLite would compare a bound Decimal as text.
        extra = (f" AND SUM(CASE WHEN s.s_cost IS NULL THEN s.s_quantity ELSE 0 END) > {HOLDS_UNITS}", []) \
            if unknown_only else ("", [])
        keys = _key_page(self._source(item_ids=item_ids), by_location=True, cursor=cursor, size=size, extra=extra)
        keys.object_list = self._rows_for(keys.object_list)
        return keys

    def iter_rows(self, chunk: int = 2000) -> Iterator[ValuationRow]:
        """Every row, in page order, for the downloads: one grouped query (item-location and
        cost layer, with the names) streamed in sku then location code order, its cost layers
        gathered into rows as they pass. The rows are those of the pages: an item-location
        whose units add up to more than nothing, each holding its non-zero layers."""
        sql, params = self._source()
        query = (
            f"SELECT s.s_item, s.s_location, i.sku, i.name, i.unit, o.code, o.name, s.s_cost, SUM(s.s_quantity) "
            f"FROM ({sql}) s JOIN {Item._meta.db_table} i ON i.id = s.s_item "
            f"JOIN {Location._meta.db_table} o ON o.id = s.s_location "
            "GROUP BY s.s_item, s.s_location, i.sku, i.name, i.unit, o.code, o.name, s.s_cost "
            "ORDER BY i.sku, o.code"
        )
        row = None
        for item_id, location_id, sku, name, unit, code, location_name, cost, quantity in _stream(query, params, chunk):
            if row is None or (row.holding.item_id, row.holding.location_id) != (item_id, location_id):
                if row is not None and row.holding.quantity > HOLDS_UNITS:
                    yield row
                row = ValuationRow(sku=sku, item_name=name, unit=unit, location=code, location_name=location_name,
                                   holding=Holding(item_id, location_id))
            quantity = _number(quantity)
            if quantity:
                row.holding.add(quantity, _number(cost, COST_STEP))
        if row is not None and row.holding.quantity > HOLDS_UNITS:
            yield row

    @cached_property
    def totals(self) -> ValuationTotals:
        sql, params = self._source()
        totals = ValuationTotals()
        for cost, quantity in _fetch(f"SELECT s.s_cost, SUM(s.s_quantity) FROM ({sql}) s GROUP BY s.s_cost", params):
            quantity, cost = _number(quantity), _number(cost, COST_STEP)
            totals.quantity += quantity
            if cost is None:
                totals.unknown_cost_quantity += quantity
            else:
                totals.value += quantity * cost
        [(rows,)] = _fetch(
            f"SELECT COUNT(*) FROM (SELECT s.s_item FROM ({sql}) s WHERE s.s_cost IS NULL "
            f"GROUP BY s.s_item, s.s_location HAVING SUM(s.s_quantity) > {HOLDS_UNITS}) t", params)
        totals.unknown_cost_quantity_rows = rows
        return totals

    @property
    def total_value(self) -> Decimal:
        """All rows' known-cost units, the exact sum rounded once."""
        return round_value(self.totals.value)

    @property
    def total_quantity(self) -> Decimal:
        return self.totals.quantity

    @property
    def unknown_cost_quantity(self) -> Decimal:
        return self.totals.unknown_cost_quantity

    @property
    def unknown_cost_quantity_rows(self) -> int:
        return self.totals.unknown_cost_quantity_rows

    def by_location(self) -> list[dict]:
        """Totals per location (a handful of rows), in code order: one grouped query read a
        chunk at a time."""
        sql, params = self._source()
        groups: dict[int, dict] = {}
        for location_id, cost, quantity in _fetch(
            f"SELECT s.s_location, s.s_cost, SUM(s.s_quantity) FROM ({sql}) s GROUP BY s.s_location, s.s_cost", params
        ):
            quantity, cost = _number(quantity), _number(cost, COST_STEP)
            if quantity:
                groups.setdefault(location_id, Holding(0, location_id)).add(quantity, cost)
        locations = {location.id: location for location in Location.objects.filter(id__in=list(groups))}
        return [
            {"key": locations[location_id].code, "name": locations[location_id].name, "unit": "",
             "quantity": holding.quantity, "value": round_value(holding.value),
             "unknown_cost_quantity": holding.unknown_cost_quantity}
            for location_id, holding in sorted(groups.items(), key=lambda pair: locations[pair[0]].code.lower())
            if holding.quantity > 0
        ]

    def by_item(self, *, cursor: str | None = None, size: int = PAGE_SIZE) -> KeysetPage:
        """One keyset page of totals per item (sku order)."""
        keys = _key_page(self._source(), by_location=False, cursor=cursor, size=size)
        item_ids = [key[0] for key in keys.object_list]
        groups: dict[int, Holding] = {}
        if item_ids:
            sql, params = self._source(item_ids=item_ids)
            for item_id, cost, quantity in _fetch(
                f"SELECT s.s_item, s.s_cost, SUM(s.s_quantity) FROM ({sql}) s GROUP BY s.s_item, s.s_cost", params
            ):
                quantity = _number(quantity)
                if quantity:
                    groups.setdefault(item_id, Holding(item_id, 0)).add(quantity, _number(cost, COST_STEP))
        items, _ = _names(item_ids, [])
        keys.object_list = [
            {"key": items[item_id].sku, "name": items[item_id].name, "unit": items[item_id].unit,
             "quantity": groups[item_id].quantity, "value": round_value(groups[item_id].value),
             "unknown_cost_quantity": groups[item_id].unknown_cost_quantity}
            for item_id in item_ids if item_id in groups
        ]
        return keys


def _names(item_ids: Iterable[int], location_ids: Iterable[int]):
    items = {item.id: item for item in Item.objects.filter(id__in=set(item_ids)).only("id", "sku", "name", "unit")}
    locations = {
        location.id: location for location in Location.objects.filter(id__in=set(location_ids)).only("id", "code", "name")
    }
    return items, locations


def valuation(*, as_of: datetime | None = None, scope: Scope = Scope()) -> Valuation:
    """The valuation at ``as_of`` (now when None) over ``scope``: see ``Valuation``."""
    return Valuation(as_of=as_of, scope=scope)


# --- the rollforward ----------------------------------------------------------------------------

#: The columns of a rollforward row, in the order of its identity: opening, then what adds
#: (+1) and what takes away (-1), then closing.
FLOWS = [
    ("received", 1),
    ("adjusted_up", 1),
    ("transferred_in", 1),
    ("transferred_out", -1),
    ("adjusted_down", -1),
    ("built", -1),
    ("replaced", -1),
]
COLUMNS = ["opening", *[name for name, _ in FLOWS], "closing"]
SIGNS = [sign for _, sign in FLOWS]
# ``_rollforward_figures`` spells the closing sum out in this order: three flows add, four take away.
assert SIGNS == [1, 1, 1, -1, -1, -1, -1], "update _rollforward_figures' closing sum"
#: Which flow a movement is, by the side of it a location is on.
IN_FLOWS = {Kind.RECEIPT: "received", Kind.ADJUSTMENT: "adjusted_up", Kind.TRANSFER: "transferred_in"}
OUT_FLOWS = {
    Kind.TRANSFER: "transferred_out", Kind.ADJUSTMENT: "adjusted_down", Kind.BUILD: "built",
    Kind.REPLACEMENT: "replaced",
    # A settlement changes no stock level, but its lines take the arriving units' value out
    # of the lots: it pays the build's shortfall, so its value counts as built.
    Kind.SETTLEMENT: "built",
}


@dataclass
class RollforwardRow:
    item_id: int
    location_id: int
    quantities: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(COLUMNS, ZERO))
    #: Exact values of the known-cost units moved, per column.
    exact: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(COLUMNS, ZERO))
    #: Units of unknown cost in the lots at closing.
    unknown_cost_quantity: Decimal = ZERO
    moved: bool = False
    sku: str = ""
    item_name: str = ""
    unit: str = ""
    location: str = ""
    location_name: str = ""

    @property
    def values(self) -> dict[str, Decimal]:
        """The value columns, rounded so that the row ties exactly (``hardfin.money.tie_out``)."""
        return dict(zip(COLUMNS, tie_out([self.exact[name] for name in COLUMNS], SIGNS), strict=True))

    @property
    def shown(self) -> bool:
        return self.moved or bool(self.quantities["opening"]) or bool(self.quantities["closing"])


def _rollforward_sums(rows: dict, *, since: datetime, until: datetime, scope: Scope,
                      item_ids=None, location_ids=None, grouped: bool = True) -> None:
    """Add the period's figures into ``rows`` (``{(item_id, location_id): RollforwardRow}``):
    quantities of stock levels from the movements, values of the lots' units from the lines,
    per cost layer. ``item_ids``/``location_ids`` narrow it to one page's item-locations;
    ``grouped=False`` sums every item-location into the row ``(0, 0)`` (the totals), so no
    query returns a row per item-location. Four grouped queries."""

    def row(item_id, location_id) -> RollforwardRow:
        key = (item_id, location_id) if grouped else (0, 0)
        return rows.setdefault(key, RollforwardRow(*key))

    def narrowed(queryset, item, side):
        if item_ids is not None:
            queryset = queryset.filter(**{f"{item}_id__in": list(item_ids)})
        if location_ids is not None:
            queryset = queryset.filter(**{f"{side}_id__in": list(location_ids)})
        return queryset

    before = Q(occurred_at__lt=since)
    during = Q(occurred_at__gte=since, occurred_at__lt=until)
    # Quantities: from the movements (stock levels).
    for side, sign, flows in (("to_location", 1, IN_FLOWS), ("from_location", -1, OUT_FLOWS)):
        sums = {
            "opening": Sum("quantity", filter=before & ~Q(kind=Kind.SETTLEMENT)),
            "moves": Count("id", filter=during),
            **{
                f"flow_{kind}": Sum("quantity", filter=during & Q(kind=kind))
                for kind in flows if kind != Kind.SETTLEMENT
            },
        }
        queryset = narrowed(_scoped(
            Movement.objects.filter(occurred_at__lt=until, **{f"{side}__isnull": False}),
            scope, item="item", location=side,
        ), "item", side)
        found_rows = (queryset.values("item_id", f"{side}_id").annotate(**sums).order_by() if grouped
                      else [queryset.aggregate(**sums)])
        for found in found_rows:
            target = row(found.get("item_id"), found.get(f"{side}_id"))
            target.quantities["opening"] += sign * (found["opening"] or ZERO)
            target.moved = target.moved or (found["moves"] or 0) > 0
            for kind, name in flows.items():
                if kind != Kind.SETTLEMENT:
                    target.quantities[name] += found[f"flow_{kind}"] or ZERO
    # Values: from the lines (lots), per cost layer.
    for side, sign, flows in (("to_location", 1, IN_FLOWS), ("from_location", -1, OUT_FLOWS)):
        sums = {
            "opening": Sum("quantity", filter=Q(movement__occurred_at__lt=since)),
            **{
                f"flow_{kind}": Sum("quantity", filter=Q(movement__occurred_at__gte=since) & Q(movement__kind=kind))
                for kind in flows
            },
            "closing": Sum("quantity"),
        }
        queryset = narrowed(_scoped(
            MovementLine.objects.filter(movement__occurred_at__lt=until, **{f"{side}__isnull": False}),
            scope, item="batch__item", location=side,
        ), "batch__item", side)
        group = ("batch__item_id", f"{side}_id", "batch__unit_cost") if grouped else ("batch__unit_cost",)
        for found in queryset.values(*group).annotate(**sums).order_by().iterator(chunk_size=2000):
            target = row(found.get("batch__item_id"), found.get(f"{side}_id"))
            cost = found["batch__unit_cost"]
            if cost is None:
                target.unknown_cost_quantity += sign * (found["closing"] or ZERO)
                continue
            target.exact["opening"] += sign * (found["opening"] or ZERO) * cost
            target.exact["closing"] += sign * (found["closing"] or ZERO) * cost
            for kind, name in flows.items():
                target.exact[name] += (found[f"flow_{kind}"] or ZERO) * cost
    # Closing quantity: the opening carried through the period's flows (the same movements
    # the closing level is the sum of).
    for target in rows.values():
        q = target.quantities
        q["closing"] = q["opening"] + sum((sign * q[name] for name, sign in FLOWS), ZERO)


def _rollforward_keys_sql(*, since: datetime, until: datetime, scope: Scope, item_ids=None):
    """SQL of the movements up to ``until``, one signed row per side, for ``_key_page``: columns
    ``s_item``, ``s_location``, ``s_opening`` and ``s_closing`` (the level change before
    ``since`` and before ``until``; a settlement changes no level) and ``s_move`` (1 in the
    period), and its parameters."""
    parts, params = [], []
    for side, sign in (("to_location", 1), ("from_location", -1)):
        signed = F("quantity") if sign > 0 else ExpressionWrapper(-F("quantity"), output_field=QUANTITY_FIELD)
        level = ~Q(kind=Kind.SETTLEMENT)
        queryset = _scoped(Movement.objects.filter(occurred_at__lt=until, **{f"{side}__isnull": False}),
                           scope, item="item", location=side).annotate(
            s_item=F("item_id"), s_location=F(f"{side}_id"),
            s_opening=Case(When(level & Q(occurred_at__lt=since), then=signed), default=Value(ZERO),
                           output_field=QUANTITY_FIELD),
            s_closing=Case(When(level, then=signed), default=Value(ZERO), output_field=QUANTITY_FIELD),
            s_move=Case(When(occurred_at__gte=since, then=Value(1)), default=Value(0), output_field=IntegerField()),
        )
        if item_ids is not None:
            queryset = queryset.filter(item_id__in=list(item_ids))
        try:
            sql, branch_params = (queryset.order_by().values("s_item", "s_location", "s_opening", "s_closing", "s_move")
                                  .query.sql_with_params())
        except EmptyResultSet:
            continue
        parts.append(sql)
        params.extend(branch_params)
    if not parts:  # a scope that names nothing: the same columns, no rows
        return "SELECT 0 AS s_item, 0 AS s_location, 0 AS s_opening, 0 AS s_closing, 0 AS s_move WHERE 1 = 0", []
    return " UNION ALL ".join(parts), params


#: A rollforward row is shown when its level opens or closes non-zero, or anything moved.
ROLLFORWARD_SHOWN = (f"ABS(SUM(s.s_opening)) > {HOLDS_UNITS} OR ABS(SUM(s.s_closing)) > {HOLDS_UNITS} "
                     "OR SUM(s.s_move) > 0")
#: The flows of a row by the side of the movement its location is on, each with the kinds
#: that make it (``IN_FLOWS``, ``OUT_FLOWS``): quantities leave settlements out, values not.
FLOW_KINDS = {
    side: {name: [kind for kind, flow in flows.items() if flow == name] for name, _ in FLOWS}
    for side, flows in (("to_location", IN_FLOWS), ("from_location", OUT_FLOWS))
}


def _rollforward_rows_sql(*, since: datetime, until: datetime, scope: Scope, item_ids=None, location_ids=None):
    """SQL of the rollforward's rows, one per item-location shown (``ROLLFORWARD_SHOWN``) and
    cost layer of its lines, in sku then location code order, and its parameters. The same
    figures as ``_rollforward_sums``, in one query: the movements grouped per item-location
    (opening, each flow, how many moved in the period) joined to the lines grouped per
    item-location and cost layer (opening, each flow, closing; no layer when the row has no
    lines), with the item's and the location's names. ``item_ids``/``location_ids`` narrow it
    (a page's item-locations)."""
    during = Q(occurred_at__gte=since)
    moves, moves_params = [], []
    for side, sign in (("to_location", 1), ("from_location", -1)):
        signed = F("quantity") if sign > 0 else ExpressionWrapper(-F("quantity"), output_field=QUANTITY_FIELD)
        level = ~Q(kind=Kind.SETTLEMENT)
        flows = {
            f"q_{name}": Case(When(during & Q(kind__in=[k for k in kinds if k != Kind.SETTLEMENT]), then=F("quantity")),
                              default=Value(ZERO), output_field=QUANTITY_FIELD)
            if [k for k in kinds if k != Kind.SETTLEMENT] else Value(ZERO, output_field=QUANTITY_FIELD)
            for name, kinds in FLOW_KINDS[side].items()
        }
        queryset = _scoped(Movement.objects.filter(occurred_at__lt=until, **{f"{side}__isnull": False}),
                           scope, item="item", location=side)
        if item_ids is not None:
            queryset = queryset.filter(item_id__in=list(item_ids))
        if location_ids is not None:
            queryset = queryset.filter(**{f"{side}_id__in": list(location_ids)})
        queryset = queryset.annotate(
            s_item=F("item_id"), s_location=F(f"{side}_id"),
            s_opening=Case(When(level & Q(occurred_at__lt=since), then=signed), default=Value(ZERO),
                           output_field=QUANTITY_FIELD),
            s_closing=Case(When(level, then=signed), default=Value(ZERO), output_field=QUANTITY_FIELD),
            s_move=Case(When(during, then=Value(1)), default=Value(0), output_field=IntegerField()),
            **flows,
        )
        try:
            sql, branch_params = (queryset.order_by().values("s_item", "s_location", "s_opening", "s_closing",
                                                             "s_move", *flows).query.sql_with_params())
        except EmptyResultSet:
            continue
        moves.append(sql)
        moves_params.extend(branch_params)
    lines, lines_params = [], []
    line_during = Q(movement__occurred_at__gte=since)
    for side, sign in (("to_location", 1), ("from_location", -1)):
        signed = F("quantity") if sign > 0 else ExpressionWrapper(-F("quantity"), output_field=QUANTITY_FIELD)
        flows = {
            f"v_{name}": Case(When(line_during & Q(movement__kind__in=kinds), then=F("quantity")),
                              default=Value(ZERO), output_field=QUANTITY_FIELD)
            if kinds else Value(ZERO, output_field=QUANTITY_FIELD)
            for name, kinds in FLOW_KINDS[side].items()
        }
        queryset = _scoped(MovementLine.objects.filter(movement__occurred_at__lt=until, **{f"{side}__isnull": False}),
                           scope, item="batch__item", location=side)
        if item_ids is not None:
            queryset = queryset.filter(batch__item_id__in=list(item_ids))
        if location_ids is not None:
            queryset = queryset.filter(**{f"{side}_id__in": list(location_ids)})
        queryset = queryset.annotate(
            l_item=F("batch__item_id"), l_location=F(f"{side}_id"), l_cost=F("batch__unit_cost"),
            v_opening=Case(When(movement__occurred_at__lt=since, then=signed), default=Value(ZERO),
                           output_field=QUANTITY_FIELD),
            v_closing=signed,
            **flows,
        )
        try:
            sql, branch_params = (queryset.order_by().values("l_item", "l_location", "l_cost", "v_opening",
                                                             *flows, "v_closing").query.sql_with_params())
        except EmptyResultSet:
            continue
        lines.append(sql)
        lines_params.extend(branch_params)
    if not moves:  # a scope that names nothing: no row
        return None, []
    names = [name for name, _ in FLOWS]
    q_sums = ", ".join(f"SUM(s.q_{name}) AS q_{name}" for name in names)
    v_sums = ", ".join(f"SUM(l.v_{name}) AS v_{name}" for name in ["opening", *names, "closing"])
    if lines:
        layers = (f"LEFT JOIN (SELECT l.l_item, l.l_location, l.l_cost, {v_sums} FROM ({' UNION ALL '.join(lines)}) l "
                  "GROUP BY l.l_item, l.l_location, l.l_cost) v ON v.l_item = m.s_item AND v.l_location = m.s_location")
        layer_columns = ", ".join(f"v.v_{name}" for name in ["opening", *names, "closing"])
    else:
        layers, layer_columns = "", ", ".join(["NULL"] * (len(names) + 2))
        lines_params = []
    sql = (
        f"SELECT m.s_item, m.s_location, i.sku, i.name, i.unit, o.code, o.name, m.moves, m.q_opening, "
        f"{', '.join(f'm.q_{name}' for name in names)}, {'v.l_cost' if lines else 'NULL'}, {layer_columns} "
        f"FROM (SELECT s.s_item, s.s_location, SUM(s.s_move) AS moves, SUM(s.s_opening) AS q_opening, {q_sums} "
        f"FROM ({' UNION ALL '.join(moves)}) s GROUP BY s.s_item, s.s_location HAVING {ROLLFORWARD_SHOWN}) m "
        f"JOIN {Item._meta.db_table} i ON i.id = m.s_item JOIN {Location._meta.db_table} o ON o.id = m.s_location "
        f"{layers} ORDER BY i.sku, o.code"
    )
    return sql, [*moves_params, *lines_params]


def _rollforward_figures(rows: Iterable[tuple], *, exact_decimals: bool = False) -> Iterator[tuple]:
    """The rows of ``_rollforward_rows_sql`` gathered per item-location, as plain tuples (the
    downloads' hot loop: no object or mapping per row): ``(item_id, location_id, moved, sku,
    item_name, unit, code, location_name, quantities, exact, unknown_cost_quantity)`` with
    ``quantities`` and ``exact`` lists in ``COLUMNS`` order. Its cost layers come one after
    another, in the query's order; each row is given when the next begins.

    Every sum and cost is read through ``_number`` (SQLite hands floats back), unless
    ``exact_decimals`` says the database hands exact decimals of at most the columns' places
    (PostgreSQL: numeric sums of the 3-place quantities, the 4-place costs), which ``_number``
    would give back unchanged in value, and every figure here depends on values only."""
    number, cost_step = _number, COST_STEP
    key = None
    quantities = exact = unknown = head = None
    for item_id, location_id, sku, item_name, unit, code, location_name, moves, \
            q_opening, q_1, q_2, q_3, q_4, q_5, q_6, q_7, cost, *values in rows:
        if key != (item_id, location_id):
            if key is not None:
                yield (*head, quantities, exact, unknown)
            key = (item_id, location_id)
            head = (item_id, location_id, (moves or 0) > 0, sku, item_name, unit, code, location_name)
            if exact_decimals:
                opening = q_opening
            else:
                opening, q_1, q_2, q_3, q_4, q_5, q_6, q_7 = [
                    number(value) for value in (q_opening, q_1, q_2, q_3, q_4, q_5, q_6, q_7)]
            # opening + Σ sign × flow (FLOWS: three that add, four that take away), as
            # RollforwardRow's closing always was: the same exact sum, never a negative zero.
            quantities = [opening, q_1, q_2, q_3, q_4, q_5, q_6, q_7,
                          opening + (ZERO + q_1 + q_2 + q_3 - q_4 - q_5 - q_6 - q_7)]
            exact = [ZERO] * 9
            unknown = ZERO
        if values[-1] is None:  # no lines (the left join's empty layer)
            continue
        if not exact_decimals:
            cost = number(cost, cost_step)
            values = [number(value) for value in values]
        if cost is None:
            unknown += values[-1]
            continue
        exact = [total + value * cost for total, value in zip(exact, values, strict=True)]
    if key is not None:
        yield (*head, quantities, exact, unknown)


def _rollforward_rows(rows: Iterable[tuple]) -> Iterator[RollforwardRow]:
    """The rows of ``_rollforward_rows_sql`` gathered into ``RollforwardRow`` (``_rollforward_figures``)."""
    for (item_id, location_id, moved, sku, item_name, unit, code, location_name, quantities, exact,
         unknown) in _rollforward_figures(rows):
        yield RollforwardRow(item_id, location_id, quantities=dict(zip(COLUMNS, quantities, strict=True)),
                             exact=dict(zip(COLUMNS, exact, strict=True)), unknown_cost_quantity=unknown,
                             moved=moved, sku=sku, item_name=item_name, unit=unit, location=code,
                             location_name=location_name)


class Rollforward(_PagedReport):
    """The period report: one row per item-location that had stock or a movement in [since,
    until), ordered by sku then location code. Like ``Valuation`` it never holds every row:
    ``page`` reads one keyset page (its keys by a grouped query, then ``_rollforward_rows_sql``
    narrowed to just those item-locations), ``totals`` is the four grouped queries of
    ``_rollforward_sums`` summed over everything, and ``iter_rows`` streams
    ``_rollforward_rows_sql`` whole for the downloads."""

    def __init__(self, *, since: datetime, until: datetime, scope: Scope = Scope()):
        self.since, self.until, self.scope = since, until, scope

    def page(self, *, cursor: str | None = None, size: int = PAGE_SIZE) -> KeysetPage:
        """One page of rows (``RollforwardRow``). Raises ``InvalidCursor``."""
        keys = _key_page(_rollforward_keys_sql(since=self.since, until=self.until, scope=self.scope),
                         by_location=True, cursor=cursor, size=size, having=ROLLFORWARD_SHOWN)
        wanted = [(key[0], key[1]) for key in keys.object_list]
        found = {}
        if wanted:
            sql, params = _rollforward_rows_sql(since=self.since, until=self.until, scope=self.scope,
                                                item_ids={key[0] for key in wanted},
                                                location_ids={key[1] for key in wanted})
            found = {(row.item_id, row.location_id): row for row in _rollforward_rows(_fetch(sql, params))}
        keys.object_list = [found[key] for key in wanted]
        return keys

    def iter_rows(self, chunk: int = 2000) -> Iterator[RollforwardRow]:
        """Every row, in page order, for the downloads: ``_rollforward_rows_sql`` as one query
        streamed through a server-side cursor (``chunk`` rows held at a time), its cost layers
        gathered into rows as they pass. Walking the pages instead groups every row once per
        page, and chunks of items took a key query and a page's queries per chunk (a million
        rows in about 80 s)."""
        yield from _rollforward_rows(self._stream_rows(chunk))

    def iter_figures(self, chunk: int = 2000) -> Iterator[tuple]:
        """``iter_rows`` as the plain tuples of ``_rollforward_figures`` (the CSV download)."""
        exact_decimals = connections[router.db_for_read(Lot)].vendor == "postgresql"
        yield from _rollforward_figures(self._stream_rows(chunk), exact_decimals=exact_decimals)

    def _stream_rows(self, chunk: int) -> Iterator[tuple]:
        sql, params = _rollforward_rows_sql(since=self.since, until=self.until, scope=self.scope)
        if sql is None:
            return
        yield from _stream(sql, params, chunk)

    @cached_property
    def _totals(self) -> RollforwardRow:
        rows: dict = {}
        _rollforward_sums(rows, since=self.since, until=self.until, scope=self.scope, grouped=False)
        return rows.get((0, 0)) or RollforwardRow(0, 0)

    def totals(self) -> RollforwardRow:
        """Every row's columns summed (exact), as one row: rows not shown add nothing (no
        stock at either end and no movement)."""
        return self._totals


def rollforward(*, since: datetime, until: datetime, scope: Scope = Scope()) -> Rollforward:
    """One row per item-location that had stock or a movement in [since, until): quantities
    of stock levels (a build counts its whole quantity, shortfall included) and values of the
    lots' units (a settlement's value counts as built). Both identities

        opening + received + adjusted_up + transferred_in
                − transferred_out − adjusted_down − built − replaced = closing

    hold exactly, for quantities and for values. See ``Rollforward`` for how it is read."""
    return Rollforward(since=since, until=until, scope=scope)


# --- stock rows at an instant (the doors of /api/stock/ and the inventory page) -------------

@dataclass
class StockRowAsOf:
    """One item-location as it stood at an instant: the shape of a stock row (``item``,
    ``location``, ``quantity``), with its lots' value."""

    item: Item
    location: Location
    quantity: Decimal
    holding: Holding

    @property
    def value(self):
        return self.holding.shown_value

    @property
    def unknown_cost_quantity(self):
        return self.holding.unknown_cost_quantity


def stock_rows_as_of(*, as_of: datetime, scope: Scope = Scope(), search: str = "",
                     include_empty: bool = False) -> list[StockRowAsOf]:
    """The item-location rows exactly as they stood after every movement with
    ``occurred_at ≤ as_of``: stock levels (lots − the shortfalls open then) with their lots'
    value. Rows at 0 only with ``include_empty`` (those that had held stock by then); ordered
    by sku then location code, like ``/api/stock/``. Four grouped queries and one for names."""
    levels = levels_as_of(as_of=as_of, scope=scope)
    lots = {(h.item_id, h.location_id): h for h in holdings(as_of=as_of, scope=scope)}
    keys = [key for key, quantity in levels.items() if quantity or include_empty]
    items, locations = _names((k[0] for k in keys), (k[1] for k in keys))
    search = search.strip().lower()
    rows = []
    for item_id, location_id in keys:
        item, location = items[item_id], locations[location_id]
        if search and search not in item.sku.lower() and search not in item.name.lower():
            continue
        holding = lots.get((item_id, location_id)) or Holding(item_id, location_id)
        rows.append(StockRowAsOf(item, location, levels[item_id, location_id], holding))
    rows.sort(key=lambda row: (row.item.sku.lower(), row.location.code.lower()))
    return rows


def lots_as_of_page(*, as_of: datetime, scope: Scope = Scope(), show_empty: bool = False, batch_number=None,
                    cursor: str | None = None, size: int = PAGE_SIZE) -> KeysetPage:
    """One keyset page of ``lots_as_of`` (sku, location code, then batch: FIFO per
    item-location), read in SQL: a grouped query over the ledger lines up to ``as_of`` picks the
    page's lots, which are then loaded with their quantity as it was. ``batch_number`` narrows
    it to that batch number. Raises ``InvalidCursor``."""
    parts, params = [], []
    for side, sign in (("to_location", 1), ("from_location", -1)):
        signed = F("quantity") if sign > 0 else ExpressionWrapper(-F("quantity"), output_field=QUANTITY_FIELD)
        lines = _scoped(MovementLine.objects.filter(movement__occurred_at__lte=as_of, **{f"{side}__isnull": False}),
                        scope, item="movement__item", location=side)
        if batch_number is not None:
            lines = lines.filter(batch__number=batch_number)
        lines = lines.annotate(s_item=F("movement__item_id"), s_location=F(f"{side}_id"), s_batch=F("batch_id"),
                               s_quantity=signed)
        try:
            sql, branch_params = lines.order_by().values("s_item", "s_location", "s_batch", "s_quantity").query.sql_with_params()
        except EmptyResultSet:
            continue
        parts.append(sql)
        params.extend(branch_params)
    if not parts:
        return KeysetPage([], None, None)
    direction, after = "n", None
    if cursor:
        direction, after = _decode_keys(cursor, 3)
        if not after[2].isdigit():
            raise InvalidCursor(cursor)
        after = [after[0], after[1], int(after[2])]
    forward = direction == "n"
    where = f"WHERE (i.sku, o.code, s.s_batch) {'>' if forward else '<'} (%s, %s, %s)" if after else ""
    order = ", ".join(f"{column} {'ASC' if forward else 'DESC'}" for column in ("i.sku", "o.code", "s.s_batch"))
    having = "1 = 1" if show_empty else f"SUM(s.s_quantity) > {HOLDS_UNITS}"
    rows = list(_fetch(
        f"SELECT s.s_batch, s.s_location, i.sku, o.code, SUM(s.s_quantity) FROM ({' UNION ALL '.join(parts)}) s "
        f"JOIN {Item._meta.db_table} i ON i.id = s.s_item JOIN {Location._meta.db_table} o ON o.id = s.s_location "
        f"{where} GROUP BY s.s_batch, s.s_location, i.sku, o.code HAVING {having} ORDER BY {order} LIMIT %s",
        [*params, *(after or []), size + 1]))
    page = keyset_result(rows, per_page=size, forward=forward, after=after and [after[0], after[1], str(after[2])],
                         key=lambda row: [row[2], row[3], str(row[0])])
    rows = page.object_list
    found = {
        (lot.batch_id, lot.location_id): lot
        for lot in Lot.objects.filter(batch_id__in={row[0] for row in rows}, location_id__in={row[1] for row in rows})
        .select_related("batch", "batch__supplier", "item", "location")
    }
    lots = []
    for batch_id, location_id, _, _, quantity in rows:
        lot = found[batch_id, location_id]
        lot.quantity = _number(quantity)
        lots.append(lot)
    page.object_list = lots
    return page


def _levels_sql(*, as_of: datetime, scope: Scope, search: str = "", item_ids=None, location_ids=None):
    """SQL of the movements up to ``as_of``, one signed row per side: columns ``s_item``,
    ``s_location`` and ``s_level`` (the change of that stock level; a settlement changes
    none), for ``_key_page`` and the grouped level sums, and its parameters."""
    parts, params = [], []
    for side, sign in (("to_location", 1), ("from_location", -1)):
        signed = F("quantity") if sign > 0 else ExpressionWrapper(-F("quantity"), output_field=QUANTITY_FIELD)
        queryset = _scoped(Movement.objects.filter(occurred_at__lte=as_of, **{f"{side}__isnull": False}),
                           scope, item="item", location=side)
        if search:
            queryset = queryset.filter(Q(item__sku__icontains=search) | Q(item__name__icontains=search))
        if item_ids is not None:
            queryset = queryset.filter(item_id__in=list(item_ids))
        if location_ids is not None:
            queryset = queryset.filter(**{f"{side}_id__in": list(location_ids)})
        queryset = queryset.annotate(
            s_item=F("item_id"), s_location=F(f"{side}_id"),
            s_level=Case(When(~Q(kind=Kind.SETTLEMENT), then=signed), default=Value(ZERO), output_field=QUANTITY_FIELD),
        )
        try:
            sql, branch_params = queryset.order_by().values("s_item", "s_location", "s_level").query.sql_with_params()
        except EmptyResultSet:
            continue
        parts.append(sql)
        params.extend(branch_params)
    if not parts:
        return "SELECT 0 AS s_item, 0 AS s_location, 0 AS s_level WHERE 1 = 0", []
    return " UNION ALL ".join(parts), params


def _level_having(include_empty: bool) -> str:
    """Rows at 0 only with ``include_empty`` (those the ledger had touched by then)."""
    return "1 = 1" if include_empty else f"ABS(SUM(s.s_level)) > {HOLDS_UNITS}"


def stock_rows_as_of_page(*, as_of: datetime, scope: Scope = Scope(), search: str = "", include_empty: bool = False,
                          cursor: str | None = None, size: int = PAGE_SIZE) -> KeysetPage:
    """One keyset page of ``stock_rows_as_of`` (sku, then location code), read in SQL: a grouped
    query over the movements picks the page's item-locations, then their levels and their lots'
    cost layers are summed for those only. Raises ``InvalidCursor``."""
    search = search.strip()
    keys = _key_page(_levels_sql(as_of=as_of, scope=scope, search=search), by_location=True, cursor=cursor,
                     size=size, having=_level_having(include_empty))
    pairs = [(key[0], key[1]) for key in keys.object_list]
    keys.object_list = _stock_rows_for(pairs, as_of=as_of, scope=scope)
    return keys


def stock_rows_of_items(*, as_of: datetime, item_ids, scope: Scope = Scope(), include_empty: bool = False,
                        search: str = "") -> list[StockRowAsOf]:
    """The item-location rows of ``item_ids`` at ``as_of`` (one page of the inventory by item),
    in sku then location code order."""
    if not item_ids:
        return []
    sql, params = _levels_sql(as_of=as_of, scope=scope, search=search.strip(), item_ids=item_ids)
    pairs = [(item_id, location_id) for item_id, location_id, *_ in _fetch(
        f"SELECT s.s_item, s.s_location, i.sku, o.code FROM ({sql}) s JOIN {Item._meta.db_table} i ON i.id = s.s_item "
        f"JOIN {Location._meta.db_table} o ON o.id = s.s_location GROUP BY s.s_item, s.s_location, i.sku, o.code "
        f"HAVING {_level_having(include_empty)} ORDER BY i.sku, o.code", params)]
    return _stock_rows_for(pairs, as_of=as_of, scope=scope)


def _stock_rows_for(pairs, *, as_of, scope) -> list[StockRowAsOf]:
    if not pairs:
        return []
    item_ids, location_ids = {p[0] for p in pairs}, {p[1] for p in pairs}
    sql, params = _levels_sql(as_of=as_of, scope=scope, item_ids=item_ids, location_ids=location_ids)
    levels = {(item_id, location_id): _number(level) for item_id, location_id, level in _fetch(
        f"SELECT s.s_item, s.s_location, SUM(s.s_level) FROM ({sql}) s GROUP BY s.s_item, s.s_location", params)}
    sql, params = _layers_sql(as_of=as_of, scope=scope, item_ids=item_ids, location_ids=location_ids)
    holdings: dict[tuple[int, int], Holding] = {}
    for item_id, location_id, cost, quantity in _fetch(
        f"SELECT s.s_item, s.s_location, s.s_cost, SUM(s.s_quantity) FROM ({sql}) s "
        "GROUP BY s.s_item, s.s_location, s.s_cost", params
    ):
        quantity = _number(quantity)
        if quantity:
            holdings.setdefault((item_id, location_id), Holding(item_id, location_id)).add(
                quantity, _number(cost, COST_STEP))
    items, locations = _names(item_ids, location_ids)
    return [
        StockRowAsOf(items[item_id], locations[location_id], levels.get((item_id, location_id), ZERO),
                     holdings.get((item_id, location_id)) or Holding(item_id, location_id))
        for item_id, location_id in pairs
    ]


@dataclass
class StockGroupAsOf:
    """One item (or one location) at an instant: its rows' quantity together, how many rows
    hold stock, and their lots' value."""

    item: Item | None
    location: Location | None
    quantity: Decimal
    count: int
    holding: Holding


def stock_groups_as_of_page(*, as_of: datetime, by: str, scope: Scope = Scope(), search: str = "",
                            cursor: str | None = None, size: int = PAGE_SIZE,
                            include_empty: bool = False) -> KeysetPage:
    """Stock at an instant by item (``by="item"``: one keyset page in sku order, read in SQL)
    or by location (every location, a handful of rows: one page). Each group counts the
    item-locations with a non-zero level (``locations`` or ``items``)."""
    search = search.strip()
    sql, params = _levels_sql(as_of=as_of, scope=scope, search=search)
    # The item-locations holding stock (or short) then: a group is made of those.
    held = (f"SELECT s.s_item, s.s_location, SUM(s.s_level) AS s_level FROM ({sql}) s "
            f"GROUP BY s.s_item, s.s_location HAVING {_level_having(include_empty)}", params)
    if by == "item":
        keys = _key_page(held, by_location=False, cursor=cursor, size=size, having="1 = 1")
        ids = [key[0] for key in keys.object_list]
        group_ids, narrow = ids, {"item_ids": ids}
    else:
        if cursor:
            raise InvalidCursor(cursor)
        keys, narrow = KeysetPage([], None, None), {}
    sql, params = _levels_sql(as_of=as_of, scope=scope, search=search, **narrow)
    column = "s_item" if by == "item" else "s_location"
    levels: dict[int, list] = {}
    for key, level in _fetch(
        f"SELECT t.{column}, t.level FROM (SELECT s.s_item, s.s_location, SUM(s.s_level) AS level FROM ({sql}) s "
        f"GROUP BY s.s_item, s.s_location HAVING ABS(SUM(s.s_level)) > {HOLDS_UNITS}) t", params
    ):
        entry = levels.setdefault(key, [ZERO, 0])
        entry[0] += _number(level)
        entry[1] += 1
    sql, params = _layers_sql(as_of=as_of, scope=scope, search=search, **narrow)
    holdings: dict[int, Holding] = {}
    for key, cost, quantity in _fetch(
        f"SELECT s.{column}, s.s_cost, SUM(s.s_quantity) FROM ({sql}) s GROUP BY s.{column}, s.s_cost", params
    ):
        quantity = _number(quantity)
        if quantity:
            holdings.setdefault(key, Holding(0, 0)).add(quantity, _number(cost, COST_STEP))
    if by == "item":
        items, _ = _names(group_ids, [])
        keys.object_list = [StockGroupAsOf(items[i], None, levels.get(i, [ZERO, 0])[0], levels.get(i, [ZERO, 0])[1],
                                           holdings.get(i) or Holding(0, 0)) for i in group_ids]
        return keys
    locations = {location.id: location for location in Location.objects.filter(id__in=list(levels))}
    groups = [StockGroupAsOf(None, locations[i], levels[i][0], levels[i][1], holdings.get(i) or Holding(0, 0))
              for i in sorted(levels, key=lambda i: locations[i].code)]
    return KeysetPage(groups, None, None)


# --- recall trace -------------------------------------------------------------------------------

#: The kinds of movement whose lines use units up (they leave stock for good).
CONSUMING = [Kind.BUILD, Kind.REPLACEMENT, Kind.ADJUSTMENT, Kind.SETTLEMENT]


def recall_batches(*, batch_id: int | None = None, supplier: str = "", po_number: str = "") -> list[Batch]:
    """The batches a recall starts from: one batch, every batch from a supplier (code, any
    case), or every batch received on a PO number (any case)."""
    queryset = Batch.objects.select_related("item", "supplier").order_by("item__sku", "number")
    if batch_id is not None:
        return list(queryset.filter(pk=batch_id))
    if supplier:
        return list(queryset.filter(supplier__code__iexact=supplier.strip()))
    if po_number:
        return list(queryset.filter(po_number__iexact=po_number.strip()))
    return []


def whereabouts(batch_ids) -> list[Lot]:
    """Where every unit of these batches is now: their lots holding units, by location then
    item and batch. One query."""
    return list(
        Lot.objects.non_empty().filter(batch_id__in=list(batch_ids))
        .select_related("batch", "batch__supplier", "item", "location")
        .order_by("location__code", "item__sku", "batch__number")
    )


def consumptions(batch_ids) -> list[MovementLine]:
    """Every ledger line that used units of these batches up (builds, replacements, downward
    adjustments, settlements), in time order. One query."""
    return list(
        MovementLine.objects.filter(batch_id__in=list(batch_ids), movement__kind__in=CONSUMING,
                                    from_location__isnull=False)
        .select_related("movement", "movement__user", "movement__item", "batch", "from_location")
        .order_by("movement__occurred_at", "movement_id", "id")
    )
