"""Lots and batches in the REST API (read-only). A batch's trace is in movements/api.py,
since it reads the ledger."""

from rest_framework import viewsets

from hardfin.api.pagination import KeysetPagination
from hardfin.api.permissions import InventoryAccess
from hardfin.api.views import DetailIgnoresFilters

from . import filters, selectors
from .serializers import BatchSerializer, LotSerializer


class LotViewSet(DetailIgnoresFilters, viewsets.ReadOnlyModelViewSet):
    """Lots, oldest batch first per item and location. Only lots holding units unless
    ``show_empty``."""

    permission_classes = [InventoryAccess]
    serializer_class = LotSerializer
    filterset_class = filters.LotFilter
    lookup_value_regex = r"[0-9]+"
    pagination_class = KeysetPagination
    keyset_order = ["item__sku", "location__code", "batch_id"]

    def get_queryset(self):
        return selectors.lots_fifo_order()


class BatchViewSet(DetailIgnoresFilters, viewsets.ReadOnlyModelViewSet):
    """Batches with what is left of them (``on_hand``)."""

    permission_classes = [InventoryAccess]
    serializer_class = BatchSerializer
    filterset_class = filters.BatchFilter
    lookup_value_regex = r"[0-9]+"
    pagination_class = KeysetPagination
    keyset_order = ["item__sku", "number"]

    def get_queryset(self):
        return selectors.batches()
