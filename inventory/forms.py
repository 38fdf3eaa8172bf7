"""Form fields for catalog objects, shared by every form that records a movement."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html, format_html_join

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


class SupplierField(CodeChoiceField):
    def __init__(self, **kwargs):
        super().__init__(Supplier.objects.active(), **kwargs)


class LocationCodeInput(forms.TextInput):
    """A text box for a location code followed by its own ``<datalist>`` of codes, so a
    scanner (which types a code, then Enter) or a person can fill it, with suggestions and
    without JavaScript. The list is marked ``data-live``: the live check replaces it when the
    SKU changes which locations hold the item."""

    #: The locations suggested (a queryset, read when the field is drawn).
    locations = ()

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        if widget_attrs.get("id"):
            widget_attrs["list"] = f"{widget_attrs['id']}-codes"
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id') or self.attrs.get('id', '')}-codes"
        if list_id == "-codes":
            return html
        options = format_html_join(
            "", '<option value="{}">{}</option>', ((location.code, location.name) for location in self.locations)
        )
        return html + format_html('<datalist id="{}" data-live>{}</datalist>', list_id, options)


class LocationCodeField(forms.CharField):
    """A location typed or scanned by its code (any case, spaces trimmed), cleaned to its
    active Location: the same value the select it replaces gave, so the services are
    unchanged. An unknown or inactive code is an error on this field, in the same round as
    the form's other errors. ``queryset`` is what the field's list suggests (narrowed for a
    source to the locations holding the item); any active location is accepted."""

    widget = LocationCodeInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.widget.attrs.update({
            "autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false",
            "enterkeyhint": "next", "class": "location-code",
        })
        self.queryset = Location.objects.active().order_by("code")

    @property
    def queryset(self):
        return self._queryset

    @queryset.setter
    def queryset(self, queryset):
        self._queryset = queryset
        self.widget.locations = queryset

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.queryset = self._queryset.all()  # each form its own list (and widget)
        return result

    def prepare_value(self, value):
        return value.code if isinstance(value, Location) else value

    def clean(self, value):
        code = super().clean(value)  # the text, stripped, its length checked
        if code in self.empty_values:
            return None
        try:
            return resolve(Location, code, field="location", active_only=True)
        except InventoryError as exc:
            raise validation_error(exc) from None
