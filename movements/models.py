"""The ledger: immutable movements and their lines, plus adjustment reasons and build
shortfalls. Rows here are written only by ``movements.services``."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hardfin.identifiers import CODE_MAX_LENGTH, code_validator
from hardfin.money import exact_value, sum_values
from hardfin.quantities import QuantityField
from inventory.models import Item, Location, Supplier
from lots.models import Batch


class LedgerIsAppendOnly(Exception):
    """Raised by any attempt to change or delete a ledger row; correct with a new movement."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, *args, **kwargs):
        raise LedgerIsAppendOnly(f"{self.model.__name__} rows are never updated.")

    def delete(self):
        raise LedgerIsAppendOnly(f"{self.model.__name__} rows are never deleted.")

    _update = update
    bulk_update = update
    update_or_create = update


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly(f"{type(self).__name__} rows are never updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly(f"{type(self).__name__} rows are never deleted.")


class AdjustmentReason(models.Model):
    #: The code API clients send (``damaged``); the label is what people read.
    code = models.CharField(max_length=CODE_MAX_LENGTH, unique=True, validators=[code_validator])
    label = models.CharField(max_length=100)
    #: Whether an adjustment with this reason must say more in its note.
    requires_note = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.label


class Movement(AppendOnlyModel):
    """One immutable ledger entry for one item."""

    class Kind(models.TextChoices):
        TRANSFER = "transfer", "Transfer"
        ADJUSTMENT = "adjustment", "Adjustment"
        RECEIPT = "receipt", "Receipt"
        BUILD = "build", "Build"
        REPLACEMENT = "replacement", "Replacement"
        SETTLEMENT = "settlement", "Settlement"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    #: For a build with a shortfall: the whole quantity built, of which the lines cover only
    #: what was in stock. Otherwise the sum of the lines.
    quantity = QuantityField()
    from_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="movements_out"
    )
    to_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="movements_in"
    )
    #: PO number (receipt), build reference (build, settlement), asset (replacement), or the
    #: caller's own reference (transfer).
    reference = models.CharField(max_length=128, blank=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="movements")
    shipment_number = models.CharField(max_length=64, blank=True)
    reason = models.ForeignKey(
        AdjustmentReason, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    note = models.TextField(blank=True)
    #: For a settlement: the shortfall whose units it supplied.
    shortfall = models.ForeignKey(
        "Shortfall", on_delete=models.PROTECT, null=True, blank=True, related_name="settlements"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="movements")

    class Meta:
        ordering = ["occurred_at", "id"]
        # Ledger rows are created by services and only ever viewed.
        default_permissions = ("view",)
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="movement_quantity_positive"),
            models.CheckConstraint(
                condition=Q(from_location__isnull=False) | Q(to_location__isnull=False),
                name="movement_has_a_location",
            ),
        ]
        indexes = [
            models.Index(fields=["item", "occurred_at", "id"], name="movement_item_time"),
            models.Index(fields=["from_location", "occurred_at", "id"], name="movement_from_time"),
            models.Index(fields=["to_location", "occurred_at", "id"], name="movement_to_time"),
            models.Index(fields=["occurred_at", "id"], name="movement_time"),
            models.Index(fields=["reference"], name="movement_reference"),
        ]
        permissions = [
            ("add_transfer", "Can transfer stock"),
            ("add_adjustment", "Can adjust stock"),
            ("add_receipt", "Can receive shipments"),
            ("add_build", "Can record builds"),
            ("add_replacement", "Can record replacements"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} {self.item.sku} {self.quantity}"

    @property
    def exact_value(self):
        """The exact sum of its lines' values; None if any line's cost is unknown. (A build
        that found nothing in stock has no lines and moved no value: 0.)"""
        return sum_values(line.exact_value for line in self.lines.all())

    @property
    def direction(self) -> str | None:
        """``up`` or ``down`` for adjustments; None for other kinds."""
        if self.kind != self.Kind.ADJUSTMENT:
            return None
        return "up" if self.to_location_id else "down"


class MovementLine(AppendOnlyModel):
    """Which batch moved, from where to where, and how much: one line per batch."""

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="lines")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="movement_lines")
    from_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = QuantityField()

    class Meta:
        ordering = ["movement_id", "id"]
        default_permissions = ("view",)
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="movementline_quantity_positive"),
        ]
        indexes = [
            models.Index(fields=["batch", "movement"], name="movementline_batch"),
        ]

    def __str__(self):
        return f"line of #{self.movement_id}: {self.quantity}"

    @property
    def unit_cost(self):
        """The batch's cost: a cost set later shows on earlier lines too."""
        return self.batch.unit_cost

    @property
    def exact_value(self):
        return exact_value(self.quantity, self.batch.unit_cost)


class Shortfall(models.Model):
    """Units a build used that were not yet in stock at its location. Open while
    ``outstanding`` > 0; arrivals at that location settle the oldest open ones first."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="shortfalls")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="shortfalls")
    build = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="shortfalls")
    reference = models.CharField(max_length=128, blank=True)
    quantity = QuantityField()
    outstanding = QuantityField()
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        default_permissions = ("view",)
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shortfall_quantity_positive"),
            models.CheckConstraint(
                condition=Q(outstanding__gte=0) & Q(outstanding__lte=models.F("quantity")),
                name="shortfall_outstanding_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["item", "location", "created_at", "id"],
                condition=Q(outstanding__gt=0),
                name="shortfall_open",
            ),
        ]

    def __str__(self):
        return f"Shortfall {self.item.sku} @ {self.location.code}: {self.outstanding} of {self.quantity}"

    @property
    def is_open(self) -> bool:
        return self.outstanding > 0


class OpeningBalancesImport(models.Model):
    """One confirmed opening-balances import. Each preview hands out a one-time ``key`` that its
    confirmation brings back; the import records it in its own transaction, so the same
    confirmation sent again (a double click, a browser resending the form) records nothing."""

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)
    #: How many rows (movements) the import recorded.
    rows = models.PositiveIntegerField()

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"Opening balances imported {self.imported_at:%Y-%m-%d %H:%M} by {self.user}"
