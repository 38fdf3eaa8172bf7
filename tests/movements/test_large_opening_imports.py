"""Opening balances of many items: the check looks up a file's items, locations and suppliers
a batch of keys per query, not one query per SKU (issue 10, defect 7)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Item
from movements.imports import OpeningBalancesInvalid, opening_balances_check, opening_balances_read
from tests.factories import LocationFactory, SupplierFactory

HEADER = "sku,location,quantity,supplier,po_number,received_at\n"


@pytest.fixture
def parts(db):
    LocationFactory(code="CHI")
    LocationFactory(code="OLD", is_active=False)
    SupplierFactory(code="ACME")
    Item.objects.bulk_create(Item(sku=f"P-{n:05d}", name=f"Part {n}") for n in range(1000))


def rows_of(count: int):
    lines = [f"p-{n:05d},chi,{1 + n % 5},{'ACME' if n % 2 else ''},,2024-01-1{n % 10}\n" for n in range(count)]
    return opening_balances_read(HEADER + "".join(lines))


def checked_queries(rows) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as queries:
        balances = opening_balances_check(rows=rows)
    return len(queries), balances


def test_the_check_of_1000_rows_costs_the_queries_of_10(parts):
    small, few = checked_queries(rows_of(10))
    large, many = checked_queries(rows_of(1000))
    assert len(few) == 10 and len(many) == 1000
    assert large <= small <= 3, (small, large)  # one query per kind of record named
    # Keys match ignoring case, as before.
    assert (many[999].item.sku, many[999].location.code, many[999].supplier.code) == ("P-00999", "CHI", "ACME")


def test_every_problem_of_a_large_file_is_still_reported_with_its_row(parts):
    rows = rows_of(1000)
    rows[499]["sku"] = "NOPE-1"
    rows[899]["location"] = "old"
    rows[949]["supplier"] = "ZZZ"
    with pytest.raises(OpeningBalancesInvalid) as raised:
        opening_balances_check(rows=rows)
    assert [str(error) for error in raised.value.errors] == [
        "Row 500, sku: No item 'NOPE-1'.",
        "Row 900, location: The location OLD is inactive and cannot take part in new movements.",
        "Row 950, supplier: No supplier 'ZZZ'.",
    ]
