"""Catalog (items, locations, suppliers) and the stock level of each item at each location."""

from django.db import models
from django.db.models.functions import Lower

from hardfin.identifiers import CODE_MAX_LENGTH, SKU_MAX_LENGTH, code_validator
from hardfin.quantities import QuantityField


class CatalogQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Item(models.Model):
    sku = models.CharField("SKU", max_length=SKU_MAX_LENGTH, validators=[code_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    #: Unit label shown next to quantities: ea, m, kg, …
    unit = models.CharField(max_length=16, default="ea")
    #: False: only whole units may move (a box of screws is counted in boxes).
    fractional = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    #: Number of the last batch taken for this item; bumped under this row's lock so batch
    #: numbers are gap-free per item (0001, 0002, …).
    last_batch_number = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(Lower("sku"), name="item_sku_unique_ci"),
        ]
        indexes = [
            # Lists page through items in SKU or name order (keyset pages walk these).
            models.Index(fields=["sku"], name="item_sku"),
            models.Index(fields=["name", "id"], name="item_name_id"),
            # The admin's unit filter lists the distinct units by probing it (item_units).
            models.Index(fields=["unit"], name="item_unit"),
        ]

    def __str__(self):
        return f"{self.sku} — {self.name}"


class CodedModel(models.Model):
    """A place or a party known by a short code (``CHI``, ``ACME``) and a name."""

    code = models.CharField(max_length=CODE_MAX_LENGTH, validators=[code_validator])
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="%(class)s_code_unique_ci"),
        ]

    def __str__(self):
        return self.name


class Location(CodedModel):
    class Meta(CodedModel.Meta):
        pass


class Supplier(CodedModel):
    class Meta(CodedModel.Meta):
        pass


class StockLevel(models.Model):
    """How much of one item is at one location: the sum of its lots minus its open build
    shortfalls. The row is also the lock that serializes every write to that pair.

    Only services change ``quantity``; ``reconcile`` checks it against the lots.
    """

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock_levels")
    quantity = QuantityField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item__sku", "location__code"]
        constraints = [
            models.UniqueConstraint(fields=["item", "location"], name="stocklevel_item_location_unique"),
        ]
        indexes = [
            models.Index(fields=["location", "item"], name="stocklevel_location_item"),
            # A location's rows by quantity, ties by item (the inventory page sorted by
            # quantity walks it and stops after one page).
            models.Index(fields=["location", "quantity", "item"], name="stocklevel_location_quantity"),
        ]
        default_permissions = ("view",)
        permissions = [
            ("export_stocklevel", "Can export inventory"),
        ]

    def __str__(self):
        return f"{self.item.sku} @ {self.location.code}: {self.quantity}"
