"""The serializer field of every quantity in the API, and its schema."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from hardfin.errors import InvalidInput
from hardfin.quantities import (
    DECIMAL_PLACES,
    INTEGER_DIGITS,
    LIMIT,
    STEP,
    check_quantity,
    fmt,
)

#: What a quantity looks like on output: ``"155"``, ``"2.5"``, ``"-6"`` (an open shortfall).
QUANTITY_OUTPUT_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
QUANTITY_INPUT_PATTERN = rf"^[0-9]{{1,{INTEGER_DIGITS}}}(\.[0-9]{{1,{DECIMAL_PLACES}}})?$"


class ApiQuantityField(serializers.Field):
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


class ApiQuantityFieldSchema(OpenApiSerializerFieldExtension):
    """Quantities are sent as a string or a number and always returned as a string."""

    target_class = ApiQuantityField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {
                "oneOf": [
                    {"type": "string", "pattern": QUANTITY_INPUT_PATTERN, "example": "25"},
                    {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": float(LIMIT - STEP),
                     "example": 25},
                ],
                "description": "An exact decimal, > 0, at most 12 digits before the point and 3 after; "
                "whole numbers only for items that are not fractional.",
            }
        return {"type": "string", "pattern": QUANTITY_OUTPUT_PATTERN, "example": "25",
                "description": "An exact decimal, as a string."}
