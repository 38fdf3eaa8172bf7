"""bin/production's Stack (tools/production.py): the production shape on one machine — a
PostgreSQL primary and a pg_basebackup streaming replica, Redis, two gunicorn app servers and a
Celery worker, all throw-away — comes up, each piece does its job, and stopping it leaves
nothing running or on disk. One stack for the module (about 20 s to start); each piece is its
own test, so that a missing piece fails alone."""

import http.client
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tools.clusters import PG_BIN

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not (PG_BIN / "pg_basebackup").exists() or not (PG_BIN / "initdb").exists(),
                       reason=f"PostgreSQL's initdb/pg_basebackup are not in {PG_BIN} (set PG_BIN)"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]


@pytest.fixture(scope="module")
def stack():
    from tools.production import Stack

    with Stack(app_workers=1) as running:
        yield running


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": "localhost"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_two_app_servers_on_two_ports_answer_healthz_with_debug_off(stack):
    assert len(set(stack.app_ports)) == 2
    for port in stack.app_ports:
        status, body = get(port, "/healthz")
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "ok"}
        # DEBUG off: an unknown page is a plain 404, not Django's technical page.
        status, body = get(port, "/no-such-page/")
        assert status == 404
        assert b"URLconf" not in body
    # Static files are served by the app servers themselves (WhiteNoise).
    status, body = get(stack.app_ports[1], "/static/hardfin/hardfin.css")
    assert status == 200 and body


def test_every_process_is_told_the_primary_the_replica_the_cache_and_the_broker(stack):
    env = stack.env()
    assert env["DATABASE_URL"].endswith(f":{stack.primary.port}/hardfin")
    assert env["REPLICA_DATABASE_URL"].endswith(f":{stack.replica.port}/hardfin")
    assert stack.primary.port != stack.replica.port
    assert env["CACHE_URL"] == f"redis://127.0.0.1:{stack.redis.port}/0"
    assert env["CELERY_BROKER_URL"] == f"redis://127.0.0.1:{stack.redis.port}/1"
    assert env["DEBUG"] == "0" and len(env["SECRET_KEY"]) >= 50
    assert env["ALLOWED_HOSTS"] == "localhost,127.0.0.1"
    # Job files (exports) go to the stack's own directory, shared by the worker and both servers.
    assert env["JOBS_DIR"].startswith(str(stack.workdir))


def test_the_replica_streams_the_migrated_database_and_new_writes(stack):
    with stack.primary.connect() as conn:
        states = conn.execute("SELECT state FROM pg_stat_replication").fetchall()
    assert states == [("streaming",)]
    with stack.replica.connect("hardfin") as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        # migrate ran on the primary only; the replica has the tables through streaming.
        assert conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 10
    name = f"check-{uuid.uuid4().hex[:8]}"
    with stack.primary.connect("hardfin") as conn:
        conn.execute("INSERT INTO auth_group (name) VALUES (%s)", [name])
    stack.replica.wait_caught_up(15)
    with stack.replica.connect("hardfin") as conn:
        assert conn.execute("SELECT count(*) FROM auth_group WHERE name = %s", [name]).fetchone()[0] == 1


def test_redis_answers_ping(stack):
    assert stack.redis.ping()


def test_the_celery_worker_answers_inspect_ping(stack):
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "hardfin", "inspect", "ping", "--timeout", "5"],
        env=stack.env(), capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    if result.returncode:  # perhaps still starting: the stack's own check waits for it
        check = stack.check_worker(seconds=45)
        assert check.ok, check.detail
    else:
        assert "pong" in result.stdout


@pytest.mark.parametrize("piece", ["app server 1", "app server 2", "static files", "replica streaming",
                                   "replica receives writes", "redis"])
def test_the_check_passes_for(stack, piece):
    checks = {check.piece: check for check in (stack.check_app(1), stack.check_app(2), stack.check_static(),
                                               stack.check_replica_streaming(), stack.check_replica_receives(),
                                               stack.check_redis())}
    assert checks[piece].ok, checks[piece].detail


def test_stopping_leaves_nothing_running_or_on_disk(stack):
    """Last in the module: it stops the shared stack (stopping twice is harmless)."""
    pids = [child.pid for child in [*stack.apps, stack.worker]]
    directories = [stack.workdir, stack.primary.workdir, stack.replica.workdir]
    ports = stack.ports()

    stack.stop()

    from tools.production import port_free

    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
    for directory in directories:
        assert not directory.exists()
    assert [port for port in ports if not port_free(port)] == []
