"""/reports/valuation/ and /reports/rollforward/: what an accountant reads, the period presets,
the downloads, the navigation, and query counts that do not grow with rows."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from movements.services import Line, receipt_create, transfer_create
from tests.admin_support import signed_in
from tests.factories import ItemFactory
from tests.pages_support import html_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def example(item, chicago, milwaukee, supplier, operator):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1001", lines=[Line(item, "100", "10.00")],
                   user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="25", user=operator)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1002", lines=[Line(item, "200", "12.50")],
                   user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="120", user=operator)
    return item


def test_valuation_page_shows_total_by_location_and_item(example, accountant):
    response = signed_in(accountant).get("/reports/valuation/")
    assert response.status_code == 200
    html = html_of(response)
    assert 'id="total-value">USD 3,500.00<' in html
    assert "1,937.50" in html and "1,562.50" in html
    assert "Milwaukee Operations Center" in html
    assert 'id="unknown-costs"' not in html


def test_valuation_page_calls_out_units_of_unknown_cost(example, chicago, supplier, operator):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-3", lines=[Line(example, "7")], user=operator)
    html = html_of(signed_in(operator).get("/reports/valuation/"))
    assert 'id="unknown-units">7<' in html
    assert "1 row holds units of unknown cost" in html
    assert "LDR-4.1 at Chicago Warehouse: 7 ea" in html


def test_valuation_page_as_of_and_filters(example, operator):
    from movements.models import Movement

    first_transfer = Movement.objects.filter(kind="transfer").order_by("id").first()
    as_of = timezone.localtime(first_transfer.occurred_at).strftime("%Y-%m-%dT%H:%M:%S.%f")
    html = html_of(signed_in(operator).get("/reports/valuation/", {"as_of": as_of}))
    assert 'id="total-value">USD 1,000.00<' in html
    html = html_of(signed_in(operator).get("/reports/valuation/", {"location": "MKE"}))
    assert 'id="total-value">USD 1,562.50<' in html


def test_valuation_page_downloads(example, operator):
    response = signed_in(operator).get("/reports/valuation/export.csv", {"location": "CHI"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1] == ["LDR-4.1", "Lidar unit 4.1", "Chicago Warehouse", "155", "ea", "1937.50", "0"]
    xlsx = signed_in(operator).get("/reports/valuation/export.xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_rollforward_page_this_month_with_totals(example, accountant):
    html = html_of(signed_in(accountant).get("/reports/rollforward/"))
    assert 'id="totals-quantity"' in html
    totals_values = html.split('id="totals-value"')[1].split("</tr>")[0]
    # opening 0, received 3500, adjusted up 0, in 1562.50, out 1562.50, ... closing 3500
    assert [cell.split(">")[-1] for cell in totals_values.split("</td>")[:-1]][1:] == [
        "0.00", "3,500.00", "0.00", "1,562.50", "1,562.50", "0.00", "0.00", "0.00", "3,500.00"]


def test_rollforward_page_last_month_and_custom_range(example, operator):
    html = html_of(signed_in(operator).get("/reports/rollforward/", {"period": "last_month"}))
    assert "No stock and no movements in this period." in html
    today = timezone.localdate()
    html = html_of(signed_in(operator).get("/reports/rollforward/", {
        "period": "custom", "date_from": today.isoformat(), "date_to": today.isoformat(), "location": "MKE"}))
    assert "Milwaukee Operations Center" in html and "Chicago Warehouse</td>" not in html
    bad = signed_in(operator).get("/reports/rollforward/", {"period": "custom", "date_to": today.isoformat()})
    assert "Give the first day of the range." in html_of(bad)


def test_rollforward_page_downloads(example, operator):
    response = signed_in(operator).get("/reports/rollforward/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(r["location"], r["closing"], r["closing_value"]) for r in rows] == [
        ("CHI", "155", "1937.50"), ("MKE", "145", "1562.50")]


@pytest.mark.parametrize("role, shown", [("operator", True), ("manager", True), ("accountant", True)])
def test_navigation_links_to_the_reports(example, request, role, shown):
    html = html_of(signed_in(request.getfixturevalue(role)).get("/inventory/"))
    assert ('href="/reports/valuation/"' in html) is shown
    assert ('href="/reports/rollforward/"' in html) is shown


def test_users_without_a_role_get_403(nobody):
    assert signed_in(nobody).get("/reports/valuation/").status_code == 403
    assert signed_in(nobody).get("/reports/rollforward/").status_code == 403
    assert signed_in(nobody).get("/reports/rollforward/export.csv").status_code == 403


@pytest.mark.parametrize("path", ["/reports/valuation/", "/reports/rollforward/"])
def test_page_query_counts_do_not_grow_with_rows(path, chicago, milwaukee, supplier, operator):
    client = signed_in(operator)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    receipt_create(supplier=supplier, location=chicago, po_number="P", lines=[Line(ItemFactory(sku="A-0"), "5", "1")],
                   user=operator)
    one = count()
    for n in range(1, 30):
        other = ItemFactory(sku=f"A-{n}")
        receipt_create(supplier=supplier, location=chicago, po_number="P", lines=[Line(other, "5", "1")], user=operator)
        transfer_create(item=other, source=chicago, destination=milwaukee, quantity="2", user=operator,
                        occurred_at=timezone.now() + timedelta(seconds=n))
    assert count() == one
