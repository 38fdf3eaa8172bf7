"""Lists come in pages of 50 (``?page_size=`` up to 1000)."""

from rest_framework import pagination
from rest_framework.filters import OrderingFilter

from hardfin.pagination import MAX_PAGE_SIZE, PAGE_SIZE


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
