"""Back office for the catalog (items, locations, suppliers: written through the catalog
services, with CSV import/export) and a read-only view of stock levels."""

import copy

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import transaction

from hardfin.admin import (
    ExportAdminMixin,
    ImportExportAdminMixin,
    ReadOnlyAdmin,
    ServiceWritesAdmin,
    ShowEmptyFilter,
    SkuFilter,
)
from hardfin.errors import HasHistory
from hardfin.quantities import fmt

from .models import Item, Location, StockLevel, Supplier
from .resources import (
    ItemResource,
    LocationResource,
    StockLevelResource,
    SupplierResource,
)
from .selectors import item_units, items_with_on_hand
from .services import (
    catalog_delete,
    catalog_update,
    item_create,
    location_create,
    supplier_create,
)


class _TrialOnly(Exception):
    """Rolls back a trial delete."""


def delete_refusal(obj) -> str | None:
    """What ``catalog_delete`` would answer if asked to delete ``obj`` now (its ``HasHistory``
    message), or None if it would delete it: the service's own decision, tried in a savepoint
    that is always rolled back, so the confirmation page can say so before anyone confirms."""
    try:
        with transaction.atomic():
            catalog_delete(instance=copy.copy(obj))
            raise _TrialOnly
    except _TrialOnly:
        return None
    except HasHistory as exc:
        return exc.message


class CatalogAdmin(ImportExportAdminMixin, ServiceWritesAdmin):
    """Items, locations and suppliers: every write is a catalog service call."""

    #: The natural key (``sku`` or ``code``); it never changes once created.
    key = "code"
    create = None
    actions = ["activate", "deactivate"]
    list_filter = ("is_active",)

    def get_readonly_fields(self, request, obj=None):
        return (self.key,) if obj is not None else ()

    def save_record(self, obj, form, change):
        if change:
            return catalog_update(instance=obj, **{name: form.cleaned_data[name] for name in form.changed_data})
        return self.create(**form.cleaned_data)

    def delete_record(self, obj):
        catalog_delete(instance=obj)

    # --- delete: refused on the confirmation page itself when the record has history ----------

    delete_confirmation_template = "admin/hardfin/delete_confirmation.html"

    def delete_view(self, request, object_id, extra_context=None):
        # The confirmation page asks the service first. A confirmation posted anyway (history
        # written since the page was shown) is refused by the delete itself, with a message.
        obj = self.get_object(request, unquote(object_id)) if request.method != "POST" else None
        refusal = delete_refusal(obj) if obj is not None and self.has_delete_permission(request, obj) else None
        if refusal:
            request._hardfin_delete_refusal = refusal
            extra_context = {**(extra_context or {}), "delete_refusal": refusal}
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        # A refusal counts as a protected object: Django then offers no "Yes, I'm sure" and
        # deletes nothing when the page is posted anyway.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        refusal = getattr(request, "_hardfin_delete_refusal", None)
        return deleted, counts, perms_needed, [refusal] if refusal else protected

    @admin.action(description="Activate selected %(verbose_name_plural)s", permissions=["change"])
    def activate(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description="Deactivate selected %(verbose_name_plural)s", permissions=["change"])
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, False)

    def _set_active(self, request, queryset, value: bool):
        with transaction.atomic():
            # In id order: receipts lock item rows in that order too, so the two cannot deadlock.
            records = list(queryset.order_by("pk"))
            for record in records:
                catalog_update(instance=record, is_active=value)
        state = "active" if value else "inactive"
        self.message_user(request, f"{len(records)} {self.opts.verbose_name_plural} marked {state}.", messages.SUCCESS)


class UnitFilter(admin.SimpleListFilter):
    """Items by unit, offering the units the catalog uses (``item_units``: an index probe per
    unit, not a DISTINCT over every item)."""

    title = "unit"
    parameter_name = "unit"

    def lookups(self, request, model_admin):
        return [(unit, unit) for unit in item_units()]

    def queryset(self, request, queryset):
        return queryset if self.value() is None else queryset.filter(unit=self.value())


@admin.register(Item)
class ItemAdmin(CatalogAdmin):
    key = "sku"
    create = staticmethod(item_create)
    resource_classes = [ItemResource]
    fields = ("sku", "name", "description", "unit", "fractional", "is_active")
    list_display = ("sku", "name", "unit", "fractional", "is_active", "on_hand")
    list_filter = ("is_active", "fractional", UnitFilter)
    search_fields = ("sku", "name")
    search_help_text = "SKU or name contains"
    ordering = ("sku",)

    def get_queryset(self, request):
        return items_with_on_hand().order_by(*self.get_ordering(request))

    @admin.display(description="On hand", ordering="on_hand")
    def on_hand(self, item):
        return fmt(item.on_hand)


@admin.register(Location)
class LocationAdmin(CatalogAdmin):
    create = staticmethod(location_create)
    resource_classes = [LocationResource]
    fields = ("code", "name", "is_active")
    list_display = ("code", "name", "is_active")
    search_fields = ("code", "name")
    search_help_text = "Code or name contains"
    ordering = ("code",)


@admin.register(Supplier)
class SupplierAdmin(CatalogAdmin):
    create = staticmethod(supplier_create)
    resource_classes = [SupplierResource]
    fields = ("code", "name", "is_active")
    list_display = ("code", "name", "is_active")
    search_fields = ("code", "name")
    search_help_text = "Code or name contains"
    ordering = ("code",)


@admin.register(StockLevel)
class StockLevelAdmin(ExportAdminMixin, ReadOnlyAdmin):
    resource_classes = [StockLevelResource]
    list_display = ("sku", "item_name", "location", "quantity_display", "unit", "updated_at")
    list_select_related = ("item", "location")
    list_filter = (SkuFilter, "location", ShowEmptyFilter)
    search_fields = ("item__sku", "item__name", "location__code", "location__name")
    search_help_text = "SKU, item name or location contains"
    ordering = ("item__sku", "location__code")
    fields = ("item", "location", "quantity_display", "updated_at")
    readonly_fields = fields

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, level):
        return level.item.sku

    @admin.display(description="Item name", ordering="item__name")
    def item_name(self, level):
        return level.item.name

    @admin.display(description="Quantity", ordering="quantity")
    def quantity_display(self, level):
        return fmt(level.quantity)

    @admin.display(description="Unit")
    def unit(self, level):
        return level.item.unit
