"""Losing the database (issue 10, defect 5): the server restarts or the app's connection is
terminated. Under /api/ that is a 503 JSON ``{"code": "busy"}`` with ``Retry-After``, on a
page a plain 503 page — never a 500. A write that lost its connection before COMMIT certainly
recorded nothing and is retried on a new connection; one that lost it while committing may
have been recorded, so it is not run again (the client retries safely with its
Idempotency-Key).

The PostgreSQL tests terminate the request's own server process (``pg_terminate_backend``
from a second connection) at a chosen moment; the others, on both databases, raise the error
a lost connection gives."""

from decimal import Decimal

import pytest
from django.db import OperationalError, close_old_connections, connection
from django.test import Client

from hardfin.db import retry_on_conflict
from hardfin.errors import DatabaseBusy
from inventory.models import StockLevel
from movements.models import Movement
from tests.api_support import client_for, receive
from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory

TRANSFER = {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "25"}


class AdminShutdown(Exception):
    """What psycopg raises when the server terminates the connection."""

    sqlstate = "57P01"


def connection_lost() -> OperationalError:
    error = OperationalError("terminating connection due to administrator command")
    error.__cause__ = AdminShutdown()
    return error


@pytest.fixture
def stock(db):
    """LDR-4.1: 100 at CHI; an operator to move it."""
    operator = UserFactory(username="olivia", groups=["Operators"])
    item = ItemFactory(sku="LDR-4.1")
    chicago, milwaukee = LocationFactory(code="CHI"), LocationFactory(code="MKE")
    receive(item=item, location=chicago, supplier=SupplierFactory(), user=operator, quantity="100")
    yield {"operator": operator, "item": item, "chicago": chicago, "milwaukee": milwaukee}
    connection.close()  # a terminated connection must not be the one the test database is emptied with


def transfers() -> int:
    return Movement.objects.filter(kind=Movement.Kind.TRANSFER).count()


def quantity_at(item, location) -> Decimal:
    return StockLevel.objects.get(item=item, location=location).quantity


def assert_busy(response):
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "1"
    body = response.json()
    assert body["code"] == "busy"
    assert body["detail"]
    return body


# --- PostgreSQL: the server really drops the connection ----------------------------------------

def terminate_this_connection() -> None:
    """Have the server end this connection's process, as a restart or an administrator would;
    returns once it is gone."""
    pid = connection.connection.info.backend_pid
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    finally:
        other.close()


class TerminateAt:
    """An execute wrapper that terminates the connection just before the first statement
    that contains ``part`` is sent (the movement's INSERT is a statement of its own through
    the ORM, and a part of the transfer's one write on PostgreSQL)."""

    def __init__(self, part: str):
        self.part = part
        self.done = False

    def __call__(self, execute, sql, params, many, context):
        if not self.done and self.part in sql.upper():
            self.done = True
            terminate_this_connection()
        return execute(sql, params, many, context)


def terminate_after_commit(monkeypatch, *, after_statement: str):
    """Once a statement containing ``after_statement`` ran, let the next COMMIT succeed
    and then lose the connection before the answer is read: the write is recorded, yet the
    application sees the commit fail, as when the server restarts at that instant."""
    seen = {"statement": False, "done": False}
    original = connection._commit

    def watch(execute, sql, params, many, context):
        if after_statement in sql.upper():
            seen["statement"] = True
        return execute(sql, params, many, context)

    def commit():
        result = original()
        if seen["statement"] and not seen["done"]:
            seen["done"] = True
            terminate_this_connection()
            with connection.wrap_database_errors:
                connection.connection.execute("SELECT 1")  # the error a lost connection gives
        return result

    monkeypatch.setattr(connection, "_commit", commit)
    return connection.execute_wrapper(watch)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_that_lost_its_connection_before_commit_is_retried_and_recorded_once(stock):
    client = client_for(stock["operator"])
    wrapper = TerminateAt('INSERT INTO "MOVEMENTS_MOVEMENT"')
    with connection.execute_wrapper(wrapper):
        response = client.post("/api/transfers/", TRANSFER, format="json")

    assert wrapper.done
    assert response.status_code == 201, response.content
    assert response.json()["quantity"] == "25"
    assert transfers() == 1
    assert quantity_at(stock["item"], stock["chicago"]) == 75
    assert quantity_at(stock["item"], stock["milwaukee"]) == 25


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_whose_commit_outcome_is_unknown_is_not_run_again(stock, monkeypatch):
    client = client_for(stock["operator"])
    with terminate_after_commit(monkeypatch, after_statement='INSERT INTO "MOVEMENTS_MOVEMENT"'):
        response = client.post("/api/transfers/", TRANSFER, format="json")

    body = assert_busy(response)
    assert "may or may not have been recorded" in body["detail"]
    assert transfers() == 1  # recorded by the commit that "failed", and not a second time
    assert quantity_at(stock["item"], stock["chicago"]) == 75


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_retrying_with_the_same_idempotency_key_after_an_unknown_outcome_records_nothing_twice(stock, monkeypatch):
    client = client_for(stock["operator"])
    headers = {"HTTP_IDEMPOTENCY_KEY": "transfer-42"}
    with terminate_after_commit(monkeypatch, after_statement='INSERT INTO "MOVEMENTS_MOVEMENT"'):
        first = client.post("/api/transfers/", TRANSFER, format="json", **headers)
    assert_busy(first)

    again = client.post("/api/transfers/", TRANSFER, format="json", **headers)

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert transfers() == 1
    assert quantity_at(stock["item"], stock["chicago"]) == 75


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_api_read_that_lost_the_database_answers_503_busy(stock):
    client = client_for(stock["operator"])
    assert client.get("/api/stock/").status_code == 200  # the connection is open

    terminate_this_connection()
    response = client.get("/api/stock/")

    assert_busy(response)
    close_old_connections()  # as at the end of every request: the broken connection is dropped
    assert client.get("/api/stock/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_page_that_lost_the_database_answers_a_plain_503_page(stock):
    client = Client()
    client.force_login(stock["operator"])
    assert client.get("/inventory/").status_code == 200

    terminate_this_connection()
    response = client.get("/inventory/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "1"
    assert "Temporarily unavailable" in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_page_form_that_lost_its_connection_before_commit_is_recorded_once(stock):
    client = Client()
    client.force_login(stock["operator"])
    form = {"sku": "LDR-4.1", "from_location": "CHI", "to_location": "MKE", "quantity": "25"}

    wrapper = TerminateAt('INSERT INTO "MOVEMENTS_MOVEMENT"')
    with connection.execute_wrapper(wrapper):
        response = client.post("/transfers/new/", form)

    assert wrapper.done
    assert response.status_code == 302
    assert transfers() == 1


# --- Both databases: the error a lost connection gives -----------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_is_retried_after_a_connection_lost_before_commit(settings):
    settings.HARDFIN_WRITE_RETRIES = 3
    calls = []

    @retry_on_conflict
    def write():
        calls.append(1)
        if len(calls) == 1:
            raise connection_lost()
        return "written"

    assert write() == "written"
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_that_stays_lost_becomes_database_busy(settings):
    settings.HARDFIN_WRITE_RETRIES = 2
    calls = []

    @retry_on_conflict
    def write():
        calls.append(1)
        raise connection_lost()

    with pytest.raises(DatabaseBusy, match="nothing was recorded"):
        write()
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_whose_commit_failed_with_the_connection_is_not_run_again(stock, monkeypatch):
    original = connection._commit

    def commit():
        original()  # recorded, but the answer never arrives
        raise connection_lost()

    client = client_for(stock["operator"])
    monkeypatch.setattr(connection, "_commit", commit)
    response = client.post("/api/transfers/", TRANSFER, format="json")
    monkeypatch.undo()

    body = assert_busy(response)
    assert "may or may not have been recorded" in body["detail"]
    assert transfers() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_api_read_that_lost_the_database_answers_503_json(stock, monkeypatch):
    def lose_connection(execute, sql, params, many, context):
        raise connection_lost()

    client = client_for(stock["operator"])
    with connection.execute_wrapper(lose_connection):
        response = client.get("/api/items/")

    assert_busy(response)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_page_that_lost_the_database_answers_a_503_page(stock):
    client = Client()
    client.force_login(stock["operator"])

    def lose_connection(execute, sql, params, many, context):
        raise connection_lost()

    with connection.execute_wrapper(lose_connection):
        response = client.get("/inventory/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "1"
    assert "Temporarily unavailable" in response.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_error_that_is_not_a_lost_connection_is_still_a_server_error(stock):
    def broken(execute, sql, params, many, context):
        raise OperationalError("no such table: inventory_item")

    client = client_for(stock["operator"])
    client.raise_request_exception = False
    with connection.execute_wrapper(broken):
        response = client.get("/api/items/")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
