"""GET /api/valuation/ and /api/reports/rollforward/ (API.md "Additions (v1.1)"): fields,
rounding, filters, exports, and query counts that do not grow with the rows."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from movements.services import Line, adjustment_create, build_create, receipt_create, replacement_create, transfer_create
from tests.api_support import api  # noqa: F401
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def example(item, chicago, milwaukee, supplier, operator):
    """The worked example with costs: 0001 at 10.00, 0002 at 12.50."""
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1001", lines=[Line(item, "100", "10.00")],
                   user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="25", user=operator)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1002", lines=[Line(item, "200", "12.50")],
                   user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="120", user=operator)
    return item


def test_valuation_of_the_worked_example(api, example, accountant):
    body = api(accountant).get("/api/valuation/").json()
    assert body["currency"] == "USD"
    assert body["total_value"] == "3500.00"
    assert body["unknown_cost_quantity_rows"] == 0
    # Keyset pages, as the stock list: next and previous, no count (API.md: "count"?).
    assert "count" not in body and body["next"] is None and body["previous"] is None
    assert body["results"] == [
        {"sku": "LDR-4.1", "location": "CHI", "quantity": "155", "value": "1937.50", "unknown_cost_quantity": "0"},
        {"sku": "LDR-4.1", "location": "MKE", "quantity": "145", "value": "1562.50", "unknown_cost_quantity": "0"},
    ]


def test_valuation_total_covers_every_row_not_one_page(api, example, operator):
    client = api(operator)
    body = client.get("/api/valuation/", {"page_size": 1}).json()
    assert [row["location"] for row in body["results"]] == ["CHI"] and body["next"] and body["previous"] is None
    assert body["total_value"] == "3500.00"
    second = client.get(body["next"]).json()
    assert [row["location"] for row in second["results"]] == ["MKE"] and second["next"] is None
    assert second["total_value"] == "3500.00"
    back = client.get(second["previous"]).json()
    assert [row["location"] for row in back["results"]] == ["CHI"]
    # A cursor this list did not hand out, and page numbers, are refused clearly.
    assert client.get("/api/valuation/", {"cursor": "bm90LWEtY3Vyc29y"}).status_code == 404
    assert client.get("/api/valuation/", {"page": "2"}).status_code == 400


def test_valuation_filters_and_unknown_costs(api, example, chicago, supplier, operator, settings):
    settings.HARDFIN_CURRENCY = "EUR"
    other = ItemFactory(sku="CBL-7")
    receipt_create(supplier=supplier, location=chicago, po_number="PO-3", lines=[Line(other, "4")], user=operator)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-4", lines=[Line(example, "2")], user=operator)
    body = api(operator).get("/api/valuation/", {"location": "chi"}).json()
    assert body["currency"] == "EUR"
    assert [(r["sku"], r["quantity"], r["value"], r["unknown_cost_quantity"]) for r in body["results"]] == [
        ("CBL-7", "4", None, "4"), ("LDR-4.1", "157", "1937.50", "2")]
    assert body["unknown_cost_quantity_rows"] == 2
    assert api(operator).get("/api/valuation/", {"item": "NOPE"}).json()["results"] == []


def test_valuation_as_of_an_earlier_instant(api, example, operator):
    from movements.models import Movement

    second_receipt = Movement.objects.filter(kind="receipt").order_by("id")[1]
    body = api(operator).get("/api/valuation/", {"as_of": second_receipt.occurred_at.isoformat()}).json()
    assert [(r["location"], r["quantity"], r["value"]) for r in body["results"]] == [
        ("CHI", "275", "3250.00"), ("MKE", "25", "250.00")]
    assert body["total_value"] == "3500.00"
    assert api(operator).get("/api/valuation/", {"as_of": "yesterday"}).status_code == 400


def test_valuation_csv_and_xlsx(api, example, operator):
    response = api(operator).get("/api/valuation/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        ["SKU", "Item name", "Location", "Quantity", "Unit", "Value", "Unknown cost quantity"],
        ["LDR-4.1", "Lidar unit 4.1", "Chicago Warehouse", "155", "ea", "1937.50", "0"],
        ["LDR-4.1", "Lidar unit 4.1", "Milwaukee Operations Center", "145", "ea", "1562.50", "0"],
    ]
    xlsx = api(operator).get("/api/valuation/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0] == rows[0]
    assert cells[1] == ["LDR-4.1", "Lidar unit 4.1", "Chicago Warehouse", 155, "ea", 1937.5, 0]


def test_exports_escape_formulas(api, chicago, supplier, operator):
    evil = ItemFactory(sku="EVIL-1", name="=HYPERLINK(\"http://x\")")
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1", lines=[Line(evil, "1", "1")], user=operator)
    text = b"".join(api(operator).get("/api/valuation/export.csv").streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    sheet = load_workbook(io.BytesIO(api(operator).get("/api/valuation/export.xlsx").content)).active
    assert sheet.cell(row=2, column=2).value == "'=HYPERLINK(\"http://x\")"


# --- the rollforward ----------------------------------------------------------------------------

FLOW_NAMES = ["received", "adjusted_up", "transferred_in", "transferred_out", "adjusted_down", "built", "replaced"]


def ties(row, suffix=""):
    d = {name: Decimal(row[f"{name}{suffix}"]) for name in ["opening", *FLOW_NAMES, "closing"]}
    return (d["opening"] + d["received"] + d["adjusted_up"] + d["transferred_in"] - d["transferred_out"]
            - d["adjusted_down"] - d["built"] - d["replaced"]) == d["closing"]


def test_rollforward_of_the_worked_example_over_its_whole_history(api, example, operator):
    since = (timezone.now() - timedelta(days=1)).isoformat()
    body = api(operator).get("/api/reports/rollforward/", {"since": since}).json()
    assert body["currency"] == "USD"
    chi, mke = body["results"]
    assert (chi["location"], chi["opening"], chi["received"], chi["transferred_out"], chi["closing"]) == (
        "CHI", "0", "300", "145", "155")
    assert (chi["opening_value"], chi["received_value"], chi["transferred_out_value"], chi["closing_value"]) == (
        "0.00", "3500.00", "1562.50", "1937.50")
    assert chi["adjusted_up_value"] == "0.00"
    assert (mke["transferred_in"], mke["transferred_in_value"], mke["closing_value"]) == ("145", "1562.50", "1562.50")
    assert ties(chi) and ties(chi, "_value") and ties(mke) and ties(mke, "_value")


def test_rollforward_period_splits_opening_and_flows(api, example, chicago, manager, operator):
    cut = timezone.now()
    adjustment_create(item=example, location=chicago, direction="down", quantity="5", reason="lost", user=manager)
    build_create(location=chicago, reference="WO-1", lines=[Line(example, "160")], allow_shortfall=True, user=operator)
    receipt_create(supplier=example.batches.first().supplier, location=chicago, po_number="PO-5",
                   lines=[Line(example, "30", "11")], user=operator)
    replacement_create(item=example, location=chicago, quantity="2", asset="T-1", user=operator)
    body = api(operator).get("/api/reports/rollforward/", {"since": cut.isoformat(), "location": "CHI"}).json()
    [row] = body["results"]
    assert (row["opening"], row["adjusted_down"], row["built"], row["received"], row["replaced"], row["closing"]) == (
        "155", "5", "160", "30", "2", "18")
    # 150 of 0002 went into the build at 12.50, and 10 of the new 0003 at 11.00 settled its
    # shortfall: both count as built.
    assert (row["opening_value"], row["adjusted_down_value"], row["built_value"], row["received_value"],
            row["replaced_value"], row["closing_value"]) == ("1937.50", "62.50", "1985.00", "330.00", "22.00",
                                                             "198.00")
    assert ties(row) and ties(row, "_value")


def test_rollforward_defaults_to_this_month_and_validates(api, example, operator):
    body = api(operator).get("/api/reports/rollforward/").json()
    now = timezone.localtime()
    assert body["since"].startswith(now.strftime("%Y-%m-01T00:00:00"))
    assert api(operator).get("/api/reports/rollforward/", {"since": "nope"}).status_code == 400
    bad = api(operator).get("/api/reports/rollforward/", {"since": "2026-02-01", "until": "2026-01-01"})
    assert bad.status_code == 400 and "until" in bad.json()


def test_rollforward_csv_and_xlsx_have_the_json_columns(api, example, operator):
    since = (timezone.now() - timedelta(days=1)).isoformat()
    json_rows = api(operator).get("/api/reports/rollforward/", {"since": since}).json()["results"]
    response = api(operator).get("/api/reports/rollforward.csv", {"since": since})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows == json_rows
    sheet = load_workbook(io.BytesIO(api(operator).get("/api/reports/rollforward.xlsx", {"since": since}).content)).active
    header, first = [[c.value for c in row] for row in sheet.iter_rows(max_row=2)]
    assert header == list(json_rows[0])
    assert dict(zip(header, first, strict=True))["received_value"] == 3500


@pytest.mark.parametrize("path", ["/api/valuation/", "/api/reports/rollforward/?since=2000-01-01",
                                  "/api/valuation/export.csv", "/api/reports/rollforward.csv?since=2000-01-01"])
def test_query_counts_do_not_grow_with_rows(api, chicago, milwaukee, supplier, operator, path,
                                            django_assert_max_num_queries):
    client = api(operator)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(queries)

    first = ItemFactory(sku="A-0")
    receipt_create(supplier=supplier, location=chicago, po_number="P", lines=[Line(first, "5", "1")], user=operator)
    one = count()
    for n in range(1, 25):
        other = ItemFactory(sku=f"A-{n}")
        receipt_create(supplier=supplier, location=chicago, po_number="P", lines=[Line(other, "5", "1")], user=operator)
        transfer_create(item=other, source=chicago, destination=milwaukee, quantity="2", user=operator)
    assert count() == one


def test_valuation_says_which_instant_it_values(api, example, operator):
    before = timezone.now()
    body = api(operator).get("/api/valuation/").json()
    from django.utils.dateparse import parse_datetime

    assert parse_datetime(body["as_of"]) >= before
    at = "2000-01-01T00:00:00Z"
    body = api(operator).get("/api/valuation/", {"as_of": at}).json()
    assert (parse_datetime(body["as_of"]), body["results"], body["total_value"]) == (parse_datetime(at), [], "0.00")


@pytest.mark.parametrize("path", ["/api/reports/rollforward/", "/api/reports/rollforward.csv",
                                  "/api/reports/rollforward.xlsx", "/api/valuation/", "/api/valuation/export.csv"])
@pytest.mark.parametrize("scope", [{"location": "\x00~"}, {"item": "LDR\x00"}, {"item": "NO-SUCH"}])
def test_a_filter_that_names_no_record_matches_nothing_never_a_server_error(api, example, operator, path, scope):
    response = api(operator).get(path, scope)

    assert response.status_code == 200
    if path.endswith("/"):
        assert response.json()["results"] == []
