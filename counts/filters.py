"""FilterSets of counts and reorder points, shared by the API and the pages. Unknown values
match nothing."""

import django_filters
from django.db.models import Q

from hardfin.filters import FilterSet

from .models import Count, ReorderPoint


class CountFilter(FilterSet):
    location = django_filters.CharFilter(field_name="location__code", lookup_expr="iexact", label="Location code")
    status = django_filters.CharFilter(field_name="status", label="Status (open, posted, cancelled)")

    class Meta:
        model = Count
        fields = ["location", "status"]


class ReorderPointFilter(FilterSet):
    item = django_filters.CharFilter(field_name="item__sku", lookup_expr="iexact", label="SKU")
    location = django_filters.CharFilter(field_name="location__code", lookup_expr="iexact", label="Location code")

    class Meta:
        model = ReorderPoint
        fields = ["item", "location"]


class LowStockFilter(ReorderPointFilter):
    """The filters of the stock rows (``item``, ``location``, ``search``) on low-stock rows."""

    search = django_filters.CharFilter(method="filter_search", label="SKU, item name or location contains")

    class Meta:
        model = ReorderPoint
        fields = ["item", "location", "search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(item__sku__icontains=value)
            | Q(item__name__icontains=value)
            | Q(location__code__icontains=value)
            | Q(location__name__icontains=value)
        )
