"""Which database each kind of query goes to with a read replica configured
(hardfin/db_router.py): the primary by default and for everything that decides a write, the
replica inside replica_reads() unless pinned, and the primary again when the replica is down."""

from __future__ import annotations

import contextvars
import time

import pytest
from django.db import connections, router, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from hardfin import db_router
from hardfin.db_router import PIN_COOKIE, replica_reads
from hardfin.middleware import ReplicaPinningMiddleware
from inventory.models import Item

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def replica(settings, tmp_path):
    """A "replica" alias (a SQLite file of its own: only the alias matters here) and the router."""
    settings.DATABASE_ROUTERS = ["hardfin.db_router.ReplicaRouter"]
    settings.HARDFIN_REPLICA_PIN_SECONDS = 5
    yield from _alias({"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "replica.sqlite3")})


@pytest.fixture
def replica_down(settings, tmp_path):
    settings.DATABASE_ROUTERS = ["hardfin.db_router.ReplicaRouter"]
    yield from _alias({"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "no" / "such" / "dir.sqlite3")})


def _alias(config):
    connections.settings[db_router.REPLICA] = connections.configure_settings(
        {"default": dict(connections.settings["default"]), db_router.REPLICA: config})[db_router.REPLICA]
    # The test case forbids connecting to aliases it was not told about when it started; this
    # one is made here, and connects for real (SQLite opens, or fails to open, its file).
    connection = connections[db_router.REPLICA]

    def ensure_connection():
        if connection.connection is None:
            with connection.wrap_database_errors:
                connection.connect()

    connection.ensure_connection = ensure_connection
    try:
        yield
    finally:
        if hasattr(connections._connections, db_router.REPLICA):
            getattr(connections._connections, db_router.REPLICA).close()
            delattr(connections._connections, db_router.REPLICA)
        del connections.settings[db_router.REPLICA]


def read_alias() -> str:
    return Item.objects.all().db


def test_reads_go_to_the_primary_outside_replica_reads(replica):
    assert read_alias() == "default"


def test_reads_inside_replica_reads_go_to_the_replica(replica):
    with replica_reads():
        assert read_alias() == "replica"
    assert read_alias() == "default"


def test_a_decorated_view_reads_from_the_replica(replica):
    @replica_reads()
    def view():
        return read_alias()

    assert view() == "replica"


def test_writes_always_go_to_the_primary(replica):
    with replica_reads(), db_router.request_scope():
        assert router.db_for_write(Item) == "default"
        assert Item.objects.select_for_update().db == "default"


def test_reads_inside_an_atomic_block_go_to_the_primary(replica):
    with replica_reads():
        with transaction.atomic():
            assert read_alias() == "default"
        assert read_alias() == "replica"
    with transaction.atomic(), replica_reads():
        assert read_alias() == "default"


def test_select_for_update_goes_to_the_primary(replica):
    with replica_reads(), db_router.request_scope(), transaction.atomic():
        assert Item.objects.select_for_update().db == "default"
        list(Item.objects.select_for_update())


def test_after_a_write_the_rest_of_the_request_reads_the_primary(replica):
    with db_router.request_scope():
        with replica_reads():
            assert read_alias() == "replica"
        Item.objects.filter(sku="none").update(name="x")  # a write through the router
        with replica_reads():
            assert read_alias() == "default"
    with db_router.request_scope(), replica_reads():  # the next request starts unpinned
        assert read_alias() == "replica"


def test_a_streamed_export_reads_from_the_replica_while_streaming(replica):
    @replica_reads()
    def export():
        return StreamingHttpResponse(read_alias() for _ in range(3))

    response = export()
    assert b"".join(response.streaming_content) == b"replicareplicareplica"


def test_a_streamed_export_reads_the_replica_in_a_worker_pinned_by_an_earlier_response(replica):
    # A sign-in's session is saved on the way out, after the pinning middleware's scope: that
    # write pins the worker's own context, where a later response's chunks are produced.
    @replica_reads()
    def export():
        return StreamingHttpResponse(read_alias() for _ in range(3))

    def run_in_a_worker():
        db_router.pin()  # the session saved after an earlier request's scope ended
        with db_router.request_scope():
            response = export()
        return b"".join(response.streaming_content)

    assert contextvars.copy_context().run(run_in_a_worker) == b"replicareplicareplica"


def test_a_streamed_export_of_a_request_that_wrote_reads_the_primary(replica):
    @replica_reads()
    def export():
        return StreamingHttpResponse(read_alias() for _ in range(2))

    with db_router.request_scope():
        db_router.pin()
        response = export()
    assert b"".join(response.streaming_content) == b"defaultdefault"


def test_replica_down_reads_fall_back_to_the_primary_with_a_warning(replica_down, caplog):
    with replica_reads():
        assert read_alias() == "default"
    assert "read replica unavailable" in caplog.text


def test_replica_down_a_streamed_export_is_served_whole_from_the_primary(replica_down):
    @replica_reads()
    def export():
        return StreamingHttpResponse(f"{read_alias()}:{Item.objects.count()};" for _ in range(3))

    response = export()
    assert b"".join(response.streaming_content) == b"default:0;default:0;default:0;"


# --- the middleware: pinning per request, and per client with the cookie ---------------------

def run(request) -> tuple[str, HttpResponse]:
    seen = {}

    def view(request):
        if request.GET.get("write"):
            Item.objects.filter(sku="none").update(name="x")
        with replica_reads():
            seen["alias"] = read_alias()
        return HttpResponse("ok")

    response = ReplicaPinningMiddleware(view)(request)
    return seen["alias"], response


def test_a_plain_get_reads_the_replica_and_pins_nothing(replica):
    alias, response = run(RequestFactory().get("/reports/valuation/"))
    assert alias == "replica"
    assert PIN_COOKIE not in response.cookies


def test_a_post_reads_the_primary_and_pins_its_client(replica):
    alias, response = run(RequestFactory().post("/movements/receive/"))
    assert alias == "default"
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 5
    assert float(cookie.value) == pytest.approx(time.time() + 5, abs=2)


def test_a_get_that_wrote_reads_the_primary_and_pins_its_client(replica):
    alias, response = run(RequestFactory().get("/x/", {"write": "1"}))
    assert alias == "default"
    assert PIN_COOKIE in response.cookies


def test_the_pin_cookie_sends_reads_to_the_primary_until_it_expires(replica):
    request = RequestFactory().get("/reports/valuation/")
    request.COOKIES[PIN_COOKIE] = db_router.pin_until(seconds=5)
    alias, response = run(request)
    assert alias == "default"
    assert PIN_COOKIE not in response.cookies  # a pinned read does not extend the pin

    request = RequestFactory().get("/reports/valuation/")
    request.COOKIES[PIN_COOKIE] = db_router.pin_until(seconds=-1)  # expired
    assert run(request)[0] == "replica"


def test_a_forged_pin_cookie_is_ignored(replica):
    request = RequestFactory().get("/reports/valuation/")
    request.COOKIES[PIN_COOKIE] = "soon"
    assert run(request)[0] == "replica"


def test_without_a_replica_there_is_one_database(settings):
    assert db_router.REPLICA not in connections.settings
    assert not getattr(settings, "DATABASE_ROUTERS", [])
    with replica_reads():
        assert read_alias() == "default"
    alias, response = run(RequestFactory().post("/x/"))
    assert alias == "default"
    assert PIN_COOKIE not in response.cookies
