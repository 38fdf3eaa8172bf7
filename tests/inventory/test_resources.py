"""CSV import and export of the catalog through the admin (django-import-export)."""

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.utils.html import escape

from hardfin.csv import unescape_cell
from inventory.models import Item, Location, StockLevel, Supplier
from inventory.resources import ItemResource
from movements.services import Line, build_create
from tests.admin_support import (
    FORMULAS,
    admin_url,
    csv_rows,
    csv_text,
    export,
    import_confirm,
    import_preview,
    messages_of,
    signed_in,
)
from tests.factories import ItemFactory
from tests.stock import receive

ITEMS_CSV = """sku,name,description,unit,fractional,is_active
LDR-4.1,Lidar unit 4.1,Roof lidar,ea,false,true
CBL-7,Cable,Per metre,m,true,
SCR-M3,M3 screws (box),,,,
"""


NUL_MESSAGE = "The cell holds a NUL character (code 0), which no text may hold; remove it."


def invalid_rows(preview) -> list[tuple[int, dict]]:
    """(row number, {field: [messages]}) for every row the preview rejected."""
    return [(row.number, row.field_specific_errors | ({"": row.non_field_specific_errors} if row.non_field_specific_errors else {}))
            for row in preview.context["result"].invalid_rows]


def test_import_items_previews_then_creates_them_through_the_service(manager):
    client = signed_in(manager)
    preview = import_preview(client, Item, ITEMS_CSV)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.valid_rows()] == ["new", "new", "new"]
    assert not Item.objects.exists(), "the preview is a dry run"

    done = import_confirm(client, Item, preview)
    assert done.status_code == 302
    items = {item.sku: item for item in Item.objects.all()}
    assert set(items) == {"LDR-4.1", "CBL-7", "SCR-M3"}
    assert (items["CBL-7"].unit, items["CBL-7"].fractional, items["CBL-7"].is_active) == ("m", True, True)
    # Blank cells keep the model's defaults for a new item.
    assert (items["SCR-M3"].unit, items["SCR-M3"].fractional, items["SCR-M3"].description) == ("ea", False, "")
    assert LogEntry.objects.count() == 3


def test_import_updates_existing_items_by_sku_and_skips_unchanged(manager, item):
    client = signed_in(manager)
    text = "sku,name,unit\nLDR-4.1,Lidar unit 4.1 rev B,ea\n"
    preview = import_preview(client, Item, text)
    assert [row.import_type for row in preview.context["result"].valid_rows()] == ["update"]
    import_confirm(client, Item, preview)
    item.refresh_from_db()
    assert item.name == "Lidar unit 4.1 rev B"
    again = import_preview(client, Item, text)
    assert [row.import_type for row in again.context["result"].valid_rows()] == ["skip"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sku,name\nAB-1,First\nCD-2,Second\nab-1,Again\n",
            [(3, {"sku": ["ab-1 appears more than once in this file (first on row 1)."]})],
        ),
        ("sku,name\nldr-4.1,Clash\n", [(1, {"sku": ["Item with SKU 'ldr-4.1' already exists."]})]),
        ("sku,name\nOK-1,Fine\nBAD SKU,Spaces\n", [(2, {"sku": ["Use only letters, digits, '.', '-' and '_' (no spaces)."]})]),
        ("sku,name,fractional\nOK-1,Fine,maybe\n", [(1, {"fractional": ["'maybe' is not true or false."]})]),
        ("sku,name\n,No SKU\n", [(1, {"sku": ["This field cannot be blank."]})]),
        ("sku,name\nOK-1,\n", [(1, {"name": ["This field cannot be blank."]})]),
        ("sku,name\nOK-1,Nul\x00name\n", [(1, {"name": [NUL_MESSAGE]})]),
        ("sku,name\nOK\x00-1,Nul in the key\n", [(1, {"sku": [NUL_MESSAGE]})]),
    ],
    ids=["duplicate-in-file", "duplicate-ignoring-case", "bad-sku", "bad-flag", "blank-sku", "blank-name", "nul-name",
         "nul-sku"],
)
def test_a_bad_row_imports_nothing_and_is_reported_by_number(text, expected, manager, item):
    preview = import_preview(signed_in(manager), Item, text)
    assert preview.status_code == 200
    assert invalid_rows(preview) == expected
    assert "confirm_form" not in preview.context
    assert list(Item.objects.values_list("sku", flat=True)) == ["LDR-4.1"]
    [(number, errors)] = expected
    [(field, [message])] = errors.items()
    page = preview.content.decode()
    assert "Nothing was imported: some rows are not valid" in page
    shown = escape(message)
    assert f"<tr><td>{number}</td><td>{field}</td><td>{shown}</td></tr>" in page


def test_a_file_without_the_key_column_is_refused_without_a_traceback(manager):
    preview = import_preview(signed_in(manager), Item, "name\nNameless\n")
    page = preview.content.decode()
    assert "declared in &#x27;import_id_fields&#x27; but are not present in the file headers: sku" in page
    assert "Traceback" not in page
    assert not Item.objects.exists()


def test_confirming_after_the_data_changed_imports_nothing(manager):
    client = signed_in(manager)
    preview = import_preview(client, Item, "sku,name\nNEW-1,One\nNEW-2,Two\n")
    ItemFactory(sku="new-2")  # someone else creates a clashing SKU meanwhile
    response = import_confirm(client, Item, preview)
    assert response.status_code == 302
    assert list(Item.objects.values_list("sku", flat=True)) == ["new-2"]
    follow = client.get(response["Location"])
    assert messages_of(follow) == ["Nothing was imported: row 2 sku: Item with SKU 'NEW-2' already exists."]


def test_confirming_a_file_the_server_no_longer_has_asks_for_it_again(manager):
    client = signed_in(manager)
    preview = import_preview(client, Item, ITEMS_CSV)
    Path(tempfile.gettempdir(), preview.context["confirm_form"].initial["import_file_name"]).unlink()
    response = import_confirm(client, Item, preview)
    assert response["Location"] == admin_url(Item, "import")
    assert messages_of(client.get(response["Location"])) == ["The checked file is no longer on the server; upload it again."]
    assert not Item.objects.exists()


def test_accountants_cannot_import(accountant):
    client = signed_in(accountant)
    assert client.get(admin_url(Item, "import")).status_code == 403
    assert import_preview(client, Item, ITEMS_CSV).status_code == 403
    assert not Item.objects.exists()


def test_import_locations_and_suppliers_by_code(manager, chicago):
    client = signed_in(manager)
    import_confirm(client, Location, import_preview(client, Location, "code,name\nCHI,Chicago Warehouse 2\nDEN,Denver\n"))
    assert dict(Location.objects.values_list("code", "name")) == {"CHI": "Chicago Warehouse 2", "DEN": "Denver"}
    import_confirm(client, Supplier, import_preview(client, Supplier, "code,name,is_active\nACME,Acme,no\n"))
    assert list(Supplier.objects.values_list("code", "is_active")) == [("ACME", False)]


# --- export -------------------------------------------------------------------------------------

def test_export_items_escapes_formulas_and_keeps_numbers(accountant, manager, chicago, supplier):
    for name in FORMULAS:
        receive(ItemFactory(name=name, fractional=True), chicago, "12.5" if name == "+1" else "3", supplier=supplier,
                user=manager)
    rows = csv_rows(export(signed_in(accountant), Item))
    assert {row["name"]: row["on_hand"] for row in rows} == {
        "'=cmd": "3", "'+1": "12.5", "'-1+1": "3", "'@SUM(A1)": "3"
    }
    assert set(rows[0]) == {"sku", "name", "description", "unit", "fractional", "is_active", "on_hand"}
    assert rows[0]["is_active"] == "true"


def test_export_follows_the_changelist_filters(manager, item):
    ItemFactory(sku="OLD-1", is_active=False)
    rows = csv_rows(export(signed_in(manager), Item, "is_active__exact=0"))
    assert [row["sku"] for row in rows] == ["OLD-1"]


def test_an_exported_file_imports_back_unchanged(manager):
    for name in FORMULAS:
        ItemFactory(name=name)
    client = signed_in(manager)
    text = csv_text(export(client, Item))
    preview = import_preview(client, Item, text)
    assert [row.import_type for row in preview.context["result"].valid_rows()] == ["skip"] * 4
    assert unescape_cell("'=cmd") == "=cmd" and unescape_cell("'quoted") == "'quoted"


def test_negative_stock_exports_as_a_number(manager, item, chicago, supplier):
    build_create(location=chicago, reference="WO-1", lines=[Line(item, "6")], user=manager, allow_shortfall=True)
    rows = csv_rows(export(signed_in(manager), StockLevel))
    assert [(row["sku"], row["location"], row["quantity"]) for row in rows] == [("LDR-4.1", "CHI", "-6")]


def test_resource_export_outside_the_admin_escapes_too(item):
    ItemFactory(sku="F-1", name="=HYPERLINK(\"http://x\")")
    dataset = ItemResource().export()
    assert dataset.dict[0]["name"] == "'=HYPERLINK(\"http://x\")"
    assert dataset.dict[1]["on_hand"] == "0"
    assert Decimal(dataset.dict[1]["on_hand"]) == 0


def test_export_needs_the_export_permission(operator, nobody):
    for user in (operator, nobody):
        assert signed_in(user).post(admin_url(Item, "export"), {"format": "0"}).status_code == 302
