"""The production shape on one machine (issue 14), for trying it and for the integration tests:

    primary      a throw-away PostgreSQL cluster (tools/clusters.py ``Cluster``), the app migrated
                 into its database ``hardfin`` (and the demo data loaded with ``--demo``)
    replica      a streaming hot standby of it, made with ``pg_basebackup`` (``Replica``)
    redis        a throw-away redis-server (tools/redis_server.py): db 0 the shared cache
                 (``CACHE_URL``), db 1 the Celery broker (``CELERY_BROKER_URL``)
    app 1, app 2 two gunicorn servers (``gunicorn hardfin.wsgi``) on two ports, DEBUG off, a
                 fresh SECRET_KEY, ALLOWED_HOSTS localhost and 127.0.0.1
    worker       one Celery worker (``celery -A hardfin worker``)

Every piece runs on a free port (or ``--base-port`` and the four after it) in a temporary
directory of its own, removed when the stack stops; never the developer's own PostgreSQL on
5432 or Redis on 6379. All app processes get the same environment: DATABASE_URL (the primary),
REPLICA_DATABASE_URL (the replica), CACHE_URL and CELERY_BROKER_URL (the Redis).

    bin/production                 start it, print what runs where, wait for Ctrl-C / SIGTERM
    bin/production --demo          the same with the demo data (sign in as manager / hardfin-demo)
    bin/production --check         start it, check every piece, print pass/fail, stop; exit 0/1

From Python (the tests): ``with Stack() as stack: stack.checks()``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from tools.clusters import PG_BIN, Cluster, Replica, free_port  # noqa: E402
from tools.redis_server import RedisServer  # noqa: E402

DATABASE = "hardfin"
CACHE_DB, BROKER_DB = 0, 1
#: Inherited variables that would contradict the stack's own (REDIS_URL is CACHE_URL's alias).
NOT_INHERITED = ("REDIS_URL", "DATABASE_URL", "REPLICA_DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL",
                 "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "MEDIA_ROOT", "JOBS_DIR")


@dataclass
class Check:
    piece: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'pass' if self.ok else 'FAIL'}  {self.piece}: {self.detail}"


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def http_get(port: int, path: str, timeout: float = 5) -> tuple[int | None, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return None, b""
    finally:
        conn.close()


class Child:
    """A long-running program of the stack in a process group of its own (so that stopping it
    stops its workers too), its output in ``log``."""

    def __init__(self, name: str, cmd: list[str], env: dict, log: Path):
        self.name, self.cmd, self.env, self.log = name, cmd, env, log
        self.process: subprocess.Popen | None = None
        self.stopped = False

    def start(self) -> Child:
        with open(self.log, "wb") as output:
            self.process = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, seconds: float = 20) -> None:
        if self.process is None or self.stopped:
            return
        self.stopped = True  # never signal the group twice (its id could be reused)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(seconds)
            except subprocess.TimeoutExpired:
                pass
        # The group's stragglers too (a worker's children), even if the leader has gone.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


class Stack:
    """The pieces, started by ``start()`` (or ``with``) and stopped by ``stop()``, which is safe
    to call more than once and after a start that failed half-way."""

    def __init__(self, base_port: int | None = None, demo: bool = False, app_workers: int = 2,
                 worker_concurrency: int = 1, say=None):
        if base_port is not None:
            ports = [base_port + n for n in range(5)]
        else:
            ports = []
            while len(ports) < 5:  # distinct free ports
                port = free_port()
                if port not in ports:
                    ports.append(port)
        self.primary_port, self.replica_port, self.redis_port, *self.app_ports = ports
        self.demo, self.app_workers, self.worker_concurrency = demo, app_workers, worker_concurrency
        self.say = say or (lambda message: None)
        self.secret_key = secrets.token_urlsafe(50)
        self.workdir: Path | None = None
        self.primary: Cluster | None = None
        self.replica: Replica | None = None
        self.redis: RedisServer | None = None
        self.apps: list[Child] = []
        self.worker: Child | None = None
        self.worker_name = f"hardfin-production-{os.getpid()}@{socket.gethostname()}"
        self.started = False

    # --- what each piece is told ----------------------------------------------------------------

    def ports(self) -> list[int]:
        return [self.primary_port, self.replica_port, self.redis_port, *self.app_ports]

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.primary_port}/{DATABASE}"

    @property
    def replica_database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.replica_port}/{DATABASE}"

    @property
    def cache_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{CACHE_DB}"

    @property
    def broker_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{BROKER_DB}"

    def app_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}/" for port in self.app_ports]

    def env(self) -> dict:
        env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
        env.update(
            DATABASE_URL=self.database_url,
            REPLICA_DATABASE_URL=self.replica_database_url,
            CACHE_URL=self.cache_url,
            CELERY_BROKER_URL=self.broker_url,
            SECRET_KEY=self.secret_key,
            DEBUG="0",
            ALLOWED_HOSTS="localhost,127.0.0.1",
            DJANGO_SETTINGS_MODULE="hardfin.settings",
            LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
            PYTHONUNBUFFERED="1",
        )
        if self.workdir is not None:
            # Files the jobs write (exports), shared by the worker and the app servers: on one
            # machine a directory of the stack's own; on several hosts a shared volume.
            env.update(MEDIA_ROOT=str(self.workdir / "media"), JOBS_DIR=str(self.workdir / "media" / "jobs"))
        return env

    def manage(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(), capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> Stack:
        for port in self.ports():
            if not port_free(port):
                raise RuntimeError(f"port {port} is in use (pick other ports with --base-port)")
        for program in ("initdb", "pg_ctl", "pg_basebackup"):
            if not (PG_BIN / program).exists():
                raise RuntimeError(f"no {program} in {PG_BIN} (set PG_BIN to PostgreSQL's bin directory)")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.started = True
        return self

    def _start(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="hardfin-production-"))
        self.say(f"PostgreSQL primary on port {self.primary_port}")
        self.primary = Cluster(port=self.primary_port)
        self.primary.create().start()
        self.primary.create_database(DATABASE)
        self.say(f"streaming replica (pg_basebackup) on port {self.replica_port}")
        self.replica = Replica(self.primary, port=self.replica_port)
        self.replica.create().start()
        self.say(f"Redis on port {self.redis_port}")
        self.redis = RedisServer(self.redis_port).start()
        self.say("migrating the database on the primary")
        self.manage("migrate", "--noinput", "-v0")
        if self.demo:
            self.say("loading the demo data")
            self.manage("seed_demo")
            self.manage("seed_demo_counts")
        self.say("collecting static files (served by WhiteNoise)")
        self.manage("collectstatic", "--noinput", "-v0")
        env = self.env()
        for number, port in enumerate(self.app_ports, 1):
            self.say(f"gunicorn app server {number} on port {port}")
            self.apps.append(Child(
                f"app {number}",
                [sys.executable, "-m", "gunicorn", "hardfin.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", str(self.app_workers), "--timeout", "30", "--graceful-timeout", "10",
                 "--access-logfile", "-", "--log-level", "warning"],
                env, self.workdir / f"app-{number}.log",
            ).start())
        self.say("Celery worker")
        self.worker = Child(
            "worker",
            [sys.executable, "-m", "celery", "-A", "hardfin", "worker", "--loglevel", "warning",
             "--hostname", self.worker_name, "--concurrency", str(self.worker_concurrency),
             "--without-gossip", "--without-mingle"],
            env, self.workdir / "worker.log",
        ).start()
        for app, port in zip(self.apps, self.app_ports):
            self._wait_healthy(app, port)

    def _wait_healthy(self, app: Child, port: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not app.alive():
                raise RuntimeError(f"{app.name} (gunicorn on port {port}) exited:\n{app.tail()}")
            if http_get(port, "/healthz", timeout=2)[0] == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{app.name} (gunicorn on port {port}) did not answer /healthz 200 within {seconds:g} s")

    def stop(self) -> None:
        """Stop the worker and the app servers, then Redis, the replica and the primary, and remove
        their directories."""
        children = [child for child in [self.worker, *self.apps] if child is not None]
        for child in children:  # SIGTERM to all first, so that they wind down together
            if child.alive() and not child.stopped:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            child.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.replica is not None:
            self.replica.remove()
        if self.primary is not None:
            self.primary.remove()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.started = False

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def exited(self) -> list[str]:
        """The long-running programs that have stopped on their own."""
        return [f"{child.name} exited ({child.process.returncode}):\n{child.tail()}"
                for child in [*self.apps, self.worker] if child is not None and not child.alive()]

    # --- what runs where ------------------------------------------------------------------------

    def table(self) -> str:
        rows = [("piece", "where", "what")]
        for number, (url, app) in enumerate(zip(self.app_urls(), self.apps), 1):
            rows.append((f"app server {number}", url, f"gunicorn hardfin.wsgi, {self.app_workers} workers, pid {app.pid}"))
        rows.append(("primary", self.database_url, f"PostgreSQL, data in {self.primary.data}"))
        rows.append(("replica", self.replica_database_url, f"streaming standby (slot {self.replica.slot}), data in {self.replica.data}"))
        rows.append(("redis", f"redis://127.0.0.1:{self.redis_port}", f"db {CACHE_DB} cache (CACHE_URL), db {BROKER_DB} broker (CELERY_BROKER_URL)"))
        rows.append(("celery worker", self.worker_name, f"celery -A hardfin worker, pid {self.worker.pid}"))
        rows.append(("files", str(self.workdir), "app-1.log, app-2.log, worker.log, media/ (job files); removed at exit"))
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        lines = [f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}" for row in rows]
        lines.insert(1, "-" * len(lines[0]))
        return "\n".join(lines)

    # --- checks -----------------------------------------------------------------------------------

    def check_app(self, number: int) -> Check:
        port = self.app_ports[number - 1]
        status, body = http_get(port, "/healthz")
        return Check(f"app server {number}", status == 200,
                     f"GET http://127.0.0.1:{port}/healthz -> {status} {body[:80].decode(errors='replace')}")

    def check_static(self) -> Check:
        port = self.app_ports[0]
        status, body = http_get(port, "/static/hardfin/hardfin.css")
        return Check("static files", status == 200 and len(body) > 0,
                     f"GET http://127.0.0.1:{port}/static/hardfin/hardfin.css -> {status} ({len(body)} bytes, WhiteNoise)")

    def check_replica_streaming(self) -> Check:
        try:
            with self.primary.connect() as conn:
                row = conn.execute(
                    "SELECT r.state, r.client_addr::text FROM pg_stat_replication r "
                    "JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = %s",
                    [self.replica.slot]).fetchone()
            with self.replica.connect() as conn:
                in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        except Exception as error:  # noqa: BLE001 — any failure is the check's answer
            return Check("replica streaming", False, f"{type(error).__name__}: {error}")
        ok = row is not None and row[0] == "streaming" and in_recovery
        return Check("replica streaming", ok,
                     f"pg_stat_replication on the primary: {row[0] if row else 'no sender for slot ' + self.replica.slot}; "
                     f"replica in recovery: {in_recovery}")

    def check_replica_receives(self, seconds: float = 15) -> Check:
        token = secrets.token_hex(8)
        try:
            with self.primary.connect() as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS hardfin_production_check (token text PRIMARY KEY, at timestamptz)")
                conn.execute("INSERT INTO hardfin_production_check VALUES (%s, now())", [token])
            started = time.monotonic()
            while True:
                with contextlib.suppress(Exception), self.replica.connect() as conn:
                    if conn.execute("SELECT 1 FROM hardfin_production_check WHERE token = %s", [token]).fetchone():
                        return Check("replica receives writes", True,
                                     f"a row written on the primary was on the replica after {time.monotonic() - started:.2f} s")
                if time.monotonic() - started > seconds:
                    return Check("replica receives writes", False, f"a row written on the primary not on the replica after {seconds:g} s")
                time.sleep(0.05)
        except Exception as error:  # noqa: BLE001
            return Check("replica receives writes", False, f"{type(error).__name__}: {error}")

    def check_redis(self) -> Check:
        ok = self.redis is not None and self.redis.ping()
        return Check("redis", ok, f"PING redis://127.0.0.1:{self.redis_port} -> {'PONG' if ok else 'no answer'}")

    def celery_ping(self, timeout: float = 5) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "celery", "-A", "hardfin", "inspect", "ping", "--destination", self.worker_name,
             "--timeout", str(timeout)],
            cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=timeout + 60,
        )

    def check_worker(self, seconds: float = 60) -> Check:
        """``celery -A hardfin inspect ping`` until the worker answers (it may still be starting)."""
        deadline = time.monotonic() + seconds
        while True:
            if self.worker is None or not self.worker.alive():
                return Check("celery worker", False, f"the worker is not running:\n{self.worker.tail() if self.worker else ''}")
            result = self.celery_ping()
            if result.returncode == 0 and "pong" in result.stdout:
                return Check("celery worker", True, f"celery -A hardfin inspect ping -> pong from {self.worker_name}")
            if time.monotonic() > deadline:
                output = (result.stdout + result.stderr).strip().splitlines()[-5:]
                return Check("celery worker", False, "celery -A hardfin inspect ping: no pong: " + " | ".join(output))
            time.sleep(0.5)

    def checks(self) -> list[Check]:
        return [self.check_app(1), self.check_app(2), self.check_static(), self.check_replica_streaming(),
                self.check_replica_receives(), self.check_redis(), self.check_worker()]


# --- the command ------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bin/production", description=(
        "Start the production shape on this machine: a PostgreSQL primary and a streaming replica, Redis, "
        "two gunicorn app servers and a Celery worker, each throw-away; stop it with Ctrl-C."))
    parser.add_argument("--check", action="store_true", help="start everything, check each piece, stop; exit 0 if all pass")
    parser.add_argument("--demo", action="store_true", help="load the demo data (manage.py seed_demo)")
    parser.add_argument("--base-port", type=int, help="primary on this port, replica +1, Redis +2, app servers +3 and +4 "
                                                      "(default: free ports)")
    parser.add_argument("--app-workers", type=int, default=2, help="gunicorn workers per app server (default 2)")
    parser.add_argument("--worker-concurrency", type=int, default=1, help="Celery worker processes (default 1)")
    return parser.parse_args(argv)


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    args = parse_args(argv)
    # Both stop everything through the finally block below (SIGINT too when it was ignored, as in
    # a program started in the background by a script).
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)

    def say(message: str) -> None:
        print(f"== {message}", flush=True)

    stack = Stack(args.base_port, demo=args.demo, app_workers=args.app_workers,
                  worker_concurrency=args.worker_concurrency, say=say)
    try:
        try:
            stack.start()
        except RuntimeError as error:
            print(f"bin/production: {error}", file=sys.stderr)
            return 1
        print()
        print(stack.table())
        print()
        if args.check:
            results = stack.checks()
            for result in results:
                print(result.line(), flush=True)
            failed = [result for result in results if not result.ok]
            print(f"\n{len(failed)} of {len(results)} checks failed." if failed else f"\nAll {len(results)} checks passed.")
            return 1 if failed else 0
        print("Running; Ctrl-C (or SIGTERM) stops everything.", flush=True)
        while True:
            exited = stack.exited()
            if exited:
                print("bin/production: " + "\n".join(exited), file=sys.stderr)
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\n== stopping", flush=True)
        return 0
    finally:
        with contextlib.suppress(KeyboardInterrupt):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            began = stack.primary is not None
            stack.stop()
            if began:
                print("== stopped; throw-away directories removed", flush=True)


if __name__ == "__main__":
    sys.exit(main())
