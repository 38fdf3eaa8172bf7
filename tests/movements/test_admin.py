"""The ledger in the back office: read-only movements and shortfalls, their filters and
streamed CSV export, adjustment reasons, and the transfer and adjust pages."""

import datetime
import tracemalloc

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from inventory.models import StockLevel
from movements.models import AdjustmentReason, Movement, Shortfall
from movements.services import Line, adjustment_create, build_create, receipt_create, transfer_create
from tests.admin_support import (
    FORMULAS,
    admin_url,
    csv_rows,
    export,
    import_confirm,
    import_preview,
    messages_of,
    signed_in,
    superuser,  # noqa: F401 (fixture)
)
from tests.factories import ItemFactory, LocationFactory, SupplierFactory
from tests.helpers import level, lots_at, snapshot
from tests.stock import receive


@pytest.fixture
def shortfall(item, chicago, manager):
    """LDR-4.1 built at Chicago before any arrived: 6 short."""
    build_create(location=chicago, reference="WO-9", lines=[Line(item, "6")], user=manager, allow_shortfall=True)
    return Shortfall.objects.get()


def listed(response):
    return [(m.kind, m.quantity) for m in response.context["cl"].result_list]


# --- read-only ----------------------------------------------------------------------------------

@pytest.mark.parametrize("model", [Movement, Shortfall])
def test_ledger_pages_are_read_only_for_superusers_too(model, superuser, shortfall, ldr_worked_example_by_manager):
    client = signed_in(superuser)
    record = model.objects.first()
    before = snapshot()
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "add"), {"quantity": "1"}).status_code == 403
    assert client.post(admin_url(model, "change", record.pk), {"quantity": "1", "note": "x"}).status_code == 403
    assert client.get(admin_url(model, "delete", record.pk)).status_code == 403
    assert client.post(admin_url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    assert client.post(admin_url(model), {"action": "delete_selected", "_selected_action": [record.pk]}).status_code == 200
    assert snapshot() == before
    assert not LogEntry.objects.exists()


def test_movement_page_shows_its_lines(manager, ldr_worked_example_by_manager):
    second_transfer = Movement.objects.filter(kind="transfer").last()
    page = signed_in(manager).get(admin_url(Movement, "change", second_transfer.pk))
    assert page.status_code == 200
    [inline] = page.context["inline_admin_formsets"]
    assert [(form.original.batch.label, form.original.quantity) for form in inline] == [("0001", 75), ("0002", 45)]
    assert 'name="_save"' not in page.content.decode()


# --- lists, filters, export --------------------------------------------------------------------

def test_movement_filters(manager, ldr_worked_example_by_manager, item, chicago, milwaukee):
    other = SupplierFactory(code="BOLT")
    denver = LocationFactory(code="DEN")
    receive(ItemFactory(sku="SCR-M3"), denver, "7", supplier=other, user=manager, po_number="PO-77")
    client = signed_in(manager)
    url = admin_url(Movement)
    assert listed(client.get(url, {"kind__exact": "receipt", "sku": "LDR-4.1"})) == [("receipt", 200), ("receipt", 100)]
    assert listed(client.get(url, {"location": "mke"})) == [("transfer", 120), ("transfer", 25)]
    assert listed(client.get(url, {"supplier__id__exact": other.pk})) == [("receipt", 7)]
    assert listed(client.get(url, {"q": "PO-77"})) == [("receipt", 7)]
    today = timezone.localdate()
    assert len(listed(client.get(url, {"occurred_at_from": f"{today}", "occurred_at_to": f"{today}"}))) == 5
    tomorrow = today + datetime.timedelta(days=1)
    assert listed(client.get(url, {"occurred_at_from": f"{tomorrow}"})) == []


def test_movement_export_follows_the_filters_and_lists_the_batches(accountant, ldr_worked_example_by_manager):
    rows = csv_rows(export(signed_in(accountant), Movement, "kind__exact=transfer"))
    assert [(r["kind"], r["sku"], r["quantity"], r["from_location"], r["to_location"], r["lines"]) for r in rows] == [
        ("transfer", "LDR-4.1", "120", "CHI", "MKE", "0001:75; 0002:45"),
        ("transfer", "LDR-4.1", "25", "CHI", "MKE", "0001:25"),
    ]
    assert rows[0]["user"] == "manny"


def test_movement_export_escapes_formulas(manager, item, chicago, milwaukee, supplier):
    receive(item, chicago, "10", supplier=supplier, user=manager)
    for note in FORMULAS:
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity="1", user=manager, note=note,
                        reference=note)
    rows = csv_rows(export(signed_in(manager), Movement, "kind__exact=transfer"))
    assert sorted((row["note"], row["reference"]) for row in rows) == sorted((v, v) for v in FORMULAS.values())


def test_shortfall_list_and_export(manager, shortfall, item, chicago, supplier):
    client = signed_in(manager)
    assert [s.outstanding for s in client.get(admin_url(Shortfall), {"open": "1"}).context["cl"].result_list] == [6]
    receive(item, chicago, "10", supplier=supplier, user=manager)
    assert client.get(admin_url(Shortfall), {"open": "1"}).context["cl"].result_count == 0
    [row] = csv_rows(export(client, Shortfall, "open=0"))
    assert (row["sku"], row["location"], row["reference"], row["quantity"], row["outstanding"]) == (
        "LDR-4.1", "CHI", "WO-9", "6", "0"
    )
    assert row["settled_at"]


@pytest.mark.parametrize("model", [Movement, Shortfall])
@pytest.mark.parametrize("rows", [1, 50])
def test_ledger_lists_run_a_bounded_number_of_queries(model, rows, manager, chicago, supplier, django_assert_max_num_queries):
    for number in range(rows):
        build_create(location=chicago, reference=f"WO-{number}", lines=[Line(ItemFactory(), "1")], user=manager,
                     allow_shortfall=True)
    client = signed_in(manager)
    with django_assert_max_num_queries(16):
        response = client.get(admin_url(model))
    assert len(response.context["cl"].result_list) == rows


def bulk_ledger(item, location, supplier, user, count: int) -> None:
    """``count`` one-line receipt movements of ``item``, recorded as one receipt (one batch a
    line) to give the export volume quickly."""
    receipt_create(supplier=supplier, location=location, po_number=f"BULK-{Movement.objects.count()}",
                   lines=[Line(item, "1")] * count, user=user)


def consume(response) -> tuple[int, int]:
    """Read a streamed download to the end: (bytes, peak memory allocated meanwhile)."""
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in response.streaming_content)
        return size, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_large_export_streams_in_bounded_memory_and_queries(manager, item, chicago, supplier, settings,
                                                            django_assert_max_num_queries):
    receive(item, chicago, "1", supplier=supplier, user=manager)
    settings.IMPORT_EXPORT_CHUNK_SIZE = 250
    client = signed_in(manager)

    bulk_ledger(item, chicago, supplier, manager, 999)
    small_size, small_peak = consume(export(client, Movement))
    bulk_ledger(item, chicago, supplier, manager, 3000)
    response = export(client, Movement)
    # One query for the movements, read as they are written out, and one per chunk for lines.
    with django_assert_max_num_queries(1 + 4000 // 250 + 1):
        large_size, large_peak = consume(response)

    assert large_size > 3.5 * small_size
    # Everything in memory at once would need about four times as much.
    assert large_peak < 1.5 * small_peak


# --- transfer and adjust pages ----------------------------------------------------------------

def test_transfer_page_records_through_the_service(manager, ldr_worked_example_by_manager, item, chicago, milwaukee):
    client = signed_in(manager)
    page = client.get(admin_url(Movement, "transfer"), {"sku": "LDR-4.1", "location": "CHI"})
    assert page.status_code == 200
    assert page.context["form"].initial == {"sku": "LDR-4.1", "from_location": "CHI"}
    response = client.post(
        admin_url(Movement, "transfer"), {"sku": "ldr-4.1", "from_location": "MKE", "to_location": "CHI", "quantity": "110"},
        follow=True,
    )
    movement = Movement.objects.last()
    assert response.redirect_chain[-1][0] == admin_url(Movement, "change", movement.pk)
    assert messages_of(response) == [
        "Moved 110 ea of LDR-4.1 from Milwaukee Operations Center to Chicago Warehouse: "
        "100 from batch 0001, 10 from batch 0002."
    ]
    assert lots_at(item, milwaukee) == {"0002": 35}


def test_transfer_page_shows_the_services_error_and_records_nothing(manager, ldr_worked_example_by_manager):
    before = snapshot()
    response = signed_in(manager).post(
        admin_url(Movement, "transfer"), {"sku": "LDR-4.1", "from_location": "MKE", "to_location": "CHI", "quantity": "146"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"quantity": ["Only 145 of LDR-4.1 available at MKE (146 requested)."]}
    assert snapshot() == before


def test_accountants_adjust_but_do_not_transfer(accountant, ldr_worked_example_by_manager, item, chicago):
    client = signed_in(accountant)
    before = snapshot()
    assert client.get(admin_url(Movement, "transfer")).status_code == 403
    assert client.post(admin_url(Movement, "transfer"), {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE",
                                                         "quantity": "1"}).status_code == 403
    assert snapshot() == before
    listing = client.get(admin_url(Movement)).content.decode()
    assert admin_url(Movement, "adjust") in listing
    assert admin_url(Movement, "transfer") not in listing
    assert admin_url(Movement, "opening_balances") not in listing

    response = client.post(
        admin_url(Movement, "adjust"),
        {"sku": "LDR-4.1", "location": "CHI", "direction": "down", "quantity": "5", "reason": "damaged"},
        follow=True,
    )
    assert messages_of(response) == ["Removed 5 ea of LDR-4.1 at Chicago Warehouse (Damaged): 5 from batch 0002."]
    assert level(item, chicago) == 150


def test_adjust_page_needs_a_note_for_other(manager, ldr_worked_example_by_manager):
    before = snapshot()
    response = signed_in(manager).post(
        admin_url(Movement, "adjust"),
        {"sku": "LDR-4.1", "location": "CHI", "direction": "up", "quantity": "5", "reason": "other"},
    )
    assert response.context["form"].errors == {
        "note": ["Explain the adjustment in the note when the reason is 'Other (explain in the note)'."]
    }
    assert snapshot() == before


def test_operators_cannot_reach_the_admin_pages(operator):
    assert signed_in(operator).get(admin_url(Movement, "transfer")).status_code == 302


# --- adjustment reasons -------------------------------------------------------------------------

def test_manager_adds_a_reason_and_duplicate_codes_are_refused(manager):
    client = signed_in(manager)
    response = client.post(admin_url(AdjustmentReason, "add"), {"code": "theft", "label": "Theft", "is_active": "on"})
    assert response.status_code == 302
    clash = client.post(admin_url(AdjustmentReason, "add"), {"code": "theft", "label": "Again", "is_active": "on"})
    assert clash.context["adminform"].form.errors == {"code": ["Adjustment reason with code 'theft' already exists."]}
    other_case = client.post(admin_url(AdjustmentReason, "add"), {"code": "THEFT", "label": "Again", "is_active": "on"})
    assert other_case.context["adminform"].form.errors == {"code": ["Adjustment reason with code 'THEFT' already exists."]}
    assert AdjustmentReason.objects.filter(code="theft").count() == 1


def test_a_reason_with_history_cannot_be_deleted(manager, item, chicago):
    adjustment_create(item=item, location=chicago, direction="up", quantity="3", reason="found", user=manager)
    reason = AdjustmentReason.objects.get(code="found")
    response = signed_in(manager).post(admin_url(AdjustmentReason, "delete", reason.pk), {"post": "yes"}, follow=True)
    assert messages_of(response) == ["Adjustment reason found has history and cannot be deleted; deactivate it instead."]
    assert AdjustmentReason.objects.filter(code="found").exists()


def test_reasons_import_all_or_nothing(manager):
    client = signed_in(manager)
    bad = import_preview(client, AdjustmentReason, "code,label\ntheft,Theft\nbad code,Spaces\n")
    [row] = bad.context["result"].invalid_rows
    assert row.number == 2 and "code" in row.field_specific_errors
    good = import_preview(client, AdjustmentReason, "code,label,requires_note\ntheft,Theft,yes\ndamaged,Damaged in transit,\n")
    import_confirm(client, AdjustmentReason, good)
    assert AdjustmentReason.objects.get(code="theft").requires_note is True
    assert AdjustmentReason.objects.get(code="damaged").label == "Damaged in transit"


def test_accountants_read_reasons_only(accountant):
    client = signed_in(accountant)
    assert client.get(admin_url(AdjustmentReason)).status_code == 200
    assert client.get(admin_url(AdjustmentReason, "add")).status_code == 403
    assert client.get(admin_url(AdjustmentReason, "import")).status_code == 403


def test_stock_level_untouched_by_reads(manager, ldr_worked_example_by_manager, item, chicago):
    # Browsing and exporting the ledger changes nothing.
    before = snapshot()
    signed_in(manager).get(admin_url(Movement))
    csv_rows(export(signed_in(manager), Movement))
    assert snapshot() == before
    assert StockLevel.objects.get(item=item, location=chicago).quantity == 155
