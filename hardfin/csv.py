"""The one place every CSV the product writes goes through (API, pages, admin).

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula, so such text cells are prefixed with ``'`` (OWASP's advice).
Numbers are written as numbers: a negative quantity stays ``-6``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import F, QuerySet
from django.http import StreamingHttpResponse

from .identifiers import has_nul

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
    if has_nul(text):
        raise ValueError(NUL_IN_CELL)
    return unescape_cell(text)


#: What makes ``csv.writer`` (QUOTE_MINIMAL, the default dialect) quote a cell: the delimiter,
#: the quote character or a character of its line terminator (CR LF).
_NEEDS_QUOTES = re.compile('[,"\r\n]')


def csv_cell(value) -> str:
    """One cell exactly as ``csv_lines`` writes it in a line of two or more cells: ``escape_cell``,
    then quoted as ``csv.writer`` quotes (quotes doubled). For writers that join a line's
    cells themselves (``",".join``) in a loop too hot for ``csv.writer``."""
    text = escape_cell(value)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


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


def csv_download(filename: str, content: Iterable) -> StreamingHttpResponse:
    """A streamed CSV download of ``content``, CSV already written (text or bytes, a line or
    a block at a time)."""
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """Stream a CSV download without holding all rows in memory (iterate a queryset with
    ``.iterator()``)."""
    return csv_download(filename, csv_lines(header, rows))


# --- exports at the database's speed ------------------------------------------------------------

def _sql_text_cell(column: str) -> str:
    """PostgreSQL: ``escape_cell`` of a text column, then quoted as ``csv.writer`` quotes
    (QUOTE_MINIMAL: a cell holding a comma, a quote, CR or LF is quoted, quotes doubled)."""
    starts = "'=', '+', '-', '@', E'\\t', E'\\r'"
    escaped = f"(CASE WHEN left({column}, 1) IN ({starts}) THEN '''' || {column} ELSE {column} END)"
    needs_quotes = f"{escaped} <> translate({escaped}, E',\"\\r\\n', '')"
    return f"""(CASE WHEN {needs_quotes} THEN '"' || replace({escaped}, '"', '""') || '"' ELSE {escaped} END)"""


def _sql_number_cell(column: str) -> str:
    """PostgreSQL: a decimal as ``escape_cell`` writes it (``155``, ``2.5``, ``-6``)."""
    return f"trim_scale({column})::text"


#: COPY's text format escapes these characters in each row; the row itself is our CSV line.
_COPY_ESCAPES = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v", b"\\": b"\\"}
_COPY_ESCAPE = re.compile(rb"\\(.)")


#: Bytes of CSV handed to the server at a time: one write per row would make the web server's
#: system calls, not the database, the export's limit.
COPY_CHUNK_BYTES = 64 * 1024


def _copy_lines(header: Iterable[str], queryset: QuerySet, columns: Sequence[str], numeric: Collection[str]):
    """CSV lines of ``queryset.values_list(*columns)`` from ``COPY … TO STDOUT``: the database
    writes each whole line, so Python only passes the bytes on."""
    yield next(csv_lines(header, [])).encode()
    aliases = {f"c{index}": F(column) for index, column in enumerate(columns)}
    try:
        inner, params = queryset.values(**aliases).query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (``.none()``): the header alone
        return
    cells = [
        (_sql_number_cell if column in numeric else _sql_text_cell)(f"rows.c{index}")
        for index, column in enumerate(columns)
    ]
    line = " || ',' || ".join(f"COALESCE({cell}, '')" for cell in cells)
    statement = f"COPY (SELECT {line} FROM ({inner}) AS rows) TO STDOUT"
    connection = connections[router.db_for_read(queryset.model)]
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        rows, size = [], 0
        for row in copy:
            rows.append(row)
            size += len(row)
            if size >= COPY_CHUNK_BYTES:
                yield _csv_block(rows)
                rows, size = [], 0
        if rows:
            yield _csv_block(rows)


def _csv_block(rows: list) -> bytes:
    """COPY rows (each ending with a newline; a newline inside a cell arrives escaped as ``\\n``)
    as CSV lines ending with CRLF, COPY's escapes undone. Done on the joined block: the regex
    walks it left to right, so an escaped backslash before a row's end is never misread."""
    block = b"".join(rows).replace(b"\n", b"\r\n")
    if b"\\" in block:
        block = _COPY_ESCAPE.sub(lambda match: _COPY_ESCAPES[match.group(1)], block)
    return block


def csv_query_response(
    filename: str, header: Sequence[str], queryset: QuerySet, columns: Sequence[str], *, numeric: Collection[str] = ()
) -> StreamingHttpResponse:
    """Stream the rows of ``queryset.values_list(*columns)`` as a CSV download, byte for byte
    what ``csv_response`` writes: on PostgreSQL through ``COPY … TO STDOUT`` with the escaping
    and quoting done in SQL (``numeric`` names the decimal columns); elsewhere row by row."""
    connection = connections[router.db_for_read(queryset.model)]
    if connection.vendor == "postgresql":
        content = _copy_lines(header, queryset, columns, numeric)
    else:
        content = csv_lines(header, queryset.values_list(*columns).iterator(chunk_size=2000))
    return csv_download(filename, content)
