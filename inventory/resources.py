"""CSV import/export of the catalog (django-import-export), keyed on SKUs and codes.

``CatalogResource`` saves each row through the catalog services, so an import obeys the same
rules as the admin and the API, and a service's error becomes that row's error (row number,
field, message).
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from hardfin.errors import InvalidInput
from hardfin.resources import (
    ExportOnlyResource,
    KeyedResource,
    adopt,
    flag_field,
    quantity_field,
    text_field,
)

from .models import Item, Location, StockLevel, Supplier
from .selectors import items_with_on_hand
from .services import catalog_update, item_create, location_create, supplier_create


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
