"""The accountant's API: setting a batch's unknown cost, the valuation and the rollforward
(JSON and CSV). Reads come from ``reports.selectors``; the one write goes through
``movements.services.batch_cost_set``."""

from __future__ import annotations

from django.utils import timezone
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from hardfin.api.idempotency import idempotent
from hardfin.api.money import ApiValueField
from hardfin.api.pagination import KeysetPagination
from hardfin.api.permissions import CanExport, InventoryAccess
from hardfin.api.schema import HardfinAutoSchema
from hardfin.api.views import FirstRendererNegotiation
from hardfin.db_router import replica_reads
from hardfin.errors import InvalidInput
from hardfin.money import currency
from hardfin.pagination import InvalidCursor
from lots.api import BatchViewSet
from movements.serializers import BatchCostInputSerializer
from movements.services import SET_UNIT_COST, batch_cost_set

from . import exports, selectors
from .periods import parse_instant, period
from .serializers import RollforwardRowSerializer, ValuationRowSerializer


class ReportSchema(HardfinAutoSchema):
    """The reports read their filters themselves (no filter backend): a malformed instant or
    period is a 400 like any malformed filter."""

    def _error_responses(self):
        errors = super()._error_responses()
        if self.method in SAFE_METHODS:
            errors[400] = ("ValidationError", "A malformed filter value.")
        return errors


def scope_of(request) -> selectors.Scope:
    return selectors.Scope(item=request.query_params.get("item", "").strip(),
                           location=request.query_params.get("location", "").strip())


def as_of_of(request):
    try:
        return parse_instant(request.query_params.get("as_of"), field="as_of")
    except InvalidInput as exc:
        raise serializers.ValidationError({"as_of": [exc.message]}) from None


def period_of(request):
    try:
        return period(request.query_params.get("since"), request.query_params.get("until"))
    except InvalidInput as exc:
        raise serializers.ValidationError({exc.field: [exc.message]}) from None


SCOPE_PARAMETERS = [
    OpenApiParameter("item", str, description="SKU (any case)."),
    OpenApiParameter("location", str, description="Location code (any case)."),
]
AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATETIME,
                         description="The instant (ISO 8601); includes movements at it. Default: now.")
PERIOD_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="Inclusive; default the start of this month."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Exclusive; default now."),
]


class BatchCostViewSet(BatchViewSet):
    """A batch, and PATCH ``{"unit_cost"}`` to set a cost that is still unknown (Managers,
    Accountants): a known cost answers 409 ``cost_already_set`` and is kept."""

    http_method_names = ["get", "patch", "head", "options"]
    write_permissions = {"PATCH": (SET_UNIT_COST,)}

    @extend_schema(request=BatchCostInputSerializer, summary="Set a batch's unit cost that is still unknown.")
    @idempotent
    def partial_update(self, request, *args, **kwargs):
        batch = self.get_object()
        data = BatchCostInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch_cost_set(batch=batch, unit_cost=data.validated_data["unit_cost"], user=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data)


class ReportPagination(KeysetPagination):
    """Keyset pages of a report read in SQL (``{"next", "previous", "results"}``, no count, as
    the stock list): ``paginate_report`` hands the cursor and the page size to the report,
    which reads just that page."""

    def paginate_report(self, read, request):
        self.request = request
        if request.query_params.get("page", "1").strip() not in ("", "1"):
            raise serializers.ValidationError({"page": [self.page_refused_message]})
        cursor = request.query_params.get(self.cursor_query_param) or None
        try:
            self.page = read(cursor, self.get_page_size(request))
        except InvalidCursor:
            raise NotFound(self.invalid_cursor_message) from None
        return self.page.object_list


class ValuationPagination(ReportPagination):
    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        valuation = self.valuation
        response.data = {
            "currency": currency(),
            "as_of": serializers.DateTimeField().to_representation(valuation.as_of or self.now),
            "total_value": ApiValueField().to_representation(valuation.total_value),
            "unknown_cost_quantity_rows": valuation.unknown_cost_quantity_rows,
            **response.data,
        }
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] = {
            "currency": {"type": "string", "example": "USD"},
            "as_of": {"type": "string", "format": "date-time", "description": "The instant valued (now by default)."},
            "total_value": {"type": "string", "example": "1250.00"},
            "unknown_cost_quantity_rows": {"type": "integer"},
            **paginated["properties"],
        }
        return paginated


@extend_schema(parameters=[AS_OF, *SCOPE_PARAMETERS])
@method_decorator(replica_reads(), name="dispatch")
class ValuationView(generics.ListAPIView):
    """Item-location rows with stock > 0 at ``as_of``, valued at FIFO cost layers (each lot at
    its own batch's cost). ``total_value`` covers every row, not one page."""

    schema = ReportSchema()
    permission_classes = [InventoryAccess]
    serializer_class = ValuationRowSerializer
    pagination_class = ValuationPagination
    filter_backends = []

    def list(self, request, *args, **kwargs):
        # Read before the valuation, so "now" is no later than what it covers.
        self.paginator.now = timezone.now()
        valuation = selectors.valuation(as_of=as_of_of(request), scope=scope_of(request))
        self.paginator.valuation = valuation
        page = self.paginator.paginate_report(lambda cursor, size: valuation.page(cursor=cursor, size=size), request)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@method_decorator(replica_reads(), name="dispatch")
class ExportView(generics.GenericAPIView):
    schema = ReportSchema()
    permission_classes = [CanExport]
    pagination_class = None
    filter_backends = []
    # Errors are JSON; the CSV itself is streamed, never rendered.
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRendererNegotiation


@extend_schema(parameters=[AS_OF, *SCOPE_PARAMETERS], responses={(200, "text/csv"): OpenApiTypes.STR},
               description="Every valuation row (not one page), streamed: header exactly "
                           "`SKU,Item name,Location,Quantity,Unit,Value,Unknown cost quantity`.")
class ValuationExportView(ExportView):
    file_format = "csv"

    def get(self, request, *args, **kwargs):
        valuation = selectors.valuation(as_of=as_of_of(request), scope=scope_of(request))
        return exports.valuation_response(valuation, file_format=self.file_format)


class RollforwardPagination(ReportPagination):
    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        field = serializers.DateTimeField()
        response.data = {
            "currency": currency(),
            "since": field.to_representation(self.report.since),
            "until": field.to_representation(self.report.until),
            **response.data,
        }
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] = {
            "currency": {"type": "string", "example": "USD"},
            "since": {"type": "string", "format": "date-time"},
            "until": {"type": "string", "format": "date-time"},
            **paginated["properties"],
        }
        return paginated


@extend_schema(parameters=[*PERIOD_PARAMETERS, *SCOPE_PARAMETERS])
@method_decorator(replica_reads(), name="dispatch")
class RollforwardView(generics.ListAPIView):
    """One row per item-location that had stock or a movement in the period; quantities of
    stock levels and values of the lots' units, each row tying exactly."""

    schema = ReportSchema()
    permission_classes = [InventoryAccess]
    serializer_class = RollforwardRowSerializer
    pagination_class = RollforwardPagination
    filter_backends = []

    def list(self, request, *args, **kwargs):
        since, until = period_of(request)
        report = selectors.rollforward(since=since, until=until, scope=scope_of(request))
        self.paginator.report = report
        page = self.paginator.paginate_report(lambda cursor, size: report.page(cursor=cursor, size=size), request)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(parameters=[*PERIOD_PARAMETERS, *SCOPE_PARAMETERS], responses={(200, "text/csv"): OpenApiTypes.STR},
               description="Every rollforward row (not one page), streamed, with the JSON rows' column names.")
class RollforwardExportView(ExportView):
    file_format = "csv"

    def get(self, request, *args, **kwargs):
        since, until = period_of(request)
        report = selectors.rollforward(since=since, until=until, scope=scope_of(request))
        return exports.rollforward_response(report, file_format=self.file_format)



XLSX_RESPONSE = {(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY}


@extend_schema(parameters=[AS_OF, *SCOPE_PARAMETERS], responses=XLSX_RESPONSE,
               description="The valuation export's rows as an Excel workbook (numbers as numbers).")
class ValuationXlsxView(ValuationExportView):
    file_format = "xlsx"


@extend_schema(parameters=[*PERIOD_PARAMETERS, *SCOPE_PARAMETERS], responses=XLSX_RESPONSE,
               description="The rollforward's rows as an Excel workbook (numbers as numbers).")
class RollforwardXlsxView(RollforwardExportView):
    file_format = "xlsx"
