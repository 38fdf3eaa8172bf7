"""API shapes of the catalog and of stock. Serializers validate and render; the views hand
validated data to ``inventory.services``, which do every write."""

from rest_framework import serializers

from hardfin.api.fields import ApiQuantityField
from hardfin.errors import InvalidInput
from hardfin.identifiers import code_validator

from .models import Item, Location, Supplier
from .services import key_field, resolve


class CatalogKeyField(serializers.CharField):
    """An item (by SKU), location or supplier (by code), ignoring case; with
    ``active_only`` an inactive one is refused, since it cannot take part in new movements."""

    def __init__(self, model, *, active_only: bool = True, **kwargs):
        self.model = model
        self.active_only = active_only
        kwargs.setdefault("max_length", model._meta.get_field(key_field(model)).max_length)
        super().__init__(**kwargs)
        # The character set of every SKU and code, so the schema states it too.
        self.validators.append(code_validator)

    def run_validation(self, data=serializers.empty):
        key = super().run_validation(data)  # the text: type, blank and length checks
        try:
            return resolve(self.model, key, field=self.field_name, active_only=self.active_only)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None

    def to_representation(self, value) -> str:
        return value if isinstance(value, str) else getattr(value, key_field(self.model))


class ItemSerializer(serializers.ModelSerializer):
    #: Total over all locations (open build shortfalls count negative).
    on_hand = ApiQuantityField(read_only=True)

    class Meta:
        model = Item
        fields = ["sku", "name", "description", "unit", "fractional", "is_active", "on_hand"]


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["code", "name", "is_active"]


class SupplierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = ["code", "name", "is_active"]


class StockRowSerializer(serializers.Serializer):
    """One item at one location."""

    sku = serializers.CharField(source="item.sku")
    item_name = serializers.CharField(source="item.name")
    unit = serializers.CharField(source="item.unit")
    location = serializers.CharField(source="location.code")
    location_name = serializers.CharField(source="location.name")
    quantity = ApiQuantityField()


class StockByItemSerializer(serializers.Serializer):
    sku = serializers.CharField()
    item_name = serializers.CharField()
    unit = serializers.CharField()
    quantity = ApiQuantityField()
    locations = serializers.IntegerField(help_text="How many locations hold a non-zero quantity of it.")


class StockByLocationSerializer(serializers.Serializer):
    location = serializers.CharField()
    location_name = serializers.CharField()
    quantity = ApiQuantityField()
    items = serializers.IntegerField(help_text="How many items it holds a non-zero quantity of.")
