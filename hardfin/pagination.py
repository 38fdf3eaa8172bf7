"""Lists come in pages of 50, on the staff pages and in the API (``?page_size=`` up to 1000).

Two ways to page:

- ``paginate``: numbered pages (``?page=``) with a total, for lists that stay short whatever
  the data (one item's movements, one batch's trace);
- ``keyset_page``: keyset (cursor) pages for lists that grow with the data (every item, every
  item-location). A page is read as "the next N rows after this row in this order", which an
  index walks directly: nothing counts or skips the rows before it, so page 1 and page 10,000
  cost the same. The cursor is the last (or first) row's values of the order's columns.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import F, Q, QuerySet

from hardfin.identifiers import has_nul

PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """The page of ``queryset`` named by ``?page=`` (the last one if past the end)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def count_up_to(queryset: QuerySet, limit: int) -> int:
    """How many rows ``queryset`` has, counting at most ``limit + 1`` of them (``COUNT(*)``
    over a ``LIMIT``ed list of ids): more than ``limit`` means "past it". Only the ids are
    read, so the annotations a list shows (an item's on_hand) are not computed for the rows
    counted."""
    return queryset.order_by().values("pk")[: limit + 1].count()


#: Past any list's end (a billion pages), and an offset every database can still take.
MAX_PAGE_NUMBER = 10**9


def page_number(number) -> int:
    """``number`` as a page number, checked only for being a whole number from 1 to
    ``MAX_PAGE_NUMBER``: for the paginators that do not count every row, and so cannot tell
    exactly where the pages end."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise PageNotAnInteger("That page number is not an integer") from None
    if number < 1:
        raise EmptyPage("That page number is less than 1")
    if number > MAX_PAGE_NUMBER:
        raise EmptyPage("That page contains no results")
    return number


class InvalidCursor(ValueError):
    """A cursor that this list did not hand out (edited, or from another order)."""


@dataclass
class KeysetPage:
    """One page of a keyset list: its rows and the cursors of the pages around it."""

    object_list: list
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def encode_cursor(direction: str, values: Sequence) -> str:
    """The opaque cursor of a keyset page: a direction (``n`` next, ``p`` previous) and the
    sort key of the row it starts after."""
    plain = [str(value) if isinstance(value, Decimal) else value for value in values]
    raw = json.dumps([direction, plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> tuple[str, list]:
    """``encode_cursor``'s direction and ``count`` key values; ``InvalidCursor`` for anything
    else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        direction, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
        raise InvalidCursor(cursor) from error
    if direction not in ("n", "p") or not isinstance(values, list) or len(values) != count:
        raise InvalidCursor(cursor)
    for value in values:
        if not isinstance(value, (str, int)) or isinstance(value, bool) or (isinstance(value, str) and has_nul(value)):
            raise InvalidCursor(cursor)
    return direction, values


def _alias(position: int) -> str:
    return f"keyset_{position}"


def _beyond(keys: Sequence[tuple[str, bool]], values: Sequence, *, forward: bool) -> Q:
    """Rows after ``values`` in the order ``keys`` (before them if not ``forward``):
    (k0 > v0) or (k0 = v0 and k1 > v1) or …, with ``k0 >= v0`` first so that an index on the
    leading column starts its range there instead of filtering every row."""
    def operator(descending: bool) -> str:
        return "gt" if descending != forward else "lt"

    disjunction = Q()
    for position in range(len(keys)):
        term = Q(**{_alias(j): values[j] for j in range(position)})
        term &= Q(**{f"{_alias(position)}__{operator(keys[position][1])}": values[position]})
        disjunction |= term
    leading = operator(keys[0][1]) + "e"
    return Q(**{f"{_alias(0)}__{leading}": values[0]}) & disjunction


def keyset_page(queryset: QuerySet, order: Sequence[str], cursor: str | None = None,
                per_page: int = PAGE_SIZE) -> KeysetPage:
    """The page of ``queryset`` in ``order`` (field paths, ``-`` for descending; together they
    must identify a row, so end with a unique column) that ``cursor`` points to: the first page
    without one. Raises ``InvalidCursor`` for a cursor this order cannot have handed out."""
    keys = [(name.lstrip("-"), name.startswith("-")) for name in order]
    queryset = queryset.annotate(**{_alias(i): F(path) for i, (path, _) in enumerate(keys)})
    direction, values = "n", None
    if cursor:
        direction, raw_values = decode_cursor(cursor, len(keys))
        values = []
        for position, value in enumerate(raw_values):
            field = queryset.query.annotations[_alias(position)].output_field
            try:
                values.append(field.to_python(value))
            except (ValidationError, TypeError, ValueError) as error:
                raise InvalidCursor(cursor) from error
    forward = direction == "n"
    ordering = [
        f"{'-' if descending == forward else ''}{_alias(i)}" for i, (_, descending) in enumerate(keys)
    ]
    if values is not None:
        queryset = queryset.filter(_beyond(keys, values, forward=forward))
    rows = list(queryset.order_by(*ordering)[: per_page + 1])

    def key_of(row) -> list:
        return [getattr(row, _alias(i)) if not isinstance(row, dict) else row[_alias(i)] for i in range(len(keys))]

    return keyset_result(rows, per_page=per_page, forward=forward, after=values, key=key_of)


def keyset_result(rows: list, *, per_page: int, forward: bool, after: Sequence | None, key) -> KeysetPage:
    """The page made of ``rows`` — up to ``per_page + 1`` fetched in the page's direction after
    the cursor's key ``after`` (None on the first page) — with its cursors: ``key(row)`` is a
    row's sort key. For keyset queries written by hand (raw SQL) as well as ``keyset_page``."""
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not forward:
        rows.reverse()
    next_cursor = previous_cursor = None
    if rows:
        if more or not forward:
            next_cursor = encode_cursor("n", key(rows[-1]))
        if (more and not forward) or (forward and after is not None):
            previous_cursor = encode_cursor("p", key(rows[0]))
    elif after is not None:
        # Past the end (rows removed since the cursor was made): offer the way back.
        previous_cursor = encode_cursor("p", after) if forward else None
        next_cursor = None if forward else encode_cursor("n", after)
    return KeysetPage(rows, next_cursor, previous_cursor)
