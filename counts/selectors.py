"""Reads of counts and reorder points shared by every door (API, pages, admin, exports)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    Case,
    Count as Counted,
    DecimalField,
    Exists,
    Prefetch,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from hardfin.csv import csv_response
from hardfin.money import exact_value
from hardfin.quantities import STEP
from inventory.models import Item, Location, StockLevel
from inventory.selectors import stock_export
from lots.fifo import allocate
from lots.models import Lot
from movements.ledger import newest_known_costs
from movements.models import Movement, MovementLine, Shortfall

from .models import Count, CountLine, ReorderPoint

QUANTITY = DecimalField(max_digits=15, decimal_places=3)
ZERO = Value(Decimal(0), output_field=QUANTITY)


def _exact(value) -> Decimal:
    """A sum as an exact quantity (SQLite sums decimals as floats; PostgreSQL is exact)."""
    return Decimal(str(value or 0)).quantize(STEP)


# --- stock at an instant --------------------------------------------------------------------

def levels_at(*, location: Location, at: datetime, item_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    """The stock level of each item at ``location`` as it stood after every movement with
    ``occurred_at`` ≤ ``at``, from the ledger: the signed sum of the lines in and out, less the
    build shortfalls opened by then. Settlements are left out on both sides — a settlement's
    lines take units from the lots exactly as much as they lower the shortfall, so they do not
    change the level. Items that never moved there are absent (their level is 0)."""
    lines = MovementLine.objects.filter(movement__occurred_at__lte=at).exclude(movement__kind=Movement.Kind.SETTLEMENT)
    shortfalls = Shortfall.objects.filter(location=location, created_at__lte=at)
    ids = None if item_ids is None else set(item_ids)
    if ids is not None and len(ids) <= 500:  # else the location's whole ledger, grouped, is cheaper
        lines = lines.filter(movement__item_id__in=ids)
        shortfalls = shortfalls.filter(item_id__in=ids)
    signed = (
        lines.filter(Q(to_location=location) | Q(from_location=location))
        .values("movement__item_id")
        .annotate(
            level=Sum(
                Case(
                    When(to_location=location, then=F("quantity")),
                    default=-F("quantity"),
                    output_field=QUANTITY,
                )
            )
        )
    )
    levels = {row["movement__item_id"]: _exact(row["level"]) for row in signed}
    for row in shortfalls.values("item_id").annotate(total=Sum("quantity")):
        levels[row["item_id"]] = levels.get(row["item_id"], Decimal(0)) - _exact(row["total"])
    if ids is not None:
        levels = {item_id: level for item_id, level in levels.items() if item_id in ids}
    return levels


def items_to_count(location: Location) -> QuerySet[Item]:
    """What a count of ``location`` covers by default: every active item with a lot there
    (even an empty one) or a non-zero stock level."""
    lots = Lot.objects.filter(item=OuterRef("pk"), location=location)
    levels = StockLevel.objects.filter(item=OuterRef("pk"), location=location).exclude(quantity=0)
    return Item.objects.filter(Exists(lots) | Exists(levels), is_active=True).order_by("sku")


def open_lines_elsewhere(*, location: Location, item_ids: Iterable[int], count: Count | None = None) -> list[str]:
    """SKUs of ``item_ids`` that another open count of ``location`` already covers."""
    lines = CountLine.objects.filter(is_open=True, location=location, item_id__in=list(item_ids))
    if count is not None:
        lines = lines.exclude(count=count)
    return sorted(lines.values_list("item__sku", flat=True).distinct(), key=str.lower)


# --- counts ---------------------------------------------------------------------------------

def counts() -> QuerySet[Count]:
    """Counts, open ones first, then newest first; with how many lines they have and how
    many are counted."""
    return (
        Count.objects.select_related("location", "started_by", "posted_by", "cancelled_by")
        .annotate(
            line_count=Counted("lines"),
            counted_count=Counted("lines", filter=Q(lines__counted__isnull=False)),
            open_first=Case(When(status=Count.Status.OPEN, then=Value(0)), default=Value(1)),
        )
        .order_by("open_first", "-started_at", "-id")
    )


def count_with_lines(pk) -> Count:
    """One count with its lines (and their items and counters) loaded."""
    return (
        Count.objects.select_related("location", "started_by", "posted_by", "cancelled_by")
        .prefetch_related(count_lines_prefetch())
        .get(pk=pk)
    )


def count_lines_prefetch():
    return Prefetch(
        "lines",
        queryset=CountLine.objects.select_related("item", "counted_by").order_by("item__sku", "id"),
    )


def variance_values(count: Count, lines: Iterable[CountLine]) -> dict[int, Decimal | None]:
    """The exact value of each line's variance, by line id (None where a cost is unknown), for
    the lines whose variance is not zero. Three queries however many lines.

    Posted: the value of the ``count_correction`` adjustment that posted the line (its ledger
    lines at their batches' costs). Open: what posting now would move — an upward variance
    at the item's newest known cost (the cost its new batch will get), a downward one taken
    FIFO from the location's lots as they are now (unknown if any unit it takes is of unknown
    cost, or if the lots no longer hold that many, when posting would be refused anyway). A
    cancelled count moved nothing and has no values."""
    lines = [line for line in lines if line.variance]
    if count.status == Count.Status.CANCELLED or not lines:
        return {}
    if count.status == Count.Status.POSTED:
        posted = [line.adjustment_id for line in lines if line.adjustment_id]
        exact: dict[int, Decimal | None] = dict.fromkeys(posted, Decimal(0))
        rows = (
            MovementLine.objects.filter(movement_id__in=posted)
            .values_list("movement_id", "batch__unit_cost")
            .annotate(quantity=Sum("quantity"))
            .order_by()
        )
        for movement_id, cost, quantity in rows:
            value = exact_value(_exact(quantity), cost)
            exact[movement_id] = None if value is None or exact[movement_id] is None else exact[movement_id] + value
        signs = {line.adjustment_id: (1 if line.variance > 0 else -1) for line in lines if line.adjustment_id}
        return {
            line.pk: None if exact[line.adjustment_id] is None else signs[line.adjustment_id] * exact[line.adjustment_id]
            for line in lines if line.adjustment_id
        }
    values: dict[int, Decimal | None] = {}
    up = [line for line in lines if line.variance > 0]
    costs = newest_known_costs(line.item_id for line in up) if up else {}
    for line in up:
        values[line.pk] = exact_value(line.variance, costs.get(line.item_id))
    down = [line for line in lines if line.variance < 0]
    if down:
        held: dict[int, list[tuple[Decimal | None, Decimal]]] = {}
        for item_id, cost, quantity in (
            Lot.objects.non_empty().filter(location_id=count.location_id, item_id__in=[line.item_id for line in down])
            .fifo().values_list("item_id", "batch__unit_cost", "quantity")
        ):
            held.setdefault(item_id, []).append((cost, quantity))
        for line in down:
            taken = allocate(list(enumerate(quantity for _, quantity in held.get(line.item_id, []))), -line.variance)
            layers = held.get(line.item_id, [])
            value = Decimal(0)
            for position, take in taken.takes:
                cost = layers[position][0]
                value = None if value is None or cost is None else value + take * cost
            values[line.pk] = None if value is None or taken.shortfall else -value
    return values


def variance_total(values: dict[int, Decimal | None]) -> tuple[Decimal, int]:
    """The exact net value of the variances whose value is known, and how many are not."""
    known = [value for value in values.values() if value is not None]
    return sum(known, Decimal(0)), len(values) - len(known)


# --- reorder points and low stock -----------------------------------------------------------

def reorder_points() -> QuerySet[ReorderPoint]:
    return ReorderPoint.objects.select_related("item", "location").order_by("item__sku", "location__code")


def reorder_points_with_quantity() -> QuerySet[ReorderPoint]:
    """Reorder points with the current ``quantity`` of their item-location (0 where it never
    held stock) and ``to_order`` (= target, or else minimum, − quantity)."""
    level = StockLevel.objects.filter(item=OuterRef("item_id"), location=OuterRef("location_id")).values("quantity")[:1]
    return reorder_points().annotate(
        quantity=Coalesce(Subquery(level, output_field=QUANTITY), ZERO),
    ).annotate(
        to_order=ExpressionWrapper(Coalesce(F("target"), F("minimum")) - F("quantity"), output_field=QUANTITY),
    )


def below_minimum() -> QuerySet[ReorderPoint]:
    """Every item-location whose quantity is below its minimum — including those that never
    held stock — each with ``quantity``, ``minimum``, ``target`` and ``to_order``; ordered by
    SKU then location code, like the stock rows. Filter with ``filters.LowStockFilter``."""
    return reorder_points_with_quantity().filter(quantity__lt=F("minimum"))



#: The low-stock export for purchasing.
LOW_STOCK_HEADER = ("SKU", "Item name", "Location code", "Location", "Unit", "Quantity", "Minimum", "Target",
                    "To order")


def low_stock_stock_export(filename: str, rows: QuerySet[ReorderPoint], *, with_unit_and_code: bool = False):
    """Below-minimum rows in the columns of the stock app's export (the API's, or with
    ``with_unit_and_code`` the inventory page's): its own writer, over reorder points annotated
    with the same column names."""
    return stock_export(filename, rows, with_unit_and_code=with_unit_and_code)


def low_stock_export(filename: str, rows: QuerySet[ReorderPoint]):
    """The low-stock page's export: what to order, per item-location."""

    def lines():
        for point in rows.iterator(chunk_size=2000):
            # Quantities as Decimals (None: an empty cell), which the writer never escapes.
            yield (point.item.sku, point.item.name, point.location.code, point.location.name, point.item.unit,
                   point.quantity, point.minimum, point.target, point.to_order)

    return csv_response(filename, LOW_STOCK_HEADER, lines())
