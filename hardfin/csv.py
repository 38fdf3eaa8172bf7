"""The one place every CSV the product writes goes through (API, pages, admin).

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula, so such text cells are prefixed with ``'`` (OWASP's advice).
Numbers are written as numbers: a negative quantity stays ``-6``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse

from .db import holds_nul

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What an import says of a cell holding a NUL character, which no stored text may hold.
NUL_IN_CELL = "The cell holds a NUL character (code 0), which no text may hold; remove it."


def escape_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 155.000 -> 155, never 1.55E+2
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """Undo ``escape_cell``, so an exported file imports back unchanged."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def import_cell(value) -> str:
    """An imported cell's text: surrounding spaces removed and ``escape_cell`` undone. A NUL
    character raises ValueError(NUL_IN_CELL): the database would refuse it with a message
    meant for programmers (PostgreSQL) or keep it invisibly (SQLite)."""
    text = "" if value is None else str(value).strip()
    if holds_nul(text):
        raise ValueError(NUL_IN_CELL)
    return unescape_cell(text)


class _Echo:
    def write(self, value):
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text, one line at a time, every cell escaped; a BOM first so spreadsheet programs
    read it as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([escape_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([escape_cell(cell) for cell in row])


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """Stream a CSV download without holding all rows in memory (iterate a queryset with
    ``.iterator()``)."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
