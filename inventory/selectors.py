"""Reads shared by every door (API, pages, admin, exports)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from .models import Item, StockLevel

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=15, decimal_places=3))


def items_with_on_hand() -> QuerySet[Item]:
    """Items with ``on_hand``: their total over all locations (open shortfalls included)."""
    return Item.objects.annotate(on_hand=Coalesce(Sum("stock_levels__quantity"), ZERO))


def stock_rows() -> QuerySet[StockLevel]:
    """Item-location rows, ordered by SKU then location code (filter with StockLevelFilter)."""
    return StockLevel.objects.select_related("item", "location").order_by("item__sku", "location__code")


def stock_by_item(rows: QuerySet[StockLevel]):
    """Group filtered item-location rows by item: ``sku``, ``item_name``, ``unit``,
    ``quantity`` (total) and ``locations`` (how many locations hold a non-zero quantity)."""
    return (
        rows.order_by()
        .values("item_id")
        .annotate(
            sku=Coalesce("item__sku", Value("")),
            item_name=Coalesce("item__name", Value("")),
            unit=Coalesce("item__unit", Value("")),
            quantity=Sum("quantity"),
            locations=Count("id", filter=~Q(quantity=0)),
        )
        .order_by("sku")
    )


def stock_by_location(rows: QuerySet[StockLevel]):
    """Group filtered item-location rows by location: ``location`` (code),
    ``location_name``, ``quantity`` and ``items`` (how many items it holds, non-zero)."""
    return (
        rows.order_by()
        .values("location_id")
        .annotate(
            location=Coalesce("location__code", Value("")),
            location_name=Coalesce("location__name", Value("")),
            quantity=Sum("quantity"),
            items=Count("id", filter=~Q(quantity=0)),
        )
        .order_by("location")
    )


STOCK_EXPORT_HEADER = ("SKU", "Item name", "Location", "Quantity")


def stock_export_rows(rows: QuerySet[StockLevel]):
    """The item-location export, one tuple per row: SKU, item name, location name, quantity.
    Iterates in chunks so an export of any size runs in bounded memory."""
    for level in rows.iterator(chunk_size=2000):
        yield (level.item.sku, level.item.name, level.location.name, level.quantity)
