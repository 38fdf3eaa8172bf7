"""Lists come in pages of 50 (``?page_size=`` up to 1000): numbered pages for the catalog's
short lists, keyset (cursor) pages for the lists that grow with the data."""

from functools import cached_property

from django.core.paginator import EmptyPage, InvalidPage, Page, Paginator
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from hardfin.pagination import MAX_PAGE_SIZE, PAGE_SIZE, InvalidCursor, count_up_to, keyset_page, page_number


class BoundedPage(Page):
    """A numbered page that knows whether another follows without the list's count."""

    def __init__(self, object_list, number, paginator, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more


class BoundedCountPaginator(Paginator):
    """Numbered pages whose ``count`` costs at most what ``EXACT_LIMIT`` rows cost: a first
    page that is not full is its own count (no second query); otherwise ``COUNT(*)`` over the
    first ``EXACT_LIMIT + 1`` matching rows, and past ``EXACT_LIMIT`` the count is None (the
    response leaves it out, as API.md allows). A page reads one row more than it shows, so
    ``next`` is known either way; a page past the end is an ``EmptyPage``."""

    EXACT_LIMIT = 10_000

    @cached_property
    def count(self) -> int | None:
        rows = self.object_list
        if not hasattr(rows, "order_by"):
            return len(rows)
        counted = count_up_to(rows, self.EXACT_LIMIT)
        return counted if counted <= self.EXACT_LIMIT else None

    @cached_property
    def num_pages(self) -> int | None:
        return None if self.count is None else super().num_pages

    def validate_number(self, number):
        return page_number(number)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        more = len(rows) > self.per_page
        del rows[self.per_page:]
        if number == 1 and not more:
            self.__dict__["count"] = len(rows)
        elif not rows:
            raise EmptyPage("That page contains no results")
        return BoundedPage(rows, number, self, more)


class PageNumberPagination(pagination.PageNumberPagination):
    """``{"count", "next", "previous", "results"}``, ``count`` left out past
    ``BoundedCountPaginator.EXACT_LIMIT`` rows (docs/api.md, "Pagination")."""

    django_paginator_class = BoundedCountPaginator
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        # DRF's, without the page controls (``template``), which need the number of pages.
        self.request = request
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size)
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            raise NotFound(self.invalid_page_message.format(page_number=page_number, message=str(exc))) from None
        return list(self.page)

    def get_paginated_response(self, data):
        count = self.page.paginator.count
        return Response({
            **({"count": count} if count is not None else {}),
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        body = super().get_paginated_response_schema(schema)
        body["required"] = ["results"]
        body["properties"]["count"]["description"] = (
            f"How many rows the list has; left out when it has more than {BoundedCountPaginator.EXACT_LIMIT:,}."
        )
        return body


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
