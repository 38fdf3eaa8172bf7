"""The fault-injection soak (issue 10): the app under gunicorn on PostgreSQL, several writer
processes sending API writes with idempotency keys and retries while the database's
connections are terminated again and again and the database itself is restarted once. Run it
through bench/soak, which prepares .venv:

    bench/soak [--writers 4] [--seconds 60] [--seed 1]

It never touches an existing PostgreSQL server: it makes a throw-away cluster with initdb in
a temporary directory (as the ``postgres`` OS user when run as root), on --pg-port (default
5499), and removes it at the end. Then it

1. creates the database, migrates it, and seeds 6 items received at 3 locations, a supplier and
   one Operators user with a token per writer (``bench/soak.py --prepare``, inside Django);
2. serves the app with gunicorn (--app-workers sync workers, DEBUG off, a fresh SECRET_KEY,
   persistent connections as configured) on 127.0.0.1:--port;
3. starts --writers processes for --seconds: each sends transfers, receipts, replacements and
   builds (half with ``allow_shortfall``) over the shared items, each write with its own
   ``Idempotency-Key`` and a reference naming that key. A write is retried with the same key
   after a 503, a 5xx, a 429, a 409 ``idempotency_key_in_use`` or a broken connection, until
   it gets a definite answer (201, or a 4xx such as 409 ``insufficient_stock``) or its retry
   budget (--retry-seconds) runs out;
4. meanwhile every --kill-every seconds terminates the app's database connections
   (``pg_terminate_backend``), and halfway through restarts the database once
   (``pg_ctl stop -m immediate``, a crash as far as PostgreSQL knows, then start after
   --downtime seconds);
5. then checks: no 500 (nor any 5xx but 503), every write answered within its budget, every
   acknowledged write (201) recorded exactly once and every refused one not at all, units
   conserved (the stock levels' total = the opening total + what the recorded writes brought
   in − what they used), ``manage.py reconcile`` clean, and /healthz back to 200 with the same
   gunicorn master (the app was not restarted).

It prints a table of the figures and exits 1 if any check fails (2 if the run could not be set
up).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import multiprocessing
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.clusters import PG_BIN, Cluster  # noqa: E402  (the throw-away cluster, shared with bin/production)
DATABASE = "hardfin_soak"
ITEMS = [f"SOAK-{n}" for n in range(1, 7)]
LOCATIONS = ["CHI", "MKE", "DET"]
SUPPLIER = "ACME"
#: Opening stock: this many units of every item at every location (one receipt each) — little,
#: so that some consumptions are refused (409) and some builds run short and get settled.
OPENING = 12
#: Movement kinds a writer records itself (settlements are the ledger's own).
WRITE_KINDS = ("transfer", "receipt", "replacement", "build")

STARTED = time.monotonic()


def say(message: str) -> None:
    elapsed = int(time.monotonic() - STARTED)
    print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {message}", flush=True)


# --- the app ------------------------------------------------------------------------------------

def django_env(url: str, secret: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": secret, "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING"}


class App:
    """gunicorn serving the soak database on 127.0.0.1:port."""

    def __init__(self, url: str, port: int, workers: int, secret: str, log: Path):
        self.url, self.port, self.workers, self.secret, self.log = url, port, workers, secret, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.output = open(self.log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "hardfin.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning"],
            env=django_env(self.url, self.secret), cwd=ROOT, stdout=self.output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            if health(self.port) == 200:
                return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /healthz with 200 within {seconds:.0f} s")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        if self.process is not None:
            self.output.close()

    def errors(self, limit: int = 8) -> list[str]:
        """The distinct exception lines the app logged (what a 500 was), most frequent first."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        found = Counter(
            line.strip()[:200] for line in text.splitlines()
            if line and not line.startswith((" ", "\t", "Traceback")) and ("Error" in line or "Exception" in line)
        )
        return [f"{count} x {line}" for line, count in found.most_common(limit)]


def health(port: int, timeout: float = 5) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def manage(env: dict, *args, timeout: float = 300, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, input=stdin)


# --- inside Django: the data set ----------------------------------------------------------------

def prepare(writers: int) -> None:
    """Seed the soak database (run as ``bench/soak.py --prepare N`` with DATABASE_URL set);
    prints the writers' tokens and the opening total as JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hardfin.settings")
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from inventory.models import Item, Location, Supplier
    from movements.services import Line, receipt_create

    manager = User.objects.create_user("soak-manager", password=secrets.token_urlsafe(16))
    manager.groups.add(Group.objects.get(name="Managers"))
    locations = [Location.objects.create(code=code, name=f"Soak {code}") for code in LOCATIONS]
    items = [Item.objects.create(sku=sku, name=f"Soak part {sku}") for sku in ITEMS]
    supplier = Supplier.objects.create(code=SUPPLIER, name="Acme (soak)")
    for location in locations:
        receipt_create(supplier=supplier, location=location, po_number="SOAK-OPENING",
                       lines=[Line(item, OPENING) for item in items], user=manager)
    operators = Group.objects.get(name="Operators")
    tokens = []
    for n in range(writers):
        user = User.objects.create_user(f"soak-writer-{n}", password=secrets.token_urlsafe(16))
        user.groups.add(operators)
        tokens.append(Token.objects.create(user=user).key)
    print(json.dumps({"tokens": tokens, "opening": OPENING * len(ITEMS) * len(LOCATIONS)}))


# --- the writers --------------------------------------------------------------------------------

@dataclass
class Write:
    key: str
    kind: str
    path: str
    body: dict
    #: What it changes the total on hand by, if it is recorded.
    delta: int
    outcome: str = "unanswered"  # created | refused | unanswered
    final_status: int | None = None
    code: str = ""
    attempts: int = 0


def plan_write(rng: random.Random, key: str) -> Write:
    """One random write; its reference (or PO, or asset) is its key, to find it afterwards."""
    roll = rng.random()
    if roll < 0.35:
        source, destination = rng.sample(LOCATIONS, 2)
        body = {"sku": rng.choice(ITEMS), "from_location": source, "to_location": destination,
                "quantity": str(rng.randint(1, 8)), "reference": key}
        return Write(key, "transfer", "/api/transfers/", body, 0)
    if roll < 0.6:
        lines = [{"sku": sku, "quantity": str(rng.randint(1, 10))} for sku in rng.sample(ITEMS, rng.randint(1, 2))]
        body = {"supplier": SUPPLIER, "location": rng.choice(LOCATIONS), "po_number": key, "lines": lines}
        return Write(key, "receipt", "/api/receipts/", body, sum(int(line["quantity"]) for line in lines))
    if roll < 0.8:
        quantity = rng.randint(1, 4)
        body = {"sku": rng.choice(ITEMS), "location": rng.choice(LOCATIONS), "quantity": str(quantity), "asset": key}
        return Write(key, "replacement", "/api/replacements/", body, -quantity)
    lines = [{"sku": sku, "quantity": str(rng.randint(1, 6))} for sku in rng.sample(ITEMS, rng.randint(1, 2))]
    body = {"location": rng.choice(LOCATIONS), "reference": key, "lines": lines, "allow_shortfall": rng.random() < 0.5}
    return Write(key, "build", "/api/builds/", body, -sum(int(line["quantity"]) for line in lines))


def writer(index: int, token: str, port: int, seconds: float, retry_seconds: float, seed: int, out: str) -> None:
    """Send writes for ``seconds``; each until it has a definite answer or its budget is spent.
    Writes the writes and the counts of every answer to ``out`` (JSON)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    rng = random.Random(seed * 1000 + index)
    statuses: Counter[str] = Counter()
    writes: list[Write] = []
    deadline = time.monotonic() + seconds
    conn = None
    n = 0
    while time.monotonic() < deadline:
        n += 1
        write = plan_write(rng, f"soak-{seed}-{index}-{n}")
        writes.append(write)
        body = json.dumps(write.body).encode()
        headers = {"Host": "127.0.0.1", "Authorization": f"Token {token}", "Content-Type": "application/json",
                   "Idempotency-Key": write.key}
        give_up = time.monotonic() + retry_seconds
        pause = 0.05
        while True:
            write.attempts += 1
            wait = None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", write.path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
                status = None
            if status is None:
                statuses["connection error"] += 1
            else:
                statuses[str(status)] += 1
            code = ""
            if status is not None and status >= 400:
                try:
                    code = str(json.loads(payload).get("code", ""))
                except (ValueError, AttributeError):
                    code = ""
            write.final_status, write.code = status, code
            if status == 201:
                write.outcome = "created"
                if response.getheader("Idempotent-Replayed"):
                    statuses["replayed"] += 1
                break
            retry = status is None or status >= 500 or status == 429 or code == "idempotency_key_in_use"
            if not retry:
                write.outcome = "refused"
                break
            if status in (503, 429):
                try:
                    wait = float(response.getheader("Retry-After") or 0) or None
                except ValueError:
                    wait = None
            if time.monotonic() >= give_up:
                break  # unanswered
            time.sleep(min(wait or pause, 2.0) * rng.uniform(0.8, 1.2))
            pause = min(pause * 2, 1.0)
    if conn is not None:
        conn.close()
    with open(out, "w") as file:
        json.dump({"statuses": statuses, "writes": [write.__dict__ for write in writes]}, file)


# --- faults -------------------------------------------------------------------------------------

@dataclass
class Faults:
    killed: int = 0
    kill_rounds: int = 0
    kill_errors: int = 0
    restarted: bool = False
    restart_at: float | None = None
    down_seconds: float = 0.0
    health_while_down: Counter = field(default_factory=Counter)
    #: Seconds from the database's start until /healthz answered 200 again (None: not in 30 s).
    recovered_after: float | None = None
    error: str = ""


def inject(cluster: Cluster, app: App, faults: Faults, seconds: float, kill_every: float, downtime: float,
           restart_mode: str, stop: threading.Event) -> None:
    """Terminate the app's connections every ``kill_every`` seconds; restart the database once,
    halfway."""
    began = time.monotonic()
    restart_at = began + seconds / 2
    next_kill = began + kill_every
    while not stop.is_set() and time.monotonic() < began + seconds:
        now = time.monotonic()
        if not faults.restarted and now >= restart_at:
            faults.restart_at = now - began
            try:
                cluster.stop(restart_mode)
                down_since = time.monotonic()
                while time.monotonic() - down_since < downtime:
                    faults.health_while_down[str(health(app.port, timeout=2))] += 1
                    time.sleep(0.5)
                cluster.start()
                up_since = time.monotonic()
                faults.down_seconds = up_since - down_since
                while time.monotonic() - up_since < 30 and not stop.is_set():
                    if health(app.port, timeout=2) == 200:
                        faults.recovered_after = time.monotonic() - up_since
                        break
                    time.sleep(0.2)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                faults.error = f"restart failed: {exc}"
                if not cluster.running:
                    try:
                        cluster.start()
                    except (RuntimeError, subprocess.TimeoutExpired):
                        pass
            faults.restarted = True
            next_kill = time.monotonic() + kill_every
            continue
        if now >= next_kill:
            next_kill = now + kill_every
            try:
                with cluster.connect() as conn:
                    killed = conn.execute(
                        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                        [DATABASE],
                    ).fetchone()[0]
                faults.killed += killed
                faults.kill_rounds += 1
            except Exception:  # the database is starting up: try at the next round
                faults.kill_errors += 1
        stop.wait(0.1)


# --- checks -------------------------------------------------------------------------------------

@dataclass
class Check:
    what: str
    value: str
    ok: bool | None = None  # None: a figure, not a check


def recorded_counts(cluster: Cluster) -> tuple[dict[tuple[str, str], int], int, int]:
    """Movements per (kind, reference) of the writers' kinds (a receipt or build records one
    per line); the stock levels' total; the shortfalls and settlements."""
    with cluster.connect(DATABASE) as conn:
        counts = {
            (kind, reference): count
            for kind, reference, count in conn.execute(
                "SELECT kind, reference, count(*) FROM movements_movement WHERE kind = ANY(%s) GROUP BY kind, reference",
                [list(WRITE_KINDS)],
            )
        }
        total = conn.execute("SELECT COALESCE(SUM(quantity), 0) FROM inventory_stocklevel").fetchone()[0]
        settlements = conn.execute(
            "SELECT (SELECT count(*) FROM movements_shortfall), (SELECT count(*) FROM movements_movement WHERE kind = 'settlement')"
        ).fetchone()
    return counts, int(total), settlements


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=4, help="writer processes (default 4)")
    parser.add_argument("--seconds", type=float, default=60, help="how long the writers write (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the writers' choices (default 1)")
    parser.add_argument("--app-workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--kill-every", type=float, default=3, help="seconds between pg_terminate_backend rounds (default 3)")
    parser.add_argument("--downtime", type=float, default=3, help="seconds the database stays down at the restart (default 3)")
    parser.add_argument("--restart-mode", choices=["immediate", "fast"], default="immediate",
                        help="pg_ctl stop mode of the restart (default immediate: a crash, then recovery)")
    parser.add_argument("--retry-seconds", type=float, default=60,
                        help="how long a writer keeps retrying one write (default 60)")
    parser.add_argument("--port", type=int, default=8201, help="port of the app (default 8201)")
    parser.add_argument("--pg-port", type=int, default=5499, help="port of the throw-away PostgreSQL (default 5499)")
    parser.add_argument("--keep", action="store_true", help="keep the cluster's directory (its path is printed)")
    parser.add_argument("--prepare", type=int, metavar="WRITERS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare is None:
        if args.writers < 1 or args.seconds <= 0 or args.app_workers < 1 or args.kill_every <= 0:
            parser.error("--writers, --seconds, --app-workers and --kill-every must be positive")
        if args.pg_port == 5432:
            parser.error("--pg-port 5432 is the usual server's port; the soak makes its own cluster on another one")
    return args


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def run(args) -> int:
    for port, what in ((args.pg_port, "--pg-port"), (args.port, "--port")):
        if not port_free(port):
            print(f"Port {port} is in use; pick another with {what}.", file=sys.stderr)
            return 2
    if not (PG_BIN / "initdb").exists():
        print(f"No initdb in {PG_BIN} (set PG_BIN to PostgreSQL's bin directory).", file=sys.stderr)
        return 2
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="hardfin-soak-"))
    cluster = Cluster(workdir, args.pg_port)
    secret = secrets.token_urlsafe(50)
    app = App(cluster.url(DATABASE), args.port, args.app_workers, secret, workdir / "gunicorn.log")
    checks: list[Check] = []
    writers: list[multiprocessing.Process] = []
    stop = threading.Event()
    try:
        say(f"throw-away PostgreSQL cluster in {workdir} on port {args.pg_port}")
        cluster.create()
        cluster.start()
        with cluster.connect() as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
            version = conn.execute("SHOW server_version").fetchone()[0]
        env = django_env(cluster.url(DATABASE), secret)
        for step in (["manage.py", "migrate", "--noinput", "-v0"], [str(Path(__file__)), "--prepare", str(args.writers)]):
            result = manage(env, *step)
            if result.returncode:
                raise RuntimeError(f"{' '.join(step)} failed:\n{result.stdout}\n{result.stderr}")
        seeded = json.loads(result.stdout.strip().splitlines()[-1])
        say(f"serving with gunicorn ({args.app_workers} workers) on port {args.port}")
        app.start()
        app.wait_ready()
        master = app.process.pid

        say(f"{args.writers} writers for {args.seconds:g} s (seed {args.seed}); terminating connections every "
            f"{args.kill_every:g} s, restarting PostgreSQL ({args.restart_mode}) at {args.seconds / 2:g} s")
        outputs = [workdir / f"writer-{n}.json" for n in range(args.writers)]
        context = multiprocessing.get_context("fork")
        writers = [
            context.Process(target=writer, args=(n, token, args.port, args.seconds, args.retry_seconds, args.seed,
                                                 str(outputs[n])))
            for n, token in enumerate(seeded["tokens"])
        ]
        for process in writers:
            process.start()
        faults = Faults()
        injector = threading.Thread(target=inject, args=(cluster, app, faults, args.seconds, args.kill_every,
                                                         args.downtime, args.restart_mode, stop), daemon=True)
        injector.start()
        injector.join()
        for process in writers:
            process.join(args.retry_seconds + 60)
            if process.is_alive():
                process.kill()
                raise RuntimeError("a writer did not finish within its retry budget")
        say("writers done; checking")

        healthy_after = None
        began = time.monotonic()
        while time.monotonic() - began < 30:
            if health(args.port) == 200:
                healthy_after = time.monotonic() - began
                break
            time.sleep(0.5)
        same_app = app.alive() and app.process.pid == master

        statuses: Counter[str] = Counter()
        writes: list[dict] = []
        for path in outputs:
            data = json.loads(path.read_text())
            statuses.update(data["statuses"])
            writes.extend(data["writes"])
        counts, total, settlements = recorded_counts(cluster)
        reconcile = manage(env, "manage.py", "reconcile")
        app_errors = app.errors()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        say(f"could not run the soak: {exc}")
        return 2
    finally:
        stop.set()
        for process in writers:
            if process.is_alive():
                process.kill()
        app.stop()
        if cluster.running:
            try:
                cluster.stop("fast")
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                say(f"could not stop the throw-away cluster: {exc}")
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    # --- figures and checks ---
    requests = sum(statuses.values())
    by_class = Counter()
    replayed = statuses.pop("replayed", 0)
    for status, count in statuses.items():
        by_class["connection errors" if not status.isdigit() else f"{status[0]}xx"] += count
    five_hundreds = sum(count for status, count in statuses.items() if status.isdigit() and status.startswith("5")
                        and status != "503")
    outcome = Counter(write["outcome"] for write in writes)
    lost, duplicated, partial, refused_recorded, unanswered_recorded = [], [], [], [], 0
    expected = seeded["opening"]
    for write in writes:
        movements = counts.get((write["kind"], write["key"]), 0)
        per_write = len(write["body"].get("lines", [None]))  # movements one recording makes
        n = movements // per_write
        if movements % per_write:
            partial.append(write["key"])
        if write["outcome"] == "created":
            if n == 0:
                lost.append(write["key"])
            elif n > 1:
                duplicated.append(write["key"])
        elif write["outcome"] == "refused" and n:
            refused_recorded.append(write["key"])
        elif write["outcome"] == "unanswered" and n:
            unanswered_recorded += 1
            if n > 1:
                duplicated.append(write["key"])
        if n:
            expected += write["delta"]
    sent = {w["key"] for w in writes}
    unknown = [key for (kind, key) in counts if key.startswith("soak-") and key not in sent]
    refusals = Counter(f"{w['final_status']} {w['code']}".strip() for w in writes if w["outcome"] == "refused")

    checks += [
        Check("requests sent (every attempt)", f"{requests:,}"),
        Check("writes", f"{len(writes):,} ({', '.join(f'{k} {v}' for k, v in sorted(Counter(w['kind'] for w in writes).items()))})"),
        Check("acknowledged writes (201)", f"{outcome['created']:,}", outcome["created"] > 0),
        Check("refused writes (definite 4xx)", f"{outcome['refused']:,}"
              + (f" ({', '.join(f'{k}: {v}' for k, v in refusals.most_common())})" if refusals else "")),
        Check("retried attempts", f"{sum(w['attempts'] - 1 for w in writes):,}"),
        Check("201s that were replays of a first answer (Idempotent-Replayed)", f"{replayed:,}"),
        Check("2xx answers", f"{by_class['2xx']:,}"),
        Check("4xx answers", f"{by_class['4xx']:,}"),
        Check("503 answers", f"{statuses.get('503', 0):,}"),
        Check("500 and other 5xx answers", f"{five_hundreds:,}"
              + (f" ({', '.join(f'{s}: {c}' for s, c in sorted(statuses.items()) if s.startswith('5') and s != '503')})"
                 if five_hundreds else ""), five_hundreds == 0),
        Check("connection errors (app unreachable)", f"{by_class['connection errors']:,}"),
        Check("connections killed (pg_terminate_backend)", f"{faults.killed:,} in {faults.kill_rounds} rounds"),
        Check("database restart", (f"{args.restart_mode} stop at {faults.restart_at:.1f} s, down {faults.down_seconds:.1f} s"
                                   f"; /healthz while down: {dict(faults.health_while_down)}; 200 again "
                                   + (f"{faults.recovered_after:.1f} s after the start" if faults.recovered_after is not None
                                      else "not within 30 s of the start"))
              if faults.restarted and not faults.error else (faults.error or "not reached"),
              faults.restarted and not faults.error),
        Check("writes without a definite answer within the retry budget", f"{outcome['unanswered']:,}"
              + (f" (of them recorded: {unanswered_recorded})" if outcome["unanswered"] else ""),
              outcome["unanswered"] == 0),
        Check("lost writes (201 but not recorded)", f"{len(lost):,}" + (f" e.g. {lost[:3]}" if lost else ""), not lost),
        Check("duplicated writes (recorded more than once)", f"{len(duplicated):,}" + (f" e.g. {duplicated[:3]}" if duplicated else ""),
              not duplicated),
        Check("writes recorded in part (some lines only)", f"{len(partial):,}", not partial),
        Check("refused writes that were recorded anyway", f"{len(refused_recorded):,}", not refused_recorded),
        Check("recorded writes nobody sent", f"{len(unknown):,}", not unknown),
        Check("units: opening + recorded writes = stock levels' total", f"{expected:,} expected, {total:,} found",
              expected == total),
        Check("build shortfalls opened; settlements", f"{settlements[0]:,}; {settlements[1]:,}"),
        Check("reconcile", "clean" if reconcile.returncode == 0 else (reconcile.stdout + reconcile.stderr).strip()[-500:],
              reconcile.returncode == 0),
        Check("/healthz 200 after the run, same gunicorn master", (f"after {healthy_after:.1f} s" if healthy_after is not None
                                                                    else "no 200 within 30 s")
              + ("" if same_app else "; the app had exited"), healthy_after is not None and same_app),
    ]
    failed = [check for check in checks if check.ok is False]
    print()
    print(f"Soak of {date}: `bench/soak {' '.join(sys.argv[1:])}`, {(time.monotonic() - STARTED) / 60:.1f} minutes.")
    print(f"Machine: {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, Python {platform.python_version()}, "
          f"PostgreSQL {version} (throw-away cluster); load average (1 min) {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after. App: gunicorn, {args.app_workers} sync workers; {args.writers} writers.")
    print()
    print("| figure | value | check |")
    print("| --- | --- | --- |")
    for check in checks:
        mark = "" if check.ok is None else ("pass" if check.ok else "**FAIL**")
        print(f"| {check.what} | {check.value} | {mark} |")
    if five_hundreds:
        print("\nWhat the app logged for its 5xx answers (most frequent first):")
        for line in app_errors:
            print(f"  {line}")
    print()
    print(f"{len(failed)} check(s) failed." if failed else "All checks passed.")
    return 1 if failed else 0


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)  # so that the finally blocks remove the cluster
    if args.prepare is not None:
        prepare(args.prepare)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
