"""Form fields for catalog objects, shared by every form that records a movement."""

from __future__ import annotations

from django import forms

from hardfin.errors import InventoryError
from hardfin.forms import validation_error

from .models import Item, Location, Supplier
from .services import resolve


class ItemField(forms.CharField):
    """A SKU typed by the user (any case), cleaned to its Item. A text box rather than a list,
    since a catalog may hold thousands of items."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "SKU")
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"})

    def clean(self, value):
        sku = super().clean(value)
        if sku in self.empty_values:
            return None
        try:
            return resolve(Item, sku, field="sku")
        except InventoryError as exc:
            raise validation_error(exc) from None


class CodeChoiceField(forms.ModelChoiceField):
    """Active locations or suppliers, sent by code and shown as "Name (CODE)"."""

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("empty_label", "Choose…")
        super().__init__(queryset=queryset, to_field_name="code", **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class LocationField(CodeChoiceField):
    def __init__(self, **kwargs):
        super().__init__(Location.objects.active(), **kwargs)


class SupplierField(CodeChoiceField):
    def __init__(self, **kwargs):
        super().__init__(Supplier.objects.active(), **kwargs)
