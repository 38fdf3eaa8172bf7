"""CSV export of lots and batches (export only: lots and batches change only through
movements)."""

from hardfin.resources import (
    ExportOnlyResource,
    money_field,
    moment_field,
    quantity_field,
    text_field,
)

from .models import Batch, Lot


class LotResource(ExportOnlyResource):
    sku = text_field("sku", attribute="item__sku", readonly=True)
    batch = text_field("batch", attribute="batch__label", readonly=True)
    location = text_field("location", attribute="location__code", readonly=True)
    location_name = text_field("location_name", attribute="location__name", readonly=True)
    quantity = quantity_field("quantity")
    unit = text_field("unit", attribute="item__unit", readonly=True)
    origin = text_field("origin", attribute="batch__origin", readonly=True)
    supplier = text_field("supplier", attribute="batch__supplier__code", readonly=True)
    po_number = text_field("po_number", attribute="batch__po_number", readonly=True)
    reference = text_field("reference", attribute="batch__reference", readonly=True)
    received_at = moment_field("received_at", attribute="batch__received_at")
    unit_cost = money_field("unit_cost", attribute="batch__unit_cost", places=4)
    value = money_field("value", attribute="exact_value")

    class Meta:
        model = Lot
        name = "Lots"
        fields = (
            "sku", "batch", "location", "location_name", "quantity", "unit",
            "origin", "supplier", "po_number", "reference", "received_at", "unit_cost", "value",
        )


class BatchResource(ExportOnlyResource):
    sku = text_field("sku", attribute="item__sku", readonly=True)
    batch = text_field("batch", attribute="label", readonly=True)
    origin = text_field("origin", readonly=True)
    supplier = text_field("supplier", attribute="supplier__code", readonly=True)
    po_number = text_field("po_number", readonly=True)
    shipment_number = text_field("shipment_number", readonly=True)
    reference = text_field("reference", readonly=True)
    received_at = moment_field("received_at")
    initial_quantity = quantity_field("initial_quantity")
    on_hand = quantity_field("on_hand")
    unit_cost = money_field("unit_cost", places=4)

    class Meta:
        model = Batch
        name = "Batches"
        fields = (
            "sku", "batch", "origin", "supplier", "po_number", "shipment_number", "reference",
            "received_at", "initial_quantity", "on_hand", "unit_cost",
        )
