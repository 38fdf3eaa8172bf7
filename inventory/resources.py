"""CSV import/export of the catalog (django-import-export), keyed on SKUs and codes.

``HardfinResource`` is the base of every resource in the product: its exports escape text cells
with ``hardfin.csv.escape_cell`` and its imports are all-or-nothing. ``CatalogResource`` saves
each row through the catalog services, so an import obeys the same rules as the admin and the
API, and a service's error becomes that row's error (row number, field, message).
"""

from __future__ import annotations

from itertools import islice

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from import_export import fields, resources, widgets

from hardfin.csv import escape_cell, import_cell

from .errors import InvalidInput, fmt
from .models import Item, Location, StockLevel, Supplier
from .selectors import items_with_on_hand
from .services import catalog_update, item_create, location_create, supplier_create


def adopt(target, saved) -> None:
    """Give ``target`` (the admin's or an import's instance) the state of ``saved``, the
    instance a service wrote, so the caller carries on with a saved object."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


# --- widgets ------------------------------------------------------------------------------------

class TextWidget(widgets.CharWidget):
    """Text without surrounding spaces (and never a NUL character). A blank cell is ``""``, or
    None (keep the current value) when ``allow_blank`` is False."""

    def clean(self, value, row=None, **kwargs):
        text = import_cell(value)
        if not text and not self.allow_blank:
            return None
        return text


class FlagWidget(widgets.BooleanWidget):
    """true/false, yes/no or 1/0; a blank cell keeps the current value (the default for a new
    record). Anything else is an error, never silently false."""

    TRUE_WORDS = {"1", "true", "yes", "y"}
    FALSE_WORDS = {"0", "false", "no", "n"}

    def clean(self, value, row=None, **kwargs):
        if value is None or isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if not word:
            return None
        if word in self.TRUE_WORDS:
            return True
        if word in self.FALSE_WORDS:
            return False
        raise ValueError(f"{value!r} is not true or false.")

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type") or value is None:
            return value
        return "true" if value else "false"


class QuantityWidget(widgets.DecimalWidget):
    """Exact quantities written as people write them (``155``, ``2.5``)."""

    def render(self, value, obj=None, **kwargs):
        if value is None or kwargs.get("force_native_type"):
            return value
        return fmt(value)


class MomentWidget(widgets.DateTimeWidget):
    """Date-times as ISO 8601 text in the site's time zone (``2024-05-01T10:00:00+00:00``), in
    every format, so an export says exactly which moment it means."""

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return timezone.localtime(value).isoformat(timespec="seconds")


def text_field(name: str, *, keep_when_blank: bool = False, attribute: str | None = None, readonly=False):
    return fields.Field(
        attribute=attribute or name,
        column_name=name,
        widget=TextWidget(allow_blank=not keep_when_blank),
        saves_null_values=not keep_when_blank,
        readonly=readonly,
    )


def flag_field(name: str, **kwargs):
    return fields.Field(attribute=name, column_name=name, widget=FlagWidget(), saves_null_values=False, **kwargs)


def quantity_field(name: str, *, attribute: str | None = None):
    return fields.Field(attribute=attribute or name, column_name=name, widget=QuantityWidget(), readonly=True)


def moment_field(name: str, *, attribute: str | None = None):
    return fields.Field(attribute=attribute or name, column_name=name, widget=MomentWidget(), readonly=True)


# --- resources ----------------------------------------------------------------------------------

class HardfinResource(resources.ModelResource):
    """Exports escape text cells against formula injection (numbers stay numbers); imports
    save nothing unless every row is valid."""

    def iter_queryset(self, queryset):
        """Rows in chunks of ``IMPORT_EXPORT_CHUNK_SIZE``, read from the database as they are
        written out. What rows need beyond their own columns is loaded per chunk by
        ``prepare_export_chunk`` rather than by ``prefetch_related``, whose caches tie rows
        into reference cycles that linger until the garbage collector runs."""
        size = self.get_chunk_size()
        rows = queryset.iterator(chunk_size=size) if isinstance(queryset, QuerySet) else iter(queryset)
        while chunk := list(islice(rows, size)):
            self.prepare_export_chunk(chunk)
            yield from chunk

    def prepare_export_chunk(self, instances: list) -> None:
        """Load what the next ``instances`` need for their export, in one query."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str) and not isinstance(field.widget, widgets.NumberWidget):
            return escape_cell(value)
        return value

    def get_import_fields(self):
        # Read-only columns (an item's on_hand) are exported for reading; imports ignore them.
        return [field for field in super().get_import_fields() if not field.readonly]

    def import_data(self, dataset, **kwargs):
        # django-import-export keeps the valid rows of a confirmed import when others fail
        # validation, unless told otherwise; an import here is one all-or-nothing change.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)


class ExportOnlyResource(HardfinResource):
    """For lots, batches and the ledger, which only the movement services write."""

    def import_data(self, dataset, **kwargs):
        raise InvalidInput(
            f"{self._meta.model._meta.verbose_name_plural.capitalize()} are export-only: only the movement "
            "services write them."
        )


class KeyedResource(HardfinResource):
    """Rows keyed on ``key``, matched exactly as written: an existing key updates that record,
    a new one creates it. A blank key, or a key that appears twice in the file (ignoring
    case), is a row error."""

    key = "code"

    class Meta:
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset, **kwargs):
        self._first_row_of_key: dict[str, int] = {}

    def before_import_row(self, row, row_number=None, **kwargs):
        try:
            key = self.fields[self.key].clean(row) if self.key in row else None
        except ValueError as error:  # a key no record can have (a NUL character in it)
            raise ValidationError({self.key: str(error)}) from None
        if not key:
            raise ValidationError({self.key: "This field cannot be blank."})
        first = self._first_row_of_key.setdefault(key.lower(), row_number)
        if first != row_number:
            raise ValidationError({self.key: f"{key} appears more than once in this file (first on row {first})."})


class CatalogResource(KeyedResource):
    """Items, locations and suppliers, saved through the catalog services: a new key through
    ``create``, an existing one through ``catalog_update``. A key that differs from an existing
    one only in case is refused by the service (unique ignoring case) as that row's error."""

    create = None
    #: Fields passed to the services besides the key.
    editable: tuple[str, ...] = ()

    def do_instance_save(self, instance, is_create):
        values = {name: getattr(instance, name) for name in self.editable}
        try:
            if is_create:
                saved = self.create(**{self.key: getattr(instance, self.key)}, **values)
            else:
                saved = catalog_update(instance=instance, **values)
        except InvalidInput as error:
            raise ValidationError({error.field or NON_FIELD_ERRORS: error.message}) from None
        adopt(instance, saved)


class ItemResource(CatalogResource):
    key = "sku"
    create = staticmethod(item_create)
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


class LocationResource(CatalogResource):
    create = staticmethod(location_create)
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
    create = staticmethod(supplier_create)
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
