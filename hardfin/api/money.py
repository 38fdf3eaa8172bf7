"""The serializer fields of money in the API: unit costs (in and out) and values (out), and
their schema."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from hardfin.errors import InvalidInput
from hardfin.money import COST_DECIMAL_PLACES, COST_INTEGER_DIGITS, check_unit_cost, plain_money, round_value

UNIT_COST_INPUT_PATTERN = rf"^[0-9]{{1,{COST_INTEGER_DIGITS}}}(\.[0-9]{{1,{COST_DECIMAL_PLACES}}})?$"
UNIT_COST_OUTPUT_PATTERN = rf"^[0-9]+\.[0-9]{{{COST_DECIMAL_PLACES}}}$"
VALUE_OUTPUT_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


class ApiUnitCostField(serializers.Field):
    """A unit cost: input a JSON string or number (read exactly), ≥ 0, at most 12 digits
    before the point and 4 after, or null (unknown); output a string with 4 places, or
    null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal | None:
        try:
            return check_unit_cost(data, field=self.field_name)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message, code="invalid") from None

    def to_representation(self, value) -> str | None:
        return None if value is None else plain_money(value, places=COST_DECIMAL_PLACES)


class ApiValueField(serializers.Field):
    """A value (read-only): the exact value rounded half-up to 2 places, as a string; null
    when unknown."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str | None:
        return None if value is None else plain_money(round_value(value))


class ApiUnitCostFieldSchema(OpenApiSerializerFieldExtension):
    target_class = ApiUnitCostField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {
                "oneOf": [
                    {"type": "string", "pattern": UNIT_COST_INPUT_PATTERN, "example": "12.50"},
                    {"type": "number", "minimum": 0, "example": 12.5},
                ],
                "nullable": True,
                "description": "An exact decimal ≥ 0, at most 12 digits before the point and 4 after; "
                "null or absent = unknown.",
            }
        return {"type": "string", "pattern": UNIT_COST_OUTPUT_PATTERN, "example": "12.5000", "nullable": True,
                "description": "The unit cost with 4 places; null while unknown."}


class ApiValueFieldSchema(OpenApiSerializerFieldExtension):
    target_class = ApiValueField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": VALUE_OUTPUT_PATTERN, "example": "1250.00", "nullable": True,
                "readOnly": True,
                "description": "Quantity × unit cost, exact, rounded half-up to 2 places; null when unknown."}
