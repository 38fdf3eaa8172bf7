"""The stock export streams at the database's speed on PostgreSQL (COPY … TO STDOUT) and writes
exactly what the row-by-row writer writes, for every cell a spreadsheet could misread."""

import csv
import io

import pytest
from django.db import connection

from hardfin.csv import csv_lines, csv_query_response
from inventory.selectors import STOCK_EXPORT_COLUMNS, STOCK_EXPORT_HEADER, stock_rows
from tests.api_support import api  # noqa: F401  (api is a fixture)
from tests.factories import ItemFactory, LocationFactory
from tests.stock import receive

#: Names that need escaping or quoting, or that look like numbers or formulas.
AWKWARD = [
    'Sensor, "long range"',
    "=HYPERLINK(\"x\")",
    "+1 spare",
    "-ve cable",
    "@risk",
    "\tTabbed",
    "Line one\nline two",
    "Carriage\rreturn",
    "Back\\slash",
    "Trailing backslash\\",
    "Ünïcödé 机器",
    "plain",
]


@pytest.fixture
def awkward_stock(supplier, operator):
    rows = []
    for index, name in enumerate(AWKWARD):
        item = ItemFactory(sku=f"AWK-{index}", name=name, fractional=True)
        location = LocationFactory(code=f"L{index}", name=AWKWARD[-1 - index])
        receive(item, location, ["1", "2.5", "1000", "0.125"][index % 4], supplier=supplier, user=operator)
        rows.append(item)
    return rows


def body(response) -> bytes:
    return b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in response.streaming_content)


@pytest.mark.django_db
@pytest.mark.parametrize("block_bytes", [1, 64 * 1024], ids=["a block per row", "one block"])
def test_the_export_is_byte_for_byte_the_row_writer_output(awkward_stock, block_bytes, monkeypatch):
    # COPY's rows are handed on in blocks; a block of one row or of all of them writes the same.
    monkeypatch.setattr("hardfin.csv.COPY_CHUNK_BYTES", block_bytes)
    rows = stock_rows().exclude(quantity=0)
    expected = "".join(
        csv_lines(STOCK_EXPORT_HEADER, rows.values_list(*STOCK_EXPORT_COLUMNS))
    ).encode()

    exported = body(csv_query_response("x.csv", STOCK_EXPORT_HEADER, rows, STOCK_EXPORT_COLUMNS, numeric={"quantity"}))

    assert exported == expected
    assert b"'=HYPERLINK" in exported and b'"Sensor, ""long range"""' in exported


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_the_export_runs_no_query_per_row(awkward_stock, django_assert_num_queries):
    rows = stock_rows().exclude(quantity=0).filter(item__sku__istartswith="awk-")
    response = csv_query_response("x.csv", STOCK_EXPORT_HEADER, rows, STOCK_EXPORT_COLUMNS, numeric={"quantity"})
    with django_assert_num_queries(0):
        # Django's query log does not see COPY; the assertion proves nothing row by row runs.
        exported = body(response)
    assert exported.count(b"\r\n") == len(AWKWARD) + 1  # the header and one line per row
    assert b'"Line one\nline two"' in exported and b'"Carriage\rreturn"' in exported
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_the_api_export_and_the_page_export_stream_the_same_rows(api, client, awkward_stock, manager):
    client.force_login(manager)
    from_api = body(api(manager).get("/api/stock/export.csv"))
    from_page = body(client.get("/inventory/export.csv"))
    assert from_api.startswith("\ufeffSKU,Item name,Location,Quantity\r\n".encode())
    # The page's export is the API's, byte for byte in its four columns, plus the unit and
    # the location code (issue 13), in the same order (the by-item view's: SKU, then code).
    assert from_page.startswith("\ufeffSKU,Item name,Location,Quantity,Unit,Location code\r\n".encode())
    api_rows = list(csv.reader(io.StringIO(from_api.decode("utf-8"), newline="")))
    page_rows = list(csv.reader(io.StringIO(from_page.decode("utf-8"), newline="")))
    assert [row[:4] for row in page_rows[1:]] == api_rows[1:]
    assert len(api_rows) > 2 and all(len(row) == 6 for row in page_rows)


def _export_peak(client) -> int:
    import tracemalloc

    response = client.get("/api/stock/export.csv")
    tracemalloc.start()
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


@pytest.mark.django_db
def test_the_export_streams_in_bounded_memory(api, chicago, supplier, manager, monkeypatch):
    # Blocks of 4 KiB, so that the larger export spans several of them.
    monkeypatch.setattr("hardfin.csv.COPY_CHUNK_BYTES", 4096)
    from movements.services import Line, receipt_create

    def stock(count, start):
        items = [ItemFactory(sku=f"BULK-{start + n}") for n in range(count)]
        receipt_create(supplier=supplier, location=chicago, po_number="PO-B", lines=[Line(i, 1) for i in items], user=manager)

    stock(20, 0)
    small = _export_peak(api(manager))
    stock(600, 100)
    large = _export_peak(api(manager))

    if connection.vendor == "postgresql":
        # COPY's lines are handed on a block at a time: thirty times the rows, the same memory.
        assert large < small + 50_000
    else:
        # Rows are read 2,000 at a time: at most one chunk of rows is held.
        assert large < small + 600 * 1_000
