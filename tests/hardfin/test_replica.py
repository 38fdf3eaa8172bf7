"""The read replica for real: a throw-away PostgreSQL primary and a streaming replica made from
it with pg_basebackup (tools/clusters.py), and the app as a gunicorn server with
DATABASE_URL / REPLICA_DATABASE_URL. While the replica's replay is paused, a write on the
primary is missing from the exports and reports (they read the replica), but not for the
client that wrote it (pinned to the primary); after the replica catches up everyone sees it;
with the replica down the export is served whole from the primary."""

from __future__ import annotations

import http.cookies
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tools import gunicorn
from tools.clusters import Cluster, Replica

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
KEY = "6vN2q0Jz-Xw8sYc4Lr1Tb7Ue3Ki9Op5Ma0Ng6Hd2Fj8Ql4Zx-Rt5Wy7Bk3"
SETUP = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from inventory.models import Item, Location, Supplier
user = User.objects.create_superuser("boss", "boss@example.com", "not-used-here-1")
Token.objects.create(user=user, key="a" * 40)
Item.objects.create(sku="LDR-4.1", name="Lidar unit 4.1")
Location.objects.create(code="CHI", name="Chicago Warehouse")
Supplier.objects.create(code="ACME", name="Acme Sensors")
"""


def app_env(primary, replica, **extra):
    env = {name: value for name, value in os.environ.items()
           if name not in {"DEBUG", "CACHE_URL", "REDIS_URL"} and not name.startswith("SECURE_")}
    env.update(SECRET_KEY=KEY, ALLOWED_HOSTS="127.0.0.1", DATABASE_URL=primary.url("hardfin"),
               REPLICA_DATABASE_URL=replica.url("hardfin"), REPLICA_PIN_SECONDS="60", LOG_LEVEL="WARNING", **extra)
    return env


@pytest.fixture(scope="module")
def shape():
    with Cluster() as primary, Replica(primary) as replica:
        primary.create_database("hardfin")
        env = app_env(primary, replica)
        for command in (["migrate", "--no-input", "-v", "0"], ["shell", "-c", SETUP]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=600)
        log = open(primary.workdir / "gunicorn.log", "w")
        server, url = gunicorn.start(env, log=log)
        try:
            gunicorn.wait_healthy(server, url, describe=(primary.workdir / "gunicorn.log").read_text)
            replica.wait_caught_up()
            yield primary, replica, url
        finally:
            server.terminate()
            server.wait(15)
            log.close()


class Client:
    """A client that keeps the cookies it is given, as a browser does (by name, for this server)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener()

    def open(self, request, timeout):
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        response = self.opener.open(request, timeout=timeout)
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response


def client():
    return Client()


def call(opener, url, method="GET", body=None, *, headers=None) -> tuple[int, str]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": "Token " + "a" * 40, "Content-Type": "application/json"})
    try:
        with opener.open(request, timeout=30) as response:
            if headers is not None:
                headers.update(response.headers.items())
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def chicago_quantity(csv_text: str) -> str | None:
    """The quantity on LDR-4.1's Chicago row of the stock export, if it has one."""
    lines = csv_text.removeprefix("\ufeff").splitlines()
    assert lines[0] == "SKU,Item name,Location,Quantity", lines[:1]
    for line in lines[1:]:
        sku, _, location, quantity = line.split(",")
        if (sku, location) == ("LDR-4.1", "Chicago Warehouse"):
            return quantity
    return None


def test_exports_and_reports_read_the_replica_and_a_writer_sees_its_own_write(shape):
    primary, replica, url = shape
    writer, reader = client(), client()
    assert chicago_quantity(call(reader, f"{url}/api/stock/export.csv")[1]) is None

    with replica.paused():
        answer = {}
        status, body = call(writer, f"{url}/api/receipts/", "POST",
                            {"supplier": "ACME", "location": "CHI", "po_number": "PO-1",
                             "lines": [{"sku": "LDR-4.1", "quantity": "25"}]}, headers=answer)
        assert status == 201, body
        assert "hardfin_pin=" in answer.get("Set-Cookie", ""), answer
        # The receipt's own answer, read in the request that wrote it, shows it.
        assert "LDR-4.1" in body

        # Another client's export and valuation read the replica, which has not replayed it yet.
        status, export = call(reader, f"{url}/api/stock/export.csv")
        assert status == 200
        assert chicago_quantity(export) is None
        status, valuation = call(reader, f"{url}/api/valuation/")
        assert status == 200 and "LDR-4.1" not in valuation
        # ... while the writer, pinned to the primary for a while, sees its write.
        assert "25" == chicago_quantity(call(writer, f"{url}/api/stock/export.csv")[1])
        assert "LDR-4.1" in call(writer, f"{url}/api/valuation/")[1]
        # The primary has it, of course.
        with primary.connect("hardfin") as conn:
            assert conn.execute("SELECT count(*) FROM lots_batch").fetchone()[0] == 1

    replica.wait_caught_up()
    assert "25" == chicago_quantity(call(reader, f"{url}/api/stock/export.csv")[1])
    assert "LDR-4.1" in call(reader, f"{url}/api/valuation/")[1]


def test_with_the_replica_down_the_export_is_served_from_the_primary(shape):
    primary, replica, url = shape
    call(client(), f"{url}/api/receipts/", "POST", {"supplier": "ACME", "location": "CHI", "po_number": "PO-2",
                                                  "lines": [{"sku": "LDR-4.1", "quantity": "5"}]})
    replica.stop()
    try:
        status, export = call(client(), f"{url}/api/stock/export.csv")
        assert status == 200
        assert chicago_quantity(export) is not None  # the whole export, from the primary
        status, valuation = call(client(), f"{url}/api/valuation/")
        assert status == 200 and "LDR-4.1" in valuation
    finally:
        replica.start()
