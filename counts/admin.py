"""Back office for reorder points (written through ``counts.services``, with CSV import and
export) and a read-only view of counts and their lines."""

from django.contrib import admin

from hardfin.resources import adopt
from hardfin.admin import ExportAdminMixin, ImportExportAdminMixin, ReadOnlyAdmin, ReadOnlyInline, ServiceWritesAdmin

from . import services
from .models import Count, CountLine, ReorderPoint
from .resources import ReorderPointResource


@admin.register(ReorderPoint)
class ReorderPointAdmin(ImportExportAdminMixin, ServiceWritesAdmin):
    resource_classes = [ReorderPointResource]
    list_display = ("item", "location", "minimum", "target")
    list_filter = ("location",)
    search_fields = ("item__sku", "item__name", "location__code")
    list_select_related = ("item", "location")
    autocomplete_fields = ()
    fields = ("item", "location", "minimum", "target")

    def get_readonly_fields(self, request, obj=None):
        return ("item", "location") if obj is not None else ()

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def save_model(self, request, obj, form, change):
        # The services need the user, which ServiceWritesAdmin.save_record is not given.
        data = form.cleaned_data
        if change:
            saved = services.reorder_point_update(reorder_point=obj, minimum=data["minimum"], target=data["target"],
                                                  user=request.user)
        else:
            saved = services.reorder_point_create(item=data["item"], location=data["location"],
                                                  minimum=data["minimum"], target=data["target"], user=request.user)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        services.reorder_point_delete(reorder_point=obj, user=request.user)


class CountLineInline(ReadOnlyInline):
    model = CountLine
    fields = ("item", "counted", "counted_at", "counted_by", "expected", "found", "adjustment")
    readonly_fields = fields


@admin.register(Count)
class CountAdmin(ExportAdminMixin, ReadOnlyAdmin):
    """Counts are started, counted and posted on their pages and in the API; here they are read."""

    list_display = ("id", "location", "status", "started_at", "started_by", "posted_at", "posted_by")
    list_filter = ("status", "location")
    list_select_related = ("location", "started_by", "posted_by")
    inlines = [CountLineInline]
