"""Reads shared by every door (API, pages, admin, exports)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from hardfin.csv import csv_query_response

from .models import Item, StockLevel

#: The type of every quantity sum.
QUANTITY = DecimalField(max_digits=15, decimal_places=3)
ZERO = Value(Decimal(0), output_field=QUANTITY)


def items_with_on_hand() -> QuerySet[Item]:
    """Items with ``on_hand``: their total over all locations (open shortfalls included)."""
    return Item.objects.annotate(on_hand=Coalesce(Sum("stock_levels__quantity", output_field=QUANTITY), ZERO))


def stock_rows() -> QuerySet[StockLevel]:
    """Item-location rows, ordered by SKU then location code (filter with StockLevelFilter)."""
    return StockLevel.objects.select_related("item", "location").order_by("item__sku", "location__code")


def stock_by_item(rows: QuerySet[StockLevel]):
    """Group filtered item-location rows by item: ``sku``, ``item_name``, ``unit``,
    ``quantity`` (total) and ``locations`` (how many locations hold a non-zero quantity)."""
    return (
        rows.order_by()
        .values("item_id")
        # Count first: once ``quantity`` is annotated, the name means the sum, not the row's.
        .annotate(locations=Count("id", filter=~Q(quantity=0)))
        .annotate(
            sku=Coalesce("item__sku", Value("")),
            item_name=Coalesce("item__name", Value("")),
            unit=Coalesce("item__unit", Value("")),
            quantity=Sum("quantity", output_field=QUANTITY),
        )
        .order_by("sku")
    )


def stock_by_location(rows: QuerySet[StockLevel]):
    """Group filtered item-location rows by location: ``location`` (code),
    ``location_name``, ``quantity`` and ``items`` (how many items it holds, non-zero)."""
    return (
        rows.order_by()
        .values("location_id")
        # As above, and the name before ``location`` is re-used for the code.
        .annotate(items=Count("id", filter=~Q(quantity=0)))
        .annotate(location_name=Coalesce("location__name", Value("")))
        .annotate(location=Coalesce("location__code", Value("")), quantity=Sum("quantity", output_field=QUANTITY))
        .order_by("location")
    )


STOCK_EXPORT_HEADER = ("SKU", "Item name", "Location", "Quantity")
#: The columns of the item-location export (``Location`` is the location's name).
STOCK_EXPORT_COLUMNS = ("item__sku", "item__name", "location__name", "quantity")


def stock_export(filename: str, rows: QuerySet[StockLevel]):
    """The item-location export of ``rows`` as a streamed CSV download (COPY on PostgreSQL)."""
    return csv_query_response(filename, STOCK_EXPORT_HEADER, rows, STOCK_EXPORT_COLUMNS, numeric={"quantity"})


def stock_export_rows(rows: QuerySet[StockLevel]):
    """The item-location export, one tuple per row: SKU, item name, location name, quantity.
    Iterates in chunks so an export of any size runs in bounded memory."""
    return rows.values_list(*STOCK_EXPORT_COLUMNS).iterator(chunk_size=2000)
