"""API shapes of the catalog and of stock. Serializers validate and render; the views hand
validated data to ``inventory.services``, which do every write."""

from rest_framework import serializers

from hardfin.api.fields import QuantityField

from .models import Item, Location, Supplier


class ItemSerializer(serializers.ModelSerializer):
    #: Total over all locations (open build shortfalls count negative).
    on_hand = QuantityField(read_only=True)

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
    quantity = QuantityField()


class StockByItemSerializer(serializers.Serializer):
    sku = serializers.CharField()
    item_name = serializers.CharField()
    unit = serializers.CharField()
    quantity = QuantityField()
    locations = serializers.IntegerField(help_text="How many locations hold a non-zero quantity of it.")


class StockByLocationSerializer(serializers.Serializer):
    location = serializers.CharField()
    location_name = serializers.CharField()
    quantity = QuantityField()
    items = serializers.IntegerField(help_text="How many items it holds a non-zero quantity of.")
