"""What the stock pages show, read with a fixed number of queries whatever the data behind them.

The shared selectors and FilterSets decide which rows there are; this module only gathers the
rows and lots of one page and wraps them with quantities ready to display. Every read here is
bounded by what the page shows: a page of groups (keyset, see ``hardfin.pagination``), the
first rows of each group, and the first lots of each row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote_plus

from django.db import connections
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import get_script_prefix, reverse

from hardfin.quantities import Quantity
from inventory.models import StockLevel

from .models import FIFO_ORDER, Lot

#: Rows shown under each group of the inventory list; the rest are one link away.
ROWS_PER_GROUP = 10
#: Lots shown under each item-location row of the inventory page.
LOTS_PER_ROW = 20
#: What a row of the inventory list shows (its lots are in its group's own view): a page reads
#: hundreds of rows, and loading their other columns (descriptions, dates) costs more than
#: reading them.
LIST_ROW_FIELDS = ("item_id", "location_id", "quantity", "item__sku", "item__name", "item__unit",
                   "location__code", "location__name")


@lru_cache(maxsize=32)
def _form_path(name: str, script_prefix: str) -> str:
    return reverse(name)


def form_path(name: str) -> str:
    """The address of a form without arguments, reversed once per process (and script prefix)
    rather than once for each of the hundreds of rows that link to it."""
    return _form_path(name, get_script_prefix())


@dataclass
class LotRow:
    lot: Lot
    quantity: Quantity


@dataclass
class StockRow:
    """One item at one location, with its first lots (oldest batch first)."""

    level: StockLevel
    quantity: Quantity
    lots: list[LotRow] = field(default_factory=list)
    #: Whether the row has more lots than ``lots`` holds.
    more_lots: bool = False
    # What the row shows, read once here rather than through ``level`` at each of its uses
    # (a page shows hundreds of rows, each naming its item and location several times).
    sku: str = field(init=False)
    location_name: str = field(init=False)
    location_code: str = field(init=False)
    negative: bool = field(init=False)
    #: The query of the forms pre-filled with the row's item and location.
    query: str = field(init=False)

    def __post_init__(self):
        item, location = self.level.item, self.level.location
        self.sku, self.location_name, self.location_code = item.sku, location.name, location.code
        self.negative = self.quantity.is_negative
        # As ``urlencode`` writes it, without its checks of each value's type.
        self.query = f"sku={quote_plus(item.sku)}&location={quote_plus(location.code)}"

    # Built here rather than by ``{% url %}`` in the template: a page shows hundreds of rows,
    # and reversing in Python costs a fraction of it.
    @property
    def item_url(self) -> str:
        return reverse("lots:item", args=[self.sku])


@dataclass
class StockGroup:
    """One item (by-item view) or one location (by-location view) and its first rows."""

    title: str
    subtitle: str
    rows: list[StockRow]
    #: The item's total in its unit; None for a location, whose items have different units.
    quantity: Quantity | None = None
    #: Locations holding the item (non-zero rows); None for a location (a count of its items
    #: would read every row it has).
    holders: int | None = None
    #: Whether the group has more rows than ``rows`` holds (its own view lists them all).
    more_rows: bool = False
    sku: str = ""
    location_code: str = ""


def first_of_each(
    rows: QuerySet, *, group: str, ids: Sequence[int], order: Sequence[str], limit: int, large_groups: bool,
    fields: Sequence[str] = (),
) -> list:
    """The first ``limit`` of ``rows`` in ``order`` for each ``group`` value in ``ids``, in one
    query. Groups of few rows (an item's locations) are numbered by a window over all their
    rows. ``large_groups`` (a location's items, which may be hundreds of thousands): on
    PostgreSQL a UNION ALL of one LIMITed branch per group, each one an index range that stops
    after ``limit`` rows; SQLite (the embedded default) cannot LIMIT a branch and numbers them
    too. Returns the rows in ``order``, with only ``fields`` loaded if given."""
    ids = list(ids)
    if not ids:
        return []
    ordered = rows.order_by(*order)
    if large_groups and connections[rows.db].features.supports_slicing_ordering_in_compound:
        branches = [ordered.filter(**{group: value}).values_list("pk", flat=True)[:limit] for value in ids]
        chosen = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    else:
        ranked = ordered.filter(**{f"{group}__in": ids}).annotate(
            position=Window(RowNumber(), partition_by=[F(group)], order_by=list(order))
        )
        chosen = ranked.filter(position__lte=limit).values_list("pk", flat=True)
    chosen_rows = rows.filter(pk__in=list(chosen)).order_by(*order)
    return list(chosen_rows.only(*fields) if fields else chosen_rows)


def stock_rows_without_lots(levels: Iterable[StockLevel]) -> list[StockRow]:
    return [StockRow(level, Quantity(level.quantity, level.item.unit)) for level in levels]


def stock_rows_with_lots(levels: Iterable[StockLevel], lots: QuerySet[Lot], *, per_row: int | None = None) -> list[StockRow]:
    """Wrap ``levels`` with their lots, taken from ``lots`` (a filtered ``lots_fifo_order()``)
    in one query: the first ``per_row`` of each (all if None)."""
    levels = list(levels)
    if not levels:
        return []
    page_lots = lots.filter(
        item_id__in={level.item_id for level in levels},
        location_id__in={level.location_id for level in levels},
    )
    if per_row is not None:
        page_lots = page_lots.annotate(
            position=Window(RowNumber(), partition_by=[F("item_id"), F("location_id")], order_by=list(FIFO_ORDER))
        ).filter(position__lte=per_row + 1)
    by_pair: dict[tuple[int, int], list[LotRow]] = defaultdict(list)
    for lot in page_lots:
        by_pair[lot.item_id, lot.location_id].append(LotRow(lot, Quantity(lot.quantity, lot.item.unit)))
    result = []
    for level in levels:
        pair_lots = by_pair.get((level.item_id, level.location_id), [])
        more = per_row is not None and len(pair_lots) > per_row
        result.append(
            StockRow(level, Quantity(level.quantity, level.item.unit), pair_lots[:per_row] if more else pair_lots, more)
        )
    return result


def item_group(item, totals: dict | None, rows: list[StockRow], *, more_rows: bool = False) -> StockGroup:
    totals = totals or {"quantity": 0, "locations": 0}
    return StockGroup(
        title=item.sku, subtitle=item.name, rows=rows, quantity=Quantity(totals["quantity"], item.unit),
        holders=totals["locations"], more_rows=more_rows, sku=item.sku,
    )


def location_group(location, rows: list[StockRow], *, more_rows: bool = False) -> StockGroup:
    return StockGroup(
        title=location.name, subtitle=location.code, rows=rows, more_rows=more_rows, location_code=location.code,
    )
