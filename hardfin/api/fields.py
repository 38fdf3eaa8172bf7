"""Serializer fields shared by every app's API: exact quantities and catalog references."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from inventory.errors import InvalidInput, fmt
from inventory.models import Item, Location, Supplier
from inventory.quantities import DECIMAL_PLACES, check_quantity
from inventory.services import resolve

#: What a quantity looks like on output: ``"155"``, ``"2.5"``, ``"-6"`` (an open shortfall).
QUANTITY_OUTPUT_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
QUANTITY_INPUT_PATTERN = rf"^[0-9]{{1,12}}(\.[0-9]{{1,{DECIMAL_PLACES}}})?$"


class QuantityField(serializers.Field):
    """An exact decimal quantity. Input: a JSON string or number (the parser reads numbers
    as Decimals, never floats), > 0, at most 12 digits before the point and 3 after; whether
    the item takes fractions is checked by whoever knows the item. Output: a decimal string
    without trailing zeros."""

    def to_internal_value(self, data) -> Decimal:
        try:
            return check_quantity(data, fractional=True, field=self.field_name)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message, code="invalid") from None

    def to_representation(self, value) -> str:
        return fmt(Decimal(value))


def check_whole_units(item, quantity: Decimal) -> None:
    """Raise a field error under ``quantity`` when ``item`` is counted in whole units and
    ``quantity`` has a fraction."""
    try:
        check_quantity(quantity, fractional=item.fractional, unit=item.unit)
    except InvalidInput as exc:
        raise serializers.ValidationError({"quantity": [exc.message]}) from None


KEY_FIELD = {Item: "sku", Location: "code", Supplier: "code"}


class CatalogKeyField(serializers.CharField):
    """An item (by SKU), location or supplier (by code), ignoring case; with
    ``active_only`` an inactive one is refused, since it cannot take part in new movements."""

    def __init__(self, model, *, active_only: bool = True, **kwargs):
        self.model = model
        self.active_only = active_only
        kwargs.setdefault("max_length", model._meta.get_field(KEY_FIELD[model]).max_length)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        key = super().run_validation(data)  # the text: type, blank and length checks
        try:
            return resolve(self.model, key, field=self.field_name, active_only=self.active_only)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None

    def to_representation(self, value) -> str:
        return value if isinstance(value, str) else getattr(value, KEY_FIELD[self.model])


class QuantityFieldSchema(OpenApiSerializerFieldExtension):
    """Quantities are sent as a string or a number and always returned as a string."""

    target_class = QuantityField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {
                "oneOf": [
                    {"type": "string", "pattern": QUANTITY_INPUT_PATTERN, "example": "25"},
                    {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 999999999999.999,
                     "example": 25},
                ],
                "description": "An exact decimal, > 0, at most 12 digits before the point and 3 after; "
                "whole numbers only for items that are not fractional.",
            }
        return {"type": "string", "pattern": QUANTITY_OUTPUT_PATTERN, "example": "25",
                "description": "An exact decimal, as a string."}
