"""API shapes of the valuation and the rollforward (read-only)."""

from rest_framework import serializers

from hardfin.api.fields import ApiQuantityField
from hardfin.api.money import ApiValueField

from .selectors import COLUMNS, RollforwardRow


class ValuationRowSerializer(serializers.Serializer):
    sku = serializers.CharField()
    location = serializers.CharField(help_text="Location code.")
    quantity = ApiQuantityField()
    value = ApiValueField(help_text="Known-cost units only; null only when every unit is of unknown cost.")
    unknown_cost_quantity = ApiQuantityField(help_text="Units of unknown cost in this row.")


def flat_row(row: RollforwardRow) -> dict:
    """A rollforward row as one flat mapping of its column names (API, CSV, XLSX)."""
    values = row.values
    return {
        "sku": row.sku,
        "location": row.location,
        **{name: row.quantities[name] for name in COLUMNS},
        **{f"{name}_value": values[name] for name in COLUMNS},
        "unknown_cost_quantity": row.unknown_cost_quantity,
    }


class RollforwardRowSerializer(serializers.Serializer):
    sku = serializers.CharField()
    location = serializers.CharField(help_text="Location code.")
    opening = ApiQuantityField(help_text="The stock level just before `since` (negative while a shortfall is open).")
    received = ApiQuantityField()
    adjusted_up = ApiQuantityField()
    transferred_in = ApiQuantityField()
    transferred_out = ApiQuantityField()
    adjusted_down = ApiQuantityField()
    built = ApiQuantityField(help_text="Builds' whole quantities, shortfalls included.")
    replaced = ApiQuantityField()
    closing = ApiQuantityField(help_text="The stock level just before `until`.")
    opening_value = ApiValueField()
    received_value = ApiValueField()
    adjusted_up_value = ApiValueField()
    transferred_in_value = ApiValueField()
    transferred_out_value = ApiValueField()
    adjusted_down_value = ApiValueField()
    built_value = ApiValueField(help_text="Builds' lines and the settlements that paid their shortfalls.")
    replaced_value = ApiValueField()
    closing_value = ApiValueField()
    unknown_cost_quantity = ApiQuantityField(help_text="Units of unknown cost in the lots at closing (their value "
                                                       "is not in the value columns).")

    def to_representation(self, row):
        return super().to_representation(flat_row(row))

