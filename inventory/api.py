"""The catalog and stock endpoints of the REST API (paths in hardfin/api_urls.py)."""

from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiTypes, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from hardfin.api.idempotency import idempotent
from hardfin.api.pagination import KeysetPagination
from hardfin.api.permissions import CanExport, InventoryAccess
from hardfin.api.views import FirstRendererNegotiation
from hardfin.db_router import replica_reads
from hardfin.identifiers import KEY_CHARACTERS

from . import selectors, services
from .filters import ItemFilter, LocationFilter, StockLevelFilter, SupplierFilter
from .models import Item, Location, Supplier
from .serializers import (
    ItemSerializer,
    LocationSerializer,
    StockByItemSerializer,
    StockByLocationSerializer,
    StockRowSerializer,
    SupplierSerializer,
)

#: SKUs and codes in paths: letters, digits, '.', '-', '_' (so ``/api/items/LDR-4.1/`` works).
KEY_REGEX = f"{KEY_CHARACTERS}+"


class CatalogViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List, read, create, change (PATCH) and delete records addressed by their key, which
    paths match ignoring case. Writes go through ``inventory.services``; PUT is not offered
    (the key never changes, and PATCH changes any other field)."""

    permission_classes = [InventoryAccess]
    lookup_value_regex = KEY_REGEX
    model: type[Item] | type[Location] | type[Supplier]
    create_service: staticmethod

    @property
    def write_permissions(self):
        meta = self.model._meta
        return {
            method: (f"{meta.app_label}.{action}_{meta.model_name}",)
            for method, action in (("POST", "add"), ("PATCH", "change"), ("DELETE", "delete"))
        }

    def get_object(self):
        key = self.kwargs[self.lookup_field]
        obj = get_object_or_404(self.get_queryset(), **{f"{self.lookup_field}__iexact": key})
        self.check_object_permissions(self.request, obj)
        return obj

    def rendered(self, obj, **kwargs) -> Response:
        """The record as a fresh read shows it (an item with its ``on_hand``)."""
        fresh = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(fresh).data, **kwargs)

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.create_service(**serializer.validated_data)
        return self.rendered(obj, status=status.HTTP_201_CREATED)

    @idempotent
    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        obj = services.catalog_update(instance=instance, **serializer.validated_data)
        return self.rendered(obj)

    @extend_schema(responses={204: None})
    @idempotent
    def destroy(self, request, *args, **kwargs):
        services.catalog_delete(instance=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemViewSet(CatalogViewSet):
    """Catalog items, addressed by SKU. ``on_hand`` is the total over all locations."""

    model = Item
    lookup_field = "sku"
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    create_service = staticmethod(services.item_create)

    def get_queryset(self):
        return selectors.items_with_on_hand().order_by("sku")


class LocationViewSet(CatalogViewSet):
    """Warehouses, operations centers, vans…, addressed by code."""

    model = Location
    lookup_field = "code"
    serializer_class = LocationSerializer
    filterset_class = LocationFilter
    create_service = staticmethod(services.location_create)

    def get_queryset(self):
        return Location.objects.order_by("code")


class SupplierViewSet(CatalogViewSet):
    """Where received units came from, addressed by code."""

    model = Supplier
    lookup_field = "code"
    serializer_class = SupplierSerializer
    filterset_class = SupplierFilter
    create_service = staticmethod(services.supplier_create)

    def get_queryset(self):
        return Supplier.objects.order_by("code")


@method_decorator(replica_reads(), name="dispatch")
class StockRowsView(generics.ListAPIView):
    """Item-location rows, by SKU then location code. Rows at zero are left out unless
    ``include_empty``; a negative row is an open build shortfall. Keyset pages (``cursor``),
    no ``count``."""

    permission_classes = [InventoryAccess]
    serializer_class = StockRowSerializer
    filterset_class = StockLevelFilter
    pagination_class = KeysetPagination
    keyset_order = ["item__sku", "location__code", "id"]

    def get_queryset(self):
        return selectors.stock_rows()


class StockByItemView(StockRowsView):
    """Stock per item, by SKU: the total and how many locations hold it. A page is a keyset
    page of items; only their rows are added up."""

    serializer_class = StockByItemSerializer
    keyset_order = ["sku", "id"]

    def list(self, request, *args, **kwargs):
        rows = self.filter_queryset(self.get_queryset())
        items = self.paginate_queryset(selectors.items_in_stock(rows))
        totals = selectors.item_totals(rows, [item.pk for item in items])
        groups = [
            {"sku": item.sku, "item_name": item.name, "unit": item.unit, **totals[item.pk]} for item in items
        ]
        return self.get_paginated_response(self.get_serializer(groups, many=True).data)


class StockByLocationView(StockRowsView):
    """Stock per location, by code: the total and how many items it holds. A page is a
    keyset page of locations; all their rows are added up (the contract's ``quantity`` and
    ``items``; see ``selectors.location_totals``)."""

    serializer_class = StockByLocationSerializer
    keyset_order = ["code", "id"]

    def list(self, request, *args, **kwargs):
        rows = self.filter_queryset(self.get_queryset())
        locations = self.paginate_queryset(selectors.locations_in_stock(rows))
        totals = selectors.location_totals(rows, [location.pk for location in locations])
        groups = [
            {"location": location.code, "location_name": location.name, **totals[location.pk]}
            for location in locations
        ]
        return self.get_paginated_response(self.get_serializer(groups, many=True).data)


@extend_schema_view(
    get=extend_schema(
        filters=True,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        description="Every item-location row that `/api/stock/` would list with the same filters, not one "
        "page: a streamed CSV (UTF-8 with a BOM) whose header is exactly `SKU,Item name,Location,Quantity` "
        "(Location is the location's name). Text cells that a spreadsheet would run as a formula are "
        "prefixed with `'`.",
    )
)
@method_decorator(replica_reads(), name="dispatch")
class StockExportView(generics.GenericAPIView):
    permission_classes = [CanExport]
    filterset_class = StockLevelFilter
    pagination_class = None
    # Errors are JSON; the CSV itself is streamed, never rendered.
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRendererNegotiation

    def get_queryset(self):
        return selectors.stock_rows()

    def get(self, request, *args, **kwargs):
        rows = self.filter_queryset(self.get_queryset())
        return selectors.stock_export("inventory.csv", rows)
