"""API shapes of the ledger and of the five writes. Input serializers validate and resolve
(SKUs and codes to records, quantities to Decimals); the views hand the result to
``movements.services``, which record everything."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.settings import api_settings

from hardfin.api.fields import ApiQuantityField
from hardfin.api.money import ApiUnitCostField, ApiValueField
from hardfin.errors import InvalidInput
from hardfin.quantities import check_quantity
from inventory.models import Item, Location, Supplier
from inventory.serializers import CatalogKeyField

from .models import AdjustmentReason, Movement

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
#: More lines than any real receipt or build has; keeps one request's work bounded.
MAX_LINES = 1000


# --- the ledger (output) --------------------------------------------------------------------

class MovementLineSerializer(serializers.Serializer):
    batch = serializers.CharField(source="batch.label", help_text="The batch number, e.g. `0001`.")
    from_location = serializers.CharField(source="from_location.code", allow_null=True)
    to_location = serializers.CharField(source="to_location.code", allow_null=True)
    quantity = ApiQuantityField()
    unit_cost = ApiUnitCostField(read_only=True, help_text="The batch's unit cost (null while unknown).")
    value = ApiValueField(source="exact_value", help_text="quantity × unit_cost, rounded half-up to 2 places.")


class MovementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Movement.Kind.choices)
    occurred_at = serializers.DateTimeField()
    sku = serializers.CharField(source="item.sku")
    quantity = ApiQuantityField(help_text="The sum of the lines, except for a build with a shortfall, whose "
                                       "lines cover only what was in stock.")
    from_location = serializers.CharField(source="from_location.code", allow_null=True,
                                          help_text="Null for receipts and upward adjustments.")
    to_location = serializers.CharField(source="to_location.code", allow_null=True,
                                        help_text="Null for downward adjustments, builds, replacements and "
                                                  "settlements.")
    direction = serializers.ChoiceField(choices=["up", "down"], allow_null=True,
                                        help_text="`up` or `down` for adjustments, null otherwise.")
    reference = serializers.CharField(help_text="PO number (receipt), build reference (build, settlement), "
                                                "asset (replacement), reason code (adjustment), or the "
                                                "caller's own reference (transfer).")
    reason = serializers.CharField(source="reason.code", allow_null=True, help_text="Adjustment reason code.")
    supplier = serializers.CharField(source="supplier.code", allow_null=True, help_text="Supplier code (receipt).")
    shipment_number = serializers.CharField()
    note = serializers.CharField()
    user = serializers.CharField(source="user.username")
    lines = MovementLineSerializer(many=True, help_text="One entry per batch moved.")
    value = ApiValueField(source="exact_value", help_text="The exact sum of the lines' values, rounded once; null "
                                                          "if any line's cost is unknown.")


class ShortfallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField(source="item.sku")
    location = serializers.CharField(source="location.code")
    reference = serializers.CharField(help_text="The build's reference.")
    build = serializers.IntegerField(source="build_id", help_text="The id of the build movement.")
    quantity = ApiQuantityField(help_text="Units the build used that were not in stock.")
    outstanding = ApiQuantityField(help_text="Units not yet settled by arrivals (0 once settled).")
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)


class AdjustmentReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = AdjustmentReason
        fields = ["code", "label", "requires_note"]


class TraceLineSerializer(serializers.Serializer):
    """One ledger line that moved units of a batch, with its movement."""

    movement = serializers.IntegerField(source="movement_id")
    kind = serializers.ChoiceField(source="movement.kind", choices=Movement.Kind.choices)
    occurred_at = serializers.DateTimeField(source="movement.occurred_at")
    sku = serializers.CharField(source="movement.item.sku")
    batch = serializers.CharField(source="batch.label")
    from_location = serializers.CharField(source="from_location.code", allow_null=True)
    to_location = serializers.CharField(source="to_location.code", allow_null=True)
    quantity = ApiQuantityField()
    unit_cost = ApiUnitCostField(read_only=True)
    value = ApiValueField(source="exact_value")
    reference = serializers.CharField(source="movement.reference")
    user = serializers.CharField(source="movement.user.username")


class WhereaboutsSerializer(serializers.Serializer):
    """Where units of a batch are now: one lot holding units."""

    sku = serializers.CharField(source="item.sku")
    batch = serializers.CharField(source="batch.label")
    location = serializers.CharField(source="location.code")
    location_name = serializers.CharField(source="location.name")
    quantity = ApiQuantityField()
    unit_cost = ApiUnitCostField(source="batch.unit_cost", read_only=True)
    value = ApiValueField(source="exact_value")


class ReceiptResultSerializer(serializers.Serializer):
    po_number = serializers.CharField()
    shipment_number = serializers.CharField()
    movements = MovementSerializer(many=True, help_text="One receipt movement per line, in line order.")
    settlements = MovementSerializer(many=True, help_text="Open build shortfalls at the location that the "
                                                          "received units settled at once.")


class BuildResultSerializer(serializers.Serializer):
    reference = serializers.CharField()
    movements = MovementSerializer(many=True, help_text="One build movement per line, in line order.")
    shortfalls = ShortfallSerializer(many=True, help_text="With `allow_shortfall`: what the lines could not "
                                                          "take from stock.")


# --- writes (input) -------------------------------------------------------------------------

def item_field(**kwargs):
    return CatalogKeyField(Item, help_text="SKU (any case); the item must be active.", **kwargs)


def location_field(**kwargs):
    return CatalogKeyField(Location, help_text="Location code (any case); it must be active.", **kwargs)


class ItemQuantityInputSerializer(serializers.Serializer):
    """Input naming an item (``sku``) and a ``quantity`` of it: whole units only, unless the
    item is fractional."""

    def validate(self, attrs):
        # The services check this too; checking it here as well reports it in the same
        # 400 as every other line's errors, instead of in a second round.
        item = attrs["sku"]
        try:
            check_quantity(attrs["quantity"], fractional=item.fractional, unit=item.unit)
        except InvalidInput as exc:
            raise serializers.ValidationError({"quantity": [exc.message]}) from None
        return attrs


class LineListSerializer(serializers.ListSerializer):
    """Errors of ``lines`` as a client can use them: a list of messages when ``lines`` itself
    is wrong (not a list, empty, too long), else a list with one object per line, in order
    (``{}`` for a line without errors)."""

    default_error_messages = {**serializers.ListSerializer.default_error_messages,
                              "empty": "Add at least one line."}

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors = exc.detail
            if NON_FIELD in errors:
                raise serializers.ValidationError(errors[NON_FIELD]) from None
            # DRF reports line errors by index ({1: {...}}); spell out every line.
            raise serializers.ValidationError([errors.get(index, {}) for index in range(len(data))]) from None


class LineInputSerializer(ItemQuantityInputSerializer):
    sku = item_field()
    quantity = ApiQuantityField()

    class Meta:
        list_serializer_class = LineListSerializer


class ReceiptLineInputSerializer(LineInputSerializer):
    unit_cost = ApiUnitCostField(required=False, default=None,
                                 help_text="What one unit cost (the batch's cost layer); absent or null = unknown.")

    class Meta:
        list_serializer_class = LineListSerializer


def lines_field(serializer=LineInputSerializer):
    return serializer(many=True, allow_empty=False, max_length=MAX_LINES)


class TransferInputSerializer(ItemQuantityInputSerializer):
    sku = item_field()
    from_location = location_field()
    to_location = location_field()
    quantity = ApiQuantityField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=128)


class AdjustmentInputSerializer(ItemQuantityInputSerializer):
    sku = item_field()
    location = location_field()
    direction = serializers.ChoiceField(choices=["up", "down"])
    quantity = ApiQuantityField()
    reason = serializers.CharField(max_length=32, help_text="A code from `/api/adjustment-reasons/`.")
    note = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="Required when the reason says so (`other`).")
    unit_cost = ApiUnitCostField(required=False, default=None,
                                 help_text="Up only: the new batch's unit cost; by default the cost of the item's "
                                           "newest batch that has one (else unknown).")


class ReceiptInputSerializer(serializers.Serializer):
    supplier = CatalogKeyField(Supplier, help_text="Supplier code (any case); it must be active.")
    location = location_field()
    po_number = serializers.CharField(max_length=64)
    shipment_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    lines = lines_field(ReceiptLineInputSerializer)


class BuildInputSerializer(serializers.Serializer):
    location = location_field()
    reference = serializers.CharField(max_length=128, help_text="Names the build (work order, assembly).")
    lines = lines_field()
    allow_shortfall = serializers.BooleanField(
        required=False, default=False,
        help_text="Take what is in stock and record the rest as an open shortfall instead of a 409.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReplacementInputSerializer(ItemQuantityInputSerializer):
    sku = item_field()
    location = location_field()
    quantity = ApiQuantityField()
    asset = serializers.CharField(max_length=128, help_text="The asset the parts went into.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class BatchCostInputSerializer(serializers.Serializer):
    unit_cost = ApiUnitCostField(allow_null=False, help_text="What one unit of the batch cost.")
