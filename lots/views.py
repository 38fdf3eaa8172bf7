"""Staff pages for stock: the inventory (by item or by location, with lots), its CSV export,
and an item's stock page.

Pages are a door (DESIGN.md "Layers"): they read through the shared selectors and
FilterSets of every app and never write. Every page needs a signed-in user allowed to view
inventory; anonymous visitors are sent to sign in, anyone else gets 403.
"""

from __future__ import annotations

from django.views import View
from django.views.generic import TemplateView

from hardfin.pages import StaffPageMixin
from hardfin.pagination import paginate
from hardfin.permissions import EXPORT_INVENTORY, VIEW_INVENTORY
from inventory.filters import StockLevelFilter
from inventory.models import Location
from inventory.selectors import (
    stock_by_item,
    stock_by_location,
    stock_export,
    stock_rows,
)
from inventory.views import ItemPageMixin

from .display_rows import stock_groups, stock_rows_with_lots
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


class InventoryView(StaffPageMixin, TemplateView):
    """``/inventory/?view=item|location``: groups with their totals, each expanding to its
    item-location rows, each of those to its lots."""

    template_name = "inventory/inventory.html"
    VIEWS = ("item", "location")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET
        view = query.get("view") if query.get("view") in self.VIEWS else "item"
        stock_filter = StockLevelFilter(query, queryset=stock_rows())
        lot_filter = LotFilter(query, queryset=lots_fifo_order())
        rows = page_rows(stock_filter, lot_filter)
        page = paginate(self.request, (stock_by_item if view == "item" else stock_by_location)(rows))
        groups = stock_groups(rows, page.object_list, by=view, lots=lot_filter.qs)
        context.update(
            view=view,
            page=page,
            groups=groups,
            # A single group (say, one location picked in the filter) opens by itself.
            expand=len(groups) == 1,
            filters=filter_values(stock_filter, lot_filter),
            locations=Location.objects.order_by("code"),
        )
        return context


class StockExportView(StaffPageMixin, View):
    """``/inventory/export.csv``: every item-location row matching the page's filters,
    whichever view the page shows."""

    permission_required = (VIEW_INVENTORY, EXPORT_INVENTORY)

    def get(self, request):
        rows = page_rows(StockLevelFilter(request.GET, queryset=stock_rows()), LotFilter(request.GET))
        return stock_export("inventory.csv", rows)


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
