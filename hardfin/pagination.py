"""Lists come in pages of 50, on the staff pages and in the API (``?page_size=`` up to 1000)."""

from django.core.paginator import Paginator

PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """The page of ``queryset`` named by ``?page=`` (the last one if past the end)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
