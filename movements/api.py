"""The ledger, the five writes, adjustment reasons, shortfalls and batch traces in the REST
API. Every write validates its body, then calls one function of ``movements.services``."""

from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.response import Response

from hardfin.api.idempotency import idempotent
from hardfin.api.pagination import LedgerPagination, PageNumberPagination, TimeOrdering
from hardfin.api.permissions import InventoryAccess
from hardfin.api.views import DetailIgnoresFilters
from hardfin.db_router import replica_reads
from lots.models import Batch

from . import filters, selectors, services
from .models import AdjustmentReason, Movement
from .serializers import (
    AdjustmentInputSerializer,
    AdjustmentReasonSerializer,
    BuildInputSerializer,
    BuildResultSerializer,
    MovementSerializer,
    ReceiptInputSerializer,
    ReceiptResultSerializer,
    ReplacementInputSerializer,
    ShortfallSerializer,
    TraceLineSerializer,
    TransferInputSerializer,
    WhereaboutsSerializer,
)

Kind = Movement.Kind


class TracePagination(PageNumberPagination):
    """A trace's pages, with the batch's ``whereabouts`` (all of them, on every page)."""

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["whereabouts"] = WhereaboutsSerializer(self.whereabouts, many=True).data
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["whereabouts"] = {"type": "array", "items": {"type": "object"},
                                                  "description": "Lots of the batch holding units now."}
        return paginated


@method_decorator(replica_reads(), name="dispatch")
class MovementViewSet(DetailIgnoresFilters, viewsets.ReadOnlyModelViewSet):
    """The ledger, oldest first (``?ordering=-occurred_at`` for newest first). Movements are
    never changed or deleted: a mistake is corrected by a new movement."""

    permission_classes = [InventoryAccess]
    serializer_class = MovementSerializer
    filterset_class = filters.MovementFilter
    filter_backends = [DjangoFilterBackend, TimeOrdering]
    ordering_fields = ["occurred_at"]
    ordering = ["occurred_at"]
    pagination_class = LedgerPagination
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.movements_with_lines()


class MovementWriteView(generics.GenericAPIView):
    """POST one action; 201 with what was recorded. All or nothing: any error records nothing.
    Subclasses define ``record(data, *, user)``, which calls one service with the validated
    body and returns what it recorded."""

    permission_classes = [InventoryAccess]
    kind: str
    result_serializer_class = MovementSerializer

    @property
    def write_permissions(self):
        return {"POST": (services.PERMISSION[self.kind],)}

    @idempotent
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = self.record(serializer.validated_data, user=request.user)
        return Response(self.result_serializer_class(result).data, status=status.HTTP_201_CREATED)


def write_schema(summary: str, result=MovementSerializer):
    return extend_schema_view(post=extend_schema(summary=summary, responses={201: result}))


@write_schema("Move units of one item between locations, oldest batches first.")
class TransferView(MovementWriteView):
    kind = Kind.TRANSFER
    serializer_class = TransferInputSerializer

    def record(self, data, *, user):
        movement = services.transfer_create(
            item=data["sku"], source=data["from_location"], destination=data["to_location"],
            quantity=data["quantity"], note=data["note"], reference=data["reference"], user=user,
        )
        return movement


@write_schema("Correct a count: up creates a new batch, down consumes the oldest batches first.")
class AdjustmentView(MovementWriteView):
    kind = Kind.ADJUSTMENT
    serializer_class = AdjustmentInputSerializer

    def record(self, data, *, user):
        movement = services.adjustment_create(
            item=data["sku"], location=data["location"], direction=data["direction"], quantity=data["quantity"],
            reason=data["reason"], note=data["note"], user=user, unit_cost=data["unit_cost"],
        )
        return movement


@write_schema("Receive a shipment: each line becomes a new batch at the location.", ReceiptResultSerializer)
class ReceiptView(MovementWriteView):
    kind = Kind.RECEIPT
    serializer_class = ReceiptInputSerializer
    result_serializer_class = ReceiptResultSerializer

    def record(self, data, *, user):
        return services.receipt_create(
            supplier=data["supplier"], location=data["location"], po_number=data["po_number"],
            shipment_number=data["shipment_number"], note=data["note"], user=user,
            lines=[services.Line(line["sku"], line["quantity"], line["unit_cost"]) for line in data["lines"]],
        )


@write_schema("Consume parts at one location into an assembly, oldest batches first.", BuildResultSerializer)
class BuildView(MovementWriteView):
    kind = Kind.BUILD
    serializer_class = BuildInputSerializer
    result_serializer_class = BuildResultSerializer

    def record(self, data, *, user):
        return services.build_create(
            location=data["location"], reference=data["reference"], allow_shortfall=data["allow_shortfall"],
            note=data["note"], user=user,
            lines=[services.Line(line["sku"], line["quantity"]) for line in data["lines"]],
        )


@write_schema("Use parts from one location to repair an asset, oldest batches first.")
class ReplacementView(MovementWriteView):
    kind = Kind.REPLACEMENT
    serializer_class = ReplacementInputSerializer

    def record(self, data, *, user):
        movement = services.replacement_create(
            item=data["sku"], location=data["location"], quantity=data["quantity"], asset=data["asset"],
            note=data["note"], user=user,
        )
        return movement


class AdjustmentReasonViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The reasons an adjustment may give (managed in the admin)."""

    permission_classes = [InventoryAccess]
    serializer_class = AdjustmentReasonSerializer

    def get_queryset(self):
        return AdjustmentReason.objects.filter(is_active=True).order_by("code")


class ShortfallViewSet(DetailIgnoresFilters, viewsets.ReadOnlyModelViewSet):
    """Build shortfalls, oldest first; ``open=true`` for those not yet settled."""

    permission_classes = [InventoryAccess]
    serializer_class = ShortfallSerializer
    filterset_class = filters.ShortfallFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.shortfalls()


class BatchTraceView(generics.ListAPIView):
    """Every ledger line that moved units of this batch, in time order: where they went; and
    ``whereabouts``, the lots of it holding units now (where every unit is)."""

    permission_classes = [InventoryAccess]
    serializer_class = TraceLineSerializer
    pagination_class = TracePagination
    filter_backends = []

    def get_queryset(self):
        batch = get_object_or_404(Batch, pk=self.kwargs["pk"])
        self.paginator.whereabouts = selectors.batch_whereabouts(batch)
        return selectors.batch_trace(batch)
