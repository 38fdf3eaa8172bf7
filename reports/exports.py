"""The valuation and the rollforward as downloads: CSV (through ``hardfin.csv``, the one CSV
writer) and XLSX (openpyxl), with the same cells. In XLSX quantities and values are real
numeric cells and text that a spreadsheet would run as a formula is escaped as in CSV."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from io import BytesIO

from django.http import HttpResponse

from hardfin.csv import csv_cell, csv_download, csv_lines, csv_response, escape_cell
from hardfin.money import plain_money, tie_out

from .selectors import COLUMNS, SIGNS, Rollforward, Valuation
from .serializers import flat_row

VALUATION_HEADER = ["SKU", "Item name", "Location", "Quantity", "Unit", "Value", "Unknown cost quantity"]
ROLLFORWARD_HEADER = ["sku", "location", *COLUMNS, *[f"{name}_value" for name in COLUMNS], "unknown_cost_quantity"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Money(Decimal):
    """A value cell: written with 2 places in CSV, as a number formatted 0.00 in XLSX."""


def _valuation_rows(valuation: Valuation) -> Iterator[list]:
    for row in valuation.iter_rows():
        yield [row.sku, row.item_name, row.location_name, row.quantity, row.unit,
               None if row.value is None else Money(row.value), row.unknown_cost_quantity]


def _rollforward_rows(report: Rollforward) -> Iterator[list]:
    for row in report.iter_rows():
        flat = flat_row(row)
        yield [Money(flat[name]) if name.endswith("_value") else flat[name] for name in ROLLFORWARD_HEADER]


#: Characters of CSV encoded and handed on at a time (a chunk per line costs more than the line).
CSV_BLOCK_CHARS = 64 * 1024
#: Distinct quantities (by their text), and location codes, whose cells ``_rollforward_csv``
#: remembers (each forgotten all at once when full).
CELLS_KEPT = 10_000


def _money_cell(value: Decimal) -> str:
    """``plain_money(value)`` of a value ``tie_out`` gave, faster: with exactly 2 places (``str``
    then writes it plainly, ``….dd``) its text is already ``….2f``; any other is formatted."""
    text = str(value)
    if text[-3:-2] == ".":
        return text
    return plain_money(value)


def _rollforward_csv(report: Rollforward) -> Iterator[bytes]:
    """The rollforward CSV, byte for byte what ``csv_response(…, _csv_cells(_rollforward_rows(…)))``
    writes, in blocks: one pass over ``Rollforward.iter_figures`` with no object, mapping or
    ``csv.writer`` call per row. Only the sku and the location code are text (``csv_cell``:
    escaped and quoted as ``csv_lines`` does); the numbers need no quoting: quantities are
    ``escape_cell``'s (remembered by their exact text, ``str`` of a Decimal keeping its sign,
    digits and exponent), values ``plain_money``'s (``_money_cell``) of ``tie_out`` as
    ``RollforwardRow.values`` rounds them."""
    yield next(csv_lines(ROLLFORWARD_HEADER, [])).encode()
    signs, money_cell = SIGNS, _money_cell
    block, size = [], 0
    sku = sku_cell = None
    code_cells: dict = {}
    quantity_cells: dict = {}
    for _, _, _, row_sku, _, _, code, _, quantities, exact, unknown in report.iter_figures():
        if row_sku != sku or sku_cell is None:
            sku, sku_cell = row_sku, csv_cell(row_sku)
        code_cell = code_cells.get(code)
        if code_cell is None:
            if len(code_cells) >= CELLS_KEPT:
                code_cells.clear()
            code_cell = code_cells[code] = csv_cell(code)
        cells = [sku_cell, code_cell]
        for quantity in (*quantities, unknown):
            text = str(quantity)
            cell = quantity_cells.get(text)
            if cell is None:
                if len(quantity_cells) >= CELLS_KEPT:
                    quantity_cells.clear()
                cell = quantity_cells[text] = escape_cell(quantity)
            cells.append(cell)
        unknown_cell = cells.pop()
        cells += [money_cell(value) for value in tie_out(exact, signs)]
        cells.append(unknown_cell)
        line = ",".join(cells) + "\r\n"
        block.append(line)
        size += len(line)
        if size >= CSV_BLOCK_CHARS:
            yield "".join(block).encode()
            block, size = [], 0
    if block:
        yield "".join(block).encode()


def _csv_cells(rows: Iterable[Sequence]) -> Iterator[list]:
    for row in rows:
        yield [plain_money(cell) if isinstance(cell, Money) else cell for cell in row]


def xlsx_cell(value):
    """A cell as openpyxl writes it: numbers as numbers, text escaped as in CSV so that no
    formula runs."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return Decimal(value)
    return escape_cell(value)


def xlsx_response(filename: str, title: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    sheet.append([xlsx_cell(cell) for cell in header])
    for row in rows:
        cells = []
        for cell in row:
            value = xlsx_cell(cell)
            if isinstance(cell, Money):
                value = WriteOnlyCell(sheet, value=value)
                value.number_format = "0.00"
            cells.append(value)
        sheet.append(cells)
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def valuation_response(valuation: Valuation, *, file_format: str = "csv"):
    if file_format == "xlsx":
        return xlsx_response("valuation.xlsx", "Valuation", VALUATION_HEADER, _valuation_rows(valuation))
    return csv_response("valuation.csv", VALUATION_HEADER, _csv_cells(_valuation_rows(valuation)))


def rollforward_response(report: Rollforward, *, file_format: str = "csv"):
    if file_format == "xlsx":
        return xlsx_response("rollforward.xlsx", "Rollforward", ROLLFORWARD_HEADER, _rollforward_rows(report))
    return csv_download("rollforward.csv", _rollforward_csv(report))
