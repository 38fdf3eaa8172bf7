import django_filters

from hardfin.filters import FilterSet, YesNoFilter
from inventory.filters import filter_item_sku, filter_location_code

from .models import Batch, Lot


def filter_batch_number(queryset, name, value):
    """``0001`` and ``1`` both name batch 1; anything else matches nothing (including digits
    of other scripts, such as ``²``, which ``int`` refuses)."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        return queryset.none()
    return queryset.filter(**{name: int(value)})


class LotFilter(FilterSet):
    """Lots, oldest batch first. By default only lots holding units; ``show_empty`` adds the
    lots that have been fully consumed."""

    item = django_filters.CharFilter(field_name="item_id", method=filter_item_sku, label="SKU")
    location = django_filters.CharFilter(field_name="location_id", method=filter_location_code, label="Location code")
    batch = django_filters.CharFilter(field_name="batch__number", method=filter_batch_number, label="Batch number")
    show_empty = YesNoFilter(method="filter_show_empty", label="Show empty lots")

    class Meta:
        model = Lot
        fields = ["item", "location", "batch", "show_empty"]

    def filter_show_empty(self, queryset, name, value):
        return queryset  # applied in filter_queryset, since the default (absent) also filters

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("show_empty"):
            queryset = queryset.filter(quantity__gt=0)
        return queryset


class BatchFilter(FilterSet):
    item = django_filters.CharFilter(field_name="item_id", method=filter_item_sku, label="SKU")
    number = django_filters.CharFilter(field_name="number", method=filter_batch_number, label="Batch number")

    class Meta:
        model = Batch
        fields = ["item", "number"]
