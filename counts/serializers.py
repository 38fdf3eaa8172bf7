"""API shapes of counts and reorder points. Input serializers validate and resolve (SKUs and
codes to records); the views hand the result to ``counts.services``."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hardfin.api.fields import ApiQuantityField
from hardfin.errors import InvalidInput
from inventory.models import Item, Location
from inventory.serializers import CatalogKeyField, StockRowSerializer
from inventory.services import resolve
from movements.serializers import NON_FIELD, LineListSerializer

from .models import Count, ReorderPoint
from .services import MANAGE, check_counted, user_may

#: Lines per request: a whole location's count in one upload.
MAX_LINES = 10_000


@extend_schema_field(OpenApiTypes.STR)  # documented as what it should be: a SKU
class AnyValue(serializers.Field):
    """Whatever the client sent, to be checked by the serializer's own validate method."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class NullableQuantityField(ApiQuantityField):
    """A quantity on output that may be null (uncounted) or negative (an open shortfall)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


# --- counts (output) ------------------------------------------------------------------------

class CountLineSerializer(serializers.Serializer):
    sku = serializers.CharField(source="item.sku")
    item_name = serializers.CharField(source="item.name")
    unit = serializers.CharField(source="item.unit")
    counted = NullableQuantityField()
    counted_at = serializers.DateTimeField(allow_null=True)
    counted_by = serializers.CharField(source="counted_by.username", allow_null=True, default=None)
    expected = NullableQuantityField(help_text="The stock level at `counted_at`, from the ledger. Null while "
                                               "the count is open for users who count blind (Operators).")
    variance = NullableQuantityField(help_text="`counted − expected`; null like `expected`.")
    found = serializers.BooleanField(help_text="Added while counting (not on the count when it started).")

    def to_representation(self, line):
        data = super().to_representation(line)
        if self.context.get("blind") or line.counted is None:
            data["expected"] = data["variance"] = None
        return data


class CountSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    location = serializers.CharField(source="location.code")
    status = serializers.ChoiceField(choices=Count.Status.choices)
    note = serializers.CharField()
    started_at = serializers.DateTimeField()
    started_by = serializers.CharField(source="started_by.username")
    posted_at = serializers.DateTimeField(allow_null=True)
    posted_by = serializers.CharField(source="posted_by.username", allow_null=True, default=None)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancelled_by = serializers.CharField(source="cancelled_by.username", allow_null=True, default=None)


class CountSerializer(CountSummarySerializer):
    lines = serializers.SerializerMethodField()
    adjustments = serializers.SerializerMethodField(help_text="Ids of the `count_correction` movements posted.")

    def get_lines(self, count) -> list[dict]:
        request = self.context.get("request")
        blind = count.is_open and not user_may(getattr(request, "user", None), MANAGE)
        return CountLineSerializer(count.lines.all(), many=True, context={"blind": blind}).data

    def get_adjustments(self, count) -> list[int]:
        return sorted(line.adjustment_id for line in count.lines.all() if line.adjustment_id)


# --- counts (input) -------------------------------------------------------------------------

class CountStartSerializer(serializers.Serializer):
    location = CatalogKeyField(Location, help_text="Location code (any case); it must be active.")
    skus = serializers.ListField(
        # Each SKU is checked in validate_skus, so that the errors are one flat list of messages.
        child=AnyValue(), required=False, allow_empty=False, max_length=MAX_LINES,
        help_text="Default: every active item with a lot or a non-zero stock level at the location.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_skus(self, skus):
        """The items, or one message per SKU that names none (a flat list of messages)."""
        items, errors = [], []
        for sku in skus:
            if not isinstance(sku, str):
                errors.append(f"{sku!r} is not a SKU: send SKUs as strings.")
                continue
            try:
                items.append(resolve(Item, sku, field="skus", active_only=True))
            except InvalidInput as exc:
                errors.append(exc.message)
        if errors:
            raise serializers.ValidationError(errors)
        return items


class EntrySerializer(serializers.Serializer):
    sku = CatalogKeyField(Item, active_only=False, help_text="SKU (any case).")
    counted = serializers.JSONField(help_text="The quantity counted, ≥ 0 (string or number).")

    class Meta:
        list_serializer_class = LineListSerializer

    def validate(self, attrs):
        try:
            attrs["counted"] = check_counted(attrs["counted"], item=attrs["sku"])
        except InvalidInput as exc:
            raise serializers.ValidationError({"counted": [exc.message]}) from None
        return attrs


class CountEntriesSerializer(serializers.Serializer):
    lines = EntrySerializer(many=True, allow_empty=False, max_length=MAX_LINES)


class CountPostSerializer(serializers.Serializer):
    uncounted = serializers.ChoiceField(
        choices=["ignore", "zero"], required=False, allow_null=True, default=None,
        help_text="What to do with lines not counted: `zero` counts them as 0 now, `ignore` leaves them "
                  "uncounted. Without it, uncounted lines refuse the post (409 `count_incomplete`).",
    )


# --- reorder points -------------------------------------------------------------------------

class ReorderPointSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    sku = CatalogKeyField(Item, active_only=False, source="item", help_text="SKU (any case).")
    location = CatalogKeyField(Location, active_only=False, help_text="Location code (any case).")
    minimum = serializers.JSONField(help_text="Low stock below this quantity (≥ 0).")
    target = serializers.JSONField(required=False, allow_null=True, default=None,
                                   help_text="What ordering brings the quantity up to (≥ minimum).")

    def to_representation(self, point):
        return {
            "id": point.id, "sku": point.item.sku, "location": point.location.code,
            "minimum": ApiQuantityField().to_representation(point.minimum),
            "target": None if point.target is None else ApiQuantityField().to_representation(point.target),
        }


class ReorderPointUpdateSerializer(serializers.Serializer):
    minimum = serializers.JSONField(required=False)
    target = serializers.JSONField(required=False, allow_null=True)

    def validate(self, attrs):
        unknown = set(self.initial_data) - {"minimum", "target"} if isinstance(self.initial_data, dict) else set()
        if unknown & {"sku", "location", "id"}:
            raise serializers.ValidationError({NON_FIELD: ["Only minimum and target can change; delete the "
                                                           "reorder point and add another to move it."]})
        return attrs


class LowStockRowSerializer(StockRowSerializer):
    """A stock row below its minimum."""

    minimum = ApiQuantityField()
    target = NullableQuantityField()
    to_order = ApiQuantityField(help_text="target (or else minimum) − quantity.")
