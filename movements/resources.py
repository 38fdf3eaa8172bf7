"""CSV export of the ledger and shortfalls (export only), and import/export of adjustment
reasons."""

from collections import defaultdict

from import_export import fields, widgets

from hardfin.quantities import fmt
from hardfin.resources import (
    ExportOnlyResource,
    KeyedResource,
    flag_field,
    moment_field,
    quantity_field,
    text_field,
)
from inventory.resources import CatalogResource
from lots.models import format_batch_number

from .models import AdjustmentReason, Movement, MovementLine, Shortfall


def id_field():
    return fields.Field(attribute="id", column_name="id", widget=widgets.IntegerWidget(), readonly=True)


class MovementResource(ExportOnlyResource):
    id = id_field()
    occurred_at = moment_field("occurred_at")
    kind = text_field("kind", readonly=True)
    sku = text_field("sku", attribute="item__sku", readonly=True)
    quantity = quantity_field("quantity")
    unit = text_field("unit", attribute="item__unit", readonly=True)
    from_location = text_field("from_location", attribute="from_location__code", readonly=True)
    to_location = text_field("to_location", attribute="to_location__code", readonly=True)
    reference = text_field("reference", readonly=True)
    supplier = text_field("supplier", attribute="supplier__code", readonly=True)
    shipment_number = text_field("shipment_number", readonly=True)
    reason = text_field("reason", attribute="reason__code", readonly=True)
    note = text_field("note", readonly=True)
    user = text_field("user", attribute="user__username", readonly=True)
    lines = fields.Field(column_name="lines", readonly=True)

    class Meta:
        model = Movement
        name = "Movements"
        fields = (
            "id", "occurred_at", "kind", "sku", "quantity", "unit", "from_location", "to_location",
            "reference", "supplier", "shipment_number", "reason", "note", "user", "lines",
        )

    def prepare_export_chunk(self, movements):
        lines = (
            MovementLine.objects.filter(movement__in=[movement.pk for movement in movements])
            .order_by("id")
            .values_list("movement_id", "batch__number", "quantity")
        )
        moved = defaultdict(list)
        for movement_id, number, quantity in lines:
            moved[movement_id].append(f"{format_batch_number(number)}:{fmt(quantity)}")
        for movement in movements:
            movement.batches_moved = "; ".join(moved[movement.pk])

    def dehydrate_lines(self, movement):
        """Which batches moved and how much of each: ``0001:75; 0002:45``."""
        return movement.batches_moved


class ShortfallResource(ExportOnlyResource):
    id = id_field()
    sku = text_field("sku", attribute="item__sku", readonly=True)
    location = text_field("location", attribute="location__code", readonly=True)
    reference = text_field("reference", readonly=True)
    quantity = quantity_field("quantity")
    outstanding = quantity_field("outstanding")
    created_at = moment_field("created_at")
    settled_at = moment_field("settled_at")

    class Meta:
        model = Shortfall
        name = "Shortfalls"
        fields = ("id", "sku", "location", "reference", "quantity", "outstanding", "created_at", "settled_at")


class AdjustmentReasonResource(CatalogResource):
    key = "code"
    editable = ("label", "requires_note", "is_active")

    code = text_field("code", keep_when_blank=True)
    label = text_field("label")
    requires_note = flag_field("requires_note")
    is_active = flag_field("is_active")

    class Meta(KeyedResource.Meta):
        model = AdjustmentReason
        name = "Adjustment reasons"
        import_id_fields = ("code",)
        fields = ("code", "label", "requires_note", "is_active")
