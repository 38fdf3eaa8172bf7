"""Counts (stocktakes of one location, line by line) and reorder points (a minimum and an
optional target per item-location). Rows here are written only by ``counts.services``."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from hardfin.quantities import QuantityField
from inventory.models import Item, Location
from movements.models import Movement


class Count(models.Model):
    """A stocktake of one location. Its lines are compared with the stock level at the moment
    each was counted, so the location never has to stop moving while it is counted."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        POSTED = "posted", "Posted"
        CANCELLED = "cancelled", "Cancelled"

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="counts")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        default_permissions = ("view",)
        permissions = [
            ("manage_count", "Can start, post and cancel counts"),
            ("enter_count", "Can enter counted quantities"),
        ]
        indexes = [models.Index(fields=["status", "location"], name="count_status_location")]

    def __str__(self):
        return f"Count {self.pk} at {self.location.code} ({self.get_status_display().lower()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class CountLine(models.Model):
    """One item on a count: what was counted, when, by whom, and the stock level the ledger
    had at that moment (``expected``)."""

    count = models.ForeignKey(Count, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="count_lines")
    #: The count's location, kept on the line so the database itself can refuse two open
    #: counts of one item-location (``countline_one_open_count``).
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    #: True while the count is open.
    is_open = models.BooleanField(default=True)
    #: Added while counting: the item was not on the count when it started.
    found = models.BooleanField(default=False)
    counted = QuantityField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: The stock level at ``counted_at``, from the ledger (negative while a shortfall was open).
    expected = QuantityField(null=True, blank=True)
    #: The ``count_correction`` adjustment that posted this line's variance.
    adjustment = models.ForeignKey(Movement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["item__sku"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["count", "item"], name="countline_one_per_item"),
            models.UniqueConstraint(
                fields=["item", "location"], condition=Q(is_open=True), name="countline_one_open_count"
            ),
            models.CheckConstraint(condition=Q(counted__isnull=True) | Q(counted__gte=0),
                                   name="countline_counted_not_negative"),
        ]

    def __str__(self):
        return f"{self.item.sku} on count {self.count_id}"

    @property
    def variance(self) -> Decimal | None:
        if self.counted is None or self.expected is None:
            return None
        return self.counted - self.expected


class ReorderPoint(models.Model):
    """Low stock is an item-location whose quantity is below its ``minimum``; ordering brings
    it up to ``target`` (or else the minimum)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="reorder_points")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="reorder_points")
    minimum = QuantityField()
    target = QuantityField(null=True, blank=True)

    class Meta:
        ordering = ["item__sku", "location__code"]
        constraints = [
            models.UniqueConstraint(fields=["item", "location"], name="reorderpoint_one_per_item_location"),
            models.CheckConstraint(condition=Q(minimum__gte=0), name="reorderpoint_minimum_not_negative"),
            models.CheckConstraint(condition=Q(target__isnull=True) | Q(target__gte=F("minimum")),
                                   name="reorderpoint_target_at_least_minimum"),
        ]

    def __str__(self):
        return f"Reorder point {self.item.sku} @ {self.location.code}"
