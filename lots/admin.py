"""Read-only back office pages for lots and batches, with filters and CSV export."""

from django.contrib import admin

from hardfin.admin import (
    DateRangeFilter,
    ExportAdminMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ShowEmptyFilter,
    SkuFilter,
)
from hardfin.quantities import fmt

from .models import Batch, Lot
from .resources import BatchResource, LotResource
from .selectors import batches, lots_fifo_order


class ShowEmptyLotsFilter(ShowEmptyFilter):
    title = "empty lots"
    default_label = "Only lots holding units"
    show_label = "Show empty lots"


@admin.register(Lot)
class LotAdmin(ExportAdminMixin, ReadOnlyAdmin):
    resource_classes = [LotResource]
    list_display = ("sku", "batch_label", "location", "quantity_display", "origin", "supplier", "reference", "received_at")
    list_select_related = ("item", "location", "batch", "batch__supplier")
    list_filter = (
        SkuFilter,
        "location",
        ("batch__supplier", admin.RelatedFieldListFilter),
        "batch__origin",
        DateRangeFilter.on("batch__received_at", "received"),
        ShowEmptyLotsFilter,
    )
    search_fields = ("item__sku", "item__name", "batch__po_number", "batch__reference")
    search_help_text = "SKU, item name, PO number or reference contains"
    # The oldest batch of each item-location first, by the Batch column's own sort key (so
    # the column shows as sorted); within one item, numbers follow FIFO_ORDER.
    ordering = ("item__sku", "location__code", "batch__number")
    fields = ("item", "batch", "location", "quantity_display", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return lots_fifo_order()

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, lot):
        return lot.item.sku

    @admin.display(description="Batch", ordering="batch__number")
    def batch_label(self, lot):
        return lot.batch.label

    @admin.display(description="Quantity", ordering="quantity")
    def quantity_display(self, lot):
        return fmt(lot.quantity)

    @admin.display(description="Origin")
    def origin(self, lot):
        return lot.batch.get_origin_display()

    @admin.display(description="Supplier")
    def supplier(self, lot):
        return lot.batch.supplier.code if lot.batch.supplier else ""

    @admin.display(description="Reference")
    def reference(self, lot):
        return lot.batch.reference

    @admin.display(description="Received", ordering="batch__received_at")
    def received_at(self, lot):
        return lot.batch.received_at


class LotInline(ReadOnlyInline):
    model = Lot
    fields = ("location", "quantity")
    readonly_fields = fields
    verbose_name_plural = "lots (where the batch's units are now)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("location").order_by("location__code")


@admin.register(Batch)
class BatchAdmin(ExportAdminMixin, ReadOnlyAdmin):
    resource_classes = [BatchResource]
    list_display = ("sku", "label", "origin", "supplier", "po_number", "reference", "received_at", "initial", "on_hand")
    list_select_related = ("item", "supplier")
    list_filter = (
        SkuFilter,
        "origin",
        ("supplier", admin.RelatedFieldListFilter),
        DateRangeFilter.on("received_at", "received"),
    )
    search_fields = ("item__sku", "item__name", "po_number", "shipment_number", "reference")
    search_help_text = "SKU, item name, PO, shipment or reference contains"
    ordering = ("item__sku", "number")
    fields = ("item", "label", "origin", "supplier", "po_number", "shipment_number", "reference",
              "received_at", "initial", "on_hand")
    readonly_fields = fields
    inlines = [LotInline]

    def get_queryset(self, request):
        return batches()

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, batch):
        return batch.item.sku

    @admin.display(description="Batch", ordering="number")
    def label(self, batch):
        return batch.label

    @admin.display(description="Initial quantity", ordering="initial_quantity")
    def initial(self, batch):
        return fmt(batch.initial_quantity)

    @admin.display(description="On hand", ordering="on_hand")
    def on_hand(self, batch):
        return fmt(batch.on_hand)
