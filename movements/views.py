"""Staff pages of the ledger: the forms that record movements, and an item's movement
history and batches. Forms call the services through ``movements.forms``; nothing here
writes a model."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView

from hardfin.pages import StaffPageMixin
from hardfin.pagination import paginate
from inventory.views import ItemPageMixin
from lots.selectors import batches

from . import forms
from .display_rows import batch_rows, history_rows, trace_rows
from .filters import MovementFilter
from .models import Movement
from .selectors import batch_trace, movements_with_lines
from .services import user_can

Kind = Movement.Kind


# --- forms --------------------------------------------------------------------------------------

class MovementFormView(StaffPageMixin, FormView):
    """A page with one movement form. Only users allowed to record that kind may open it
    (403 for anyone else, GET and POST alike). ``?sku=…&location=…`` pre-fill the form."""

    template_name = "movements/movement_form.html"
    kind: str
    title: str
    intro: str = ""
    submit_label: str
    #: Which query parameter pre-fills which form field.
    prefill = {"sku": "sku", "location": "location"}

    @property
    def section(self):
        return self.kind

    def has_permission(self):
        return super().has_permission() and user_can(self.request.user, self.kind)

    def get_initial(self):
        query = self.request.GET
        return {field: query[param].strip() for param, field in self.prefill.items() if query.get(param, "").strip()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=self.title, intro=self.intro, submit_label=self.submit_label)
        return context

    def form_valid(self, form):
        result = form.submit(self.request.user)
        if result is None:
            return self.form_invalid(form)
        messages.success(self.request, form.success_message(result))
        return redirect(self.done_url(result))

    def done_url(self, movement) -> str:
        """Where the user lands after recording: the item's stock, with the new lots."""
        return reverse("lots:item", args=[movement.item.sku])


def location_inventory_url(location) -> str:
    """Where a receipt or a build lands: the inventory of its location, by location."""
    return f"{reverse('lots:inventory')}?{urlencode({'view': 'location', 'location': location.code})}"


class TransferFormView(MovementFormView):
    form_class = forms.TransferForm
    kind = Kind.TRANSFER
    title = "Transfer stock"
    intro = "Move units of one item to another location. The oldest batches leave first."
    submit_label = "Transfer"
    prefill = {"sku": "sku", "location": "from_location"}


class AdjustmentFormView(MovementFormView):
    form_class = forms.AdjustmentForm
    kind = Kind.ADJUSTMENT
    title = "Adjust stock"
    intro = (
        "Correct the count of one item at one location. Adding units creates a new batch; "
        "removing units takes them from the oldest batches first."
    )
    submit_label = "Record adjustment"


class ReplacementFormView(MovementFormView):
    form_class = forms.ReplacementForm
    kind = Kind.REPLACEMENT
    title = "Replace parts"
    intro = "Record parts used to repair an asset. The oldest batches are used first."
    submit_label = "Record replacement"


class ReceiptFormView(MovementFormView):
    form_class = forms.ReceiptForm
    kind = Kind.RECEIPT
    title = "Receive a shipment"
    intro = "Each line becomes a new batch at the receiving location. Blank lines are ignored."
    submit_label = "Receive"

    def done_url(self, receipt) -> str:
        return location_inventory_url(receipt.movements[0].to_location)


class BuildFormView(MovementFormView):
    form_class = forms.BuildForm
    kind = Kind.BUILD
    title = "Record a build"
    intro = "Parts used in an assembly, taken from the oldest batches first. Blank lines are ignored."
    submit_label = "Record build"

    def done_url(self, build) -> str:
        return location_inventory_url(build.movements[0].from_location)


# --- item pages -------------------------------------------------------------------------------

class ItemHistoryView(ItemPageMixin, TemplateView):
    """``/items/<sku>/history/``: the item's movements, oldest first, filterable by kind,
    location and dates."""

    template_name = "movements/item_history.html"
    tab = "history"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filter_form = forms.HistoryFilterForm(self.request.GET)
        query = filter_form.filter_data()
        movement_filter = MovementFilter(query, queryset=movements_with_lines().filter(item=self.item))
        page = paginate(self.request, movement_filter.qs)
        context.update(
            filter_form=filter_form,
            page=page,
            rows=history_rows(page.object_list, location_code=query.get("location", "")),
        )
        return context


class ItemBatchesView(ItemPageMixin, TemplateView):
    """``/items/<sku>/batches/``: every batch of the item, each linking to its trace."""

    template_name = "movements/item_batches.html"
    tab = "batches"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = paginate(self.request, batches().filter(item=self.item))
        context.update(page=page, rows=batch_rows(page.object_list))
        return context


class BatchTraceView(ItemPageMixin, TemplateView):
    """``/items/<sku>/batches/<number>/``: where the batch's units went, line by line."""

    template_name = "movements/batch_trace.html"
    tab = "batches"

    @cached_property
    def batch(self):
        return get_object_or_404(batches(), item=self.item, number=self.kwargs["number"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = paginate(self.request, batch_trace(self.batch))
        context.update(batch=batch_rows([self.batch])[0], page=page, rows=trace_rows(page.object_list))
        return context
