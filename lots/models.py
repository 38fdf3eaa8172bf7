"""Batches (units of one item that entered inventory together) and lots (a batch at a
location). FIFO order is batch creation order, which is also batch number order per item."""

from django.db import models
from django.db.models import Q

from hardfin.quantities import QuantityField
from inventory.models import Item, Location, Supplier


class Batch(models.Model):
    class Origin(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        ADJUSTMENT = "adjustment", "Adjustment"

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="batches")
    #: Per-item sequence, shown zero-padded (``0001``).
    number = models.PositiveIntegerField()
    origin = models.CharField(max_length=16, choices=Origin.choices)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="batches"
    )
    po_number = models.CharField("PO number", max_length=64, blank=True)
    shipment_number = models.CharField(max_length=64, blank=True)
    #: The PO number for a receipt, the adjustment reason code for an upward adjustment.
    reference = models.CharField(max_length=128, blank=True)
    received_at = models.DateTimeField()
    initial_quantity = QuantityField()

    class Meta:
        ordering = ["item_id", "number"]
        verbose_name_plural = "batches"
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="batch_item_number_unique"),
            models.CheckConstraint(condition=Q(initial_quantity__gt=0), name="batch_initial_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.item.sku} batch {self.label}"

    @property
    def label(self) -> str:
        return format_batch_number(self.number)


def format_batch_number(number: int) -> str:
    return f"{number:04d}"


#: FIFO order of the lots of one item: oldest batch first. Batches of an item are numbered in
#: creation order, so their ids follow the numbers too — and the id is what the FIFO index holds.
FIFO_ORDER = ("batch_id",)


class LotQuerySet(models.QuerySet):
    def fifo(self):
        """Oldest batch first (FIFO_ORDER)."""
        return self.order_by(*FIFO_ORDER)

    def non_empty(self):
        return self.filter(quantity__gt=0)


class Lot(models.Model):
    """The units of one batch at one location. A lot that reaches 0 stays, so every unit's
    history stays traceable; only services change ``quantity``."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="lots")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="lots")
    #: Copy of ``batch.item`` so the FIFO read of one item-location is one index range.
    #: No index of its own: ``lot_item_location_batch`` leads with it (a lone ``item_id``
    #: index lured the planner away from ``lot_fifo_non_empty`` for an item with thousands
    #: of empty lots, reading all of them to find the few holding units).
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots", db_index=False)
    quantity = QuantityField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LotQuerySet.as_manager()

    class Meta:
        ordering = ["item_id", "location_id", "batch_id"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["batch", "location"], name="lot_batch_location_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="lot_quantity_not_negative"),
        ]
        indexes = [
            # The hot read: non-empty lots of one item at one location, oldest first.
            models.Index(
                fields=["item", "location", "batch"],
                condition=Q(quantity__gt=0),
                name="lot_fifo_non_empty",
            ),
            models.Index(fields=["location", "item"], name="lot_location_item"),
            # Every lot (empty ones too) of an item, or of an item-location, oldest first.
            models.Index(fields=["item", "location", "batch"], name="lot_item_location_batch"),
        ]

    def __str__(self):
        return f"{self.batch} @ {self.location.code}: {self.quantity}"
