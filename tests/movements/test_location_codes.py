"""Location fields are text boxes taking a typed or scanned code (issue 13): a USB or
Bluetooth scanner types the code and presses Enter, which a select cannot take. The box
suggests the active locations' codes (for a transfer's "From", those holding the item) and
an unknown or inactive code is an error on its field, with the form's other errors."""

import pytest

from movements.models import Movement
from tests.factories import LocationFactory
from tests.helpers import level, snapshot
from tests.pages_support import code_field, field_errors, html_of, lines_data, texts
from tests.stock import receive

TRANSFER, RECEIPT, BUILD, ADJUST, REPLACE = (
    "/transfers/new/", "/receipts/new/", "/builds/new/", "/adjustments/new/", "/replacements/new/")


@pytest.fixture
def stocked(item, chicago, milwaukee, supplier, operator):
    """LDR-4.1: 100 ea at Chicago (CHI); Milwaukee (MKE) and a closed site (OLD) hold nothing."""
    LocationFactory(code="OLD", name="Closed depot", is_active=False)
    receive(item, chicago, "100", supplier=supplier, user=operator, po_number="PO-1")


def transfer(client, **changes):
    return client.post(TRANSFER, {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "5",
                                  **changes})


@pytest.mark.parametrize("source, destination", [("CHI", "MKE"), ("chi", " mke "), ("  Chi", "Mke")])
def test_a_typed_or_scanned_code_records_the_transfer_in_any_case(
        client, stocked, item, chicago, milwaukee, operator, source, destination):
    client.force_login(operator)
    response = transfer(client, from_location=source, to_location=destination)
    assert response.status_code == 302
    movement = Movement.objects.get(kind=Movement.Kind.TRANSFER)
    assert (movement.from_location, movement.to_location, movement.quantity) == (chicago, milwaukee, 5)
    assert (level(item, chicago), level(item, milwaukee)) == (95, 5)


def test_an_unknown_code_is_an_error_on_its_field_with_the_others_and_nothing_is_recorded(client, stocked, operator):
    client.force_login(operator)
    before = snapshot()
    response = transfer(client, to_location="XYZ-9", quantity="2.5")
    assert response.status_code == 200
    assert snapshot() == before
    assert field_errors(response) == {
        "to_location": ["No location 'XYZ-9'."],
        "quantity": ["This item is counted in whole units (ea); send a whole number."],
    }
    assert "Nothing was recorded" in html_of(response)
    assert code_field(response, "to_location")[0] == "XYZ-9"  # what was scanned stays, to correct it


def test_an_inactive_location_is_refused_and_not_suggested(client, stocked, manager):
    client.force_login(manager)
    before = snapshot()
    response = transfer(client, to_location="old")
    assert field_errors(response) == {
        "to_location": ["The location OLD is inactive and cannot take part in new movements."]}
    assert "OLD" not in code_field(response, "to_location")[1]
    response = client.post(ADJUST, {"sku": "LDR-4.1", "location": "OLD", "direction": "up", "quantity": "1",
                                    "reason": "damaged"})
    assert field_errors(response)["location"] == [
        "The location OLD is inactive and cannot take part in new movements."]
    assert snapshot() == before


def test_suggestions_are_the_active_codes_and_for_from_the_holders(client, stocked, operator):
    client.force_login(operator)
    assert code_field(client.get(TRANSFER), "from_location")[1] == ["CHI", "MKE"]
    response = client.get(TRANSFER, {"sku": "LDR-4.1"})
    assert code_field(response, "from_location") == ("CHI", ["CHI"])  # the one holder, filled in
    assert code_field(response, "to_location") == ("", ["CHI", "MKE"])


def test_every_staff_form_takes_its_location_as_a_code(client, stocked, manager):
    client.force_login(manager)
    for path, name in [(RECEIPT, "location"), (BUILD, "location"), (ADJUST, "location"), (REPLACE, "location"),
                       (TRANSFER, "from_location"), (TRANSFER, "to_location")]:
        html = html_of(client.get(path))
        assert f'<select name="{name}"' not in html, path
        assert code_field(client.get(path), name)[1] == ["CHI", "MKE"], path


def test_a_prefilled_location_shows_its_code_and_what_it_holds(client, stocked, operator, manager):
    client.force_login(operator)
    response = client.get(TRANSFER, {"sku": "LDR-4.1", "location": "CHI"})
    assert code_field(response, "from_location")[0] == "CHI"
    assert texts(response, "section", class_="availability")[0].startswith("Available at CHI: 100 ea")
    client.force_login(manager)
    response = client.get(REPLACE, {"sku": "LDR-4.1", "location": "chi"})
    assert code_field(response, "location")[0] == "chi"
    assert texts(response, "section", class_="availability")[0].startswith("Available at CHI: 100 ea")


def test_enter_after_a_scanned_code_checks_and_shows_the_stock_without_recording(client, stocked, operator):
    client.force_login(operator)
    before = snapshot()
    response = client.post(TRANSFER, {"step": "check", "sku": "LDR-4.1", "from_location": "chi"})
    assert snapshot() == before
    assert texts(response, "section", class_="availability")[0].startswith("Available at CHI: 100 ea")


def test_a_receipt_takes_a_scanned_code_and_refuses_an_unknown_one(client, stocked, item, milwaukee, operator):
    client.force_login(operator)
    data = {"supplier": "ACME", "location": "nowhere", "po_number": "PO-7", **lines_data(("LDR-4.1", "3"))}
    response = client.post(RECEIPT, data)
    assert field_errors(response) == {"location": ["No location 'nowhere'."]}
    assert level(item, milwaukee) == 0
    response = client.post(RECEIPT, {**data, "location": "mke"})
    assert response.status_code == 302
    assert level(item, milwaukee) == 3
