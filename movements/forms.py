"""Forms that record movements, one per business action. Each parses its input, calls one
service from ``movements.services`` and maps the service's errors onto its fields
(``hardfin.forms.ServiceForm``); none writes a model.

``TransferForm`` and ``AdjustmentForm`` are shared with the admin, so no form here knows
about page templates or URLs: ``submit(user)`` returns what was recorded (or None, with the
errors on the form) and ``success_message(result)`` says what moved, from which batches.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.functional import cached_property, lazy

from hardfin.errors import InsufficientStock, InventoryError, SameLocation, Shortage
from hardfin.forms import QuantityInput, ServiceForm, validation_error
from hardfin.money import check_unit_cost, currency
from hardfin.quantities import Quantity, check_quantity, fmt
from inventory.forms import ItemField, LocationCodeField, SupplierField
from inventory.models import Item, Location
from inventory.selectors import HOLDERS_SHOWN, item_suggestions, items_by_sku, locations_holding
from inventory.services import require_active, resolve
from lots.selectors import lots_available, lots_available_totals

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


# --- what the forms know before anything is recorded ------------------------------------------
#
# The forms help before they record: once the SKU and the location are known they show what
# the location holds (batch by batch, oldest first, the order a consumption takes them), offer
# as sources only the locations holding the item, suggest SKUs for text that is not one, and
# check everything they can in one round (quantity, same location, availability…) so the
# user corrects every field at once. The services check it all again under their locks: these
# checks only spare a round trip, they guard nothing.

#: The service's words for a transfer to where it came from.
SAME_LOCATION = "Source and destination must be different locations."

#: Lots listed under "Available"; the total counts them all.
AVAILABLE_LOTS_SHOWN = 10


def known_item(text) -> Item | None:
    """The item whose SKU is ``text`` (any case), or None: a form shows what it can about
    what was typed, and leaves saying what is wrong to validation."""
    text = str(text or "").strip()
    if not text:
        return None
    try:
        return resolve(Item, text, field="sku")
    except InventoryError:
        return None


def known_location(code) -> Location | None:
    code = str(code or "").strip()
    if not code:
        return None
    try:
        return resolve(Location, code, field="location")
    except InventoryError:
        return None


@dataclass
class Availability:
    """What ``item`` has at ``location``: the total and its first lots, oldest batch first."""

    item: Item
    location: Location
    total: Quantity
    lots: list[tuple[str, Quantity, datetime.datetime]]
    more: int = 0

    @classmethod
    def of(cls, item: Item, location: Location) -> Availability:
        lots = list(lots_available(item, location)[: AVAILABLE_LOTS_SHOWN + 1])
        total = sum((lot.quantity for lot in lots), Decimal(0))
        more = 0
        if len(lots) > AVAILABLE_LOTS_SHOWN:  # many lots: the total and the rest counted apart
            lots = lots[:AVAILABLE_LOTS_SHOWN]
            total = lots_available_totals(location, [item.pk]).get(item.pk, Decimal(0))
            more = lots_available(item, location).count() - AVAILABLE_LOTS_SHOWN
        shown = [(lot.batch.label, Quantity(lot.quantity, item.unit), lot.batch.received_at) for lot in lots]
        return cls(item, location, Quantity(total, item.unit), shown, more)

    @property
    def value(self) -> Decimal:
        return self.total.value


def precheck(form: forms.Form, field: str | None, check):
    """Run ``check()``; a domain error it raises becomes an error on ``field`` of ``form``
    (None when it raised one)."""
    try:
        return check()
    except InventoryError as exc:
        form.add_error(field if field in form.fields else None, validation_error(exc))
        return None


def shortage_message(item: Item, location: Location, requested: Decimal, available: Decimal) -> str:
    """The words of the service's InsufficientStock, so a shortage reads the same whether the
    form or the service found it."""
    return str(InsufficientStock([Shortage(item.sku, location.code, requested, available)]))


class PickerMixin:
    """What the single-item forms share: the SKU picker, the "From" list narrowed to the
    locations holding the item, what the chosen location holds, and the focus on the first
    field left to fill (a scanner types into the focused field and presses Enter).

    ``source`` names the location field units leave from (None: the form has none)."""

    source: str | None = None
    #: The fields in the order a person fills them, for the focus.
    flow: tuple[str, ...] = ()

    def typed(self, name: str):
        """What the field holds now: the data sent, or the initial value of an unbound form."""
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.get_initial_for_field(self.fields[name], name) if name in self.fields else None

    def setup_pickers(self) -> None:
        self.item = known_item(self.typed("sku"))
        self.suggestions = [] if self.item else item_suggestions(str(self.typed("sku") or ""))
        sku = self.fields["sku"].widget.attrs
        sku.update({"list": "sku-suggestions", "data-suggest": "items", "data-check": "", "enterkeyhint": "next"})
        if self.source:
            self.fields[self.source].widget.attrs["data-check"] = ""
        if self.item is not None and self.narrows_source:
            self.narrow_sources()

    #: Whether the source list shows only the locations holding the item (not for an upward
    #: adjustment, which may add units anywhere).
    narrows_source = True

    def narrow_sources(self) -> None:
        field = self.fields[self.source]
        chosen = str(self.typed(self.source) or "").strip()
        holders = locations_holding(self.item)
        ids = list(holders.values_list("pk", flat=True)[:HOLDERS_SHOWN])
        # The location already chosen stays in the list, so sending it again says how much is
        # there rather than "not a valid choice".
        field.queryset = field.queryset.filter(Q(pk__in=ids) | Q(code__iexact=chosen or None)).order_by("code")
        self.holders = len(ids)
        if not ids:
            field.widget.attrs["placeholder"] = f"No location holds {self.item.sku}"
        else:
            holding = "1 location holds" if len(ids) == 1 else f"{len(ids)} locations hold"
            field.widget.attrs["placeholder"] = f"{holding} {self.item.sku}"
            if len(ids) == 1 and not chosen and not self.is_bound:
                self.initial[self.source] = holders.first().code

    @cached_property
    def source_location(self) -> Location | None:
        return known_location(self.typed(self.source)) if self.source else None

    @cached_property
    def availability(self) -> Availability | None:
        """What the chosen source holds of the chosen item, once both are known."""
        if self.item is None or self.source_location is None:
            return None
        return Availability.of(self.item, self.source_location)

    def focus_first_empty(self) -> None:
        """``autofocus`` on the first field of ``flow`` with nothing in it (or with an error)."""
        for name in self.flow:
            if name not in self.fields:
                continue
            if not str(self.typed(name) or "").strip() or (self.is_bound and name in self.errors):
                self.fields[name].widget.attrs["autofocus"] = True
                return

    def check_movable(self, item: Item | None, field: str = "quantity") -> Decimal | None:
        """The quantity typed, checked as the service will (whole units, limits); any
        quantity rule that does not need the item when the SKU is unknown."""
        text = self.cleaned_data.get(field)
        if not text or field in self.errors:
            return None
        if item is None:
            precheck(self, field, lambda: check_quantity(text, fractional=True))
            return None
        return precheck(self, field, lambda: check_quantity(text, fractional=item.fractional, unit=item.unit))

    def check_available(self, item, location, quantity, field: str = "quantity") -> None:
        if item is None or location is None or quantity is None or field in self.errors:
            return
        available = lots_available_totals(location, [item.pk]).get(item.pk, Decimal(0))
        if available < quantity:
            self.add_error(field, shortage_message(item, location, quantity, available))

    def check_active_item(self, item) -> None:
        if item is not None and "sku" not in self.errors:
            precheck(self, "sku", lambda: require_active(item, field="sku"))


# --- one item ---------------------------------------------------------------------------------

class TransferForm(PickerMixin, ServiceForm):
    sku = ItemField()
    from_location = LocationCodeField(label="From")
    to_location = LocationCodeField(label="To")
    quantity = QuantityInput()
    reference = forms.CharField(
        required=False, max_length=128, help_text="Optional: your own reference, such as a shipment or ticket number."
    )
    note = forms.CharField(required=False, widget=NOTE_WIDGET)

    source = "from_location"
    flow = ("sku", "from_location", "to_location", "quantity")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_pickers()

    def clean(self):
        data = super().clean()
        item, source, destination = data.get("sku"), data.get("from_location"), data.get("to_location")
        quantity = self.check_movable(item)
        if source and destination and source.pk == destination.pk:
            self.add_error("to_location", forms.ValidationError(SAME_LOCATION, code=SameLocation.code))
        self.check_active_item(item)
        self.check_available(item, source, quantity)
        return data

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


class AdjustmentForm(PickerMixin, ServiceForm):
    DIRECTIONS = [("down", "Remove units (count down)"), ("up", "Add units (count up)")]

    sku = ItemField()
    location = LocationCodeField()
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

    source = "location"
    narrows_source = False  # units may be added anywhere
    flow = ("sku", "location", "direction", "quantity", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_pickers()

    def clean(self):
        data = super().clean()
        item, location, direction = data.get("sku"), data.get("location"), data.get("direction")
        quantity = self.check_movable(item)
        unit_cost = precheck(self, "unit_cost", lambda: check_unit_cost(data.get("unit_cost")))
        if direction == "down" and unit_cost is not None:
            self.add_error("unit_cost", "Only an upward adjustment takes a unit cost; units removed keep their "
                                        "batches' costs.")
        reason = data.get("reason")
        if reason is not None and reason.requires_note and not (data.get("note") or "").strip():
            self.add_error("note", f"Explain the adjustment in the note when the reason is {reason.label!r}.")
        self.check_active_item(item)
        if direction == "down":
            self.check_available(item, location, quantity)
        return data

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


class ReplacementForm(PickerMixin, ServiceForm):
    sku = ItemField()
    location = LocationCodeField()
    quantity = QuantityInput()
    asset = forms.CharField(max_length=128, help_text="The asset the parts went into, e.g. a vehicle or machine ID.")
    note = forms.CharField(required=False, widget=NOTE_WIDGET)

    source = "location"
    flow = ("sku", "location", "quantity", "asset")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_pickers()

    def clean(self):
        data = super().clean()
        item = data.get("sku")
        quantity = self.check_movable(item)
        self.check_active_item(item)
        self.check_available(item, data.get("location"), quantity)
        return data

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

    #: What the build's location holds of this line's item (set by the build form), or None.
    available: Quantity | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].widget.attrs.update(
            {"list": "sku-suggestions", "data-suggest": "items", "data-check": "", "enterkeyhint": "next"}
        )

    def has_changed(self) -> bool:
        """A sent line counts when anything is written in it, pre-filled or typed; a blank
        line is ignored."""
        if not self.is_bound:
            return super().has_changed()
        return any(str(self[name].data or "").strip() for name in self.fields)

    def clean(self):
        data = super().clean()
        item, quantity = data.get("sku"), data.get("quantity")
        if quantity and "quantity" not in self.errors:
            data["checked_quantity"] = precheck(self, "quantity", lambda: check_quantity(
                quantity, fractional=item.fractional if item else True, unit=item.unit if item else ""))
        if item is not None and "sku" not in self.errors:
            precheck(self, "sku", lambda: require_active(item, field="sku"))
        if "unit_cost" in self.fields and data.get("unit_cost"):
            precheck(self, "unit_cost", lambda: check_unit_cost(data["unit_cost"]))
        return data


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


#: Lines a receipt or a build starts with, and the most one may have (one page's worth;
#: "Add line" adds rows up to it).
LINES_SHOWN = 5
MAX_LINES = 200

LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=LINES_SHOWN, max_num=MAX_LINES, absolute_max=MAX_LINES
)


class ReceiptLineForm(LineForm):
    unit_cost = UnitCostInput()


ReceiptLineFormSet = forms.formset_factory(
    ReceiptLineForm, formset=BaseLineFormSet, extra=LINES_SHOWN, max_num=MAX_LINES, absolute_max=MAX_LINES
)


class LinesForm(ServiceForm):
    """A header form with a formset of (SKU, quantity) lines under the prefix ``lines``.
    An initial ``sku`` pre-fills the first line; ``lines`` (what was typed, one dict per row)
    re-renders the rows unbound, with ``add_lines`` blank rows after them."""

    line_formset = LineFormSet
    #: The location field whose stock the lines show (builds), or None (receipts).
    source: str | None = None
    flow: tuple[str, ...] = ()

    def __init__(self, data=None, *args, initial=None, lines=None, add_lines=0, **kwargs):
        super().__init__(data, *args, initial=initial, **kwargs)
        sku = (initial or {}).get("sku")
        prefill = lines if lines is not None else ([{"sku": sku}] if sku else [])
        self.lines = self.line_formset(data, prefix="lines", prefill=prefill)
        if data is None and lines is not None:
            self.lines.extra = min(MAX_LINES, max(len(lines) + add_lines, 1))
        if self.source:
            self.fields[self.source].widget.attrs["data-check"] = ""
        self.source_location = None
        self.suggestions = []

    @classmethod
    def typed_lines(cls, data) -> list[dict]:
        """The rows of a sent formset as typed (at most MAX_LINES), blank ones included, for
        re-rendering them."""
        try:
            total = int(data.get("lines-TOTAL_FORMS", 0))
        except (TypeError, ValueError):
            total = 0
        names = list(cls.line_formset.form.base_fields)
        return [
            {name: data.get(f"lines-{index}-{name}", "") for name in names}
            for index in range(max(0, min(total, MAX_LINES)))
        ]

    def typed(self, name: str):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.get_initial_for_field(self.fields[name], name)

    def prepare_lines(self) -> None:
        """Before the form is shown: SKU suggestions for the first line whose SKU is not one,
        and (builds) each line's stock at the chosen location, in one read for all lines."""
        skus = [str(form["sku"].value() or "").strip() for form in self.lines.forms]
        found = items_by_sku([sku for sku in skus if sku])
        self.suggestions = []
        for sku in skus:
            if sku and sku.lower() not in found:
                self.suggestions = item_suggestions(sku)
                break
        location = known_location(self.typed(self.source)) if self.source else None
        if location is None:
            return
        self.source_location = location
        totals = lots_available_totals(location, [item.pk for item in found.values()]) if found else {}
        for form, sku in zip(self.lines.forms, skus, strict=True):
            item = found.get(sku.lower())
            if item is not None:
                form.available = Quantity(totals.get(item.pk, Decimal(0)), item.unit)

    def focus_first_empty(self) -> None:
        """The focus on the first header field left empty, else the first line with an empty
        SKU or quantity (after a scanned SKU, its quantity; after a quantity, the next SKU)."""
        for name in self.flow:
            if not str(self.typed(name) or "").strip():
                self.fields[name].widget.attrs["autofocus"] = True
                return
        for form in self.lines.forms:
            for name in ("sku", "quantity"):
                if not str(form[name].value() or "").strip():
                    form.fields[name].widget.attrs["autofocus"] = True
                    return

    def is_valid(self) -> bool:
        # The lines first: the header's checks read them, and may add errors to them.
        self.lines.is_valid()
        header_valid = super().is_valid()
        return self.lines.is_valid() and header_valid

    def clean(self):
        data = super().clean()
        filled = self.lines.filled_forms()
        if not filled and not self.lines.non_form_errors():
            self.add_error(None, "Add at least one line.")
        return data

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
    location = LocationCodeField(label="Received at")
    po_number = forms.CharField(label="PO number", max_length=64)
    shipment_number = forms.CharField(required=False, max_length=64)
    note = forms.CharField(required=False, widget=NOTE_WIDGET)

    flow = ("supplier", "location", "po_number")

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
    location = LocationCodeField(label="Built at")
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

    source = "location"
    flow = ("location", "reference")

    def clean(self):
        """Every line's problem at once: a SKU on two lines, and (unless a shortfall is
        allowed) each line needing more than the location holds."""
        data = super().clean()
        location = data.get("location")
        lines = [(form, form.cleaned_data.get("sku"), form.cleaned_data.get("checked_quantity"))
                 for form in self.lines.filled_forms()]
        seen = set()
        for form, item, _ in lines:
            if item is None:
                continue
            if item.pk in seen:
                form.add_error("sku", f"{item.sku} appears on more than one line; put its whole quantity on one line.")
            seen.add(item.pk)
        if location is not None and not data.get("allow_shortfall"):
            wanted = [(form, item, quantity) for form, item, quantity in lines if item is not None and quantity]
            totals = lots_available_totals(location, [item.pk for _, item, _ in wanted]) if wanted else {}
            for form, item, quantity in wanted:
                available = totals.get(item.pk, Decimal(0))
                if available < quantity and "quantity" not in form.errors:
                    form.add_error("quantity", shortage_message(item, location, quantity, available))
        return data

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
