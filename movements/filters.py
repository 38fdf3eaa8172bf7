from datetime import UTC, datetime

import django_filters
from django.db.models import Q
from django_filters.rest_framework import FilterSet

from hardfin.filters import FilterSet, YesNoFilter
from inventory.filters import filter_item_sku, filter_location_code
from inventory.selectors import location_id

from .models import Movement, Shortfall


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO time compared in UTC. Python accepts offsets up to ±23:59, PostgreSQL only
    up to ±15:59, and a valid ``since`` must never become a database error; a time whose UTC
    form is beyond year 1 or 9999 stands for the beginning or the end of time."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                value = (datetime.min if value.year == datetime.min.year else datetime.max).replace(tzinfo=UTC)
        return super().filter(qs, value)


class MovementFilter(FilterSet):
    """The ledger: ``since`` is inclusive, ``until`` exclusive; ``kind`` takes one kind or
    several separated by commas; ``location`` matches the source or the destination."""

    item = django_filters.CharFilter(field_name="item_id", method=filter_item_sku, label="SKU")
    location = django_filters.CharFilter(method="filter_location", label="Location code (source or destination)")
    kind = django_filters.CharFilter(method="filter_kind", label="Kind, or several separated by commas")
    since = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="gte", label="From (inclusive)")
    until = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="lt", label="Until (exclusive)")
    reference = django_filters.CharFilter(field_name="reference", lookup_expr="iexact", label="Reference")

    class Meta:
        model = Movement
        fields = ["item", "location", "kind", "since", "until", "reference"]

    def filter_location(self, queryset, name, value):
        # Resolved to an id first, so the (from_location, time) and (to_location, time)
        # indexes serve it.
        found = location_id(value.strip())
        if found is None:
            return queryset.none()
        return queryset.filter(Q(from_location_id=found) | Q(to_location_id=found))

    def filter_kind(self, queryset, name, value):
        kinds = [part.strip().lower() for part in value.split(",") if part.strip()]
        return queryset.filter(kind__in=kinds) if kinds else queryset


class ShortfallFilter(FilterSet):
    item = django_filters.CharFilter(field_name="item_id", method=filter_item_sku, label="SKU")
    location = django_filters.CharFilter(field_name="location_id", method=filter_location_code, label="Location code")
    open = YesNoFilter(method="filter_open", label="Only open (true) or only settled (false)")

    class Meta:
        model = Shortfall
        fields = ["item", "location", "open"]

    def filter_open(self, queryset, name, value):
        return queryset.filter(outstanding__gt=0) if value else queryset.filter(outstanding=0)


# For the staff ledger page (added below the shared FilterSets, which stay as they were).
from django import forms  # noqa: E402

from inventory.models import Location  # noqa: E402


class LedgerFilter(MovementFilter):
    """``MovementFilter`` as the staff ledger page (/movements/) shows it: the same query
    parameters and meaning (so its CSV export and the API read them alike), with widgets a
    person can use — a list of kinds and of locations, and times typed as a date or a date and
    time in the installation's time zone."""

    TIME_HELP = "A date (2026-03-01) or a date and time (2026-03-01T08:00), in the site's time zone."

    item = django_filters.CharFilter(
        field_name="item__sku", lookup_expr="iexact", label="SKU",
        widget=forms.TextInput(attrs={"placeholder": "e.g. LDR-4.1"}),
    )
    location = django_filters.CharFilter(
        method="filter_location", label="Location", widget=forms.Select
    )
    kind = django_filters.CharFilter(
        method="filter_kind", label="Kind",
        widget=forms.Select(choices=[("", "All kinds"), *Movement.Kind.choices]),
    )
    reference = django_filters.CharFilter(
        field_name="reference", lookup_expr="iexact", label="Reference",
        widget=forms.TextInput(attrs={"placeholder": "PO, build or asset"}),
    )
    since = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="gte", label="From (included)",
                              help_text=TIME_HELP)
    until = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="lt", label="Until (not included)",
                              help_text=TIME_HELP)

    class Meta(MovementFilter.Meta):
        fields = ["item", "location", "kind", "reference", "since", "until"]

    @property
    def form(self):
        form = super().form
        widget = form.fields["location"].widget
        if not widget.choices:
            widget.choices = [
                ("", "All locations"),
                *((code, f"{code} — {name}") for code, name in Location.objects.order_by("code").values_list("code", "name")),
            ]
        return form
