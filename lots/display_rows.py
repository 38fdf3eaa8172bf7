"""What the stock pages show, read with a fixed number of queries whatever the page size.

The shared selectors and FilterSets decide which rows there are; this module only gathers the
rows and lots of one page and wraps them with quantities ready to display.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from hardfin.quantities import Quantity
from inventory.models import StockLevel

from .models import Lot


@dataclass
class LotRow:
    lot: Lot
    quantity: Quantity


@dataclass
class StockRow:
    """One item at one location, with its lots (oldest batch first)."""

    level: StockLevel
    quantity: Quantity
    lots: list[LotRow] = field(default_factory=list)


@dataclass
class StockGroup:
    """One item (by-item view) or one location (by-location view) and its rows."""

    title: str
    subtitle: str
    quantity: Quantity
    #: Locations holding the item, or items held at the location (non-zero rows).
    holders: int
    rows: list[StockRow]
    sku: str = ""
    location_code: str = ""


def stock_rows_with_lots(levels: Iterable[StockLevel], lots: QuerySet[Lot]) -> list[StockRow]:
    """Wrap ``levels`` with their lots, taken from ``lots`` (a filtered
    ``lots_fifo_order()``) in one query."""
    levels = list(levels)
    if not levels:
        return []
    page_lots = lots.filter(
        item_id__in={level.item_id for level in levels},
        location_id__in={level.location_id for level in levels},
    )
    by_pair: dict[tuple[int, int], list[LotRow]] = defaultdict(list)
    for lot in page_lots:
        by_pair[lot.item_id, lot.location_id].append(LotRow(lot, Quantity(lot.quantity, lot.item.unit)))
    return [
        StockRow(level, Quantity(level.quantity, level.item.unit), by_pair.get((level.item_id, level.location_id), []))
        for level in levels
    ]


def stock_groups(
    rows: QuerySet[StockLevel], groups: Iterable[dict], *, by: str, lots: QuerySet[Lot]
) -> list[StockGroup]:
    """Expand one page of ``stock_by_item``/``stock_by_location`` (``by`` = ``item`` or
    ``location``) with its item-location rows from ``rows`` and their lots from ``lots``."""
    groups = list(groups)
    key = f"{by}_id"
    levels = rows.filter(**{f"{key}__in": [group[key] for group in groups]})
    rows_by_group: dict[int, list[StockRow]] = defaultdict(list)
    for row in stock_rows_with_lots(levels, lots):
        rows_by_group[getattr(row.level, key)].append(row)
    result = []
    for group in groups:
        group_rows = rows_by_group.get(group[key], [])
        if by == "item":
            result.append(
                StockGroup(
                    title=group["sku"],
                    subtitle=group["item_name"],
                    quantity=Quantity(group["quantity"], group["unit"]),
                    holders=group["locations"],
                    rows=group_rows,
                    sku=group["sku"],
                )
            )
        else:
            # Items of one location may have different units: the total has none.
            result.append(
                StockGroup(
                    title=group["location_name"],
                    subtitle=group["location"],
                    quantity=Quantity(group["quantity"]),
                    holders=group["items"],
                    rows=group_rows,
                    location_code=group["location"],
                )
            )
    return result
