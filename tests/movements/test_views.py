"""The movement form pages, and an item's movement history and batches pages."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from movements.models import Movement
from movements.services import (
    Line,
    adjustment_create,
    build_create,
    transfer_create,
)
from tests.factories import ItemFactory, LocationFactory
from tests.helpers import level, lots_at, snapshot
from tests.pages_support import code_field, field_errors, html_of, lines_data, text, texts
from tests.stock import receive, worked_example

FORMS = {
    "transfer": "/transfers/new/",
    "adjustment": "/adjustments/new/",
    "receipt": "/receipts/new/",
    "build": "/builds/new/",
    "replacement": "/replacements/new/",
}
ALLOWED = {
    "operator": {"transfer", "receipt", "build", "replacement"},
    "manager": set(FORMS),
    "accountant": {"adjustment"},
    "nobody": set(),
}
#: A POST for each form that would succeed on the stock of ``ldr_worked_example``.
VALID_POST = {
    "transfer": {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "5"},
    "adjustment": {"sku": "LDR-4.1", "location": "CHI", "direction": "down", "quantity": "5", "reason": "damaged"},
    "receipt": {"supplier": "ACME", "location": "CHI", "po_number": "PO-9", **lines_data(("LDR-4.1", "5"))},
    "build": {"location": "CHI", "reference": "WO-9", **lines_data(("LDR-4.1", "5"))},
    "replacement": {"sku": "LDR-4.1", "location": "CHI", "quantity": "5", "asset": "TRUCK-7"},
}
HISTORY = "/items/LDR-4.1/history/"
BATCHES = "/items/LDR-4.1/batches/"


# --- who may open which form -------------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(ALLOWED))
@pytest.mark.parametrize("kind", sorted(FORMS))
def test_each_form_answers_403_to_users_not_allowed_get_and_post_alike(
    client, request, ldr_worked_example, supplier, role, kind
):
    client.force_login(request.getfixturevalue(role))
    allowed = kind in ALLOWED[role]
    assert client.get(FORMS[kind]).status_code == (200 if allowed else 403)
    if not allowed:
        before = snapshot()
        assert client.post(FORMS[kind], VALID_POST[kind]).status_code == 403
        assert snapshot() == before


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_anonymous_visitors_are_sent_to_sign_in_from_every_form(client, ldr_worked_example, kind):
    before = snapshot()
    for response in (client.get(FORMS[kind]), client.post(FORMS[kind], VALID_POST[kind])):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert snapshot() == before


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_every_form_records_for_a_manager(client, ldr_worked_example, supplier, manager, kind):
    client.force_login(manager)
    response = client.post(FORMS[kind], VALID_POST[kind])
    assert response.status_code == 302
    assert Movement.objects.filter(kind=kind, user=manager).count() == 1


# --- pre-filling -------------------------------------------------------------------------------

def test_transfer_form_is_prefilled_with_the_item_and_the_source(client, ldr_worked_example, operator):
    client.force_login(operator)
    response = client.get(FORMS["transfer"], {"sku": "LDR-4.1", "location": "CHI"})
    assert 'name="sku" value="LDR-4.1"' in html_of(response)
    assert code_field(response, "from_location")[0] == "CHI"
    assert code_field(response, "to_location")[0] == ""


@pytest.mark.parametrize("kind", ["adjustment", "replacement"])
def test_single_item_forms_are_prefilled_with_item_and_location(client, ldr_worked_example, manager, kind):
    client.force_login(manager)
    response = client.get(FORMS[kind], {"sku": "LDR-4.1", "location": "MKE"})
    assert 'name="sku" value="LDR-4.1"' in html_of(response)
    assert code_field(response, "location")[0] == "MKE"


@pytest.mark.parametrize("kind", ["receipt", "build"])
def test_line_forms_put_the_sku_on_the_first_line(client, ldr_worked_example, manager, kind):
    client.force_login(manager)
    response = client.get(FORMS[kind], {"sku": "LDR-4.1", "location": "CHI"})
    html = html_of(response)
    assert 'name="lines-0-sku" value="LDR-4.1"' in html
    assert 'name="lines-1-sku" ' in html and 'name="lines-1-sku" value=' not in html
    assert code_field(response, "location")[0] == "CHI"
    assert 'name="lines-TOTAL_FORMS" value="5"' in html


def test_the_build_form_warns_about_shortfalls(client, manager):
    client.force_login(manager)
    response = client.get(FORMS["build"])
    [warning] = texts(response, "div", class_="warning-field")
    assert warning.startswith("Allow shortfall: Warning:")
    assert "goes below zero" in warning


def test_every_form_control_has_a_label(client, manager, ldr_worked_example):
    client.force_login(manager)
    for url in FORMS.values():
        html = html_of(client.get(url))
        controls = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="(?:hidden|submit)")[^>]*\bid="([^"]+)"', html)
        assert len(controls) >= 4, url
        for control_id in controls:
            assert re.search(rf'<label[^>]*\bfor="{control_id}"', html), (url, control_id)


# --- recording ---------------------------------------------------------------------------------

def test_a_transfer_lands_on_the_item_page_with_what_moved_from_which_batches(client, item, chicago, milwaukee,
                                                                             supplier, operator):
    worked_example(item, chicago, milwaukee, supplier=supplier, user=operator, steps=3)
    client.force_login(operator)
    response = client.post(
        "/transfers/new/?sku=LDR-4.1&location=CHI",
        {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "120"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/items/LDR-4.1/"
    page = client.get(response["Location"])
    assert texts(page, "p", class_="message") == [
        "Moved 120 ea of LDR-4.1 from Chicago Warehouse to Milwaukee Operations Center: "
        "75 from batch 0001, 45 from batch 0002."
    ]
    chicago_section, milwaukee_section = texts(page, "section")
    assert chicago_section.startswith("Chicago Warehouse CHI 155 ea") and "0002 155 ea" in chicago_section
    assert milwaukee_section.startswith("Milwaukee Operations Center MKE 145 ea")
    assert "0001 100 ea" in milwaukee_section and "0002 45 ea" in milwaukee_section


def test_a_failed_transfer_shows_the_error_next_to_the_quantity_and_records_nothing(
    client, ldr_worked_example_first_half, operator
):
    client.force_login(operator)
    before = snapshot()
    response = client.post(
        FORMS["transfer"], {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "120"}
    )
    assert response.status_code == 200
    assert snapshot() == before
    assert field_errors(response) == {"quantity": ["Only 75 of LDR-4.1 available at CHI (120 requested)."]}
    assert "Nothing was recorded." in text(response)
    html = html_of(response)
    assert 'aria-invalid="true" aria-describedby="id_quantity_error" id="id_quantity"' in html
    assert 'name="quantity" value="120"' in html  # what was typed stays
    assert code_field(response, "to_location")[0] == "MKE"


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"to_location": "CHI"}, {"to_location": ["Source and destination must be different locations."]}),
        ({"quantity": "2.5"}, {"quantity": ["This item is counted in whole units (ea); send a whole number."]}),
        ({"quantity": "0"}, {"quantity": ["Quantity must be greater than zero."]}),
        ({"sku": "NOPE"}, {"sku": ["No item 'NOPE'."]}),
        ({"from_location": "GONE"},
         {"from_location": ["No location 'GONE'."]}),
    ],
)
def test_transfer_errors_appear_next_to_their_field(client, ldr_worked_example, operator, changes, expected):
    client.force_login(operator)
    before = snapshot()
    response = client.post(FORMS["transfer"], {**VALID_POST["transfer"], **changes})
    assert response.status_code == 200
    assert field_errors(response) == expected
    assert snapshot() == before


def test_a_manager_adjusts_down_and_sees_the_fifo_result(client, item, ldr_worked_example, milwaukee, manager):
    client.force_login(manager)
    response = client.post(
        "/adjustments/new/",
        {"sku": "LDR-4.1", "location": "MKE", "direction": "down", "quantity": "110", "reason": "lost"},
        follow=True,
    )
    assert texts(response, "p", class_="message") == [
        "Removed 110 ea of LDR-4.1 at Milwaukee Operations Center (Lost): 100 from batch 0001, 10 from batch 0002."
    ]
    assert lots_at(item, milwaukee) == {"0002": Decimal("35")}
    [_, milwaukee_section] = texts(response, "section")
    assert milwaukee_section.startswith("Milwaukee Operations Center MKE 35 ea")


def test_adjustment_errors_appear_next_to_their_field(client, ldr_worked_example, accountant):
    client.force_login(accountant)
    before = snapshot()
    response = client.post(
        FORMS["adjustment"],
        {"sku": "LDR-4.1", "location": "CHI", "direction": "down", "quantity": "1", "reason": "other"},
    )
    assert field_errors(response) == {
        "note": ["Explain the adjustment in the note when the reason is 'Other (explain in the note)'."]
    }
    response = client.post(FORMS["adjustment"], {"sku": "LDR-4.1", "location": "CHI", "quantity": "1"})
    assert field_errors(response) == {"direction": ["This field is required."], "reason": ["This field is required."]}
    assert snapshot() == before


def test_a_receipt_lands_on_its_location_with_the_new_batches(client, item, chicago, supplier, operator):
    ItemFactory(sku="CBL-9", unit="m", fractional=True)
    client.force_login(operator)
    response = client.post(
        FORMS["receipt"],
        {"supplier": "ACME", "location": "CHI", "po_number": "PO-5", "shipment_number": "S-2",
         **lines_data(("LDR-4.1", "100"), ("", ""), ("CBL-9", "12.5"))},
    )
    assert response["Location"] == "/inventory/?view=location&location=CHI"
    page = client.get(response["Location"])
    assert texts(page, "p", class_="message") == [
        "Received PO PO-5 at Chicago Warehouse: 100 ea of LDR-4.1 as batch 0001; 12.5 m of CBL-9 as batch 0001. "
        "Open the receipt record to print it or link to it."
    ]
    [group] = texts(page, "details", class_="group")
    assert "CBL-9" in group and "12.5 m" in group and "PO-5 (shipment S-2)" in group


def test_a_receipt_line_error_is_shown_on_the_line_and_nothing_is_received(client, item, chicago, supplier, operator):
    client.force_login(operator)
    before = snapshot()
    response = client.post(
        FORMS["receipt"],
        {"supplier": "ACME", "location": "CHI", "po_number": "PO-5",
         **lines_data(("LDR-4.1", "100"), ("LDR-4.1", "0.5"))},
    )
    assert snapshot() == before
    assert field_errors(response) == {
        "lines-1-quantity": ["This item is counted in whole units (ea); send a whole number."]
    }
    assert 'name="lines-0-quantity" value="100"' in html_of(response)


def test_an_empty_receipt_asks_for_a_line(client, item, chicago, supplier, operator):
    client.force_login(operator)
    data = {"supplier": "ACME", "location": "CHI", "po_number": "PO-5", **lines_data()}
    response = client.post(FORMS["receipt"], data)
    [errors] = texts(response, "div", class_="form-errors")
    assert errors.endswith("Add at least one line.")


def test_a_short_build_fails_line_by_line_unless_shortfall_is_allowed(
    client, item, ldr_worked_example, chicago, supplier, manager
):
    receive(ItemFactory(sku="BRK-2"), chicago, "4", supplier=supplier, user=manager)
    client.force_login(manager)
    data = {"location": "CHI", "reference": "WO-3", **lines_data(("LDR-4.1", "160"), ("BRK-2", "5"))}
    before = snapshot()
    response = client.post(FORMS["build"], data)
    assert snapshot() == before
    assert texts(response, "tr", class_="has-error") == [
        "1 SKU, line 1 Quantity, line 1 Only 155 of LDR-4.1 available at CHI (160 requested). 155 ea",
        "2 SKU, line 2 Quantity, line 2 Only 4 of BRK-2 available at CHI (5 requested). 4 ea",
    ]
    response = client.post(FORMS["build"], {**data, "allow_shortfall": "on"}, follow=True)
    assert texts(response, "p", class_="message") == [
        "Recorded build WO-3 at Chicago Warehouse: 160 ea of LDR-4.1 (155 from batch 0002; 5 ea short, recorded as an "
        "open shortfall); 5 ea of BRK-2 (4 from batch 0001; 1 ea short, recorded as an open shortfall). "
        "Open the build record to print it or link to it."
    ]
    assert level(item, chicago) == Decimal("-5")
    assert "-5 ea Shortfall" in text(response)


def test_a_replacement_lands_on_the_item_page(client, item, ldr_worked_example, chicago, operator):
    client.force_login(operator)
    response = client.post(FORMS["replacement"], VALID_POST["replacement"], follow=True)
    assert texts(response, "p", class_="message") == [
        "Used 5 ea of LDR-4.1 at Chicago Warehouse on asset TRUCK-7: 5 from batch 0002. "
        "Open the replacement record to print it or link to it."
    ]
    assert level(item, chicago) == Decimal("150")


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_form_pages_run_a_fixed_number_of_queries(
    client, ldr_worked_example, manager, django_assert_max_num_queries, kind
):
    for _ in range(30):
        LocationFactory()
    client.force_login(manager)
    # Whatever the number of locations: the session, the user, the item, the locations holding
    # it, the lists of the form, the lots at the chosen location.
    with django_assert_max_num_queries(11):
        assert client.get(FORMS[kind], {"sku": "LDR-4.1", "location": "CHI"}).status_code == 200


# --- movement history --------------------------------------------------------------------------

def history_rows(response):
    return texts(response, "tr", class_="movement")


def test_history_lists_every_movement_oldest_first_with_signed_quantities(client, ldr_worked_example, accountant):
    client.force_login(accountant)
    response = client.get(HISTORY)
    rows = history_rows(response)
    assert len(rows) == 4
    assert rows[0].endswith("Receipt +100 ea CHI — Chicago Warehouse 0001: 100 ea PO PO-1001 — olivia unknown unknown")
    assert rows[1].endswith(
        "Transfer -25 ea CHI +25 ea MKE Chicago Warehouse Milwaukee Operations Center 0001: 25 ea — — olivia unknown unknown"
    )
    assert rows[2].endswith("Receipt +200 ea CHI — Chicago Warehouse 0002: 200 ea PO PO-1002 — olivia unknown unknown")
    assert rows[3].endswith(
        "Transfer -120 ea CHI +120 ea MKE Chicago Warehouse Milwaukee Operations Center "
        "0001: 75 ea, 0002: 45 ea — — olivia 0001: unknown 0002: unknown unknown"
    )
    assert "4 movements, oldest first" in text(response)


def test_history_shows_reasons_references_and_settlements(
    client, item, ldr_worked_example, chicago, milwaukee, manager
):
    adjustment_create(item=item, location=milwaukee, direction="down", quantity="1", reason="other",
                      note="Dropped it", user=manager)
    build_create(location=chicago, reference="WO-1", lines=[Line(item, "160")], allow_shortfall=True, user=manager)
    transfer_create(item=item, source=milwaukee, destination=chicago, quantity="10", user=manager, reference="VAN-2")
    client.force_login(manager)
    rows = history_rows(client.get(HISTORY))
    assert rows[4].endswith(
        "Adjustment down -1 ea MKE Milwaukee Operations Center — 0001: 1 ea — "
        "Other (explain in the note): Dropped it manny unknown unknown"
    )
    assert rows[5].endswith(
        "Build -160 ea CHI Built 160 ea, 5 ea short — settled later Chicago Warehouse — 0002: 155 ea Build WO-1 — manny unknown unknown"
    )
    assert rows[6].endswith(
        "Transfer -10 ea MKE +10 ea CHI Milwaukee Operations Center Chicago Warehouse 0001: 10 ea VAN-2 — manny unknown unknown"
    )
    # The units that arrived paid the build's shortfall: no change to Chicago's stock level,
    # and the row says how many units settled it.
    assert rows[7].endswith(
        "Settlement Settled 5 ea of the shortfall of build WO-1 Chicago Warehouse — 0001: 5 ea "
        "Shortfall of build WO-1 settled — manny unknown unknown"
    )


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"kind": "transfer"}, ["-25 ea CHI +25 ea MKE", "-120 ea CHI +120 ea MKE"]),
        ({"kind": "receipt"}, ["+100 ea CHI", "+200 ea CHI"]),
        ({"location": "MKE"}, ["+25 ea MKE", "+120 ea MKE"]),
        ({"location": "MKE", "kind": "receipt"}, []),
    ],
)
def test_history_filters_by_kind_and_location(client, ldr_worked_example, operator, query, expected):
    client.force_login(operator)
    assert texts(client.get(HISTORY, query), "td", class_="changes") == expected


@pytest.fixture
def dated(item, chicago, supplier, operator):
    for day in (1, 3, 5):
        receive(item, chicago, str(day), supplier=supplier, user=operator, po_number=f"PO-{day}",
                occurred_at=timezone.make_aware(datetime.datetime(2024, 5, day, 23, 30)))


@pytest.mark.parametrize(
    "query, pos",
    [
        ({"date_from": "2024-05-03"}, ["PO-3", "PO-5"]),
        ({"date_to": "2024-05-03"}, ["PO-1", "PO-3"]),  # the last day is included
        ({"date_from": "2024-05-02", "date_to": "2024-05-04"}, ["PO-3"]),
        ({"date_from": "2024-06-01"}, []),
    ],
)
def test_history_filters_by_dates_both_ends_included(client, dated, operator, query, pos):
    client.force_login(operator)
    rows = history_rows(client.get(HISTORY, query))
    assert [row.split("PO ")[1].split()[0] for row in rows] == pos


def test_a_bad_date_is_pointed_out_and_ignored(client, dated, operator):
    client.force_login(operator)
    response = client.get(HISTORY, {"date_from": "someday"})
    assert field_errors(response) == {"date_from": ["Enter a valid date."]}
    assert len(history_rows(response)) == 3


def test_history_pages_keep_the_filters(client, item, chicago, supplier, operator):
    for _ in range(51):
        receive(item, chicago, "1", supplier=supplier, user=operator)
    client.force_login(operator)
    first = client.get(HISTORY, {"kind": "receipt"})
    assert len(history_rows(first)) == 50
    assert 'href="?kind=receipt&amp;page=2"' in html_of(first)
    assert len(history_rows(client.get(HISTORY, {"kind": "receipt", "page": "2"}))) == 1


@pytest.mark.parametrize("count", [1, 50])
def test_history_runs_a_fixed_number_of_queries(client, item, chicago, milwaukee, supplier, operator,
                                               django_assert_max_num_queries, count):
    receive(item, chicago, str(count), supplier=supplier, user=operator)
    for _ in range(count - 1):
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity="1", user=operator)
    client.force_login(operator)
    with django_assert_max_num_queries(12):
        response = client.get(HISTORY, {"location": "CHI"})
    assert len(history_rows(response)) == count


def test_history_of_an_unknown_item_is_404(client, operator):
    client.force_login(operator)
    assert client.get("/items/NOPE/history/").status_code == 404


def test_history_needs_a_role(client, nobody, ldr_worked_example):
    client.force_login(nobody)
    assert client.get(HISTORY).status_code == 403
    assert client.get(BATCHES).status_code == 403
    assert client.get(f"{BATCHES}1/").status_code == 403


# --- batches ---------------------------------------------------------------------------------------

def test_batches_tab_lists_each_batch_with_what_is_left(client, item, ldr_worked_example, chicago, manager):
    adjustment_create(item=item, location=chicago, direction="up", quantity="3", reason="found", user=manager)
    client.force_login(manager)
    response = client.get(BATCHES)
    rows = texts(response, "tr")[1:]
    assert [row.split(" 20")[0] for row in rows] == [
        "Batch 0001 Receipt Acme Sensors PO-1001",
        "Batch 0002 Receipt Acme Sensors PO-1002",
        "Batch 0003 Adjustment — Found",
    ]
    assert [row.rsplit(" ", 6)[1:5] for row in rows] == [
        ["100", "ea", "100", "ea"], ["200", "ea", "200", "ea"], ["3", "ea", "3", "ea"],
    ]
    assert 'href="/items/LDR-4.1/batches/0001/"' in html_of(response)


def test_a_batch_trace_shows_where_its_units_went(client, ldr_worked_example, operator):
    client.force_login(operator)
    response = client.get(f"{BATCHES}0001/")
    assert "Batch 0001" in text(response)
    assert "Received quantity 100 ea On hand 100 ea" in text(response)
    rows = [row.split(" ", 3)[3] for row in texts(response, "tr")[1:]]  # after "date time zone"
    assert rows == [
        "Receipt 100 ea — Chicago Warehouse PO PO-1001 olivia unknown",
        "Transfer 25 ea Chicago Warehouse Milwaukee Operations Center — olivia unknown",
        "Transfer 75 ea Chicago Warehouse Milwaukee Operations Center — olivia unknown",
    ]


def test_an_unknown_batch_is_404(client, ldr_worked_example, operator):
    client.force_login(operator)
    assert client.get(f"{BATCHES}9/").status_code == 404


def test_the_lots_on_the_inventory_page_link_to_their_batch_trace(client, ldr_worked_example, operator):
    client.force_login(operator)
    # Lots are shown in an item's own view of the inventory (the list links to it).
    assert 'href="/items/LDR-4.1/batches/0002/"' in html_of(client.get("/inventory/", {"item": "LDR-4.1"}))


@pytest.mark.parametrize("count", [1, 50])
def test_batch_pages_run_a_fixed_number_of_queries(client, item, chicago, milwaukee, supplier, operator,
                                                  django_assert_max_num_queries, count):
    receive(item, chicago, str(count), supplier=supplier, user=operator)
    for _ in range(count - 1):
        receive(item, chicago, "1", supplier=supplier, user=operator)
    for _ in range(count):  # each one takes 1 of batch 0001, the oldest
        transfer_create(item=item, source=chicago, destination=milwaukee, quantity="1", user=operator)
    client.force_login(operator)
    with django_assert_max_num_queries(9):
        batch_rows = texts(client.get(BATCHES), "tr")[1:]
    assert len(batch_rows) == count
    with django_assert_max_num_queries(9):
        trace_rows = texts(client.get(f"{BATCHES}0001/"), "tr")[1:]
    assert len(trace_rows) == min(count + 1, 50)  # its receipt, then every transfer; 50 a page
