"""API shapes of lots and batches (read-only: units enter and move only through movements)."""

from rest_framework import serializers

from hardfin.api.fields import ApiQuantityField
from hardfin.api.money import ApiUnitCostField, ApiValueField

from .models import Batch


class LotSerializer(serializers.Serializer):
    """The units of one batch at one location."""

    id = serializers.IntegerField()
    sku = serializers.CharField(source="item.sku")
    batch = serializers.CharField(source="batch.label", help_text="The batch number, e.g. `0001`.")
    location = serializers.CharField(source="location.code")
    quantity = ApiQuantityField()
    supplier = serializers.CharField(source="batch.supplier.code", allow_null=True, help_text="Supplier code.")
    origin = serializers.ChoiceField(source="batch.origin", choices=Batch.Origin.choices)
    reference = serializers.CharField(source="batch.reference",
                                      help_text="The PO number, or the reason of an upward adjustment.")
    received_at = serializers.DateTimeField(source="batch.received_at")
    unit_cost = ApiUnitCostField(source="batch.unit_cost", read_only=True,
                                 help_text="The batch's unit cost (null while unknown).")
    value = ApiValueField(source="exact_value", help_text="quantity × unit_cost, rounded half-up to 2 places.")


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField(source="item.sku")
    number = serializers.CharField(source="label", help_text="Numbered per item in creation order: `0001`, …")
    origin = serializers.ChoiceField(choices=Batch.Origin.choices)
    supplier = serializers.CharField(source="supplier.code", allow_null=True, help_text="Supplier code.")
    reference = serializers.CharField(help_text="The PO number, or the reason of an upward adjustment.")
    po_number = serializers.CharField()
    shipment_number = serializers.CharField()
    received_at = serializers.DateTimeField()
    initial_quantity = ApiQuantityField()
    on_hand = ApiQuantityField(help_text="Units of this batch still in stock, over all locations.")
    unit_cost = ApiUnitCostField(read_only=True, help_text="What one unit cost; null while unknown (set it once "
                                                           "with PATCH).")
