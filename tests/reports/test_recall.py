"""Recall trace: from a batch, a supplier or a PO number, where every unit is now and every
movement that used units of it up — a page and the batch trace's ``whereabouts``."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lots.models import Batch
from movements.services import Line, build_create, receipt_create, replacement_create, transfer_create
from tests.admin_support import signed_in
from tests.api_support import api  # noqa: F401
from tests.factories import ItemFactory, SupplierFactory
from tests.pages_support import html_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def example(item, chicago, milwaukee, supplier, operator):
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1001", lines=[Line(item, "100", "10")],
                   user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="25", user=operator)
    receipt_create(supplier=supplier, location=chicago, po_number="PO-1002", lines=[Line(item, "200", "12.5")],
                   user=operator)
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity="120", user=operator)
    build_create(location=milwaukee, reference="WO-7", lines=[Line(item, "30")], user=operator)
    replacement_create(item=item, location=milwaukee, quantity="2", asset="TRUCK-9", user=operator)
    return item


def test_api_trace_lists_the_whereabouts(api, example, operator):
    batch = Batch.objects.get(item=example, number=1)
    body = api(operator).get(f"/api/batches/{batch.pk}/trace/").json()
    assert [(w["location"], w["quantity"], w["value"]) for w in body["whereabouts"]] == [("MKE", "68", "680.00")]
    assert body["whereabouts"][0]["location_name"] == "Milwaukee Operations Center"
    assert len(body["results"]) == 5  # receipt, two transfers, the build, the replacement


def test_recall_by_po_number(example, operator):
    html = html_of(signed_in(operator).get("/reports/recall/", {"po_number": "po-1001"}))
    assert "LDR-4.1 batch 0001" in html
    assert "Milwaukee Operations Center" in html and "68 ea" in html
    assert "WO-7" in html and "TRUCK-9" in html


def test_recall_by_supplier_and_by_batch(example, operator):
    html = html_of(signed_in(operator).get("/reports/recall/", {"supplier": "acme"}))
    assert "LDR-4.1 batch 0001" in html and "LDR-4.1 batch 0002" in html
    assert "Chicago Warehouse" in html  # 155 of 0002 are still there
    html = html_of(signed_in(operator).get("/reports/recall/", {"sku": "ldr-4.1", "batch": "2"}))
    assert "LDR-4.1 batch 0002" in html and "LDR-4.1 batch 0001" not in html
    assert "No batch matches." in html_of(signed_in(operator).get("/reports/recall/", {"po_number": "NOPE"}))
    assert "Give the SKU of the batch." in html_of(signed_in(operator).get("/reports/recall/", {"batch": "2"}))


def test_recall_queries_do_not_grow_with_batches(chicago, milwaukee, operator):
    supplier = SupplierFactory(code="BULK")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in(operator).get("/reports/recall/", {"supplier": "BULK"}).status_code == 200
        return len(queries)

    item = ItemFactory(sku="R-0")
    receipt_create(supplier=supplier, location=chicago, po_number="P", lines=[Line(item, "5")], user=operator)
    one = count()
    for n in range(1, 15):
        other = ItemFactory(sku=f"R-{n}")
        receipt_create(supplier=supplier, location=chicago, po_number="P", lines=[Line(other, "5")], user=operator)
        transfer_create(item=other, source=chicago, destination=milwaukee, quantity="2", user=operator)
        replacement_create(item=other, location=milwaukee, quantity="1", asset="A", user=operator)
    assert count() == one
