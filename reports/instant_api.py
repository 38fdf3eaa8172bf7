"""``as_of`` (and ``with_value``) on the stock and lot lists: the same paths as inventory's and
lots' views, answered from the ledger by ``reports.selectors`` when the query asks for an
instant or for values, and by the usual views otherwise (lots and inventory may not read the
ledger, which is in the movements app above them)."""

from __future__ import annotations


from django.utils import timezone
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer

from hardfin.api.fields import ApiQuantityField
from hardfin.api.money import ApiValueField
from hardfin.api.pagination import KeysetPagination
from hardfin.api.permissions import CanExport, InventoryAccess
from hardfin.api.views import FirstRendererNegotiation
from hardfin.csv import csv_response
from hardfin.db_router import replica_reads
from hardfin.money import currency
from hardfin.pagination import InvalidCursor
from inventory.selectors import STOCK_EXPORT_HEADER
from inventory.serializers import StockRowSerializer
from lots.serializers import LotSerializer

from . import selectors
from .api import AS_OF, as_of_of, scope_of

YES = {"1", "true", "yes", "on"}


def wants_values(request) -> bool:
    return request.query_params.get("with_value", "").strip().lower() in YES


def asks_instant(request) -> bool:
    return "as_of" in request.GET or request.GET.get("with_value", "").strip().lower() in YES


class StockRowAsOfSerializer(StockRowSerializer):
    value = ApiValueField()
    unknown_cost_quantity = ApiQuantityField()

    def to_representation(self, row):
        data = super().to_representation(row)
        if not self.context.get("with_value"):
            data.pop("value"), data.pop("unknown_cost_quantity")
        return data


class CurrencyPagination(KeysetPagination):
    """Keyset pages, as the same paths give without ``as_of`` (``{"next", "previous",
    "results"}``, no count), read in SQL by the report; ``currency`` on top with values."""

    def paginate_report(self, read, request):
        self.request = request
        if request.query_params.get("page", "1").strip() not in ("", "1"):
            raise serializers.ValidationError({"page": [self.page_refused_message]})
        try:
            self.page = read(request.query_params.get(self.cursor_query_param) or None, self.get_page_size(request))
        except InvalidCursor:
            raise NotFound(self.invalid_cursor_message) from None
        return self.page.object_list

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if self.with_value:
            response.data = {"currency": currency(), **response.data}
        return response


@method_decorator(replica_reads(), name="dispatch")
class InstantView(generics.GenericAPIView):
    permission_classes = [InventoryAccess]
    pagination_class = CurrencyPagination
    filter_backends = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        allowed = method in self.http_method_names and hasattr(self, method)  # else the 405 answers
        if allowed and request.query_params.get("below_minimum", "").strip():
            # Reorder points hold now, not at a past instant: refused rather than ignored.
            raise serializers.ValidationError({"below_minimum": [BELOW_MINIMUM_ALONE]})

    def filters(self) -> dict:
        request = self.request
        return {"as_of": as_of_of(request) or timezone.now(), "scope": scope_of(request),
                "search": request.query_params.get("search", "")}

    def include_empty(self) -> bool:
        return self.request.query_params.get("include_empty", "").strip().lower() in YES

    def respond(self, read):
        """One page of ``read(cursor, size)`` (a KeysetPage), serialized."""
        with_value = wants_values(self.request)
        self.paginator.with_value = with_value
        page = self.paginator.paginate_report(read, self.request)
        data = self.serializer_class(page, many=True, context={"with_value": with_value}).data
        return self.get_paginated_response(data)


class StockRowsAsOfView(InstantView):
    serializer_class = StockRowAsOfSerializer

    def get(self, request, *args, **kwargs):
        filters, include_empty = self.filters(), self.include_empty()
        return self.respond(lambda cursor, size: selectors.stock_rows_as_of_page(
            **filters, include_empty=include_empty, cursor=cursor, size=size))


class GroupSerializer(serializers.Serializer):
    quantity = ApiQuantityField()
    value = ApiValueField(source="holding.shown_value")
    unknown_cost_quantity = ApiQuantityField(source="holding.unknown_cost_quantity")

    def to_representation(self, group):
        data = super().to_representation(group)
        if not self.context.get("with_value"):
            data.pop("value"), data.pop("unknown_cost_quantity")
        return data


class ByItemSerializer(GroupSerializer):
    def to_representation(self, group):
        item = group.item
        return {"sku": item.sku, "item_name": item.name, "unit": item.unit, **super().to_representation(group),
                "locations": group.count}


class ByLocationSerializer(GroupSerializer):
    def to_representation(self, group):
        location = group.location
        return {"location": location.code, "location_name": location.name, **super().to_representation(group),
                "items": group.count}


class StockByItemAsOfView(InstantView):
    serializer_class = ByItemSerializer

    def get(self, request, *args, **kwargs):
        filters = self.filters()
        return self.respond(lambda cursor, size: selectors.stock_groups_as_of_page(
            **filters, by="item", cursor=cursor, size=size))


class StockByLocationAsOfView(InstantView):
    serializer_class = ByLocationSerializer

    def get(self, request, *args, **kwargs):
        filters = self.filters()
        return self.respond(lambda cursor, size: selectors.stock_groups_as_of_page(
            **filters, by="location", cursor=cursor, size=size))


class StockExportAsOfView(InstantView):
    permission_classes = [CanExport]
    pagination_class = None
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRendererNegotiation

    def get(self, request, *args, **kwargs):
        filters, include_empty = self.filters(), self.include_empty()

        def rows():
            # A page at a time: every row, never all of them in memory.
            cursor = None
            while True:
                page = selectors.stock_rows_as_of_page(**filters, include_empty=include_empty, cursor=cursor,
                                                       size=2000)
                for row in page.object_list:
                    yield row.item.sku, row.item.name, row.location.name, row.quantity
                if not page.next_cursor:
                    return
                cursor = page.next_cursor

        return csv_response("inventory.csv", STOCK_EXPORT_HEADER, rows())


class LotsAsOfView(InstantView):
    serializer_class = LotSerializer

    def get(self, request, *args, **kwargs):
        as_of = as_of_of(request) or timezone.now()
        show_empty = request.query_params.get("show_empty", "").strip().lower() in YES
        number = request.query_params.get("batch", "").strip()
        scope = scope_of(request)
        number_value = int(number) if number.isdigit() else (-1 if number else None)
        if number_value is not None and number_value > 2**31 - 1:
            number_value = -1  # no batch has such a number: an empty list, never a database error

        def read(cursor, size):
            return selectors.lots_as_of_page(as_of=as_of, scope=scope, show_empty=show_empty,
                                             batch_number=number_value, cursor=cursor, size=size)

        self.paginator.with_value = wants_values(request)
        page = self.paginator.paginate_report(read, request)
        return self.get_paginated_response(LotSerializer(page, many=True).data)


BELOW_MINIMUM_ALONE = (
    "below_minimum lists the rows below their minimum now; it cannot be combined with as_of or with_value."
)


#: What ``instant_or`` adds to the original operation's parameters in the schema.
INSTANT_PARAMETERS = [
    AS_OF,
    OpenApiParameter("with_value", OpenApiTypes.BOOL,
                     description="true: each row also gives value and unknown_cost_quantity (and the body "
                                 "its currency), from the ledger as of as_of or now."),
]


def documented(view_class, *, method: str = "get"):
    """``view_class`` as it is, with ``INSTANT_PARAMETERS`` in its schema (for ``instant_or``)."""
    subclass = type(view_class.__name__, (view_class,), {"__module__": view_class.__module__,
                                                          "__doc__": view_class.__doc__})
    return extend_schema_view(**{method: extend_schema(parameters=INSTANT_PARAMETERS)})(subclass)


def instant_or(original_view, instant_class):
    """One path, two answers: the ledger's (``instant_class``) when the query names ``as_of``
    or ``with_value=true``, else ``original_view``'s. The schema describes the original."""
    instant_view = instant_class.as_view()

    def view(request, *args, **kwargs):
        if asks_instant(request):
            return instant_view(request, *args, **kwargs)
        return original_view(request, *args, **kwargs)

    for attribute in ("cls", "initkwargs", "csrf_exempt", "actions"):
        if hasattr(original_view, attribute):
            setattr(view, attribute, getattr(original_view, attribute))
    return view
