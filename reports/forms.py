"""The accountant's forms: setting a batch's unknown cost, the report filters, the recall's start."""

import datetime

from django import forms
from django.utils import timezone

from hardfin.forms import ServiceForm
from inventory.models import Location
from lots.models import Batch
from movements.forms import UnitCostInput
from movements.services import batch_cost_set

from .periods import last_month, this_month
from .selectors import Scope, recall_batches


class BatchCostForm(ServiceForm):
    unit_cost = UnitCostInput(required=True, help_text="What one unit of this batch cost. A cost, once set, is "
                                                       "kept for ever.")

    def __init__(self, *args, batch, **kwargs):
        self.batch = batch
        super().__init__(*args, **kwargs)

    def perform(self, user):
        return batch_cost_set(batch=self.batch, unit_cost=self.cleaned_data["unit_cost"], user=user)

    def success_message(self, batch) -> str:
        return f"Batch {batch.label} of {batch.item.sku} now costs {batch.unit_cost} a unit."


class ScopeFields(forms.Form):
    """The filters every report page takes: an item (SKU, any case) and a location (code)."""

    item = forms.CharField(required=False, label="SKU", max_length=64)
    location = forms.ModelChoiceField(
        required=False, queryset=Location.objects.order_by("code"), to_field_name="code", empty_label="All locations"
    )

    def scope(self) -> Scope:
        data = self.cleaned_data if self.is_valid() else {}
        location = data.get("location")
        return Scope(item=(data.get("item") or "").strip(), location=location.code if location else "")


class ValuationFilterForm(ScopeFields):
    as_of = forms.DateTimeField(
        required=False, label="As of", help_text="Empty: now. A date means its start (00:00).",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


PRESETS = [("this_month", "This month (so far)"), ("last_month", "Last month"), ("custom", "Custom range")]


class RollforwardFilterForm(ScopeFields):
    period = forms.ChoiceField(required=False, choices=PRESETS, initial="this_month")
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            if not data.get("date_from"):
                self.add_error("date_from", "Give the first day of the range.")
            if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
                self.add_error("date_to", "The last day must not come before the first.")
        return data

    def period_bounds(self):
        """(since, until) of the chosen preset or range: calendar days in TIME_ZONE, both ends
        of a custom range included (``until`` is the midnight after its last day)."""
        data = self.cleaned_data if self.is_valid() else {}
        choice = data.get("period") or "this_month"
        if choice == "last_month":
            return last_month()
        if choice == "custom" and data.get("date_from"):
            since = timezone.make_aware(datetime.datetime.combine(data["date_from"], datetime.time.min))
            if data.get("date_to"):
                until = timezone.make_aware(
                    datetime.datetime.combine(data["date_to"] + datetime.timedelta(days=1), datetime.time.min)
                )
            else:
                until = max(timezone.now(), since)
            return since, until
        return this_month()


class RecallForm(forms.Form):
    """Where a recall starts: a batch (SKU and number), a supplier, or a PO number."""

    sku = forms.CharField(required=False, label="SKU", max_length=64)
    batch = forms.IntegerField(required=False, min_value=1, label="Batch number", help_text="With the SKU: 1 for 0001.")
    supplier = forms.CharField(required=False, max_length=32, label="Supplier code")
    po_number = forms.CharField(required=False, max_length=64, label="PO number")

    def clean(self):
        data = super().clean()
        if data.get("batch") and not (data.get("sku") or "").strip():
            self.add_error("sku", "Give the SKU of the batch.")
        return data

    def batches(self):
        if not self.is_bound or not self.is_valid():
            return None
        data = self.cleaned_data
        if data.get("sku") and data.get("batch"):
            found = Batch.objects.filter(item__sku__iexact=data["sku"].strip(), number=data["batch"]).first()
            return recall_batches(batch_id=found.pk) if found else []
        if data.get("supplier"):
            return recall_batches(supplier=data["supplier"])
        if data.get("po_number"):
            return recall_batches(po_number=data["po_number"])
        return None
