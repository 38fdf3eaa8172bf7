"""The admin's exports in Excel: real numeric cells, text escaped against formulas as in CSV."""

import io

import pytest
from openpyxl import load_workbook

from lots.models import Batch, Lot
from movements.services import Line, receipt_create
from tests.admin_support import admin_url, signed_in
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def xlsx_export(client, model):
    url = admin_url(model, "export")
    form = client.get(url).context["form"]
    columns = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    formats = dict((label, value) for value, label in form.fields["format"].choices)
    response = client.post(url, {"format": formats["xlsx"], "resource": "0", **columns})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_admin_xlsx_has_numbers_costs_and_escaped_text(chicago, supplier, operator, manager):
    evil = ItemFactory(sku="EVIL-1", name="=1+1")
    receipt_create(supplier=supplier, location=chicago, po_number="=cmd", lines=[Line(evil, "3", "2.5")],
                   user=operator)
    [lot] = xlsx_export(signed_in(manager), Lot)
    assert lot["quantity"] == 3
    assert lot["po_number"] == "'=cmd"
    assert lot["unit_cost"] == 2.5 and lot["value"] == 7.5
    [batch] = xlsx_export(signed_in(manager), Batch)
    assert batch["unit_cost"] == 2.5 and batch["initial_quantity"] == 3
