"""The valuation and the rollforward as downloads: CSV (through ``hardfin.csv``, the one CSV
writer) and XLSX (openpyxl), with the same cells. In XLSX quantities and values are real
numeric cells and text that a spreadsheet would run as a formula is escaped as in CSV."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from io import BytesIO

from django.http import HttpResponse

from hardfin.csv import csv_response, escape_cell
from hardfin.money import plain_money

from .selectors import COLUMNS, Rollforward, Valuation
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
    return csv_response("rollforward.csv", ROLLFORWARD_HEADER, _csv_cells(_rollforward_rows(report)))
