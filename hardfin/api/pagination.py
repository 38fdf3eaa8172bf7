"""Lists come in pages of 50 (``?page_size=`` up to 1000): numbered pages for the catalog's
short lists, keyset (cursor) pages for the lists that grow with the data."""

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from hardfin.pagination import MAX_PAGE_SIZE, PAGE_SIZE, InvalidCursor, keyset_page


class PageNumberPagination(pagination.PageNumberPagination):
    """``{"count", "next", "previous", "results"}``."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class LedgerPagination(pagination.CursorPagination):
    """``{"next", "previous", "results"}``: the ledger only grows, so a cursor pages through
    it without counting every movement and without skipping rows written meanwhile."""

    ordering = ("occurred_at", "id")
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class TimeOrdering(OrderingFilter):
    """``?ordering=occurred_at`` (default) or ``-occurred_at``; ties are broken by id in the
    same direction, so a cursor never skips or repeats a movement."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        tie = "-id" if ordering[0].startswith("-") else "id"
        return [ordering[0], tie]


class KeysetPagination(pagination.BasePagination):
    """``{"next", "previous", "results"}``: keyset pages in the view's ``keyset_order``
    (field paths ending with a unique one). A page is "the next N rows after the cursor's
    row", which an index walks directly, so no request counts or skips the rows before it
    (issue 9). ``next``/``previous`` carry an opaque ``cursor``; there is no ``count``
    (API.md allows it to be absent) and no ``?page=``."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    cursor_query_param = "cursor"
    invalid_cursor_message = "Invalid cursor: follow the next and previous links this list gives."
    page_refused_message = "This list pages with a cursor: follow the next link (there are no page numbers)."

    def get_page_size(self, request) -> int:
        try:
            size = int(request.query_params[self.page_size_query_param])
        except (KeyError, ValueError):
            return self.page_size
        return min(size, self.max_page_size) if size > 0 else self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        if request.query_params.get("page", "1").strip() not in ("", "1"):
            raise ValidationError({"page": [self.page_refused_message]})
        try:
            self.page = keyset_page(queryset, view.keyset_order, request.query_params.get(self.cursor_query_param),
                                    self.get_page_size(request))
        except InvalidCursor:
            raise NotFound(self.invalid_cursor_message)
        return self.page.object_list

    def link(self, cursor):
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), "page")
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        return Response({"next": self.link(self.page.next_cursor), "previous": self.link(self.page.previous_cursor),
                         "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": "The pagination cursor value (from next or previous).", "schema": {"type": "string"}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"Number of results per page (default {self.page_size}, at most {self.max_page_size}).",
             "schema": {"type": "integer"}},
        ]
