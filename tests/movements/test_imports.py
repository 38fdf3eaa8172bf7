"""Opening balances: a CSV of the stock a company already holds, recorded all or nothing as
receipts (rows with a supplier) or upward adjustments (rows without)."""

import datetime
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from hardfin.errors import InvalidInput, PermissionDeniedError
from lots.models import Batch
from movements.imports import (
    AlreadyImported,
    OpeningBalancesInvalid,
    RowError,
    opening_balances_check,
    opening_balances_import,
    opening_balances_read,
)
from movements.models import Movement
from movements.reconciliation import reconcile
from tests.admin_support import admin_url, csv_file, messages_of, signed_in, superuser  # noqa: F401
from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory
from tests.helpers import level, lots_at, snapshot

OPENING = """sku,location,quantity,supplier,po_number,received_at
LDR-4.1,CHI,100,ACME,PO-1001,2024-01-15
LDR-4.1,CHI,200,ACME,,2024-03-01
LDR-4.1,MKE,45,,,2024-02-10
CBL-7,mke,12.5,,,
"""


@pytest.fixture
def catalog(item, chicago, milwaukee, supplier):
    ItemFactory(sku="CBL-7", unit="m", fractional=True)


def day(text):
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


def test_opening_balances_become_receipts_and_adjustments(catalog, manager, item, chicago, milwaukee):
    started = timezone.now()
    movements = opening_balances_import(rows=opening_balances_read(OPENING), user=manager)

    assert [(m.kind, m.item.sku, m.quantity) for m in movements] == [
        ("receipt", "LDR-4.1", 100), ("adjustment", "LDR-4.1", 45), ("receipt", "LDR-4.1", 200), ("adjustment", "CBL-7", Decimal("12.5")),
    ]
    first, mke, second, cable = movements
    assert (first.supplier.code, first.reference, first.note) == ("ACME", "PO-1001", "Opening balance")
    assert second.reference == "OPENING"
    assert (mke.reason.code, mke.direction) == ("count_correction", "up")
    # The ledger records when the balances were entered (times are server-assigned, so a
    # client reading the ledger "since" its last visit misses nothing); batches keep the dates.
    assert all(movement.occurred_at >= started for movement in movements)
    assert Batch.objects.get(item__sku="CBL-7").received_at >= started
    # Batches are numbered in received-date order, so FIFO follows the dates.
    assert lots_at(item, chicago) == {"0001": 100, "0003": 200}
    assert lots_at(item, milwaukee) == {"0002": 45}
    assert list(Batch.objects.filter(item=item).order_by("number").values_list("origin", "received_at")) == [
        ("receipt", day("2024-01-15")), ("adjustment", day("2024-02-10")), ("receipt", day("2024-03-01")),
    ]
    assert level(item, chicago) == 300
    assert reconcile() == []


NUL_MESSAGE = "The cell holds a NUL character (code 0), which no text may hold; remove it."
BAD_ROWS = [
    ("NOPE-1,CHI,5", RowError(1, "sku", "No item 'NOPE-1'.")),
    ("LDR-4.1,CHI,-5", RowError(1, "quantity", "Quantity must be greater than zero.")),
    ("LDR-4.1,CHI,1O", RowError(1, "quantity", "'1O' is not a number.")),
    ("LDR-4.1,CHI,2.5", RowError(1, "quantity", "This item is counted in whole units (ea); send a whole number.")),
    ("LDR-4.1,OLD,5", RowError(1, "location", "The location OLD is inactive and cannot take part in new movements.")),
    ("LDR-4.1,CHI,1.2345", RowError(1, "quantity", "Quantity may have at most 3 digits after the decimal point.")),
    ("LDR-4.1,CHI,", RowError(1, "quantity", "Give the quantity.")),
    ("LDR-4.1,CHI,5,ZZZ", RowError(1, "supplier", "No supplier 'ZZZ'.")),
    ("LDR-4.1,CHI,5,,PO-9", RowError(1, "supplier", "A PO number needs the supplier it was ordered from.")),
    ("LDR-4.1,CHI,5,,,15/01/2024", RowError(1, "received_at", "'15/01/2024' is not a date; write it as YYYY-MM-DD.")),
    ("LDR-4.1,CHI,5,,,2999-01-01", RowError(1, "received_at", "The received date is in the future.")),
    ("LDR-4.1,CHI,5,ACME,PO\x009", RowError(1, "po_number", NUL_MESSAGE)),
    ("LDR\x00-4.1,CHI,5", RowError(1, "sku", NUL_MESSAGE)),
]


@pytest.mark.parametrize(("line", "error"), BAD_ROWS, ids=[error.message for _, error in BAD_ROWS])
def test_a_bad_row_imports_nothing_and_names_its_row(line, error, catalog, manager):
    LocationFactory(code="OLD", is_active=False)
    before = snapshot()
    rows = opening_balances_read(f"sku,location,quantity,supplier,po_number,received_at\n{line}\n")
    with pytest.raises(OpeningBalancesInvalid) as raised:
        opening_balances_import(rows=rows, user=manager)
    assert raised.value.errors == [error]
    assert snapshot() == before


def test_every_problem_is_reported_at_once_with_its_row_number(catalog, manager):
    text = "sku,location,quantity\nLDR-4.1,CHI,5\n\nNOPE,CHI,-1\nLDR-4.1,CHI,7\nLDR-4.1,NOWHERE,abc\n"
    with pytest.raises(OpeningBalancesInvalid) as raised:
        opening_balances_check(rows=opening_balances_read(text))
    # The blank line is row 2: rows are counted as they appear under the header.
    assert [(e.row, e.field) for e in raised.value.errors] == [(3, "sku"), (3, "quantity"), (5, "location"), (5, "quantity")]
    assert str(raised.value) == "4 problems found; nothing was imported."
    assert str(raised.value.errors[0]) == "Row 3, sku: No item 'NOPE'."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sku,quantity\nLDR-4.1,5\n", "The header row must name the columns sku, location, quantity; missing: location."),
        ("sku,location,quantity,colour\n", "Unknown column(s): colour. The columns are sku, location, quantity, supplier, po_number, received_at, unit_cost."),
        ("sku,location,quantity\n\n", "The file has a header but no rows."),
        ("", "The header row must name the columns sku, location, quantity; missing: sku, location, quantity."),
    ],
)
def test_an_unusable_file_is_refused_as_a_whole(text, message):
    with pytest.raises(InvalidInput) as raised:
        opening_balances_read(text)
    assert (raised.value.field, raised.value.message) == ("file", message)


@pytest.mark.parametrize("role", ["operator", "accountant", "nobody"])
def test_only_managers_import_opening_balances(role, request, catalog):
    before = snapshot()
    with pytest.raises(PermissionDeniedError):
        opening_balances_import(rows=opening_balances_read(OPENING), user=request.getfixturevalue(role))
    assert snapshot() == before


def test_superusers_may_import(catalog, superuser):  # noqa: F811
    assert len(opening_balances_import(rows=opening_balances_read(OPENING), user=superuser)) == 4


def test_the_documented_example_does_what_the_docs_say(manager, supplier, item, chicago, milwaukee):
    SupplierFactory(code="NORTHWIND")  # the example names a supplier of the demo data
    ItemFactory(sku="CBL-7", unit="m", fractional=True)
    ItemFactory(sku="SCR-M3")
    example = Path(settings.BASE_DIR, "docs", "examples", "opening-balances.csv").read_text(encoding="utf-8")
    movements = opening_balances_import(rows=opening_balances_read(example), user=manager)
    assert [(m.item.sku, m.kind, m.reference) for m in movements] == [
        ("SCR-M3", "receipt", "OPENING"),
        ("LDR-4.1", "receipt", "PO-1001"),
        ("LDR-4.1", "adjustment", "count_correction"),
        ("LDR-4.1", "receipt", "PO-1002"),
        ("CBL-7", "adjustment", "count_correction"),
    ]
    assert lots_at(item, chicago) == {"0001": 100, "0003": 155}
    assert lots_at(item, milwaukee) == {"0002": 45}
    assert reconcile() == []


# --- the admin page -----------------------------------------------------------------------------

def upload(client, text):
    return client.post(admin_url(Movement, "opening_balances"), {"file": csv_file(text)})


def confirmation(preview) -> dict[str, str]:
    """What the preview's "Confirm import" button sends."""
    form = preview.context["confirm_form"]
    return {name: str(form.initial[name]) for name in form.initial}


def confirm(client, preview, **changes):
    return client.post(admin_url(Movement, "opening_balances"), {**confirmation(preview), **changes}, follow=True)


def test_admin_previews_then_imports(catalog, manager, item, chicago):
    client = signed_in(manager)
    assert client.get(admin_url(Movement, "opening_balances")).status_code == 200
    preview = upload(client, OPENING)
    assert preview.status_code == 200
    assert not Movement.objects.exists(), "the preview records nothing"
    assert [(row["row"], row["sku"], row["quantity"], row["recorded_as"]) for row in preview.context["balances"]] == [
        (1, "LDR-4.1", "100 ea", "Receipt from ACME, PO PO-1001"),
        (2, "LDR-4.1", "200 ea", "Receipt from ACME, PO OPENING"),
        (3, "LDR-4.1", "45 ea", "Adjustment up (count_correction)"),
        (4, "CBL-7", "12.5 m", "Adjustment up (count_correction)"),
    ]
    assert "4 rows checked, no problems: 2 receipts and 2 upward adjustments" in preview.content.decode()

    response = confirm(client, preview)
    assert response.redirect_chain[-1][0] == admin_url(Movement)
    assert messages_of(response) == ["Imported 4 opening balances: 2 receipts and 2 upward adjustments."]
    assert level(item, chicago) == 300
    assert reconcile() == []


def test_admin_lists_row_errors_and_imports_nothing(catalog, manager):
    before = snapshot()
    response = upload(signed_in(manager), "sku,location,quantity\nLDR-4.1,CHI,5\nNOPE,CHI,5\nLDR-4.1,CHI,-2\n")
    assert response.context["row_errors"] == [
        RowError(2, "sku", "No item 'NOPE'."),
        RowError(3, "quantity", "Quantity must be greater than zero."),
    ]
    page = response.content.decode()
    assert "Nothing was imported" in page and "<td>3</td><td>quantity</td>" in page
    assert "confirm_form" not in response.context
    assert snapshot() == before


def test_admin_confirmation_is_checked_again(catalog, manager, chicago):
    client = signed_in(manager)
    preview = upload(client, "sku,location,quantity\nLDR-4.1,CHI,5\n")
    chicago.is_active = False
    chicago.save()
    before = snapshot()
    response = confirm(client, preview)
    assert response.context["row_errors"][0].field == "location"
    assert snapshot() == before


def test_admin_confirmation_sent_twice_records_once(catalog, manager, item, chicago):
    """A double click on "Confirm import", or the browser sending the form again, once turned
    150 units into 300."""
    client = signed_in(manager)
    preview = upload(client, "sku,location,quantity\nLDR-4.1,CHI,150\n")
    first = confirm(client, preview)
    assert messages_of(first) == ["Imported 1 opening balance: 0 receipts and 1 upward adjustment."]
    after_first = snapshot()

    second = confirm(client, preview)

    assert second.redirect_chain[-1][0] == admin_url(Movement)
    [message] = messages_of(second)
    assert message.startswith("These opening balances were already imported on ")
    assert message.endswith(" by manny; nothing new was recorded.")
    assert level(item, chicago) == 150
    assert snapshot() == after_first


def test_admin_previewing_the_same_file_again_allows_importing_it_again(catalog, manager, item, chicago):
    """Each preview is a new decision: the same file checked and confirmed again is a second
    import (the person saw the preview and chose it)."""
    client = signed_in(manager)
    text = "sku,location,quantity\nLDR-4.1,CHI,150\n"
    confirm(client, upload(client, text))
    confirm(client, upload(client, text))
    assert level(item, chicago) == 300


@pytest.mark.parametrize(
    "changes",
    [
        {"confirmation": ""},
        {"confirmation": "forged"},
        {"content": "sku,location,quantity\nLDR-4.1,CHI,999\n"},
    ],
    ids=["missing", "forged", "other-content"],
)
def test_admin_confirmation_must_be_the_one_the_preview_gave(catalog, manager, item, chicago, changes):
    client = signed_in(manager)
    preview = upload(client, "sku,location,quantity\nLDR-4.1,CHI,150\n")
    before = snapshot()

    response = confirm(client, preview, **changes)

    assert response.context["form"].errors["__all__"] == [
        "This confirmation is not the one the preview gave, or it has expired; upload the file again."]
    assert snapshot() == before


def test_admin_confirmation_belongs_to_who_previewed(catalog, manager, item, chicago):
    preview = upload(signed_in(manager), "sku,location,quantity\nLDR-4.1,CHI,150\n")
    other = UserFactory(username="mona", groups=["Managers"])
    before = snapshot()

    response = confirm(signed_in(other), preview)

    assert "This confirmation is not the one the preview gave" in response.context["form"].errors["__all__"][0]
    assert snapshot() == before


def test_a_file_past_the_job_limit_is_recorded_by_a_job_once(catalog, manager, item, chicago, settings, tmp_path):
    """Past HARDFIN_IMPORT_JOB_ROWS the confirmation starts a background job (run at once
    here, as without a broker) and shows its page; confirming again finds the same job and
    records nothing more (issue 10, defect 7: 20,000 rows outlived the web request)."""
    settings.HARDFIN_IMPORT_JOB_ROWS = 3
    settings.JOBS_DIR = tmp_path
    client = signed_in(manager)
    preview = upload(client, "sku,location,quantity\n" + "LDR-4.1,CHI,10\n" * 4)
    assert preview.context["valid_rows"] == 4 and not Movement.objects.exists()

    first = confirm(client, preview)
    job_url = first.redirect_chain[0][0]
    assert job_url.startswith("/jobs/")
    page = first.content.decode()
    assert "Imported 4 opening balances: 0 receipts and 4 upward adjustments." in page
    assert level(item, chicago) == 40
    after = snapshot()

    second = confirm(client, preview)
    assert second.redirect_chain[0][0] == job_url
    assert snapshot() == after and level(item, chicago) == 40


def test_a_job_whose_rows_went_wrong_since_the_preview_records_nothing_and_says_why(
        catalog, manager, item, chicago, settings, tmp_path):
    settings.HARDFIN_IMPORT_JOB_ROWS = 1
    settings.JOBS_DIR = tmp_path
    client = signed_in(manager)
    preview = upload(client, "sku,location,quantity\nLDR-4.1,CHI,10\nLDR-4.1,CHI,5\n")
    chicago.is_active = False
    chicago.save()
    before = snapshot()

    response = confirm(client, preview)

    page = response.content.decode()
    assert "failed" in page
    assert "Row 1, location: The location CHI is inactive" in page
    assert snapshot() == before


def test_the_same_once_key_records_once(catalog, manager, item, chicago):
    rows = opening_balances_read("sku,location,quantity\nLDR-4.1,CHI,150\n")
    opening_balances_import(rows=rows, user=manager, once_key="preview-1")
    before = snapshot()

    with pytest.raises(AlreadyImported) as raised:
        opening_balances_import(rows=rows, user=manager, once_key="preview-1")

    assert raised.value.code == "already_imported"
    assert snapshot() == before
    assert level(item, chicago) == 150


def test_a_failed_import_leaves_its_once_key_unused(catalog, manager, item, chicago):
    rows = opening_balances_read("sku,location,quantity\nLDR-4.1,CHI,150\n")
    chicago.is_active = False
    chicago.save()
    with pytest.raises(OpeningBalancesInvalid):
        opening_balances_import(rows=rows, user=manager, once_key="preview-1")
    chicago.is_active = True
    chicago.save()

    opening_balances_import(rows=rows, user=manager, once_key="preview-1")

    assert level(item, chicago) == 150


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_confirmations_at_the_same_moment_record_once():
    item = ItemFactory(sku="LDR-4.1")
    chicago = LocationFactory(code="CHI")
    manager = UserFactory(username="manny", groups=["Managers"])
    rows = opening_balances_read("sku,location,quantity\nLDR-4.1,CHI,150\n")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm_once():
        try:
            start.wait()
            opening_balances_import(rows=rows, user=manager, once_key="preview-1")
            outcomes.append("imported")
        except AlreadyImported:
            outcomes.append("already imported")
        except BaseException as exc:  # anything else is a failure
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already imported", "imported"]
    assert level(item, chicago) == 150
    assert Movement.objects.count() == 1


def test_admin_refuses_unusable_files(catalog, manager):
    client = signed_in(manager)
    response = upload(client, "sku,qty\nLDR-4.1,5\n")
    assert response.context["form"].errors["file"] == [
        "The header row must name the columns sku, location, quantity; missing: location, quantity."
    ]
    not_utf8 = client.post(admin_url(Movement, "opening_balances"), {"file": _latin1()})
    assert not_utf8.context["form"].errors["__all__"] == ['The file is not UTF-8 text; save it as "CSV UTF-8".']
    nothing = client.post(admin_url(Movement, "opening_balances"), {})
    assert nothing.context["form"].errors["__all__"] == ["Choose a CSV file to upload."]
    assert not Movement.objects.exists()


def _latin1():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("latin1.csv", "sku,location,quantity\nCAFÉ,CHI,1\n".encode("latin-1"))


@pytest.mark.parametrize("role", ["accountant", "operator"])
def test_admin_page_is_for_managers(role, request, catalog):
    client = signed_in(request.getfixturevalue(role))
    before = snapshot()
    expected = 403 if role == "accountant" else 302  # operators do not get into the admin at all
    assert client.get(admin_url(Movement, "opening_balances")).status_code == expected
    assert upload(client, OPENING).status_code == expected
    assert snapshot() == before


def test_the_admin_preview_shows_each_rows_unit_cost_and_value(catalog, manager, item, chicago):
    client = signed_in(manager)
    preview = upload(client, "sku,location,quantity,supplier,po_number,received_at,unit_cost\n"
                             "LDR-4.1,CHI,100,ACME,PO-1001,2024-01-15,10.005\n"
                             "LDR-4.1,CHI,3,ACME,,,\n"
                             "CBL-7,MKE,12.5,,,,0.1\n"
                             "CBL-7,MKE,1,,,,\n")
    assert [(row["row"], row["unit_cost"], row["value"]) for row in preview.context["balances"]] == [
        (1, "10.0050", "1,000.50"),
        (2, "unknown", ""),  # a receipt without a cost: unknown until the invoice comes
        (3, "0.1000", "1.25"),
        (4, "newest known", ""),  # an adjustment without one takes the item's newest known cost
    ]
    page = preview.content.decode()
    assert "<th>Unit cost (USD)</th><th>Value (USD)</th>" in page
    assert "Value of the rows with a unit cost: 1,001.75 USD." in page
    assert not Movement.objects.exists()
    confirm(client, preview)
    assert sorted(Movement.objects.values_list("lines__batch__unit_cost", flat=True), key=str) == sorted(
        [Decimal("10.0050"), None, Decimal("0.1000"), Decimal("0.1000")], key=str)
