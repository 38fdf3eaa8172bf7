"""Lots and batches in the back office: read-only for everyone, filterable, exportable."""

import pytest
from django.urls import NoReverseMatch

from lots.models import Batch, Lot
from tests.admin_support import (  # noqa: F401 (fixtures)
    admin_url,
    csv_file,
    csv_rows,
    export,
    signed_in,
    superuser,
)
from tests.factories import ItemFactory, SupplierFactory
from tests.helpers import snapshot
from tests.stock import receive


def listed(response):
    return [(lot.location.code, lot.batch.label, lot.quantity) for lot in response.context["cl"].result_list]


@pytest.mark.parametrize("model", [Lot, Batch])
def test_lots_and_batches_are_read_only_for_superusers_too(model, superuser, ldr_worked_example_by_manager):
    client = signed_in(superuser)
    record = model.objects.first()
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "add"), {"quantity": "5"}).status_code == 403
    assert client.post(admin_url(model, "change", record.pk), {"quantity": "5"}).status_code == 403
    assert client.get(admin_url(model, "delete", record.pk)).status_code == 403
    assert client.post(admin_url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    # There is no import page at all: the address is read as an object id that does not exist.
    with pytest.raises(NoReverseMatch):
        admin_url(model, "import")
    before = snapshot()
    upload = {"import_file": csv_file("sku,batch,location,quantity\nLDR-4.1,0001,CHI,999\n"), "format": "0"}
    assert client.post(f"/admin/lots/{model._meta.model_name}/import/", upload).status_code == 302
    assert snapshot() == before
    page = client.get(admin_url(model, "change", record.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(admin_url(model), {"action": "delete_selected", "_selected_action": [record.pk]}).status_code == 200
    assert model.objects.filter(pk=record.pk).exists()


def test_lots_list_in_fifo_order_hiding_empty_lots(manager, ldr_worked_example_by_manager):
    client = signed_in(manager)
    assert listed(client.get(admin_url(Lot))) == [("CHI", "0002", 155), ("MKE", "0001", 100), ("MKE", "0002", 45)]
    assert listed(client.get(admin_url(Lot), {"show_empty": "1"})) == [
        ("CHI", "0001", 0), ("CHI", "0002", 155), ("MKE", "0001", 100), ("MKE", "0002", 45),
    ]


def test_lot_filters(manager, ldr_worked_example_by_manager, item, chicago, milwaukee):
    other_supplier = SupplierFactory(code="BOLT")
    receive(ItemFactory(sku="SCR-M3"), milwaukee, "7", supplier=other_supplier, user=manager)
    client = signed_in(manager)
    assert listed(client.get(admin_url(Lot), {"sku": "scr-m3"})) == [("MKE", "0001", 7)]
    assert listed(client.get(admin_url(Lot), {"location__id__exact": chicago.pk})) == [("CHI", "0002", 155)]
    by_supplier = client.get(admin_url(Lot), {"batch__supplier__id__exact": other_supplier.pk})
    assert listed(by_supplier) == [("MKE", "0001", 7)]
    assert client.get(admin_url(Lot), {"batch__origin__exact": "adjustment"}).context["cl"].result_count == 0
    assert client.get(admin_url(Lot), {"batch__received_at_from": "2000-01-01", "batch__received_at_to": "2000-01-31"}).context["cl"].result_count == 0


def test_a_bad_date_does_not_break_the_page(manager, ldr_worked_example_by_manager):
    response = signed_in(manager).get(admin_url(Lot), {"batch__received_at_from": "yesterday"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_lot_export_follows_the_filters(accountant, ldr_worked_example_by_manager, milwaukee):
    client = signed_in(accountant)
    rows = csv_rows(export(client, Lot, "sku=LDR-4.1&show_empty=1"))
    assert [(row["location"], row["batch"], row["quantity"], row["supplier"], row["origin"], row["reference"]) for row in rows] == [
        ("CHI", "0001", "0", "ACME", "receipt", "PO-1001"),
        ("CHI", "0002", "155", "ACME", "receipt", "PO-1002"),
        ("MKE", "0001", "100", "ACME", "receipt", "PO-1001"),
        ("MKE", "0002", "45", "ACME", "receipt", "PO-1002"),
    ]
    milwaukee_only = csv_rows(export(client, Lot, f"location__id__exact={milwaukee.pk}"))
    assert [(row["location"], row["batch"]) for row in milwaukee_only] == [("MKE", "0001"), ("MKE", "0002")]


def test_batch_list_shows_what_is_left(manager, ldr_worked_example_by_manager):
    response = signed_in(manager).get(admin_url(Batch))
    assert [(b.label, b.initial_quantity, b.on_hand) for b in response.context["cl"].result_list] == [
        ("0001", 100, 100), ("0002", 200, 200),
    ]
    page = signed_in(manager).get(admin_url(Batch, "change", Batch.objects.get(number=2).pk)).content.decode()
    assert "Chicago Warehouse" in page and "Milwaukee Operations Center" in page


def test_batch_export(manager, ldr_worked_example_by_manager):
    rows = csv_rows(export(signed_in(manager), Batch))
    assert [(row["sku"], row["batch"], row["initial_quantity"], row["on_hand"], row["po_number"]) for row in rows] == [
        ("LDR-4.1", "0001", "100", "100", "PO-1001"),
        ("LDR-4.1", "0002", "200", "200", "PO-1002"),
    ]
    assert rows[0]["received_at"].endswith("+00:00")


@pytest.mark.parametrize("model", [Lot, Batch])
@pytest.mark.parametrize("rows", [1, 50])
def test_lot_and_batch_lists_run_a_bounded_number_of_queries(
    model, rows, manager, chicago, supplier, django_assert_max_num_queries
):
    for _ in range(rows):
        receive(ItemFactory(), chicago, "3", supplier=supplier, user=manager)
    client = signed_in(manager)
    with django_assert_max_num_queries(14):
        response = client.get(admin_url(model))
    assert len(response.context["cl"].result_list) == rows


def test_export_is_refused_to_operators(operator, ldr_worked_example_by_manager):
    assert signed_in(operator).get(admin_url(Lot, "export")).status_code == 302
