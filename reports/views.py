"""The accountant's pages: /reports/valuation/ and /reports/rollforward/ (with their CSV and XLSX
downloads), and the recall trace. Every role that may view stock sees them."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import TemplateView

from hardfin.csv import csv_response
from hardfin.db_router import replica_reads
from hardfin.errors import InvalidInput
from hardfin.money import ZERO, currency
from hardfin.pages import StaffPageMixin
from hardfin.pagination import InvalidCursor, paginate
from hardfin.permissions import EXPORT_INVENTORY, VIEW_INVENTORY
from inventory.models import Location
from inventory.selectors import STOCK_EXPORT_HEADER
from inventory.views import ItemPageMixin

from . import exports, selectors
from .forms import RecallForm, RollforwardFilterForm, ValuationFilterForm
from .selectors import COLUMNS


def _query(request, **changes) -> str:
    """The query without its page (``changes`` set or, given None, drop parameters)."""
    query = {key: value for key, value in request.GET.items() if key != "page"}
    query.update(changes)
    return urlencode({key: value for key, value in query.items() if value is not None})


def _keyset(read, cursor: str | None):
    try:
        return read(cursor or None)
    except InvalidCursor:
        return read(None)


@method_decorator(replica_reads(), name="dispatch")
class ValuationPageView(StaffPageMixin, TemplateView):
    template_name = "reports/valuation.html"
    section = "valuation"

    def get(self, request, *args, **kwargs):
        self.form = ValuationFilterForm(request.GET or None)
        self.report = selectors.valuation(as_of=self.as_of(), scope=self.form.scope())
        file_format = kwargs.get("file_format")
        if file_format:
            if not request.user.has_perm(EXPORT_INVENTORY):
                return HttpResponse("You are not allowed to export.", status=403)
            return exports.valuation_response(self.report, file_format=file_format)
        return super().get(request, *args, **kwargs)

    def as_of(self):
        if self.form.is_bound and self.form.is_valid():
            return self.form.cleaned_data.get("as_of")
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.report
        # Keyset pages read in SQL (the rows before a page are never read): a cursor another
        # list handed out, or an edited one, starts the list again.
        context.update(
            form=self.form, report=report, currency=currency(),
            page=_keyset(lambda cursor: report.page(cursor=cursor), self.request.GET.get("cursor")),
            by_location=report.by_location(),
            by_item=_keyset(lambda cursor: report.by_item(cursor=cursor), self.request.GET.get("items_cursor")),
            query=_query(self.request, cursor=None, items_cursor=None),
            unknown_rows=report.page(size=50, unknown_only=True).object_list if report.unknown_cost_quantity_rows else [],
        )
        return context


@method_decorator(replica_reads(), name="dispatch")
class RollforwardPageView(StaffPageMixin, TemplateView):
    template_name = "reports/rollforward.html"
    section = "rollforward"

    def get(self, request, *args, **kwargs):
        self.form = RollforwardFilterForm(request.GET or None, initial={"period": "this_month"})
        since, until = self.form.period_bounds()
        self.report = selectors.rollforward(since=since, until=until, scope=self.form.scope())
        file_format = kwargs.get("file_format")
        if file_format:
            if not request.user.has_perm(EXPORT_INVENTORY):
                return HttpResponse("You are not allowed to export.", status=403)
            return exports.rollforward_response(self.report, file_format=file_format)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.report
        totals = report.totals()
        values = totals.values
        context.update(
            form=self.form, report=report, currency=currency(),
            page=_keyset(lambda cursor: report.page(cursor=cursor), self.request.GET.get("cursor")),
            columns=COLUMNS, query=_query(self.request, cursor=None),
            totals=[(name, totals.quantities[name], values[name]) for name in COLUMNS],
            unknown_total=totals.unknown_cost_quantity,
        )
        return context




class RecallPageView(StaffPageMixin, TemplateView):
    """From a batch, a supplier or a PO number: where every unit is now (lots with units, by
    location) and every movement that used units of it up. Three queries however many
    batches."""

    template_name = "reports/recall.html"
    section = "recall"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = RecallForm(self.request.GET or None)
        found = form.batches()
        context.update(form=form, batches=found)
        if found:
            ids = [batch.pk for batch in found]
            lots = selectors.whereabouts(ids)
            by_location: dict[str, dict] = {}
            for lot in lots:
                group = by_location.setdefault(lot.location.code, {"location": lot.location, "lots": [], "units": []})
                group["lots"].append(lot)
            context.update(
                whereabouts=list(by_location.values()), lots_count=len(lots),
                consumed=selectors.consumptions(ids),
            )
        return context


# --- the inventory at an instant (/inventory/?as_of=…, /items/<sku>/?as_of=…) ----------------

class AsOfMixin:
    """Reads ``as_of`` (ISO time, or the page's datetime-local field) and the inventory page's
    filters; an unreadable ``as_of`` is shown as an error and the page falls back to now."""

    def instant(self):
        from .periods import parse_instant

        text = self.request.GET.get("as_of", "")
        try:
            return parse_instant(text, field="as_of") or timezone.now(), ""
        except InvalidInput as exc:
            return timezone.now(), exc.message

    def filters(self):
        query = self.request.GET
        yes = {"1", "true", "yes", "on"}
        return {
            "search": query.get("search", "").strip(), "item": query.get("item", "").strip(),
            "location": query.get("location", "").strip(), "as_of": query.get("as_of", "").strip(),
            "include_empty": query.get("include_empty", "").lower() in yes,
            "show_empty": query.get("show_empty", "").lower() in yes,
        }

    def rows_with_lots(self, *, as_of, filters, item_sku=None):
        scope = selectors.Scope(item=item_sku or filters["item"], location=filters["location"])
        rows = selectors.stock_rows_as_of(as_of=as_of, scope=scope, search=filters["search"],
                                          include_empty=filters["include_empty"])
        lots: dict = {}
        for lot in selectors.lots_as_of(as_of=as_of, scope=scope, show_empty=filters["show_empty"]):
            lots.setdefault((lot.item_id, lot.location_id), []).append(lot)
        for row in rows:
            row.lots = lots.get((row.item.pk, row.location.pk), [])
        return rows


@method_decorator(replica_reads(), name="dispatch")
class InventoryAsOfView(AsOfMixin, StaffPageMixin, TemplateView):
    """``/inventory/?as_of=…``: the inventory as it stood then, by item or by location, each
    group expanding to its item-location rows and their lots, from the ledger."""

    template_name = "reports/inventory_as_of.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        as_of, error = self.instant()
        filters = self.filters()
        view = "location" if self.request.GET.get("view") == "location" else "item"
        if view == "item":
            # One keyset page of items read in SQL, then just their rows and lots.
            page = self.items_page(as_of=as_of, filters=filters)
            context.update(view=view, as_of=as_of, as_of_error=error, filters=filters, page=page,
                           locations=Location.objects.order_by("code"), query=_query(self.request, cursor=None))
            return context
        rows = self.rows_with_lots(as_of=as_of, filters=filters)
        groups: dict = {}
        for row in rows:
            key = row.item if view == "item" else row.location
            group = groups.setdefault(key.pk, {"key": key, "rows": [], "quantity": ZERO, "value": ZERO})
            group["rows"].append(row)
            group["quantity"] += row.quantity
            group["value"] += row.holding.value
        page = paginate(self.request, list(groups.values()))
        context.update(view=view, as_of=as_of, as_of_error=error, filters=filters, page=page,
                       locations=Location.objects.order_by("code"), query=_query(self.request))
        return context


    def items_page(self, *, as_of, filters):
        scope = selectors.Scope(item=filters["item"], location=filters["location"])
        page = _keyset(lambda cursor: selectors.stock_groups_as_of_page(
            as_of=as_of, by="item", scope=scope, search=filters["search"], include_empty=filters["include_empty"],
            cursor=cursor), self.request.GET.get("cursor"))
        item_ids = [group.item.pk for group in page.object_list]
        rows = selectors.stock_rows_of_items(as_of=as_of, item_ids=item_ids, scope=scope,
                                             include_empty=filters["include_empty"], search=filters["search"])
        lots: dict = {}
        for lot in selectors.lots_as_of(as_of=as_of, scope=scope, show_empty=filters["show_empty"], item_ids=item_ids):
            lots.setdefault((lot.item_id, lot.location_id), []).append(lot)
        by_item: dict = {}
        for row in rows:
            row.lots = lots.get((row.item.pk, row.location.pk), [])
            by_item.setdefault(row.item.pk, []).append(row)
        page.object_list = [
            {"key": group.item, "rows": by_item.get(group.item.pk, []),
             "quantity": sum((row.quantity for row in by_item.get(group.item.pk, [])), ZERO),
             "value": sum((row.holding.value for row in by_item.get(group.item.pk, [])), ZERO)}
            for group in page.object_list
        ]
        return page


@method_decorator(replica_reads(), name="dispatch")
class InventoryExportAsOfView(AsOfMixin, StaffPageMixin, View):
    """``/inventory/export.csv?as_of=…``: the item-location rows then (SKU, Item name,
    Location, Quantity), whichever view the page shows."""

    permission_required = (VIEW_INVENTORY, EXPORT_INVENTORY)

    def get(self, request, *args, **kwargs):
        as_of, _ = self.instant()
        rows = self.rows_with_lots(as_of=as_of, filters=self.filters())
        return csv_response("inventory.csv", STOCK_EXPORT_HEADER,
                            ((row.item.sku, row.item.name, row.location.name, row.quantity) for row in rows))


@method_decorator(replica_reads(), name="dispatch")
class ItemAsOfView(AsOfMixin, ItemPageMixin, TemplateView):
    """``/items/<sku>/?as_of=…``: the item's stock at each location then, with its lots."""

    template_name = "reports/item_as_of.html"
    tab = "stock"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        as_of, error = self.instant()
        filters = self.filters()
        rows = self.rows_with_lots(as_of=as_of, filters=filters, item_sku=self.item.sku)
        context.update(rows=rows, as_of=as_of, as_of_error=error, filters=filters,
                       total=sum((row.quantity for row in rows), ZERO))
        return context


def instant_page_or(original_view, instant_view, *, shadows: str):
    """One address, two pages: the ledger's when the query names ``as_of``, else the usual
    (``shadows`` names the usual page's URL, which this one stands in front of)."""

    def view(request, *args, **kwargs):
        if request.GET.get("as_of", "").strip():
            return instant_view(request, *args, **kwargs)
        return original_view(request, *args, **kwargs)

    view.shadows = shadows
    return view
