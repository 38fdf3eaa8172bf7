"""Reads shared by every door (API, pages, admin, exports)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import connections, router
from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Lower

from hardfin.csv import csv_query_response
from hardfin.identifiers import CODE_MAX_LENGTH, SKU_MAX_LENGTH, pattern

from .models import Item, Location, StockLevel

#: The type of every quantity sum.
QUANTITY = DecimalField(max_digits=15, decimal_places=3)
ZERO = Value(Decimal(0), output_field=QUANTITY)


def items_with_on_hand() -> QuerySet[Item]:
    """Items with ``on_hand``: their total over all locations (open shortfalls included).

    A correlated subquery (the (item, location) index), not a join and GROUP BY: it is worked
    out for the rows a page shows only, and a list's ``count()`` leaves it out (Django strips
    unused annotations), where the grouped join summed every stock level of the catalog for
    each page and again for its count."""
    totals = (StockLevel.objects.filter(item=OuterRef("pk")).order_by().values("item")
              .annotate(total=Sum("quantity")).values("total"))
    return Item.objects.annotate(on_hand=Coalesce(Subquery(totals, output_field=QUANTITY), ZERO))


def item_units() -> list[str]:
    """The catalog's distinct units (ea, m, kg, …) in order, for the admin's unit filter.

    Read as a loose index scan: each unit is the least one after the last, one probe of the
    ``item_unit`` index, so a catalog of 200,000 items with five units costs six probes, where
    ``SELECT DISTINCT`` reads every item."""
    connection = connections[router.db_for_read(Item)]
    table = connection.ops.quote_name(Item._meta.db_table)
    sql = (
        f"WITH RECURSIVE units(unit) AS ("
        f" SELECT MIN(unit) FROM {table}"
        f" UNION ALL"
        f" SELECT (SELECT MIN(unit) FROM {table} WHERE unit > units.unit) FROM units WHERE units.unit IS NOT NULL"
        f") SELECT unit FROM units WHERE unit IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [unit for (unit,) in cursor.fetchall()]


_SKU = re.compile(pattern(SKU_MAX_LENGTH))
_CODE = re.compile(pattern(CODE_MAX_LENGTH))


def item_id(sku: str) -> int | None:
    """The id of the item with this SKU (ignoring case), or None. Read through the unique
    index on ``LOWER(sku)``, so a filter by SKU becomes a filter by id that the (item, …)
    indexes serve; a text that cannot be a SKU is not looked up at all."""
    if not _SKU.match(sku):
        return None
    return Item.objects.alias(key=Lower("sku")).filter(key=Lower(Value(sku))).values_list("id", flat=True).first()


def location_id(code: str) -> int | None:
    """The id of the location with this code (ignoring case), or None; as ``item_id``."""
    if not _CODE.match(code):
        return None
    return (
        Location.objects.alias(key=Lower("code")).filter(key=Lower(Value(code))).values_list("id", flat=True).first()
    )


def stock_search(rows: QuerySet[StockLevel], text: str) -> QuerySet[StockLevel]:
    """Rows whose SKU, item name, location code or location name contains ``text``. The few
    matching locations are looked up first, so the rows' condition is "item among the matching
    items, or location among these ids" rather than an OR over four joined columns."""
    locations = list(
        Location.objects.filter(Q(code__icontains=text) | Q(name__icontains=text)).values_list("id", flat=True)
    )
    condition = Q(item_id__in=Item.objects.filter(Q(sku__icontains=text) | Q(name__icontains=text)).values("id"))
    if locations:
        condition |= Q(location_id__in=locations)
    return rows.filter(condition)


def stock_rows() -> QuerySet[StockLevel]:
    """Item-location rows, ordered by SKU then location code (filter with StockLevelFilter)."""
    return StockLevel.objects.select_related("item", "location").order_by("item__sku", "location__code")


def items_in_stock(rows: QuerySet[StockLevel]) -> QuerySet[Item]:
    """The items that have at least one of the (filtered) item-location ``rows``. Page them in
    SKU order: the index on ``sku`` walks the items and each is checked by the unique
    (item, location) index, so nothing adds up every row."""
    return Item.objects.filter(Exists(rows.order_by().filter(item_id=OuterRef("pk"))))


def locations_in_stock(rows: QuerySet[StockLevel]) -> QuerySet[Location]:
    """The locations that have at least one of the (filtered) item-location ``rows``."""
    return Location.objects.filter(Exists(rows.order_by().filter(location_id=OuterRef("pk"))))


def item_totals(rows: QuerySet[StockLevel], item_ids) -> dict[int, dict]:
    """For each of ``item_ids`` (one page of items), the total of its ``rows`` (``quantity``,
    in the item's one unit) and how many of them are non-zero (``locations``). Reads only
    those items' rows."""
    totals = (
        rows.filter(item_id__in=list(item_ids))
        .order_by()
        .values("item_id")
        .annotate(locations=Count("id", filter=~Q(quantity=0)), total=Sum("quantity", output_field=QUANTITY))
    )
    return {row["item_id"]: {"quantity": row["total"], "locations": row["locations"]} for row in totals}


def location_totals(rows: QuerySet[StockLevel], location_ids) -> dict[int, dict]:
    """For each of ``location_ids`` (one page of locations), the sum of its ``rows``
    (``quantity``, whatever the items' units) and how many are non-zero (``items``). Unlike
    every other list read, this one reads every row of those locations: the API's
    by-location list promises these figures (API.md), and nothing stores them. The pages
    show neither."""
    totals = (
        rows.filter(location_id__in=list(location_ids))
        .order_by()
        .values("location_id")
        .annotate(items=Count("id", filter=~Q(quantity=0)), total=Sum("quantity", output_field=QUANTITY))
    )
    return {row["location_id"]: {"quantity": row["total"], "items": row["items"]} for row in totals}


STOCK_EXPORT_HEADER = ("SKU", "Item name", "Location", "Quantity")
#: The columns of the item-location export (``Location`` is the location's name).
STOCK_EXPORT_COLUMNS = ("item__sku", "item__name", "location__name", "quantity")


#: The staff page's export adds these after the four columns of the API's (whose header is
#: a contract and stays as it is).
PAGE_EXPORT_HEADER = (*STOCK_EXPORT_HEADER, "Unit", "Location code")
PAGE_EXPORT_COLUMNS = (*STOCK_EXPORT_COLUMNS, "item__unit", "location__code")


def stock_export(filename: str, rows: QuerySet[StockLevel], *, with_unit_and_code: bool = False):
    """The item-location export of ``rows``, in their order, as a streamed CSV download (COPY
    on PostgreSQL); ``with_unit_and_code`` adds the ``Unit`` and ``Location code`` columns."""
    header, columns = (
        (PAGE_EXPORT_HEADER, PAGE_EXPORT_COLUMNS) if with_unit_and_code else (STOCK_EXPORT_HEADER, STOCK_EXPORT_COLUMNS)
    )
    return csv_query_response(filename, header, rows, columns, numeric={"quantity"})


def stock_export_rows(rows: QuerySet[StockLevel]):
    """The item-location export, one tuple per row: SKU, item name, location name, quantity.
    Iterates in chunks so an export of any size runs in bounded memory."""
    return rows.values_list(*STOCK_EXPORT_COLUMNS).iterator(chunk_size=2000)


#: How many items a SKU picker suggests at once: enough to pick from, never the catalog.
SUGGESTIONS = 12


def item_suggestions(text: str, *, limit: int = SUGGESTIONS) -> list[Item]:
    """Up to ``limit`` active items for a SKU picker: those whose SKU starts with ``text``
    (the index on the SKU serves it), then, if there is room, those whose SKU or name
    contains it (the trigram indexes on PostgreSQL). Empty or impossible text suggests
    nothing, so no read ever walks the whole catalog."""
    text = (text or "").strip()
    if not text or "\x00" in text or len(text) > SKU_MAX_LENGTH:
        return []
    active = Item.objects.active().only("id", "sku", "name", "unit")
    found = list(active.filter(sku__istartswith=text).order_by("sku")[:limit])
    if len(found) < limit:
        seen = [item.pk for item in found]
        found += list(
            active.filter(Q(sku__icontains=text) | Q(name__icontains=text)).exclude(pk__in=seen)
            .order_by("sku")[: limit - len(found)]
        )
    return found


#: The most locations a "From" list offers (an item is held at a handful; a list of
#: thousands would be no help to pick from).
HOLDERS_SHOWN = 200


def locations_holding(item) -> QuerySet[Location]:
    """Active locations where ``item`` has units (a positive stock level: lots are never
    positive where a shortfall is open), by code."""
    holding = StockLevel.objects.filter(item=item, quantity__gt=0).values("location_id")
    return Location.objects.active().filter(pk__in=holding).order_by("code")


def items_by_sku(skus) -> dict[str, Item]:
    """The items with these SKUs (any case), keyed by the SKU in lower case, in one read;
    texts that cannot be a SKU are left out."""
    keys = {sku.lower() for sku in skus if _SKU.match(sku)}
    if not keys:
        return {}
    found = Item.objects.alias(key=Lower("sku")).filter(key__in=keys)
    return {item.sku.lower(): item for item in found}
