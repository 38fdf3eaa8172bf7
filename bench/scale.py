"""The scale benchmark (issue 9): how the app holds up at a million rows, measured against the
database's own limits in the same run. Run it through bench/scale, which prepares .venv:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hardfin_bench bench/scale [--quick]

With DATABASE_URL naming database NAME it (re)creates three throw-away databases, NAME
(pgbench's tables), NAME_small and NAME_large, and drops them at the end (--keep keeps them);
it refuses to drop a database it did not create. Then it

1. generates the large data set (--items, default 200,000 items x 5 locations: 1,000,000
   stock levels, lots and ledger lines, plus one item with 10,000 empty lots) and the small
   one (--small-items, default 200: 1,000 lots) with SQL (bench/scale_data.py);
2. serves each with gunicorn (DEBUG off, a fresh SECRET_KEY, --workers workers) on
   127.0.0.1:--port, --port+1, and a one-worker server for the export on --port+2;
3. measures the limits, pgbench TPC-B at 1 and 4 clients and COPY of the export query, and
   every figure of the targets: API and service-layer transfers, the export, every list
   endpoint and staff page, transfers with history, and reconcile;
4. prints one table and writes it to --output (default docs/PERFORMANCE.md; none with
   --quick unless given), between markers so that text around them is kept.

Every request is capped (--timeout; --export-timeout for the export) and the whole run too
(--max-minutes): what does not finish in time is recorded as such.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urlsplit

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_data as data  # noqa: E402  (the layout of the generated rows)

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- bench/scale: begin (this part is written by the benchmark) -->"
END = "<!-- bench/scale: end -->"
#: Written on every database the benchmark creates; it drops no other.
DB_COMMENT = "throw-away database of bench/scale"
CLIENTS = 4
LIMIT_MS = 100
PAGE_RATIO = 1.5
TRANSFER_RATIO = 1.2
#: A page slower than this is measured once (a warm-up that slow counts as the sample).
SLOW = 5.0

STARTED = time.monotonic()


def say(message: str) -> None:
    elapsed = int(time.monotonic() - STARTED)
    print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {message}", flush=True)


class RunCapReached(Exception):
    pass


# --- figures ------------------------------------------------------------------------------------

@dataclass
class Figure:
    section: int
    what: str
    measured: str
    reference: str = ""
    ratio: str = ""
    target: str = ""
    result: str = "info"


@dataclass
class Run:
    args: argparse.Namespace
    figures: list[Figure] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    def add(self, *args, **kwargs) -> Figure:
        figure = Figure(*args, **kwargs)
        self.figures.append(figure)
        return figure


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.0995 else f"{seconds * 1000:.1f} ms"


def pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def times(value: float) -> str:
    return f"{value:.2f}x"


# --- processes ----------------------------------------------------------------------------------

#: Every subprocess still running, so a cap or an error can stop exactly those.
RUNNING: list[subprocess.Popen] = []


def start(cmd, **kwargs) -> subprocess.Popen:
    process = subprocess.Popen(cmd, start_new_session=True, **kwargs)
    RUNNING.append(process)
    return process


def stop(process: subprocess.Popen, grace: float = 10) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
    if process in RUNNING:
        RUNNING.remove(process)


def call(cmd, *, env, timeout: float, stdin: str | None = None, show_stderr: bool = False) -> str:
    """Run ``cmd`` to completion (killed after ``timeout``); its stdout, or an error with its
    output when it fails."""
    process = start(cmd, env=env, cwd=ROOT, text=True, stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=None if show_stderr else subprocess.PIPE)
    try:
        out, err = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process)
        raise RuntimeError(f"{' '.join(map(str, cmd[:4]))} did not finish within {timeout:.0f} s") from None
    except BaseException:  # the run's cap, or an interrupt: leave nothing running
        stop(process)
        raise
    RUNNING.remove(process)
    if process.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd[:4]))} failed ({process.returncode}):\n{out}\n{err or ''}")
    return out


# --- databases ----------------------------------------------------------------------------------

class Cluster:
    """The PostgreSQL server DATABASE_URL points at, and the databases named after it."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
            raise SystemExit("The scale benchmark needs PostgreSQL: set DATABASE_URL=postgres://…/NAME")
        self.parts = parts
        self.name = unquote(parts.path.lstrip("/")) or "hardfin_bench"

    def url(self, database: str) -> str:
        return self.parts._replace(path="/" + quote(database)).geturl()

    def env(self) -> dict:
        """libpq's variables for pgbench."""
        env = dict(os.environ)
        for key, value in (("PGHOST", self.parts.hostname), ("PGPORT", self.parts.port),
                           ("PGUSER", self.parts.username), ("PGPASSWORD", self.parts.password)):
            if value:
                env[key] = unquote(str(value))
        return env

    def admin(self):
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def recreate(self, database: str) -> None:
        self.drop(database)
        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(database), sql.Literal(DB_COMMENT)))

    def drop(self, database: str) -> None:
        with self.admin() as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [database]
            ).fetchone()
            if row is None:
                return
            if row[0] != DB_COMMENT:
                raise SystemExit(f"Database {database!r} exists and was not created by bench/scale; "
                                 "drop it yourself or name another database in DATABASE_URL.")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database)))

    def server_facts(self) -> dict:
        with self.admin() as conn:
            return {
                "version": conn.execute("SHOW server_version").fetchone()[0],
                "shared_buffers": conn.execute("SHOW shared_buffers").fetchone()[0],
                "work_mem": conn.execute("SHOW work_mem").fetchone()[0],
                "synchronous_commit": conn.execute("SHOW synchronous_commit").fetchone()[0],
            }


@dataclass
class DataSet:
    label: str
    database: str
    url: str
    items: int
    empty_lots: int
    server: "Server | None" = None

    def sku(self, n: int) -> str:
        return data.sku(n, self.items)

    @property
    def probe(self) -> int:
        """The item the item pages and filters look at: one in the middle, with 5 movements."""
        return (self.items // 2) // 10 * 10 + 5 if self.items >= 10 else 1

    def counts(self) -> dict:
        with psycopg.connect(self.url) as conn:
            return {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("inventory_item", "inventory_stocklevel", "lots_lot", "lots_batch",
                              "movements_movement", "movements_movementline")
            }


def django_env(url: str, secret: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": secret, "LOG_LEVEL": "WARNING"}


def app_command(dataset: DataSet, secret: str, *args, stdin=None, timeout=600, show_stderr=False) -> str:
    return call([sys.executable, str(ROOT / "bench" / "scale_data.py"), *args], env=django_env(dataset.url, secret),
                timeout=timeout, stdin=stdin, show_stderr=show_stderr)


# --- HTTP ---------------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int | None
    seconds: float
    body: bytes = b""
    size: int = 0
    lines: int = 0
    cookies: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def timed_out(self) -> bool:
        return self.error is not None and "timed out" in self.error


def fetch(port: int, method: str, path: str, *, headers=None, body: bytes | None = None, timeout: float,
          keep: int = 1 << 20) -> Reply:
    """One request, with the whole exchange capped at ``timeout`` seconds; keeps the first
    ``keep`` bytes of the body and counts its size and lines."""
    began = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **(headers or {})})
        response = conn.getresponse()
        cookies = {}
        for header in response.msg.get_all("Set-Cookie") or []:
            cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
        kept, size, lines = [], 0, 0
        while chunk := response.read1(1 << 16):
            if size < keep:
                kept.append(chunk[: keep - size])
            size += len(chunk)
            lines += chunk.count(b"\n")
            if time.perf_counter() - began > timeout:
                return Reply(None, time.perf_counter() - began, size=size, lines=lines,
                             error=f"timed out after {timeout:.0f} s")
        return Reply(response.status, time.perf_counter() - began, b"".join(kept), size, lines, cookies)
    except (TimeoutError, socket.timeout):
        return Reply(None, time.perf_counter() - began, error=f"timed out after {timeout:.0f} s")
    except (OSError, http.client.HTTPException) as exc:
        return Reply(None, time.perf_counter() - began, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


class Server:
    """gunicorn serving one data set on 127.0.0.1:port."""

    def __init__(self, dataset: DataSet, port: int, workers: int, timeout: int, secret: str, logdir: Path,
                 extra_env: dict | None = None):
        self.dataset, self.port, self.workers, self.timeout = dataset, port, workers, timeout
        self.secret, self.log = secret, logdir / f"gunicorn-{port}.log"
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise SystemExit(f"Port {self.port} is in use; pick others with --port.")
        env = {**django_env(self.dataset.url, self.secret), "ALLOWED_HOSTS": "127.0.0.1", **self.extra_env}
        self.process = start(
            [sys.executable, "-m", "gunicorn", "hardfin.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--timeout", str(self.timeout), "--graceful-timeout", "5",
             "--error-logfile", str(self.log), "--log-level", "warning"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn on port {self.port} exited:\n{self.log.read_text()[-3000:]}")
            reply = fetch(self.port, "GET", "/healthz", timeout=5)
            if reply.status == 200 and len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn on port {self.port} did not answer /healthz within {seconds:.0f} s")

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def wait_for_workers(self, waited: float) -> None:
        """After a request timed out on our side (``waited`` seconds): let gunicorn kill the
        worker still busy with it (at its own timeout) and start a fresh one, so the next
        measurement does not share the CPU with it."""
        time.sleep(max(0.0, self.timeout - waited) + 2)
        self.wait_ready(60)

    def stop(self) -> None:
        if self.process:
            stop(self.process)


def rss(pid: int) -> int:
    """Resident memory of a process in bytes (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Session:
    """A signed-in browser session (staff pages, admin) and the token of the same user."""

    def __init__(self, server: Server, username: str, password: str, token: str, timeout: float):
        self.server, self.token, self.timeout = server, token, timeout
        form = fetch(server.port, "GET", "/accounts/login/", timeout=timeout)
        csrf = form.cookies.get("csrftoken")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
        if form.status != 200 or not csrf or not match:
            raise RuntimeError(f"sign-in page: {form.status} {form.error or ''}")
        reply = fetch(
            server.port, "POST", "/accounts/login/", timeout=timeout,
            headers={"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode({"username": username, "password": password,
                            "csrfmiddlewaretoken": match.group(1).decode()}).encode(),
        )
        if reply.status != 302 or "sessionid" not in reply.cookies:
            raise RuntimeError(f"signing in as {username} failed: {reply.status} {reply.error or ''}")
        self.cookie = f"csrftoken={csrf}; sessionid={reply.cookies['sessionid']}"

    def get(self, path: str, timeout: float | None = None) -> Reply:
        headers = ({"Authorization": f"Token {self.token}", "Accept": "application/json"} if path.startswith("/api/")
                   else {"Cookie": self.cookie})
        return fetch(self.server.port, "GET", path, headers=headers, timeout=timeout or self.timeout)


# --- the limits ---------------------------------------------------------------------------------

def find_pgbench() -> str:
    """pgbench on PATH (Debian's wrapper in /usr/bin picks the server's version), else the
    newest of Debian's /usr/lib/postgresql/<version>/bin/pgbench; PGBENCH overrides both."""
    found = os.environ.get("PGBENCH") or shutil.which("pgbench")
    if not found:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"),
                            key=lambda path: int(re.search(r"/(\d+)/bin/", path).group(1)))
        found = candidates[-1] if candidates else None
    if not found:
        raise SystemExit("pgbench not found: it comes with PostgreSQL (Debian and Ubuntu: the package "
                         "postgresql-<version>, in /usr/lib/postgresql/<version>/bin); or set PGBENCH=/path/to/pgbench.")
    return found


class PgBench:
    def __init__(self, cluster: Cluster, database: str, scale: int):
        self.cluster, self.database, self.scale = cluster, database, scale
        self.binary = find_pgbench()

    def init(self) -> None:
        call([self.binary, "-i", "-q", "-s", str(self.scale), self.database], env=self.cluster.env(), timeout=900)

    def tps(self, clients: int, seconds: int) -> float:
        out = call([self.binary, "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
                    "-T", str(seconds), self.database], env=self.cluster.env(), timeout=seconds + 120)
        match = re.search(r"tps = ([\d.]+) \((without|excluding) initial connection", out)
        if not match:
            raise RuntimeError(f"no tps in pgbench's output:\n{out}")
        return float(match.group(1))


def copy_rows_per_second(dataset: DataSet, query: str, repeats: int) -> tuple[int, float]:
    """COPY (the export query) TO STDOUT, read to the end: rows and the median rows/s."""
    rates, rows = [], 0
    with psycopg.connect(dataset.url) as conn, conn.cursor() as cursor:
        for _ in range(repeats):
            rows = 0
            began = time.perf_counter()
            with cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
                for block in copy:
                    rows += bytes(block).count(b"\n")
            rates.append(rows / (time.perf_counter() - began))
    return rows, statistics.median(rates)


# --- the measurements ---------------------------------------------------------------------------

PAGES = [
    "/inventory/",
    "/inventory/?view=location",
    "/inventory/?search={sku}",
    "/inventory/?view=location&location=MKE",
    "/inventory/?include_empty=1",
    "/items/{sku}/",
    "/items/{sku}/history/",
    "/items/{sku}/batches/",
    "/items/{sku}/batches/1/",
    "/transfers/new/?sku={sku}&location=MKE",
    "/adjustments/new/?sku={sku}&location=MKE",
    "/receipts/new/",
    "/builds/new/",
    "/replacements/new/?sku={sku}&location=MKE",
    "/admin/",
    "/admin/inventory/item/",
    "/admin/inventory/location/",
    "/admin/inventory/supplier/",
    "/admin/inventory/stocklevel/",
    "/admin/lots/lot/",
    "/admin/lots/batch/",
    "/admin/movements/movement/",
    "/admin/movements/shortfall/",
    "/admin/movements/adjustmentreason/",
    "/admin/inventory/item/{item_id}/change/",
    "/admin/lots/batch/{batch_id}/change/",
    "/admin/movements/movement/{movement_id}/change/",
    "/api/items/",
    "/api/items/?search={sku}",
    "/api/items/{sku}/",
    "/api/locations/",
    "/api/suppliers/",
    "/api/stock/",
    "/api/stock/?item={sku}",
    "/api/stock/?location=MKE",
    "/api/stock/?search={sku}",
    "/api/stock/?include_empty=true",
    "/api/stock/by-item/",
    "/api/stock/by-location/",
    "/api/lots/",
    "/api/lots/?item={sku}",
    "/api/batches/",
    "/api/batches/?item={sku}",
    "/api/batches/{batch_id}/trace/",
    "/api/movements/",
    "/api/movements/?item={sku}",
    "/api/movements/?location=MKE",
    "/api/movements/?ordering=-occurred_at",
    "/api/movements/?kind=transfer",
    "/api/movements/{movement_id}/",
    "/api/adjustment-reasons/",
    "/api/shortfalls/",
    "/api/shortfalls/?open=true",
]


def page_path(template: str, dataset: DataSet) -> str:
    n = dataset.probe
    return template.format(sku=dataset.sku(n), item_id=n, batch_id=n, movement_id=data.movement_id(n, 1))


def measure_pages(run: Run, sessions: dict[str, Session]) -> None:
    """Page 1 of every list endpoint and staff page: the median of --samples requests on each
    data set, after one warm-up request, alternating small and large."""
    args = run.args
    for template in PAGES:
        samples = {"small": [], "large": []}
        failure = {"small": None, "large": None}
        done = {"small": False, "large": False}
        for rep in range(args.samples + 1):
            for label in ("small", "large"):
                if failure[label] or done[label]:
                    continue
                session = sessions[label]
                reply = session.get(page_path(template, session.server.dataset))
                if reply.status != 200:
                    failure[label] = reply.error or f"HTTP {reply.status}"
                    if reply.timed_out:
                        failure[label] = f"no answer in {args.timeout:.0f} s"
                        session.server.wait_for_workers(reply.seconds)
                elif rep or reply.seconds > SLOW:
                    samples[label].append(reply.seconds)
                    # Seconds-long answers are far from the target and tell the same with one.
                    done[label] = reply.seconds > SLOW
        large = statistics.median(samples["large"]) if samples["large"] else None
        small = statistics.median(samples["small"]) if samples["small"] else None
        if failure["large"] or failure["small"] or large is None or small is None:
            measured = failure["large"] or (ms(large) if large is not None else "—")
            reference = f"small: {failure['small'] or (ms(small) if small is not None else '—')}"
            run.add(4, f"`{template}`", measured, reference, "", f"≤ {LIMIT_MS} ms, ≤ {PAGE_RATIO}x small",
                    "**FAIL**")
        else:
            ratio = large / small
            ok = large * 1000 <= LIMIT_MS and ratio <= PAGE_RATIO
            run.add(4, f"`{template}`", ms(large), f"small: {ms(small)}", times(ratio),
                    f"≤ {LIMIT_MS} ms, ≤ {PAGE_RATIO}x small", verdict(ok))
        say(f"  {template}: large {run.figures[-1].measured}, {run.figures[-1].reference}")


#: The accountant's reads (issue 11): each covers every item-location, so they are measured
#: apart from the pages' 100 ms target, for their time and the serving worker's memory.
#: ``{as_of}`` is the middle of the generated history; ``{since}`` its start.
REPORT_READS = [
    "/reports/valuation/",
    "/api/valuation/",
    "/api/valuation/export.csv",
    "/reports/rollforward/",
    "/api/reports/rollforward/",
    "/api/reports/rollforward/?since={since}",
    "/api/reports/rollforward.csv",
    "/inventory/?as_of={as_of}",
    "/api/stock/?as_of={as_of}",
    "/api/lots/?as_of={as_of}",
]
#: Samples of one report read (after a warm-up); one when it takes longer than SLOW.
REPORT_SAMPLES = 3
REPORT_MEMORY_MB = 200


def report_path(template: str) -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return template.format(as_of=quote((now - data.HISTORY / 2).isoformat(timespec="seconds")),
                           since=quote((now - data.HISTORY - datetime.timedelta(days=1)).isoformat(timespec="seconds")))


def measure_reports(run: Run, sessions: dict[str, Session]) -> None:
    """Each of REPORT_READS on both sets: the median time of its whole answer (a download
    included), and how much the resident memory of the worker that served it grew (the largest
    growth over the data set's workers, sampled every 50 ms)."""
    for template in REPORT_READS:
        path = report_path(template)
        figures = {}
        for label in ("small", "large"):
            session = sessions[label]
            server = session.server
            # Memory from before the warm-up, so what the first answer keeps counts too.
            workers = server.worker_pids()
            baseline = {pid: rss(pid) for pid in workers}
            peak = dict(baseline)
            done = threading.Event()

            def watch():
                while not done.wait(0.05):
                    for pid in workers:
                        peak[pid] = max(peak[pid], rss(pid))

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            reply = session.get(path)  # warm-up: loads the code and the database's pages
            if reply.status != 200:
                done.set()
                watcher.join()
                figures[label] = (reply.error or f"HTTP {reply.status}", None, 0.0)
                if reply.timed_out:
                    server.wait_for_workers(reply.seconds)
                continue
            samples, failure = [], None
            for _ in range(REPORT_SAMPLES):
                reply = session.get(path)
                if reply.status != 200:
                    failure = reply.error or f"HTTP {reply.status}"
                    break
                samples.append(reply.seconds)
                if reply.seconds > SLOW:
                    break
            done.set()
            watcher.join()
            growth = max((peak[pid] - baseline[pid] for pid in workers), default=0) / 1e6
            figures[label] = (failure, statistics.median(samples) if samples else None, growth)
        (large_failure, large, large_mb), (small_failure, small, _) = figures["large"], figures["small"]
        if large is None or small is None:
            run.add(7, f"`{template}`", large_failure or "—", f"small: {small_failure or ms(small or 0)}", "", "",
                    "**FAIL**")
        else:
            run.add(7, f"`{template}`", f"{ms(large)}, worker memory +{large_mb:,.0f} MB", f"small: {ms(small)}",
                    times(large / small), f"memory < {REPORT_MEMORY_MB} MB", verdict(large_mb < REPORT_MEMORY_MB))
        say(f"  {template}: large {run.figures[-1].measured}, {run.figures[-1].reference}")


def measure_count(run: Run, large: DataSet, secret: str) -> None:
    """A count of up to 5,000 lines on the large set, entered and posted through the counts
    services (bench/scale_data.py ``count``): its time and the statements of the post."""
    params = {"lines": 5000, "user": data.MANAGER}
    result = json.loads(app_command(large, secret, "count", stdin=json.dumps(params),
                                    timeout=run.args.timeout * 20).strip().splitlines()[-1])
    lines = result["lines"]
    run.add(8, f"Count of {lines:,} lines at {data.COUNT_LOCATION}: start, enter every line",
            f"{result['start_s']:.1f} s, {result['enter_s']:.1f} s", "", "", "seconds", "info")
    run.add(8, f"Posting it: {result['adjustments']:,} count_correction adjustments in one transaction",
            f"{result['post_s']:.1f} s, {result['post_statements']:,} statements", "", "", "seconds, not minutes",
            verdict(result["post_s"] < 60 and result["adjustments"] == lines))
    say(f"  count of {lines:,} lines: entered in {result['enter_s']:.1f} s, posted in {result['post_s']:.1f} s "
        f"({result['post_statements']} statements)")


def measure_export(run: Run, server: Server, session_token: str, copy_rows: int, copy_rate: float) -> None:
    """GET /api/stock/export.csv on a one-worker server: rows/s against COPY's, and how much
    that worker's resident memory grew while it streamed."""
    args = run.args
    headers = {"Authorization": f"Token {session_token}"}
    for _ in range(2):  # load the code paths and open the database connection first
        fetch(server.port, "GET", "/api/stock/?page_size=1", headers=headers, timeout=args.timeout)
    time.sleep(0.5)
    [worker] = server.worker_pids()
    baseline = rss(worker)
    peak = [baseline]
    done = threading.Event()

    def watch():
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss(worker))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    reply = fetch(server.port, "GET", "/api/stock/export.csv", headers=headers, timeout=args.export_timeout,
                  keep=4096)
    done.set()
    watcher.join()
    peak[0] = max(peak[0], rss(worker))
    growth = (peak[0] - baseline) / 1e6
    rows = max(0, reply.lines - 1)
    rate = rows / reply.seconds if reply.seconds else 0
    header_ok = reply.body.lstrip(b"\xef\xbb\xbf").startswith(b"SKU,Item name,Location,Quantity")
    complete = reply.status == 200 and rows == copy_rows and header_ok
    if complete:
        measured = f"{rate:,.0f} rows/s ({rows:,} rows in {reply.seconds:.1f} s)"
    else:
        why = reply.error or f"HTTP {reply.status}"
        measured = f"{why}: {rows:,} of {copy_rows:,} rows in {reply.seconds:.1f} s ({rate:,.0f} rows/s)"
    ratio = rate / copy_rate if copy_rate else 0
    run.add(3, f"Export of {copy_rows:,} rows (`/api/stock/export.csv`)", measured, f"COPY: {copy_rate:,.0f} rows/s",
            pct(ratio), "≥ 40 % of COPY", verdict(complete and ratio >= 0.40))
    run.add(3, "Export: the server worker's memory growth", f"{growth:,.1f} MB",
            f"RSS {baseline / 1e6:,.0f} → {peak[0] / 1e6:,.0f} MB", "", "< 50 MB", verdict(growth < 50))
    say(f"  export: {measured}; memory +{growth:.1f} MB")


def stock_totals(dataset: DataSet) -> tuple:
    with psycopg.connect(dataset.url) as conn:
        return (
            conn.execute("SELECT coalesce(sum(quantity), 0) FROM inventory_stocklevel").fetchone()[0],
            conn.execute("SELECT coalesce(sum(quantity), 0) FROM lots_lot").fetchone()[0],
            conn.execute("SELECT count(*) FROM movements_movement WHERE kind = 'transfer'").fetchone()[0],
        )


def transfer_items(dataset: DataSet, share: int) -> list[int]:
    """Items of the disjoint share ``share`` (0 … 5) for transfers between MKE and DET: never an
    item whose lot at CHI is emptied, nor the probe the pages look at."""
    candidates = [n for n in range(1, dataset.items + 1) if n % 10 and n != dataset.probe]
    return candidates[share::6]


def api_transfers(server: Server, tokens: list[str], seconds: float, state: list[int], timeout: float) -> dict:
    """CLIENTS threads, each POSTing transfers of 1 unit of its own items as fast as answers come."""
    dataset = server.dataset
    shares = [transfer_items(dataset, c) for c in range(CLIENTS)]
    statuses: dict[str, int] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(c: int):
        items = shares[c]
        while time.monotonic() < deadline:
            i = state[c]
            state[c] += 1
            forward = (i // len(items)) % 2 == 0
            body = json.dumps({"sku": dataset.sku(items[i % len(items)]), "quantity": "1",
                               "from_location": "MKE" if forward else "DET",
                               "to_location": "DET" if forward else "MKE"}).encode()
            reply = fetch(server.port, "POST", "/api/transfers/", body=body, timeout=timeout,
                          headers={"Authorization": f"Token {tokens[c]}", "Content-Type": "application/json"})
            key = str(reply.status) if reply.status else (reply.error or "error")
            with lock:
                statuses[key] = statuses.get(key, 0) + 1
                latencies.append(reply.seconds)

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + timeout + 5)
    elapsed = time.monotonic() - began
    ok = statuses.get("201", 0)
    return {"per_second": ok / elapsed, "ok": ok, "errors": sum(statuses.values()) - ok, "statuses": statuses,
            "median_ms": statistics.median(latencies) * 1000 if latencies else 0}


def service_transfers(dataset: DataSet, secret: str, *, items: list[int], source: str, destination: str,
                      ping_pong: bool, start: int, timeout: float, seconds: float | None = None,
                      count: int | None = None, warmup: int = 20) -> dict:
    params = {"item_ids": items, "from": source, "to": destination, "user": data.MANAGER, "ping_pong": ping_pong,
              "start": start, "warmup": warmup}
    if seconds:
        params["seconds"] = seconds
    if count:
        params["count"] = count
    return json.loads(app_command(dataset, secret, "transfers", stdin=json.dumps(params), timeout=timeout).strip().splitlines()[-1])


def measure_writes(run: Run, large: DataSet, pgbench: PgBench, tokens: list[str], secret: str) -> None:
    """In rounds, each pairing a figure with its limit measured just before it: pgbench at 4
    clients then API transfers at 4 clients; pgbench at 1 client then service-layer
    transfers at 1 client. Ratios are the medians of the rounds' ratios."""
    args = run.args
    api_state = [0] * CLIENTS
    service_items, service_start = transfer_items(large, 4), 0
    rounds = []
    before = stock_totals(large)
    for r in range(args.rounds):
        pg4 = pgbench.tps(CLIENTS, args.seconds)
        api = api_transfers(large.server, tokens, args.seconds, api_state, args.timeout)
        pg1 = pgbench.tps(1, args.seconds)
        service = service_transfers(large, secret, items=service_items, source="MKE", destination="DET",
                                    ping_pong=True, start=service_start, seconds=args.seconds,
                                    timeout=args.seconds + args.timeout + 60)
        service_start = service["next"]
        rounds.append({"pg4": pg4, "api": api, "pg1": pg1, "service": service})
        say(f"  round {r + 1}: pgbench 4 clients {pg4:,.0f} tps, API {api['per_second']:,.1f}/s "
            f"({api['errors']} errors); pgbench 1 client {pg1:,.0f} tps, service {service['per_second']:,.1f}/s")
    after = stock_totals(large)
    ok_total = sum(r["api"]["ok"] for r in rounds)
    service_total = sum(r["service"]["done"] for r in rounds)
    errors = sum(r["api"]["errors"] for r in rounds)
    statuses: dict[str, int] = {}
    for r in rounds:
        for key, value in r["api"]["statuses"].items():
            statuses[key] = statuses.get(key, 0) + value
    conserved = before[0] == after[0] and before[1] == after[1]
    recorded = after[2] - before[2] == ok_total + service_total
    pg4 = statistics.median(r["pg4"] for r in rounds)
    pg1 = statistics.median(r["pg1"] for r in rounds)
    api_rate = statistics.median(r["api"]["per_second"] for r in rounds)
    api_ratio = statistics.median(r["api"]["per_second"] / r["pg4"] for r in rounds)
    service_rate = statistics.median(r["service"]["per_second"] for r in rounds)
    service_ratio = statistics.median(r["service"]["per_second"] / r["pg1"] for r in rounds)
    run.add(0, "pgbench TPC-B, 1 client (limit)", f"{pg1:,.0f} tps", f"{args.rounds} x {args.seconds} s, scale {args.pgbench_scale}")
    run.add(0, f"pgbench TPC-B, {CLIENTS} clients (limit)", f"{pg4:,.0f} tps", f"{args.rounds} x {args.seconds} s, scale {args.pgbench_scale}")
    others = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()) if k != "201")
    run.add(
        1, f"API transfer (`POST /api/transfers/`), {CLIENTS} clients",
        f"{api_rate:,.1f} req/s, median {statistics.median(r['api']['median_ms'] for r in rounds):.1f} ms; "
        f"{errors} errors{f' ({others})' if others else ''}; units {'conserved' if conserved and recorded else 'NOT conserved'}",
        f"pgbench {CLIENTS} clients: {pg4:,.0f} tps", pct(api_ratio), "≥ 10 %, 0 errors, units conserved",
        verdict(api_ratio >= 0.10 and errors == 0 and conserved and recorded),
    )
    run.add(
        2, "Service-layer transfer (`transfer_create`), 1 client",
        f"{service_rate:,.1f}/s, median {statistics.median(r['service']['median_ms'] for r in rounds):.1f} ms, "
        f"{rounds[0]['service']['statements']} statements",
        f"pgbench 1 client: {pg1:,.0f} tps", pct(service_ratio), "≥ 35 %", verdict(service_ratio >= 0.35),
    )
    if not (conserved and recorded):
        run.facts["conservation"] = f"before {before}, after {after}, API 201s {ok_total}, service {service_total}"


def measure_transfer_history(run: Run, small: DataSet, large: DataSet, secret: str) -> None:
    """Median service-layer transfer time: an ordinary item of the small set, of the large set,
    and the item with 10,000 empty lots at its source (on the large set)."""
    args = run.args
    timeout = args.timeout * 5 + 60
    cases = {
        "small": (small, transfer_items(small, 5), "MKE", "DET", True),
        "large": (large, transfer_items(large, 5), "MKE", "DET", True),
        "empty": (large, [large.items + 1], "CHI", "MKE", False),
    }
    medians = {name: [] for name in cases}
    starts = {name: 0 for name in cases}
    for _ in range(args.rounds):
        for name, (dataset, items, source, destination, ping_pong) in cases.items():
            result = service_transfers(dataset, secret, items=items, source=source, destination=destination,
                                       ping_pong=ping_pong, start=starts[name], count=args.transfers, timeout=timeout)
            starts[name] = result["next"]
            medians[name].append(result["median_ms"] / 1000)
    small_ms = statistics.median(medians["small"])
    lots = {label: run.facts["counts"][label]["lots_lot"] for label in ("small", "large")}
    for name, what in (("large", f"Transfer on the large set ({lots['large']:,} lots)"),
                       ("empty", f"Transfer from an item-location with {large.empty_lots:,} empty lots (large set)")):
        value = statistics.median(medians[name])
        ratio = value / small_ms
        run.add(5, what, f"median {ms(value)}", f"small set ({lots['small']:,} lots): {ms(small_ms)}", times(ratio),
                f"≤ {TRANSFER_RATIO}x small", verdict(ratio <= TRANSFER_RATIO))
        say(f"  {what}: {ms(value)} vs {ms(small_ms)}")


def reconcile(dataset: DataSet, secret: str, timeout: float) -> dict:
    """``manage.py reconcile``: exit status, wall time, and the process's peak resident memory
    (from wait4, so it is that process's own figure)."""
    with tempfile.TemporaryFile() as output:
        process = start([sys.executable, "manage.py", "reconcile"], env=django_env(dataset.url, secret), cwd=ROOT,
                        stdout=output, stderr=subprocess.STDOUT)
        killer = threading.Timer(timeout, lambda: os.killpg(process.pid, signal.SIGKILL))
        killer.start()
        began = time.perf_counter()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        RUNNING.remove(process)
        seconds = time.perf_counter() - began
        output.seek(0)
        text = output.read().decode(errors="replace")
    return {"status": process.returncode, "seconds": seconds, "peak_mb": usage.ru_maxrss * 1024 / 1e6,
            "output": text, "timed_out": seconds >= timeout}


def measure_reconcile(run: Run, small: DataSet, large: DataSet, secret: str) -> None:
    args = run.args
    for dataset in (small, large):
        result = reconcile(dataset, secret, args.reconcile_timeout)
        lines = result["output"].strip().splitlines()
        if result["timed_out"]:
            state = f"stopped after {args.reconcile_timeout:.0f} s"
        elif result["status"] == 0:
            state = "clean"
        else:
            state = f"{max(0, len(lines) - 1)} mismatches (exit {result['status']}): {lines[0] if lines else ''}"
        clean = result["status"] == 0 and not result["timed_out"]
        if dataset is large:
            ledger = run.facts["counts"]["large"]["movements_movementline"]
            run.add(6, f"`reconcile` at {ledger:,} ledger lines", f"peak {result['peak_mb']:,.0f} MB, "
                    f"{result['seconds']:.1f} s, {state}", "", "", "< 200 MB, clean",
                    verdict(result["peak_mb"] < 200 and clean))
        else:
            run.add(6, "`reconcile` of the small set after the run", state, "", "", "clean", verdict(clean))
        if not clean:
            run.facts.setdefault("reconcile", {})[dataset.label] = "\n".join(lines[:20])
        say(f"  reconcile {dataset.label}: {state}, peak {result['peak_mb']:.0f} MB, {result['seconds']:.1f} s")


# --- the report ---------------------------------------------------------------------------------

def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text()
    total = int(re.search(r"MemTotal:\s+(\d+) kB", meminfo).group(1)) * 1024
    cpu = ""
    try:
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1).strip()
    except (OSError, AttributeError):
        pass
    return {"nproc": os.cpu_count(), "memory": f"{total / 2**30:.1f} GiB", "cpu": cpu,
            "python": platform.python_version(), "os": f"{platform.system()} {platform.machine()}"}


def table(figures: list[Figure]) -> str:
    rows = ["| figure | measured | limit / small set | ratio | target | result |",
            "| --- | --- | --- | --- | --- | --- |"]
    for f in sorted(figures, key=lambda f: f.section):
        rows.append(f"| {f.what} | {f.measured} | {f.reference} | {f.ratio} | {f.target} | {f.result} |")
    return "\n".join(rows)


def report(run: Run) -> str:
    args, facts = run.args, run.facts
    m, pg = facts["machine"], facts.get("postgres", {})
    counts = facts.get("counts", {})
    passed = sum(f.result == "pass" for f in run.figures)
    failed = sum("FAIL" in f.result for f in run.figures)
    lines = [
        BEGIN,
        "",
        f"Run of {facts['date']}: `{facts['command']}`, {facts['duration']}.",
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu'] or 'unknown model'}), {m['memory']} memory, {m['os']}, "
        f"Python {m['python']}; load average (1 min) {facts['load_before']:.1f} before the run, "
        f"{facts['load_after']:.1f} after it (other work on the machine inflates absolute times; "
        "ratios are of figures measured side by side).",
        f"- PostgreSQL {pg.get('version', '?')} on the same machine over loopback (shared_buffers "
        f"{pg.get('shared_buffers', '?')}, work_mem {pg.get('work_mem', '?')}, synchronous_commit "
        f"{pg.get('synchronous_commit', '?')}).",
        f"- App: gunicorn, {args.workers} sync workers per data set, DEBUG off; one more one-worker server for "
        f"the export. Requests capped at {args.timeout:.0f} s (the export at {args.export_timeout:.0f} s).",
    ]
    for label in ("large", "small"):
        if label in counts:
            c = counts[label]
            lines.append(
                f"- {label.capitalize()} set: {c['inventory_item']:,} items, {c['inventory_stocklevel']:,} stock levels, "
                f"{c['lots_lot']:,} lots, {c['lots_batch']:,} batches, {c['movements_movement']:,} movements, "
                f"{c['movements_movementline']:,} ledger lines"
                + (f" (generated in {facts['generated'][label]:.0f} s)" if label in facts.get("generated", {}) else "")
                + "."
            )
    if args.items != 200_000:
        lines.append(f"- Not the full size: --items {args.items:,} (the targets speak of 200,000).")
    lines += [
        f"- {passed} passed, {failed} failed.",
        "",
        table(run.figures),
        "",
    ]
    for key, title in (("conservation", "Conservation check"), ("reconcile", "Reconcile output"),
                       ("aborted", "Run stopped early")):
        if key in facts:
            value = facts[key]
            text = value if isinstance(value, str) else "\n".join(f"{k}: {v}" for k, v in value.items())
            lines += [f"{title}:", "", "```", text, "```", ""]
    lines.append(END)
    return "\n".join(lines)


PREAMBLE = """# Performance at scale

The part between the two markers below is written by `bench/scale` (README, "Management
commands"); run it again to refresh the figures. Text outside the markers is kept.

How it measures, all in one run against one PostgreSQL server:

- **Data.** The large set: `--items` items x 5 locations, each item received once (batch
  0001) and spread over the locations by 4 transfers, so 5 stock levels, 5 lots and 5 ledger
  lines per item (every tenth item's first lot is empty); plus one item with 10,000 empty lots
  at CHI. The small set: 200 items, 1,000 lots. Generated with SQL; `reconcile` is clean.
- **Limits.** pgbench TPC-B (`-s 10`, on its own throw-away database) at 1 and 4 clients, and
  `COPY (the export query) TO STDOUT WITH (FORMAT csv)`.
- **Writes.** In rounds: pgbench at 4 clients, then 4 API clients (threads, each with its own
  Operators token and its own items, transferring 1 unit MKE <-> DET as fast as answers come);
  pgbench at 1 client, then `transfer_create` in a loop in one process. A ratio is the median
  over the rounds of the figure over the limit measured just before it. Units conserved: the
  sums of stock levels and of lots are unchanged, and there is one transfer per 201.
- **Export.** `GET /api/stock/export.csv` (all rows) from a one-worker gunicorn, rows/s over the
  whole download; memory growth is that worker's peak resident size while streaming (sampled
  every 50 ms) minus its size before.
- **Pages and lists.** Page 1 at the default page size, signed in as a Managers user (session
  for the pages and the admin, token for the API): one warm-up request, then the median of
  `--samples` requests, alternating small and large. `{sku}` is an item in the middle of the
  catalog with 5 movements; `{item_id}`, `{batch_id}`, `{movement_id}` are its rows. An answer
  slower than 5 s is measured once; no answer within the cap is recorded as such, and gunicorn
  (timeout 5 s above the cap) ends the worker.
- **Transfers with history.** Median time of `transfer_create` on an ordinary item of each set
  and on the item with 10,000 empty lots at its source, the cases alternating.
- **reconcile.** `manage.py reconcile` on both sets after every write; peak resident memory of
  that process (from `wait4`).
- **The accountant's reads.** Valuation, rollforward (this month, and the whole history) and
  stock and lots as of the middle of the history, pages, JSON and downloads: each covers every
  item-location, so it is timed whole (median of 3 after a warm-up) against the small set, with
  the growth of the serving worker's resident memory. Every tenth batch has an unknown cost.
- **Count posting.** A count of 5,000 item-locations at STL (every line one unit off, half up,
  half down) started, entered and posted through the counts services in one process; the post's
  time and statements.

"""


def write_report(path: Path, text: str) -> None:
    if path.exists():
        old = path.read_text()
        if BEGIN in old and END in old:
            head, rest = old.split(BEGIN, 1)
            tail = rest.split(END, 1)[1]
            path.write_text(head + text + tail)
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PREAMBLE + text + "\n")


# --- the run ------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a small, short run to try the benchmark out (--items 2000, 1 round, fewer samples)")
    parser.add_argument("--items", type=int, help="items of the large set, x 5 locations (default 200000)")
    parser.add_argument("--small-items", type=int, default=200, help="items of the small set (default 200: 1,000 lots)")
    parser.add_argument("--empty-lots", type=int, default=10_000, help="empty lots of the history item (default 10000)")
    parser.add_argument("--samples", type=int, help="requests per page and data set (default 5; quick 3)")
    parser.add_argument("--rounds", type=int, help="rounds of the write measurements (default 3; quick 1)")
    parser.add_argument("--seconds", type=int, help="length of each throughput run (default 10; quick 4)")
    parser.add_argument("--transfers", type=int, help="transfers per history case and round (default 200; quick 50)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per data set (default 4)")
    parser.add_argument("--port", type=int, default=8101, help="first of the three ports (default 8101)")
    parser.add_argument("--timeout", type=float, default=60, help="cap of one request, seconds (default 60)")
    parser.add_argument("--export-timeout", type=float, default=600, help="cap of the export, seconds (default 600)")
    parser.add_argument("--reconcile-timeout", type=float, default=900, help="cap of reconcile, seconds (default 900)")
    parser.add_argument("--pgbench-scale", type=int, default=10, help="pgbench -i -s (default 10)")
    parser.add_argument("--max-minutes", type=float, help="cap of the whole run (default 60; quick 15)")
    parser.add_argument("--output", help="where to write the report (default docs/PERFORMANCE.md; quick: nowhere); - for nowhere")
    parser.add_argument("--keep", action="store_true", help="keep the databases (and their data) afterwards")
    args = parser.parse_args(argv)
    quick = args.quick
    for name, full, short in (("items", 200_000, 2_000), ("samples", 5, 3), ("rounds", 3, 1), ("seconds", 10, 4),
                              ("transfers", 200, 50), ("max_minutes", 60, 15)):
        if getattr(args, name) is None:
            setattr(args, name, short if quick else full)
    if args.output is None:
        args.output = "-" if quick else "docs/PERFORMANCE.md"
    if args.items < 60 or args.small_items < 60:
        parser.error("--items and --small-items must be at least 60 (the transfer clients need their own items)")
    if args.samples < 1 or args.rounds < 1 or args.seconds < 1 or args.transfers < 1 or args.empty_lots < 1:
        parser.error("--samples, --rounds, --seconds, --transfers and --empty-lots must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise SystemExit("Set DATABASE_URL=postgres://user@host:port/NAME (the benchmark creates NAME, NAME_small, NAME_large).")
    cluster = Cluster(url)
    run = Run(args)
    run.facts.update(
        machine=machine(), postgres=cluster.server_facts(),
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        command=" ".join(["bench/scale", *(sys.argv[1:] if argv is None else argv)]),
        load_before=os.getloadavg()[0],
    )
    secret = secrets.token_urlsafe(50)
    pgbench = PgBench(cluster, cluster.name, args.pgbench_scale)
    small = DataSet("small", f"{cluster.name}_small", cluster.url(f"{cluster.name}_small"), args.small_items, 0)
    large = DataSet("large", f"{cluster.name}_large", cluster.url(f"{cluster.name}_large"), args.items, args.empty_lots)
    logdir = Path(tempfile.mkdtemp(prefix="hardfin-scale-"))
    servers: list[Server] = []

    def cap(signum, frame):
        raise RunCapReached(f"the run cap of {args.max_minutes:g} minutes was reached")

    signal.signal(signal.SIGALRM, cap)
    signal.alarm(int(args.max_minutes * 60))
    say(f"machine: {run.facts['machine']['nproc']} CPUs, {run.facts['machine']['memory']}; "
        f"PostgreSQL {run.facts['postgres']['version']}; pgbench: {pgbench.binary}")
    steps_done = []
    try:
        say(f"creating {cluster.name}, {small.database}, {large.database}")
        for database in (cluster.name, small.database, large.database):
            cluster.recreate(database)
        migrations = [start([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                            env=django_env(d.url, secret)) for d in (small, large)]
        for process in migrations:
            if process.wait():
                raise RuntimeError("migrate failed")
            RUNNING.remove(process)
        run.facts["generated"] = {}
        for dataset in (small, large):
            say(f"generating the {dataset.label} set: {dataset.items:,} items x {len(data.LOCATIONS)} locations"
                + (f" and {dataset.empty_lots:,} empty lots" if dataset.empty_lots else ""))
            result = json.loads(app_command(dataset, secret, "generate", "--items", str(dataset.items),
                                            "--empty-lots", str(dataset.empty_lots), timeout=3600,
                                            show_stderr=True).strip().splitlines()[-1])
            run.facts["generated"][dataset.label] = result["seconds"]
        run.facts["counts"] = {d.label: d.counts() for d in (small, large)}
        accounts = {d.label: json.loads(app_command(d, secret, "users", "--clients", str(CLIENTS)).strip()) for d in (small, large)}
        export_query = app_command(large, secret, "export-sql").strip()
        say(f"pgbench -i -s {args.pgbench_scale} {cluster.name}")
        pgbench.init()

        say("COPY (the export query) TO STDOUT")
        copy_rows, copy_rate = copy_rows_per_second(large, export_query, 3)
        run.add(0, f"`COPY (export query) TO STDOUT`, {copy_rows:,} rows (limit)", f"{copy_rate:,.0f} rows/s", "median of 3")
        steps_done.append("copy")

        say("starting gunicorn")
        for dataset, port in ((small, args.port), (large, args.port + 1)):
            # gunicorn's own timeout a little above ours, so it ends what we gave up on.
            dataset.server = Server(dataset, port, args.workers, int(args.timeout) + 5, secret, logdir)
            servers.append(dataset.server)
        export_server = Server(large, args.port + 2, 1, int(args.export_timeout) + 10, secret, logdir)
        servers.append(export_server)
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        sessions = {d.label: Session(d.server, accounts[d.label]["manager"], accounts[d.label]["password"],
                                     accounts[d.label]["token"], args.timeout) for d in (small, large)}

        say(f"pages and lists: {len(PAGES)} addresses, {args.samples} samples each on both sets")
        measure_pages(run, sessions)
        steps_done.append("pages")
        say(f"the accountant's reads: {len(REPORT_READS)} addresses on both sets")
        measure_reports(run, sessions)
        steps_done.append("reports")
        say("export")
        measure_export(run, export_server, accounts["large"]["token"], copy_rows, copy_rate)
        export_server.stop()
        steps_done.append("export")
        say(f"writes: {args.rounds} rounds of {args.seconds} s each")
        measure_writes(run, large, pgbench, accounts["large"]["clients"], secret)
        steps_done.append("writes")
        say("transfers with history")
        measure_transfer_history(run, small, large, secret)
        steps_done.append("history")
        say("a count of 5,000 lines")
        measure_count(run, large, secret)
        steps_done.append("count")
        for server in servers:
            server.stop()
        say("reconcile")
        measure_reconcile(run, small, large, secret)
        steps_done.append("reconcile")
    except (RunCapReached, RuntimeError, psycopg.Error) as exc:
        say(f"stopped: {exc}")
        run.facts["aborted"] = f"{exc}\n(finished: {', '.join(steps_done) or 'nothing'})"
        for name, section, what in (("copy", 0, "limits"), ("pages", 4, "pages and lists"), ("export", 3, "export"),
                                    ("writes", 1, "transfer throughput"), ("history", 5, "transfers with history"),
                                    ("reports", 7, "the accountant's reads"), ("count", 8, "count posting"),
                                    ("reconcile", 6, "reconcile")):
            if name not in steps_done:
                run.add(section, what, "not measured (run stopped)", "", "", "", "**FAIL**")
    finally:
        signal.alarm(0)
        for server in servers:
            server.stop()
        for process in list(RUNNING):
            stop(process)
        if not args.keep:
            for database in (cluster.name, small.database, large.database):
                try:
                    cluster.drop(database)
                except (psycopg.Error, SystemExit) as exc:
                    say(f"could not drop {database}: {exc}")
        shutil.rmtree(logdir, ignore_errors=True)

    elapsed = time.monotonic() - STARTED
    run.facts["duration"] = f"{elapsed / 60:.1f} minutes"
    run.facts["load_after"] = os.getloadavg()[0]
    text = report(run)
    print()
    print(text)
    if args.output != "-":
        write_report(ROOT / args.output if not os.path.isabs(args.output) else Path(args.output), text)
        say(f"written to {args.output}")
    return 1 if any("FAIL" in f.result for f in run.figures) else 0


if __name__ == "__main__":
    sys.exit(main())
