"""The accountant's pages: /reports/valuation/ and /reports/rollforward/ (with their CSV and XLSX
downloads), and the recall trace. Every role that may view stock sees them."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.views.generic import TemplateView

from hardfin.money import currency
from hardfin.pages import StaffPageMixin
from hardfin.pagination import PAGE_SIZE, paginate
from hardfin.permissions import EXPORT_INVENTORY

from . import exports, selectors
from .forms import RecallForm, RollforwardFilterForm, ValuationFilterForm
from .selectors import COLUMNS


def _query(request, **changes) -> str:
    query = {key: value for key, value in request.GET.items() if key != "page"}
    query.update(changes)
    return urlencode(query)


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
        context.update(
            form=self.form, report=report, currency=currency(), page=paginate(self.request, report.rows),
            by_location=report.by("location"),
            by_item=Paginator(report.by("sku"), PAGE_SIZE).get_page(self.request.GET.get("items_page")),
            query=_query(self.request),
            unknown_rows=[row for row in report.rows if row.unknown_cost_quantity][:50],
        )
        return context


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
            form=self.form, report=report, currency=currency(), page=paginate(self.request, report.rows),
            columns=COLUMNS, query=_query(self.request),
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
