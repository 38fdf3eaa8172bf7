"""The write path stays lean (issue 9): the statements one transfer takes, counted, and flat in
the history behind it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from movements.services import transfer_create
from tests.api_support import api  # noqa: F401  (api is a fixture)

#: A line of a batch whose cost is unknown carries these too (API.md v1.1).
NO_COST = {"unit_cost": None, "value": None}

#: Lock both stock levels; read the source's lots, then the batch of the lot taken (by id: a
#: join made the planner scan every batch next to thousands of empty lots); lower a lot and
#: its level; record the movement and its line; read the destination's lots; raise its level
#: and its lot.
ORM_STATEMENTS = 10
#: On PostgreSQL: lock both stock levels; read the source's lots; read the batch taken with
#: its lot at the destination; write the lots, the levels, the movement and its line in one.
POSTGRESQL_STATEMENTS = 4
#: Plus the token with its user, the user's permissions (one query), the item and the two
#: locations the body names.
DOOR_STATEMENTS = 5


def service_statements() -> int:
    return POSTGRESQL_STATEMENTS if connection.vendor == "postgresql" else ORM_STATEMENTS


def statements(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def is_level_insert(sql: str) -> bool:
    return sql.startswith("INSERT") and '"inventory_stocklevel"' in sql.split("(")[0]


@pytest.fixture
def moving(item, ldr_100_at_chicago, chicago, milwaukee, operator):
    # Both stock levels exist now, as they do for any item-location that has moved before.
    transfer_create(item=item, source=chicago, destination=milwaukee, quantity=1, user=operator)
    return item


def test_a_transfer_takes_four_statements_on_postgresql_and_ten_elsewhere(moving, chicago, milwaukee, operator):
    with CaptureQueriesContext(connection) as queries:
        transfer_create(item=moving, source=chicago, destination=milwaukee, quantity=1, user=operator)
    assert len(statements(queries)) == service_statements()
    assert not [sql for sql in statements(queries) if is_level_insert(sql)]


def test_an_api_transfer_does_not_read_back_what_it_wrote(api, moving, operator):
    client = api(operator)
    body = {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "1"}
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/transfers/", body, format="json")
    assert response.status_code == 201
    assert response.json()["lines"] == [{"batch": "0001", "from_location": "CHI", "to_location": "MKE", "quantity": "1", **NO_COST}]
    assert len(statements(queries)) == service_statements() + DOOR_STATEMENTS
    assert client.get(f"/api/movements/{response.json()['id']}/").json() == response.json()


def test_a_transfer_into_a_new_location_creates_its_level(moving, chicago, operator):
    from tests.factories import LocationFactory

    van = LocationFactory(code="VAN1")
    with CaptureQueriesContext(connection) as queries:
        transfer_create(item=moving, source=chicago, destination=van, quantity=1, user=operator)
    inserts = [sql for sql in statements(queries) if is_level_insert(sql)]
    assert len(inserts) == 1
    assert moving.stock_levels.get(location=van).quantity == 1


def test_the_fifo_read_does_not_join_the_batches(moving, chicago, milwaukee, operator):
    """Next to an item's thousands of empty lots the planner, estimating from all of them,
    answered the joined read with a scan of every batch (17 of 26 ms at 10,000 empty lots):
    the lots are read alone, their batches by id."""
    with CaptureQueriesContext(connection) as queries:
        transfer_create(item=moving, source=chicago, destination=milwaukee, quantity=1, user=operator)
    lot_reads = [sql for sql in statements(queries) if sql.startswith("SELECT") and 'FROM "lots_lot"' in sql]
    assert lot_reads and not [sql for sql in lot_reads if '"lots_batch"' in sql]
    batch_reads = [sql for sql in statements(queries) if sql.startswith("SELECT") and 'FROM "lots_batch"' in sql]
    by_id = 'b.id = ANY(' if connection.vendor == "postgresql" else '"lots_batch"."id" IN'
    assert len(batch_reads) == 1 and by_id in batch_reads[0]


@pytest.mark.postgres
def test_on_postgresql_a_transfer_s_statements_are_planned_once_per_connection(moving, chicago, milwaukee, operator):
    def runs() -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
            return dict(cursor.fetchall())

    transfer_create(item=moving, source=chicago, destination=milwaukee, quantity=1, user=operator)
    before = runs()
    with CaptureQueriesContext(connection) as queries:
        transfer_create(item=moving, source=chicago, destination=milwaukee, quantity=1, user=operator)
    after = runs()
    sent = statements(queries)
    # Each statement was prepared by the first transfer and only executed again by the second.
    assert len(sent) == POSTGRESQL_STATEMENTS
    assert all(before.get(sql) for sql in sent)
    assert [after[sql] - before[sql] for sql in sent] == [1] * len(sent)
