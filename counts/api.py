"""Counts, reorder points and the low-stock rows in the REST API (contract: API.md v1.1).
Every write validates its body, then calls one function of ``counts.services``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from hardfin.api.errors import Conflict
from hardfin.api.idempotency import idempotent
from hardfin.api.permissions import CanExport, InventoryAccess
from hardfin.api.views import DetailIgnoresFilters, FirstRendererNegotiation
from inventory import api as inventory_api
from inventory.filters import StockLevelFilter

from . import selectors, services
from .errors import CountError
from .filters import CountFilter, LowStockFilter, ReorderPointFilter
from .serializers import (
    CountEntriesSerializer,
    CountPostSerializer,
    CountSerializer,
    CountStartSerializer,
    CountSummarySerializer,
    LowStockRowSerializer,
    ReorderPointSerializer,
    ReorderPointUpdateSerializer,
)


class CountErrorsAsConflicts:
    """Count conflicts carry the SKUs they are about next to ``code`` and ``detail``."""

    def handle_exception(self, exc):
        if isinstance(exc, CountError):
            extra = {"skus": exc.skus} if exc.code != "count_closed" else {}
            exc = Conflict(exc.message, code=exc.code, extra=extra)
        return super().handle_exception(exc)


@extend_schema_view(
    list=extend_schema(summary="Counts, open ones first (without their lines)."),
    retrieve=extend_schema(summary="One count with its lines. Operators count blind: `expected` and `variance` "
                                   "are null for them while it is open."),
    create=extend_schema(summary="Start a count of one location.", request=CountStartSerializer,
                         responses={201: CountSerializer}),
)
class CountViewSet(CountErrorsAsConflicts, DetailIgnoresFilters, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   viewsets.GenericViewSet):
    permission_classes = [InventoryAccess]
    filterset_class = CountFilter
    lookup_value_regex = r"[0-9]+"

    @property
    def write_permissions(self):
        needed = services.ENTER if self.action == "entries" else services.MANAGE
        return {"POST": (services.VIEW, needed)}

    def get_queryset(self):
        if self.action == "list":
            return selectors.counts()
        return selectors.counts().prefetch_related(selectors.count_lines_prefetch())

    def get_serializer_class(self):
        return CountSummarySerializer if self.action == "list" else CountSerializer

    def rendered(self, count, **kwargs) -> Response:
        fresh = selectors.count_with_lines(count.pk)
        return Response(CountSerializer(fresh, context=self.get_serializer_context()).data, **kwargs)

    @idempotent
    def create(self, request, *args, **kwargs):
        data = self._valid(CountStartSerializer)
        count = services.count_start(location=data["location"], items=data.get("skus"), note=data["note"],
                                     user=request.user)
        return self.rendered(count, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Enter counted quantities; a SKU not on the count is added (found stock).",
                   request=CountEntriesSerializer, responses={200: CountSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def entries(self, request, pk=None):
        count = self.get_object()
        data = self._valid(CountEntriesSerializer)
        services.count_enter(count=count, entries=[(line["sku"], line["counted"]) for line in data["lines"]],
                             user=request.user)
        return self.rendered(count)

    @extend_schema(summary="Post a count: its variances become count_correction adjustments, in one write.",
                   request=CountPostSerializer, responses={200: CountSerializer})
    # Not named ``post``: a viewset's method of that name would answer POST on /counts/{id}/ too.
    @action(detail=True, methods=["post"], url_path="post", url_name="post")
    @idempotent
    def post_count(self, request, pk=None):
        count = self.get_object()
        data = self._valid(CountPostSerializer)
        services.count_post(count=count, uncounted=data["uncounted"], user=request.user)
        return self.rendered(count)

    @extend_schema(summary="Cancel a count: nothing is adjusted.", request=None, responses={200: CountSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request, pk=None):
        count = self.get_object()
        services.count_cancel(count=count, user=request.user)
        return self.rendered(count)

    def _valid(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ReorderPointViewSet(DetailIgnoresFilters, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    """Minimum (and optional target) per item-location; low stock is below the minimum."""

    permission_classes = [InventoryAccess]
    serializer_class = ReorderPointSerializer
    filterset_class = ReorderPointFilter
    lookup_value_regex = r"[0-9]+"
    write_permissions = {
        "POST": (services.ADD_REORDER,),
        "PATCH": (services.CHANGE_REORDER,),
        "DELETE": (services.DELETE_REORDER,),
    }

    def get_queryset(self):
        return selectors.reorder_points()

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        point = services.reorder_point_create(item=data["item"], location=data["location"], minimum=data["minimum"],
                                              target=data["target"], user=request.user)
        return Response(self.get_serializer(point).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReorderPointUpdateSerializer)
    @idempotent
    def partial_update(self, request, *args, **kwargs):
        point = self.get_object()
        serializer = ReorderPointUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        point = services.reorder_point_update(reorder_point=point, user=request.user, **serializer.validated_data)
        return Response(self.get_serializer(point).data)

    @extend_schema(responses={204: None})
    @idempotent
    def destroy(self, request, *args, **kwargs):
        services.reorder_point_delete(reorder_point=self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- low stock on the stock endpoints -----------------------------------------------------------

BELOW_MINIMUM = OpenApiParameter(
    "below_minimum", OpenApiTypes.BOOL, description="Only item-location rows below their reorder point's "
    "minimum (including rows that never held stock), each with `minimum`, `target` and `to_order`.")


def wants_below_minimum(query) -> bool | str | None:
    """``True`` for ``below_minimum=true``/``1``, ``False`` for ``false``/``0``, None when absent;
    any other value is ``"unknown"`` (matches nothing)."""
    value = query.get("below_minimum")
    if value is None or value.strip() == "":
        return None
    word = value.strip().lower()
    if word in ("true", "1", "yes"):
        return True
    if word in ("false", "0", "no"):
        return False
    return "unknown"


def low_stock_rows(query):
    """The below-minimum rows that the stock filters in ``query`` select (``item``,
    ``location``, ``search``); ``include_empty`` does not matter, rows at 0 are low stock."""
    rows = LowStockFilter(query, queryset=selectors.below_minimum()).qs
    if wants_below_minimum(query) == "unknown" or StockLevelFilter(query).matches_nothing:
        return rows.none()
    return rows


@extend_schema_view(get=extend_schema(parameters=[BELOW_MINIMUM]))
class StockRowsOrLowStockView(inventory_api.StockRowsView):
    """``GET /api/stock/``, which counts answers in place of the stock app's view so that the
    stock app needs to know nothing about reorder points: ``below_minimum=true`` lists the rows
    below their minimum (with ``minimum``, ``target`` and ``to_order``), an unknown value
    nothing; without it (or ``false``) the stock app's view answers as it always did."""

    def list(self, request, *args, **kwargs):
        if wants_below_minimum(request.GET) in (None, False):
            return super().list(request, *args, **kwargs)
        page = self.paginate_queryset(low_stock_rows(request.GET))
        return self.get_paginated_response(LowStockRowSerializer(page, many=True).data)


class StockExportOrLowStockView(inventory_api.StockExportView):
    """``GET /api/stock/export.csv``, with ``below_minimum`` as on ``/api/stock/``; the header is
    unchanged."""

    @extend_schema(parameters=[BELOW_MINIMUM], filters=True, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, *args, **kwargs):
        if wants_below_minimum(request.GET) in (None, False):
            return super().get(request, *args, **kwargs)
        return selectors.low_stock_stock_export("inventory.csv", low_stock_rows(request.GET))
