"""CSV import/export of reorder points (django-import-export): one row per item-location,
``sku,location,minimum,target``. A row for an item-location that has a reorder point changes
it; every row is saved through ``counts.services``, so an import obeys the same rules as the
page and the API, and the whole file is rolled back if any row is wrong."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import fields, widgets

from hardfin.errors import InvalidInput
from hardfin.resources import HardfinResource, QuantityWidget, adopt, text_field
from inventory.models import Item, Location
from inventory.services import resolve

from . import selectors, services
from .models import ReorderPoint


class LevelWidget(QuantityWidget):
    """A minimum or target cell as written (``12``, ``2.5``); the services check it."""

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value).strip()
        return text or None


class ReorderPointResource(HardfinResource):
    sku = text_field("sku", attribute="item__sku")
    location = text_field("location", attribute="location__code")
    minimum = fields.Field(attribute="minimum", column_name="minimum", widget=LevelWidget())
    target = fields.Field(attribute="target", column_name="target", widget=LevelWidget())

    class Meta:
        model = ReorderPoint
        name = "Reorder points"
        fields = ("sku", "location", "minimum", "target")
        import_id_fields = ()
        skip_unchanged = False

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def get_queryset(self):
        return selectors.reorder_points()

    def get_or_init_instance(self, instance_loader, row):
        """The item-location's reorder point if it has one (the row changes it), else a new one."""
        item, location = self._keys(row)
        existing = ReorderPoint.objects.filter(item=item, location=location).first()
        if existing is not None:
            return existing, False
        return ReorderPoint(item=item, location=location), True

    def _keys(self, row):
        errors = {}
        try:
            item = resolve(Item, str(row.get("sku") or ""), field="sku")
        except InvalidInput as exc:
            errors["sku"], item = exc.message, None
        try:
            location = resolve(Location, str(row.get("location") or ""), field="location")
        except InvalidInput as exc:
            errors["location"], location = exc.message, None
        if errors:
            raise ValidationError(errors)
        return item, location

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.column_name in ("sku", "location"):
            return  # set from the row's keys in get_or_init_instance
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def before_import(self, dataset, **kwargs):
        self._seen: dict[tuple[int, int], int] = {}

    def before_import_row(self, row, row_number=None, **kwargs):
        item, location = self._keys(row)
        first = self._seen.setdefault((item.id, location.id), row_number)
        if first != row_number:
            raise ValidationError({"sku": f"{item.sku} at {location.code} appears more than once in this file "
                                          f"(first on row {first})."})

    def do_instance_save(self, instance, is_create):
        try:
            if is_create:
                saved = services.reorder_point_create(item=instance.item, location=instance.location,
                                                      minimum=instance.minimum, target=instance.target, user=self.user)
            else:
                saved = services.reorder_point_update(reorder_point=instance, minimum=instance.minimum,
                                                      target=instance.target, user=self.user)
        except InvalidInput as error:
            field = error.field if error.field in ("minimum", "target") else NON_FIELD_ERRORS
            raise ValidationError({field: error.message}) from None
        adopt(instance, saved)

    def dehydrate_minimum(self, point):
        return point.minimum

    def dehydrate_target(self, point):
        return point.target
