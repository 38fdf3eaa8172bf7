"""CSV import/export of the catalog (django-import-export), keyed on SKUs and codes.

``CatalogResource`` checks each row with the rules and messages of the catalog services, so an
import obeys the same rules as the admin and the API and a broken rule becomes that row's error
(row number, field, message); the rows are then written in bulk (``hardfin.resources``), so a
file of 20,000 rows takes seconds and a number of queries that grows by batches, not rows.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from hardfin.errors import ConflictError, InvalidInput
from hardfin.resources import (
    IMPORT_BATCH_SIZE,
    ExportOnlyResource,
    KeyedResource,
    batched,
    flag_field,
    quantity_field,
    text_field,
)

from .models import Item, Location, StockLevel, Supplier
from .selectors import items_with_on_hand


class CatalogResource(KeyedResource):
    """Items, locations and suppliers, checked row by row with the catalog services' rules and
    messages (``catalog_create`` for a new key, ``catalog_update`` for an existing one) and
    written in bulk. A key that differs from an existing one only in case is refused (unique
    ignoring case) as that row's error."""

    #: Fields passed to the services besides the key.
    editable: tuple[str, ...] = ()

    def get_bulk_update_fields(self):
        return list(self.editable)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if import_validation_errors:
            raise ValidationError(import_validation_errors)
        try:
            self.check_record(instance, is_create=instance.pk is None)
        except InvalidInput as error:
            raise ValidationError({error.field or NON_FIELD_ERRORS: error.message}) from None

    def check_record(self, instance, *, is_create: bool) -> None:
        """What the services check before they save (``catalog_create``, ``catalog_update``),
        without a query: the key against the records loaded for the whole file."""
        model = self._meta.model
        if is_create:
            key = getattr(instance, self.key).strip()
            setattr(instance, self.key, key)
            if self.key_taken(key):
                label = "SKU" if self.key == "sku" else "code"
                raise InvalidInput(f"{model._meta.verbose_name.capitalize()} with {label} {key!r} already exists.",
                                   field=self.key)
        clean_record(instance)


def clean_record(instance) -> None:
    """The model's own validation, worded as ``inventory.services._clean`` words it. Keys are
    checked (unique ignoring case) against the loaded records instead of a query per row."""
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(" ".join(messages), field=None if field == NON_FIELD_ERRORS else field) from None


class ItemResource(CatalogResource):
    key = "sku"
    editable = ("name", "description", "unit", "fractional", "is_active")

    sku = text_field("sku", keep_when_blank=True)
    name = text_field("name")
    description = text_field("description")
    unit = text_field("unit", keep_when_blank=True)
    fractional = flag_field("fractional")
    is_active = flag_field("is_active")
    on_hand = quantity_field("on_hand")

    class Meta(KeyedResource.Meta):
        model = Item
        name = "Items"
        import_id_fields = ("sku",)
        fields = ("sku", "name", "description", "unit", "fractional", "is_active", "on_hand")

    def get_queryset(self):
        return items_with_on_hand().order_by("sku")

    def after_load_records(self, records, dataset):
        """``catalog_update`` refuses to make an item whole-unit while a fraction of it is in
        stock. For the fractional items whose row says ``fractional`` false, lock their stock
        levels (so no write adds a fraction meanwhile, as the service does) and find those
        holding a fraction, in a few queries for the whole file."""
        self._fractional = {record.pk for record in records if record.fractional}
        self._holding_fractions: set[int] = set()
        if not self._fractional or "fractional" not in (dataset.headers or ()):
            return
        candidates = set()
        for key, flag in zip(dataset[self.key], dataset["fractional"], strict=True):
            try:
                record = self._existing.get(self.fields[self.key].clean({self.key: key}))
                if record is not None and record.pk in self._fractional and self.fields["fractional"].clean(
                        {"fractional": flag}) is False:
                    candidates.add(record.pk)
            except ValueError:  # reported with its row
                continue
        for chunk in batched(sorted(candidates), IMPORT_BATCH_SIZE):
            list(StockLevel.objects.select_for_update().filter(item_id__in=chunk).order_by("item_id", "location_id")
                 .values_list("pk"))
            held = [
                *Item.objects.filter(pk__in=chunk, lots__quantity__gt=0).values_list("pk", "lots__quantity"),
                *Item.objects.filter(pk__in=chunk, shortfalls__outstanding__gt=0).values_list("pk", "shortfalls__outstanding"),
            ]
            self._holding_fractions.update(pk for pk, quantity in held if quantity != quantity.to_integral_value())

    def check_record(self, instance, *, is_create):
        super().check_record(instance, is_create=is_create)
        if not is_create and not instance.fractional and instance.pk in self._holding_fractions:
            # As ``catalog_update`` says it (a conflict with the stock, reported on the row).
            raise ConflictError(
                f"{instance.sku} still has fractional quantities in stock; move or adjust them to whole "
                "units before making it a whole-unit item.",
                field="fractional",
            )


class LocationResource(CatalogResource):
    editable = ("name", "is_active")

    code = text_field("code", keep_when_blank=True)
    name = text_field("name")
    is_active = flag_field("is_active")

    class Meta(KeyedResource.Meta):
        model = Location
        name = "Locations"
        import_id_fields = ("code",)
        fields = ("code", "name", "is_active")


class SupplierResource(CatalogResource):
    editable = ("name", "is_active")

    code = text_field("code", keep_when_blank=True)
    name = text_field("name")
    is_active = flag_field("is_active")

    class Meta(KeyedResource.Meta):
        model = Supplier
        name = "Suppliers"
        import_id_fields = ("code",)
        fields = ("code", "name", "is_active")


class StockLevelResource(ExportOnlyResource):
    sku = text_field("sku", attribute="item__sku", readonly=True)
    item_name = text_field("item_name", attribute="item__name", readonly=True)
    location = text_field("location", attribute="location__code", readonly=True)
    location_name = text_field("location_name", attribute="location__name", readonly=True)
    quantity = quantity_field("quantity")
    unit = text_field("unit", attribute="item__unit", readonly=True)

    class Meta:
        model = StockLevel
        name = "Stock levels"
        fields = ("sku", "item_name", "location", "location_name", "quantity", "unit")
