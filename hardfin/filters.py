"""django-filter plumbing shared by the FilterSets of every app (API and pages alike).

Yes/no filters read ``true``/``false`` and ``1``/``0`` (in any case); a blank value is the
same as none. Any other value matches nothing, as API.md promises for unknown filter values:
``?is_active=2`` must not quietly list active and inactive records together.
"""

from __future__ import annotations

from django import forms
from django.db import models
from django_filters import rest_framework
from django_filters.widgets import BooleanWidget

TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})


class _Unknown:
    """What a yes/no filter reads from a value that is neither yes nor no."""

    def __bool__(self):
        return False  # a form showing the filters back shows it as not ticked

    def __repr__(self):
        return "UNKNOWN"


UNKNOWN = _Unknown()


class YesNoWidget(BooleanWidget):
    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if not text:
            return None
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        return UNKNOWN


class YesNoField(forms.NullBooleanField):
    widget = YesNoWidget

    def to_python(self, value):
        if value is UNKNOWN or value is None or isinstance(value, bool):
            return value
        return super().to_python(value)


class YesNoFilter(rest_framework.BooleanFilter):
    """A yes/no filter (described as a boolean in the OpenAPI schema)."""

    field_class = YesNoField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", YesNoWidget)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is UNKNOWN:
            return qs.none()
        return super().filter(qs, value)


class FilterSet(rest_framework.FilterSet):
    """A FilterSet whose yes/no filters (declared or generated from a model's BooleanField)
    are ``YesNoFilter``s: an unknown value in any of them, including those applied by a
    ``method`` or in ``filter_queryset``, makes the whole set match nothing."""

    FILTER_DEFAULTS = {
        **rest_framework.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": YesNoFilter},
    }

    @property
    def matches_nothing(self) -> bool:
        """Whether a yes/no filter was given an unknown value, so that no row can match."""
        if not self.is_bound:
            return False
        self.form.is_valid()  # cleans the form: cleaned_data then holds every valid value
        return any(value is UNKNOWN for value in self.form.cleaned_data.values())

    def filter_queryset(self, queryset):
        if self.matches_nothing:
            return queryset.none()
        return super().filter_queryset(queryset)
