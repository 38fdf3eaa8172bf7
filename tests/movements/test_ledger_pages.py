"""The ledger across items (/movements/ and its CSV), a movement's document page
(/movements/<id>/), a location's page (/locations/<code>/) and the open shortfalls
(/shortfalls/): what a person sees, who may see it, and how many queries it takes."""

import datetime
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from movements.models import Movement
from movements.services import (
    Line,
    adjustment_create,
    build_create,
    receipt_create,
    replacement_create,
    transfer_create,
)
from tests.factories import ItemFactory, LocationFactory, UserFactory
from tests.helpers import snapshot
from tests.pages_support import (
    csv_rows,
    field_errors,
    html_of,
    lines_data,
    text,
    texts,
)
from tests.stock import receive, worked_example

LEDGER = "/movements/"
EXPORT = "/movements/export.csv"
PAGES = ["/movements/", "/movements/export.csv", "/locations/CHI/", "/shortfalls/"]


@pytest.fixture
def stocked(item, chicago, milwaukee, supplier, operator):
    worked_example(item=item, chicago=chicago, milwaukee=milwaukee, supplier=supplier, user=operator)
    return item


def ledger_rows(response):
    return texts(response, "tr", class_="movement")


def row_ids(response) -> list[int]:
    return [int(found) for found in re.findall(r'<tr class="movement[^"]*" data-id="(\d+)"', html_of(response))]


# --- who may see the pages ------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["operator", "manager", "accountant"])
def test_every_role_may_see_the_ledger_pages_operators_included(client, request, stocked, role, path):
    client.force_login(request.getfixturevalue(role))
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", PAGES)
def test_a_user_in_no_group_gets_403_and_a_visitor_is_sent_to_sign_in(client, stocked, nobody, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    client.force_login(nobody)
    assert client.get(path).status_code == 403


def test_the_document_page_needs_a_role_too(client, stocked, nobody):
    movement = Movement.objects.first()
    client.force_login(nobody)
    assert client.get(f"/movements/{movement.pk}/").status_code == 403


def test_the_navigation_links_the_ledger_and_the_shortfalls(client, stocked, operator, nobody):
    client.force_login(operator)
    html = html_of(client.get("/inventory/"))
    assert '<a href="/movements/">Movements</a>' in html
    assert '<a href="/shortfalls/">Shortfalls</a>' in html
    assert '<a href="/movements/" aria-current="page">Movements</a>' in html_of(client.get(LEDGER))


# --- the ledger page ------------------------------------------------------------------------------

def test_the_ledger_lists_every_item_newest_first(client, stocked, chicago, supplier, operator):
    other = ItemFactory(sku="BRK-2")
    receive(other, chicago, "4", supplier=supplier, user=operator, po_number="PO-77")
    client.force_login(operator)
    response = client.get(LEDGER)
    rows = ledger_rows(response)
    assert len(rows) == 5
    assert "Receipt BRK-2 +4 ea CHI — Chicago Warehouse 0001: 4 ea PO PO-77 — olivia" in rows[0]
    assert "Transfer LDR-4.1 -120 ea CHI +120 ea MKE" in rows[1]
    assert "Receipt LDR-4.1 +100 ea CHI" in rows[4]
    assert row_ids(response) == sorted(row_ids(response), reverse=True)
    # Times carry their zone, in the header and on every row.
    assert "Time (UTC)" in text(response)
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC ", row) for row in rows)


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"item": "ldr-4.1"}, 4),
        ({"location": "MKE"}, 2),
        ({"kind": "receipt"}, 3),
        ({"kind": "transfer", "location": "mke"}, 2),
        ({"reference": "PO-77"}, 1),
        ({"reference": "po-1001"}, 1),
        ({"item": "NOPE"}, 0),
    ],
)
def test_the_ledger_filters(client, stocked, chicago, supplier, operator, query, expected):
    receive(ItemFactory(sku="BRK-2"), chicago, "4", supplier=supplier, user=operator, po_number="PO-77")
    client.force_login(operator)
    assert len(ledger_rows(client.get(LEDGER, query))) == expected


@pytest.fixture
def dated(item, chicago, supplier, operator):
    for day in (1, 3, 5):
        receipt_create(supplier=supplier, location=chicago, po_number=f"PO-{day}", lines=[Line(item, str(day))],
                       user=operator, occurred_at=timezone.make_aware(datetime.datetime(2024, 5, day, 23, 30)))


@pytest.mark.parametrize(
    "query, pos",
    [
        ({"since": "2024-05-03"}, ["PO-5", "PO-3"]),
        ({"until": "2024-05-03"}, ["PO-1"]),  # until is not included
        ({"since": "2024-05-03T23:30", "until": "2024-05-05T23:30"}, ["PO-3"]),
        ({"since": "2024-06-01"}, []),
    ],
)
def test_the_ledger_filters_by_time(client, dated, operator, query, pos):
    client.force_login(operator)
    rows = ledger_rows(client.get(LEDGER, query))
    assert [row.split("PO ")[1].split()[0] for row in rows] == pos


def test_dates_are_read_and_times_shown_in_the_sites_time_zone(client, dated, operator, settings):
    settings.TIME_ZONE = "America/Chicago"
    client.force_login(operator)
    # 2024-05-03 23:30 UTC is 18:30 in Chicago (CDT); the day of 2024-05-03 there holds it.
    response = client.get(LEDGER, {"since": "2024-05-03", "until": "2024-05-04"})
    [row] = ledger_rows(response)
    assert row.startswith("2024-05-03 18:30 CDT Receipt")
    assert "Time (America/Chicago)" in text(response)
    [_, *lines] = csv_rows(client.get(EXPORT, {"since": "2024-05-03", "until": "2024-05-04"}))
    assert [line[1] for line in lines] == ["2024-05-03T18:30:00-05:00"]


def test_a_bad_filter_is_pointed_out_and_lists_nothing(client, stocked, operator):
    client.force_login(operator)
    response = client.get(LEDGER, {"since": "someday"})
    assert field_errors(response) == {"since": ["Enter a valid date/time."]}
    assert ledger_rows(response) == []
    assert "Correct the filters marked above" in text(response)
    export = client.get(EXPORT, {"since": "someday"})
    assert export.status_code == 400
    assert export.content.decode() == "Nothing exported: since: Enter a valid date/time."


def test_the_today_button_keeps_the_other_filters(client, stocked, operator):
    client.force_login(operator)
    html = html_of(client.get(LEDGER, {"location": "MKE"}))
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    assert f'href="?location=MKE&amp;since={today}&amp;until={tomorrow}">Today</a>' in html
    response = client.get(LEDGER, {"location": "MKE", "since": str(today), "until": str(tomorrow)})
    assert len(ledger_rows(response)) == 2


def test_short_builds_and_settlements_say_what_happened(client, stocked, chicago, milwaukee, manager):
    build_create(location=chicago, reference="WO-1", lines=[Line(stocked, "160")], allow_shortfall=True, user=manager)
    client.force_login(manager)
    [build] = ledger_rows(client.get(LEDGER, {"kind": "build"}))
    assert "Build LDR-4.1 -160 ea CHI Built 160 ea, 5 ea short — still open" in build
    transfer_create(item=stocked, source=milwaukee, destination=chicago, quantity="3", user=manager)
    [build] = ledger_rows(client.get(LEDGER, {"kind": "build"}))
    assert "Built 160 ea, 5 ea short — 2 ea still open" in build
    transfer_create(item=stocked, source=milwaukee, destination=chicago, quantity="2", user=manager)
    [build] = ledger_rows(client.get(LEDGER, {"kind": "build"}))
    assert "Built 160 ea, 5 ea short — settled later" in build
    settlements = ledger_rows(client.get(LEDGER, {"kind": "settlement"}))
    assert [row.split("Settlement ")[1].split(" Chicago")[0] for row in settlements] == [
        "LDR-4.1 Settled 2 ea of the shortfall of build WO-1",
        "LDR-4.1 Settled 3 ea of the shortfall of build WO-1",
    ]
    assert "0 ea" not in " ".join(settlements)


def test_adjustments_show_their_direction_and_reason_label(client, stocked, milwaukee, manager):
    adjustment_create(item=stocked, location=milwaukee, direction="down", quantity="5", reason="damaged", user=manager)
    adjustment_create(item=stocked, location=milwaukee, direction="up", quantity="2", reason="found", user=manager)
    client.force_login(manager)
    rows = ledger_rows(client.get(LEDGER, {"kind": "adjustment"}))
    assert "Adjustment up LDR-4.1 +2 ea MKE" in rows[0] and "Found" in rows[0]
    assert "Adjustment down LDR-4.1 -5 ea MKE" in rows[1] and "Damaged" in rows[1]
    header, up, down = csv_rows(client.get(EXPORT, {"kind": "adjustment"}))
    up, down = dict(zip(header, up, strict=True)), dict(zip(header, down, strict=True))
    # Codes in the CSV, labels on the page.
    assert (up["direction"], up["quantity"], up["signed_quantity"], up["reason"]) == ("up", "2", "2", "found")
    assert (down["direction"], down["quantity"], down["signed_quantity"], down["reason"]) == ("down", "5", "-5", "damaged")


# --- the export is the filtered view --------------------------------------------------------------

def test_the_export_holds_exactly_the_filtered_view_every_page_of_it(client, item, chicago, milwaukee, supplier,
                                                                     operator):
    receive(item, chicago, "200", supplier=supplier, user=operator, po_number="PO-1")
    for _ in range(60):
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity="1", user=operator)
    other = ItemFactory(sku="BRK-2")
    receive(other, chicago, "5", supplier=supplier, user=operator, po_number="PO-2")
    client.force_login(operator)
    query = {"item": "LDR-4.1", "kind": "transfer"}
    # Every page of the filtered view, following "Older".
    shown, response = [], client.get(LEDGER, query)
    while True:
        shown += row_ids(response)
        older = re.search(r'href="\?([^"]*after=[^"]*)" ?>Older</a>|rel="next" href="\?([^"]*)"', html_of(response))
        if not older:
            break
        response = client.get(f"{LEDGER}?{(older.group(1) or older.group(2)).replace('&amp;', '&')}")
    assert len(shown) == 60 and len(set(shown)) == 60
    html = html_of(client.get(LEDGER, query))
    assert 'href="/movements/export.csv?item=LDR-4.1&amp;kind=transfer"' in html
    header, *lines = csv_rows(client.get(EXPORT, query))
    assert header == [
        "id", "occurred_at", "kind", "direction", "sku", "quantity", "signed_quantity", "unit", "from_location",
        "to_location", "reference", "supplier", "shipment_number", "reason", "note", "user", "lines",
    ]
    assert [int(line[0]) for line in lines] == shown
    assert {(line[2], line[4], line[5], line[8], line[9], line[16]) for line in lines} == {
        ("transfer", "LDR-4.1", "1", "CHI", "MKE", "0001:1")
    }


def test_the_export_without_filters_holds_every_movement(client, stocked, operator):
    client.force_login(operator)
    _, *lines = csv_rows(client.get(EXPORT))
    assert [int(line[0]) for line in lines] == list(
        Movement.objects.order_by("-occurred_at", "-id").values_list("id", flat=True))
    assert lines[0][16] == "0001:75; 0002:45"


# --- cursor paging ----------------------------------------------------------------------------------

def test_pages_go_older_and_back_newer_without_skipping_or_repeating(client, item, chicago, milwaukee, supplier,
                                                                    operator):
    receive(item, chicago, "200", supplier=supplier, user=operator)
    for _ in range(119):
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity="1", user=operator)
    client.force_login(operator)
    everything = list(Movement.objects.order_by("-occurred_at", "-id").values_list("id", flat=True))
    first = client.get(LEDGER)
    assert row_ids(first) == everything[:50]
    assert "Newer" not in texts(first, "nav", class_="pagination")[0]
    older = re.search(r'rel="next" href="\?([^"]*)"', html_of(first)).group(1).replace("&amp;", "&")
    second = client.get(f"{LEDGER}?{older}")
    assert row_ids(second) == everything[50:100]
    # A movement written meanwhile shows on the newest page, not on the pages already open.
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="1", user=operator)
    older = re.search(r'rel="next" href="\?([^"]*)"', html_of(second)).group(1).replace("&amp;", "&")
    third = client.get(f"{LEDGER}?{older}")
    assert row_ids(third) == everything[100:]
    assert 'rel="next"' not in html_of(third)
    newer = re.search(r'rel="prev" href="\?([^"]*)"', html_of(third)).group(1).replace("&amp;", "&")
    assert row_ids(client.get(f"{LEDGER}?{newer}")) == everything[50:100]


def test_a_broken_cursor_shows_the_newest_page(client, stocked, operator):
    client.force_login(operator)
    for cursor in ("garbage", "2024-01-01T00:00:00~x", "2024-01-01T00:00:00~5"):
        response = client.get(LEDGER, {"after": cursor})
        assert response.status_code == 200
    assert len(ledger_rows(client.get(LEDGER, {"after": "nonsense"}))) == 4


@pytest.mark.parametrize("path", ["/movements/", "/movements/export.csv"])
def test_the_ledger_takes_the_same_queries_at_1_and_1000_movements_and_never_counts(
    client, item, chicago, milwaukee, supplier, operator, path
):
    receive(item, chicago, "5000", supplier=supplier, user=operator)
    client.force_login(operator)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, {"location": "CHI"})
            if path.endswith(".csv"):
                b"".join(response.streaming_content)
            else:
                assert response.status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    client.get(LEDGER)  # the session and the user's permissions are loaded once per test either way
    at_one = queries()
    Movement.objects.bulk_create([
        Movement(kind="transfer", item=item, quantity=1, from_location=chicago, to_location=milwaukee, user=operator)
        for _ in range(999)
    ])
    at_thousand = queries()
    if path.endswith(".csv"):
        # Streamed in chunks of 1000 movements: one more chunk of rows and lines.
        assert len(at_thousand) <= len(at_one) + 2
    else:
        assert len(at_thousand) == len(at_one)
    assert not [sql for sql in at_one + at_thousand if "COUNT(" in sql.upper()]


# --- the document page --------------------------------------------------------------------------------

def test_a_receipt_links_to_its_document_from_the_success_message(client, item, chicago, supplier, operator):
    ItemFactory(sku="CBL-9", name="Cable", unit="m", fractional=True)
    client.force_login(operator)
    response = client.post(
        "/receipts/new/",
        {"supplier": "ACME", "location": "CHI", "po_number": "PO-5", "shipment_number": "S-2",
         **lines_data(("LDR-4.1", "100"), ("CBL-9", "12.5"))},
        follow=True,
    )
    first = Movement.objects.filter(kind="receipt").order_by("id").first()
    assert f'<a href="/movements/{first.pk}/">Open the receipt record</a>' in html_of(response)
    document = client.get(f"/movements/{first.pk}/")
    assert texts(document, "h1") == ["Receipt of PO PO-5"]
    facts = texts(document, "dl", class_="facts")[0]
    assert re.search(r"Type Receipt Recorded \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC By olivia "
                     r"Received at Chicago Warehouse CHI Supplier Acme Sensors ACME PO number PO-5 Shipment S-2", facts)
    assert texts(document, "tr", class_="document-line") == [
        "1 LDR-4.1 Lidar unit 4.1 100 ea batch 0001: 100 ea unknown unknown",
        "2 CBL-9 Cable 12.5 m batch 0001: 12.5 m unknown unknown",
    ]
    # Any line's address opens the same document.
    second = Movement.objects.filter(kind="receipt").order_by("id").last()
    assert texts(client.get(f"/movements/{second.pk}/"), "tr", class_="document-line") == texts(
        document, "tr", class_="document-line")
    # Printable: a print stylesheet that hides the navigation.
    assert '<link rel="stylesheet" href="/static/hardfin/print.css" media="print">' in html_of(document)


def test_two_receipts_of_the_same_po_are_two_documents(client, item, chicago, supplier, operator):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-5", lines=[Line(item, "1")], user=operator)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-5", lines=[Line(item, "2")], user=operator)
    first, second = Movement.objects.order_by("id")
    client.force_login(operator)
    assert texts(client.get(f"/movements/{first.pk}/"), "tr", class_="document-line") == [
        "1 LDR-4.1 Lidar unit 4.1 1 ea batch 0001: 1 ea unknown unknown"]
    assert texts(client.get(f"/movements/{second.pk}/"), "tr", class_="document-line") == [
        "1 LDR-4.1 Lidar unit 4.1 2 ea batch 0002: 2 ea unknown unknown"]


def test_a_short_build_document_shows_its_shortfalls_and_their_settlements(client, stocked, chicago, milwaukee,
                                                                          supplier, manager):
    brk = ItemFactory(sku="BRK-2", name="Bracket")
    build = build_create(location=chicago, reference="WO-1", lines=[Line(stocked, "160"), Line(brk, "3")],
                         allow_shortfall=True, user=manager)
    receive(brk, chicago, "10", supplier=supplier, user=manager, po_number="PO-9")
    client.force_login(manager)
    document = client.get(f"/movements/{build.movements[1].pk}/")
    assert texts(document, "h1") == ["Build WO-1"]
    assert texts(document, "tr", class_="document-line") == [
        "1 LDR-4.1 Lidar unit 4.1 160 ea Built 160 ea, 5 ea short — still open batch 0002: 155 ea unknown unknown",
        # Nothing in stock: the build line moved no units, so no value.
        "2 BRK-2 Bracket 3 ea Built 3 ea, 3 ea short — settled later none in stock — 0.00",
    ]
    assert texts(document, "tr", class_="shortfall") == [
        "LDR-4.1 5 ea 0 ea 5 ea open",
        f"BRK-2 3 ea 3 ea 0 ea {timezone.localtime(Movement.objects.get(kind='settlement').occurred_at):%Y-%m-%d %H:%M} UTC",
    ]
    [settlement] = texts(document, "li", class_="settlement")
    assert settlement.endswith("Settled 3 ea of the shortfall of build WO-1 at CHI (BRK-2, batch 0001: 3 ea)")
    # The receipt that paid it says so on its own document.
    receipt = Movement.objects.get(kind="receipt", reference="PO-9")
    [paid] = texts(client.get(f"/movements/{receipt.pk}/"), "li", class_="settlement")
    assert "Settled 3 ea of the shortfall of build WO-1" in paid


def test_a_build_and_a_replacement_link_to_their_documents(client, stocked, manager):
    client.force_login(manager)
    response = client.post("/builds/new/", {"location": "CHI", "reference": "WO-9", **lines_data(("LDR-4.1", "5"))},
                           follow=True)
    build = Movement.objects.get(kind="build")
    assert f'<a href="/movements/{build.pk}/">Open the build record</a>' in html_of(response)
    response = client.post("/replacements/new/",
                           {"sku": "LDR-4.1", "location": "CHI", "quantity": "2", "asset": "TRUCK-7"}, follow=True)
    replacement = Movement.objects.get(kind="replacement")
    assert f'<a href="/movements/{replacement.pk}/">Open the replacement record</a>' in html_of(response)
    document = client.get(f"/movements/{replacement.pk}/")
    assert texts(document, "h1") == ["Replacement on asset TRUCK-7"]
    assert texts(document, "tr", class_="document-line") == ["1 LDR-4.1 Lidar unit 4.1 2 ea batch 0002: 2 ea unknown unknown"]


def test_an_adjustment_document_shows_its_direction_and_reason(client, stocked, milwaukee, manager):
    down = adjustment_create(item=stocked, location=milwaukee, direction="down", quantity="5", reason="damaged",
                             user=manager)
    client.force_login(manager)
    document = client.get(f"/movements/{down.pk}/")
    assert texts(document, "h1") == [f"Adjustment down #{down.pk}"]
    assert "Reason Damaged" in texts(document, "dl", class_="facts")[0]
    assert texts(document, "tr", class_="document-line") == ["1 LDR-4.1 Lidar unit 4.1 -5 ea batch 0001: 5 ea unknown unknown"]


def test_an_unknown_movement_is_404(client, stocked, operator):
    client.force_login(operator)
    assert client.get("/movements/999999/").status_code == 404


def test_the_document_page_takes_a_fixed_number_of_queries(client, chicago, supplier, operator,
                                                          django_assert_max_num_queries):
    items = [ItemFactory() for _ in range(20)]
    receipt = receipt_create(supplier=supplier, location=chicago, po_number="PO-1",
                             lines=[Line(item, "1") for item in items], user=operator)
    client.force_login(operator)
    with django_assert_max_num_queries(12):
        response = client.get(f"/movements/{receipt.movements[5].pk}/")
    assert len(texts(response, "tr", class_="document-line")) == 20


# --- a location ------------------------------------------------------------------------------------

def test_a_location_page_shows_its_stock_movements_and_open_shortfalls(client, stocked, chicago, operator):
    brk = ItemFactory(sku="BRK-2", name="Bracket")
    build_create(location=chicago, reference="WO-1", lines=[Line(brk, "3")], allow_shortfall=True, user=operator)
    client.force_login(operator)
    response = client.get("/locations/chi/")  # any case
    assert texts(response, "h1") == ["Chicago Warehouse CHI"]
    assert texts(response, "tr", class_="stock-level") == ["BRK-2 Bracket -3 ea Shortfall", "LDR-4.1 Lidar unit 4.1 155 ea"]
    recent = texts(response, "tr", class_="movement")
    assert len(recent) == 5 and "Build BRK-2 -3 ea CHI Built 3 ea, 3 ea short — still open" in recent[0]
    assert "Transfer LDR-4.1 -120 ea CHI" in recent[1] and "+120 ea MKE" not in recent[1]
    [shortfall] = texts(response, "tr", class_="shortfall")
    assert shortfall.endswith("BRK-2 CHI WO-1 3 ea 0 ea 3 ea")
    today = timezone.localdate()
    assert (f'href="/movements/?location=CHI&amp;since={today}&amp;until={today + datetime.timedelta(days=1)}"'
            in html_of(response))


def test_an_unknown_location_is_404(client, stocked, operator):
    client.force_login(operator)
    assert client.get("/locations/NOPE/").status_code == 404


def test_the_location_page_takes_a_fixed_number_of_queries(client, chicago, milwaukee, supplier, operator,
                                                          django_assert_max_num_queries):
    for _ in range(30):
        item = ItemFactory()
        receive(item, chicago, "5", supplier=supplier, user=operator)
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity="1", user=operator)
    client.force_login(operator)
    with django_assert_max_num_queries(12):
        response = client.get("/locations/CHI/")
    assert len(texts(response, "tr", class_="stock-level")) == 30
    assert len(texts(response, "tr", class_="movement")) == 20


# --- open shortfalls -------------------------------------------------------------------------------

def test_the_shortfalls_page_lists_open_ones_only(client, stocked, chicago, milwaukee, supplier, operator):
    brk = ItemFactory(sku="BRK-2")
    build_create(location=chicago, reference="WO-1", lines=[Line(brk, "3")], allow_shortfall=True, user=operator)
    build_create(location=milwaukee, reference="WO-2", lines=[Line(brk, "2")], allow_shortfall=True, user=operator)
    build_create(location=milwaukee, reference="WO-3", lines=[Line(stocked, "150")], allow_shortfall=True,
                 user=operator)
    receive(brk, milwaukee, "2", supplier=supplier, user=operator)  # settles WO-2 entirely
    client.force_login(operator)
    response = client.get("/shortfalls/")
    rows = texts(response, "tr", class_="shortfall")
    assert [row.split(" UTC ")[1] for row in rows] == ["BRK-2 CHI WO-1 3 ea 0 ea 3 ea", "LDR-4.1 MKE WO-3 5 ea 0 ea 5 ea"]
    assert "2 open shortfalls, oldest first" in text(response)
    assert len(texts(client.get("/shortfalls/", {"location": "mke"}), "tr", class_="shortfall")) == 1
    assert len(texts(client.get("/shortfalls/", {"item": "LDR-4.1"}), "tr", class_="shortfall")) == 1
    build = Movement.objects.get(reference="WO-1")
    assert f'<a href="/movements/{build.pk}/">WO-1</a>' in html_of(response)


def test_no_open_shortfalls_says_so(client, stocked, operator):
    client.force_login(operator)
    assert "No open shortfalls." in text(client.get("/shortfalls/"))


def test_the_pages_write_nothing(client, stocked, operator):
    client.force_login(operator)
    before = snapshot()
    for path in PAGES + [f"/movements/{Movement.objects.first().pk}/"]:
        client.get(path)
    assert snapshot() == before


def test_item_history_links_each_movement_to_its_document(client, stocked, operator):
    client.force_login(operator)
    html = html_of(client.get("/items/LDR-4.1/history/"))
    for movement in Movement.objects.all():
        assert f'<a href="/movements/{movement.pk}/"' in html


def test_replacement_made_in_a_zone_prints_its_zone(client, stocked, chicago, operator, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    moment = datetime.datetime(2025, 1, 10, 9, 15, tzinfo=zoneinfo.ZoneInfo("UTC"))
    movement = replacement_create(item=stocked, location=chicago, quantity="1", asset="T-1", user=operator,
                                  occurred_at=moment)
    client.force_login(operator)
    facts = texts(client.get(f"/movements/{movement.pk}/"), "dl", class_="facts")[0]
    assert "Recorded 2025-01-10 10:15:00 CET" in facts


def test_users_see_the_page_only_with_a_role_even_when_staff(client, stocked):
    staff = UserFactory(username="sam", is_staff=True)
    client.force_login(staff)
    assert client.get(LEDGER).status_code == 403
    assert LocationFactory(code="ZZZ")  # a location without history still needs a role to see
    assert client.get("/locations/ZZZ/").status_code == 403


def test_batches_made_by_adjustments_show_the_reason_label_not_its_code(client, stocked, milwaukee, manager):
    adjustment_create(item=stocked, location=milwaukee, direction="up", quantity="2", reason="found", user=manager)
    adjustment_create(item=stocked, location=milwaukee, direction="down", quantity="1", reason="damaged", user=manager)
    client.force_login(manager)
    batches = texts(client.get("/items/LDR-4.1/batches/"), "tr")[1:]
    assert batches[2].startswith("Batch 0003 Adjustment — Found ")
    trace = client.get("/items/LDR-4.1/batches/0001/")
    assert "PO / reference PO PO-1001" in text(trace) or "PO / reference PO-1001" in text(trace)
    rows = texts(trace, "tr")[1:]
    assert rows[-1].endswith("Adjustment down 1 ea Milwaukee Operations Center — Damaged manny unknown")
    found = client.get("/items/LDR-4.1/batches/0003/")
    assert "PO / reference Found" in text(found)


def test_the_success_message_escapes_what_the_user_typed(client, item, chicago, supplier, operator):
    client.force_login(operator)
    response = client.post("/receipts/new/", {"supplier": "ACME", "location": "CHI", "po_number": "<b>PO</b>",
                                              **lines_data(("LDR-4.1", "1"))}, follow=True)
    html = html_of(response)
    assert "Received PO &lt;b&gt;PO&lt;/b&gt; at Chicago Warehouse" in html
    assert "<b>PO</b>" not in html
