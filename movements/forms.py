"""Forms that record movements, one per business action. Each parses its input, calls one
service from ``movements.services`` and maps the service's errors onto its fields
(``hardfin.forms.ServiceForm``); none writes a model.

``TransferForm`` and ``AdjustmentForm`` are shared with the admin, so no form here knows
about page templates or URLs: ``submit(user)`` returns what was recorded (or None, with the
errors on the form) and ``success_message(result)`` says what moved, from which batches.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils.functional import lazy

from hardfin.errors import InsufficientStock, InventoryError
from hardfin.forms import QuantityInput, ServiceForm
from hardfin.money import currency
from hardfin.quantities import Quantity, fmt
from inventory.forms import ItemField, LocationField, SupplierField
from inventory.models import Location

from .models import AdjustmentReason, Movement
from .services import (
    Build,
    Line,
    Receipt,
    adjustment_create,
    build_create,
    receipt_create,
    replacement_create,
    transfer_create,
)

NOTE_WIDGET = forms.Textarea(attrs={"rows": 2})


def batch_split(movement: Movement) -> str:
    """``75 from batch 0001, 45 from batch 0002``: the movement's lines, oldest batch first."""
    lines = movement.lines.select_related("batch").order_by("batch_id")
    return ", ".join(f"{fmt(line.quantity)} from batch {line.batch.label}" for line in lines)


def new_batch(movement: Movement) -> str:
    """The number of the batch a receipt line or an upward adjustment created (its one line)."""
    return movement.lines.select_related("batch").get().batch.label


def amount(movement: Movement) -> str:
    """``120 ea of LDR-4.1``."""
    return f"{Quantity(movement.quantity, movement.item.unit)} of {movement.item.sku}"


#: "Unit cost (USD)", read when shown, so the currency setting is the one in force.
unit_cost_label = lazy(lambda: f"Unit cost ({currency()})", str)


class UnitCostInput(forms.CharField):
    """A unit cost kept as typed: the services read it exactly and say what is wrong with it.
    Empty = unknown."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("label", unit_cost_label())
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "class": "quantity"})


# --- one item ---------------------------------------------------------------------------------

class TransferForm(ServiceForm):
    sku = ItemField()
    from_location = LocationField(label="From")
    to_location = LocationField(label="To")
    quantity = QuantityInput()
    reference = forms.CharField(
        required=False, max_length=128, help_text="Optional: your own reference, such as a shipment or ticket number."
    )
    note = forms.CharField(required=False, widget=NOTE_WIDGET)

    def perform(self, user) -> Movement:
        data = self.cleaned_data
        return transfer_create(
            item=data["sku"], source=data["from_location"], destination=data["to_location"],
            quantity=data["quantity"], user=user, reference=data["reference"], note=data["note"],
        )

    def success_message(self, movement: Movement) -> str:
        return (
            f"Moved {amount(movement)} from {movement.from_location.name} to {movement.to_location.name}: "
            f"{batch_split(movement)}."
        )


class AdjustmentForm(ServiceForm):
    DIRECTIONS = [("down", "Remove units (count down)"), ("up", "Add units (count up)")]

    sku = ItemField()
    location = LocationField()
    direction = forms.ChoiceField(choices=DIRECTIONS, widget=forms.RadioSelect)
    quantity = QuantityInput()
    reason = forms.ModelChoiceField(
        queryset=AdjustmentReason.objects.filter(is_active=True), to_field_name="code", empty_label="Choose a reason…"
    )
    note = forms.CharField(
        required=False, widget=NOTE_WIDGET, help_text="Required when the reason asks for it (Other)."
    )
    unit_cost = UnitCostInput(
        help_text="Units added only: what one unit cost. Leave empty to use the item's newest known cost."
    )

    def perform(self, user) -> Movement:
        data = self.cleaned_data
        return adjustment_create(
            item=data["sku"], location=data["location"], direction=data["direction"], quantity=data["quantity"],
            reason=data["reason"], user=user, note=data["note"], unit_cost=data["unit_cost"] or None,
        )

    def success_message(self, movement: Movement) -> str:
        if movement.direction == "up":
            return (
                f"Added {amount(movement)} at {movement.to_location.name} ({movement.reason.label}) "
                f"as new batch {new_batch(movement)}."
            )
        return (
            f"Removed {amount(movement)} at {movement.from_location.name} ({movement.reason.label}): "
            f"{batch_split(movement)}."
        )


class ReplacementForm(ServiceForm):
    sku = ItemField()
    location = LocationField()
    quantity = QuantityInput()
    asset = forms.CharField(max_length=128, help_text="The asset the parts went into, e.g. a vehicle or machine ID.")
    note = forms.CharField(required=False, widget=NOTE_WIDGET)

    def perform(self, user) -> Movement:
        data = self.cleaned_data
        return replacement_create(
            item=data["sku"], location=data["location"], quantity=data["quantity"], asset=data["asset"],
            user=user, note=data["note"],
        )

    def success_message(self, movement: Movement) -> str:
        return (
            f"Used {amount(movement)} at {movement.from_location.name} on asset {movement.reference}: "
            f"{batch_split(movement)}."
        )


# --- several lines ----------------------------------------------------------------------------

class LineForm(forms.Form):
    sku = ItemField()
    quantity = QuantityInput()

    def has_changed(self) -> bool:
        """A sent line counts when anything is written in it, pre-filled or typed; a blank
        line is ignored."""
        if not self.is_bound:
            return super().has_changed()
        return any(str(self[name].data or "").strip() for name in self.fields)


class BaseLineFormSet(forms.BaseFormSet):
    """Lines of a receipt or a build. Blank lines are ignored; ``prefill`` puts initial
    values into the first lines without making those lines compulsory."""

    def __init__(self, *args, prefill=(), **kwargs):
        self.prefill = list(prefill)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None and index < len(self.prefill):
            kwargs["initial"] = self.prefill[index]
        return kwargs

    def filled_forms(self) -> list[forms.Form]:
        return [form for form in self.forms if form.has_changed()]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=5, max_num=50, absolute_max=50)


class ReceiptLineForm(LineForm):
    unit_cost = UnitCostInput()


ReceiptLineFormSet = forms.formset_factory(
    ReceiptLineForm, formset=BaseLineFormSet, extra=5, max_num=50, absolute_max=50
)


class LinesForm(ServiceForm):
    """A header form with a formset of (SKU, quantity) lines under the prefix ``lines``.
    An initial ``sku`` pre-fills the first line."""

    line_formset = LineFormSet

    def __init__(self, data=None, *args, initial=None, **kwargs):
        super().__init__(data, *args, initial=initial, **kwargs)
        sku = (initial or {}).get("sku")
        self.lines = self.line_formset(data, prefix="lines", prefill=[{"sku": sku}] if sku else [])

    def is_valid(self) -> bool:
        header_valid = super().is_valid()
        return self.lines.is_valid() and header_valid

    def line_data(self) -> list[Line]:
        return [
            Line(form.cleaned_data["sku"], form.cleaned_data["quantity"], form.cleaned_data.get("unit_cost") or None)
            for form in self.lines.filled_forms()
        ]

    def place_error(self, exc: InventoryError) -> None:
        """Line errors go next to the line's field; every short line gets its own message."""
        filled = self.lines.filled_forms()
        if isinstance(exc, InsufficientStock):
            for shortage in exc.shortages:
                for form in filled:
                    if form.cleaned_data["sku"].sku == shortage.sku:
                        form.add_error("quantity", str(InsufficientStock([shortage])))
        elif exc.line is not None and exc.field in self.lines.form.base_fields:
            # Shown on the line's own row (the service counts filled lines only).
            filled[exc.line].add_error(exc.field, exc.message)
        else:
            super().place_error(exc)


class ReceiptForm(LinesForm):
    line_formset = ReceiptLineFormSet

    supplier = SupplierField()
    location = LocationField(label="Received at")
    po_number = forms.CharField(label="PO number", max_length=64)
    shipment_number = forms.CharField(required=False, max_length=64)
    note = forms.CharField(required=False, widget=NOTE_WIDGET)

    def perform(self, user) -> Receipt:
        data = self.cleaned_data
        return receipt_create(
            supplier=data["supplier"], location=data["location"], po_number=data["po_number"],
            shipment_number=data["shipment_number"], note=data["note"], lines=self.line_data(), user=user,
        )

    def success_message(self, receipt: Receipt) -> str:
        location = receipt.movements[0].to_location
        received = "; ".join(f"{amount(movement)} as batch {new_batch(movement)}" for movement in receipt.movements)
        message = f"Received PO {receipt.po_number} at {location.name}: {received}."
        if receipt.settlements:
            settled = "; ".join(amount(settlement) for settlement in receipt.settlements)
            message += f" Settled open build shortfalls there: {settled}."
        return message


class BuildForm(LinesForm):
    location = LocationField(label="Built at")
    reference = forms.CharField(max_length=128, help_text="The build's reference, e.g. a work order number.")
    allow_shortfall = forms.BooleanField(
        required=False,
        label="Allow shortfall",
        help_text=(
            "Warning: lines needing more than is in stock take what is there and record the rest as an "
            "open shortfall. The stock at this location goes below zero until units arrive to settle it."
        ),
    )
    note = forms.CharField(required=False, widget=NOTE_WIDGET)

    def perform(self, user) -> Build:
        data = self.cleaned_data
        return build_create(
            location=data["location"], reference=data["reference"], lines=self.line_data(),
            allow_shortfall=data["allow_shortfall"], note=data["note"], user=user,
        )

    def success_message(self, build: Build) -> str:
        short = {shortfall.item_id: shortfall for shortfall in build.shortfalls}
        parts = []
        for movement in build.movements:
            split = batch_split(movement)  # empty when nothing at all was in stock
            details = [split] if split else []
            if movement.item_id in short:
                missing = Quantity(short[movement.item_id].quantity, movement.item.unit)
                details.append(f"{missing} short, recorded as an open shortfall")
            parts.append(f"{amount(movement)} ({'; '.join(details)})")
        location = build.movements[0].from_location
        return f"Recorded build {build.reference} at {location.name}: {'; '.join(parts)}."


# --- history filter ---------------------------------------------------------------------------

class HistoryFilterForm(forms.Form):
    """The movement history's filters as people think of them (calendar days, both ends
    included), translated into ``MovementFilter``'s query."""

    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *Movement.Kind.choices])
    location = forms.ModelChoiceField(
        required=False, queryset=Location.objects.order_by("code"), to_field_name="code", empty_label="All locations"
    )
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def filter_data(self) -> dict[str, str]:
        """The valid filters, as ``MovementFilter`` reads them (invalid ones are left out and
        shown as errors)."""
        self.is_valid()
        data = self.cleaned_data
        query = {}
        if data.get("kind"):
            query["kind"] = data["kind"]
        if data.get("location"):
            query["location"] = data["location"].code
        if data.get("date_from"):
            query["since"] = data["date_from"].isoformat()
        if data.get("date_to") and data["date_to"] < datetime.date.max:
            # ``until`` is exclusive: the day after the last day asked for (none after 9999-12-31).
            query["until"] = (data["date_to"] + datetime.timedelta(days=1)).isoformat()
        return query
