"""Staff pages for stock: the inventory (by item or by location, with lots), its CSV export,
and an item's stock page.

Pages are a door (DESIGN.md "Layers"): they read through the shared selectors and
FilterSets of every app and never write. Every page needs a signed-in user allowed to view
inventory; anonymous visitors are sent to sign in, anyone else gets 403.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import TemplateView

from hardfin.db_router import replica_reads
from hardfin.pages import StaffPageMixin
from hardfin.pagination import InvalidCursor, KeysetPage, keyset_page
from hardfin.permissions import EXPORT_INVENTORY, VIEW_INVENTORY
from inventory.filters import StockLevelFilter
from inventory.models import Location
from inventory.selectors import (
    item_totals,
    items_in_stock,
    locations_in_stock,
    stock_export,
    stock_rows,
)
from inventory.views import ItemPageMixin

from .display_rows import (
    LIST_ROW_FIELDS,
    LOTS_PER_ROW,
    ROWS_PER_GROUP,
    first_of_each,
    item_group,
    location_group,
    stock_rows_with_lots,
    stock_rows_without_lots,
)
from .filters import LotFilter
from .selectors import lots_fifo_order


def filter_values(stock_filter: StockLevelFilter, lot_filter: LotFilter) -> dict:
    """The filters as the page's filter form shows them back (invalid values dropped)."""
    stock_filter.is_valid()
    lot_filter.is_valid()
    return {**stock_filter.form.cleaned_data, "show_empty": bool(lot_filter.form.cleaned_data.get("show_empty"))}


def page_rows(stock_filter: StockLevelFilter, lot_filter: LotFilter):
    """The item-location rows a stock page lists. The page's filters are one form: an unknown
    yes/no value in any of them (``?show_empty=maybe``) matches nothing, rows included."""
    if lot_filter.matches_nothing:
        return stock_filter.qs.none()
    return stock_filter.qs


VIEWS = ("item", "location")
SORTS = ("sku", "name", "quantity")
DEFAULT_SORT = "sku"


def read_view(query) -> str:
    return query.get("view") if query.get("view") in VIEWS else "item"


def read_sort(query) -> str:
    """``?sort=sku|name|quantity``, ``-`` in front for descending; anything else is SKU order."""
    sort = query.get("sort") or DEFAULT_SORT
    return sort if sort.lstrip("-") in SORTS and sort.count("-") <= 1 else DEFAULT_SORT


def orders(view: str, sort: str) -> tuple[list[str], list[str]]:
    """The order of the groups and of the item-location rows within a group, for ``view``
    and ``sort``. Each ends with a unique column (keyset pages need one) and each is served
    by an index: items by (sku) or (name, id), locations by code, a location's rows by the
    items' indexes or by (location, quantity, item), an item's rows by (item, location)."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    sign = "-" if descending else ""
    if view == "item":
        groups = [f"{sign}name", f"{sign}id"] if key == "name" else [f"{sign}sku", f"{sign}id"]
        if key == "quantity":
            groups = ["sku", "id"]
            rows = [f"{sign}quantity", "location__code", "id"]
        else:
            rows = ["location__code", "id"]
        return groups, rows
    groups = ["code", "id"]
    if key == "name":
        rows = [f"{sign}item__name", f"{sign}item_id", "id"]
    elif key == "quantity":
        # Ties by item id, not SKU: the (location, quantity, item) index then gives the whole
        # order, where SKU ties would sort every row of a common quantity.
        rows = [f"{sign}quantity", f"{sign}item_id"]
    else:
        rows = [f"{sign}item__sku", f"{sign}id"]
    return groups, rows


def export_order(view: str, sort: str) -> list[str]:
    """The item-location rows of the whole list in the order the page shows them."""
    groups, rows = orders(view, sort)
    prefix = "item__" if view == "item" else "location__"
    return [f"{'-' if name.startswith('-') else ''}{prefix}{name.lstrip('-')}" for name in groups] + rows


def keyset_or_first(queryset, order, cursor) -> KeysetPage:
    """A keyset page; a cursor this list did not hand out (edited, or from another sort)
    shows the first page."""
    try:
        return keyset_page(queryset, order, cursor)
    except InvalidCursor:
        return keyset_page(queryset, order)


class InventoryView(StaffPageMixin, TemplateView):
    """``/inventory/?view=item|location``: a page of groups, each with its first rows (the
    rest are in the group's own view: ``?item=SKU`` by item, ``?location=CODE`` by
    location, which pages through them), each row with its first lots.

    Nothing here counts or adds up rows beyond what the page shows (issue 9): groups and
    rows are keyset pages (``?cursor=``), there is no total count, and a location shows no
    total (its items have different units, and the sum would read every row it holds)."""

    template_name = "inventory/inventory.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET
        view, sort = read_view(query), read_sort(query)
        stock_filter = StockLevelFilter(query, queryset=stock_rows())
        lot_filter = LotFilter(query, queryset=lots_fifo_order())
        rows = page_rows(stock_filter, lot_filter)
        filters = filter_values(stock_filter, lot_filter)
        group_order, row_order = orders(view, sort)
        cursor = query.get("cursor")
        lots = lot_filter.qs
        # The group's own view: the filter names one item (by item) or one location (by
        # location); then its rows are what the page pages through.
        single = bool(filters.get("item" if view == "item" else "location"))
        if single:
            page = keyset_or_first(rows, row_order, cursor)
            shown = stock_rows_with_lots(page.object_list, lots, per_row=LOTS_PER_ROW)
            groups = []
            if view == "item":
                item = items_in_stock(rows).first()
                if item is not None:
                    groups = [item_group(item, item_totals(rows, [item.pk]).get(item.pk), shown)]
            else:
                location = locations_in_stock(rows).first()
                if location is not None:
                    groups = [location_group(location, shown)]
        else:
            by = "item_id" if view == "item" else "location_id"
            page = keyset_or_first(items_in_stock(rows) if view == "item" else locations_in_stock(rows),
                                   group_order, cursor)
            ids = [group.pk for group in page.object_list]
            first = first_of_each(rows, group=by, ids=ids, order=row_order, limit=ROWS_PER_GROUP + 1,
                                  large_groups=view == "location", fields=LIST_ROW_FIELDS)
            by_group = defaultdict(list)
            # Lots are shown in a group's own view, not in the list (a list page would otherwise
            # carry hundreds of lot tables).
            for row in stock_rows_without_lots(first):
                by_group[getattr(row.level, by)].append(row)
            totals = item_totals(rows, ids) if view == "item" else {}
            groups = []
            for group in page.object_list:
                group_rows = by_group.get(group.pk, [])
                more = len(group_rows) > ROWS_PER_GROUP
                group_rows = group_rows[:ROWS_PER_GROUP]
                if view == "item":
                    groups.append(item_group(group, totals.get(group.pk), group_rows, more_rows=more))
                else:
                    groups.append(location_group(group, group_rows, more_rows=more))
        context.update(
            view=view,
            sort=sort,
            page=page,
            groups=groups,
            single=single,
            # A group's own view opens by itself.
            expand=single,
            filters=filters,
            locations=Location.objects.order_by("code"),
            rows_per_group=ROWS_PER_GROUP,
            lots_per_row=LOTS_PER_ROW,
        )
        return context


@method_decorator(replica_reads(), name="dispatch")
class StockExportView(StaffPageMixin, View):
    """``/inventory/export.csv``: every item-location row matching the page's filters,
    whichever view the page shows."""

    permission_required = (VIEW_INVENTORY, EXPORT_INVENTORY)

    def get(self, request):
        query = request.GET
        rows = page_rows(StockLevelFilter(query, queryset=stock_rows()), LotFilter(query))
        rows = rows.order_by(*export_order(read_view(query), read_sort(query)))
        return stock_export("inventory.csv", rows, with_unit_and_code=True)


class ItemStockView(ItemPageMixin, TemplateView):
    """``/items/<sku>/``: the item's stock at each location, with its lots."""

    template_name = "inventory/item_stock.html"
    tab = "stock"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET
        stock_filter = StockLevelFilter(query, queryset=stock_rows().filter(item=self.item))
        lot_filter = LotFilter(query, queryset=lots_fifo_order().filter(item=self.item))
        context.update(
            rows=stock_rows_with_lots(page_rows(stock_filter, lot_filter), lot_filter.qs),
            filters=filter_values(stock_filter, lot_filter),
        )
        return context
