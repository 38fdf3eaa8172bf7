"""FilterSets shared by the API and the staff pages. Unknown values match nothing.

They derive from ``hardfin.filters.FilterSet``, whose yes/no filters read ``true``/``false``
and ``1``/``0`` alike, and match nothing given any other value."""

import django_filters
from django.db.models import Q
from django_filters.rest_framework import FilterSet

from hardfin.filters import FilterSet, YesNoFilter

from .models import Item, Location, StockLevel, Supplier
from .selectors import item_id, location_id, stock_search


def search_items(queryset, name, value):
    value = value.strip()
    if not value:
        return queryset
    return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value))


class ItemFilter(FilterSet):
    search = django_filters.CharFilter(method=search_items, label="SKU or name contains")

    class Meta:
        model = Item
        fields = ["search", "is_active"]


class CodeNameFilter(FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Code or name contains")

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value)) if value else queryset


class LocationFilter(CodeNameFilter):
    class Meta:
        model = Location
        fields = ["search", "is_active"]


class SupplierFilter(CodeNameFilter):
    class Meta:
        model = Supplier
        fields = ["search", "is_active"]


def filter_item_sku(queryset, name, value):
    """``item`` (a SKU, any case): resolved to the item's id first, so the (item, …) indexes
    serve the filter; an unknown SKU matches nothing. ``name`` is the id field to filter."""
    found = item_id(value)
    return queryset.none() if found is None else queryset.filter(**{name: found})


def filter_location_code(queryset, name, value):
    """``location`` (a code, any case): resolved to the location's id first, as ``item``."""
    found = location_id(value)
    return queryset.none() if found is None else queryset.filter(**{name: found})


class StockLevelFilter(FilterSet):
    """Item-location rows. By default only rows whose quantity is not zero (a negative row is
    an open build shortfall); ``include_empty`` adds rows at zero that once held stock."""

    item = django_filters.CharFilter(field_name="item_id", method=filter_item_sku, label="SKU")
    location = django_filters.CharFilter(field_name="location_id", method=filter_location_code, label="Location code")
    search = django_filters.CharFilter(method="filter_search", label="SKU, item name or location contains")
    include_empty = YesNoFilter(method="filter_include_empty", label="Include rows at zero")

    class Meta:
        model = StockLevel
        fields = ["item", "location", "search", "include_empty"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return stock_search(queryset, value) if value else queryset

    def filter_include_empty(self, queryset, name, value):
        return queryset  # applied in filter_queryset, since the default (absent) also filters

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_empty"):
            queryset = queryset.exclude(quantity=0)
        return queryset
