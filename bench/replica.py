"""bench/replica (issue 14): the heavy reads served from a streaming replica, measured side by
side with the same reads served from the primary, and what readers cost the writers on each.

On throw-away clusters of its own (tools/clusters.py, never the server on 5432): a primary,
loaded with bench/scale's data set (``--items``, default 20,000 items x 5 locations), then a
``pg_basebackup`` streaming replica of it. Two gunicorn servers on the same data: one without
``REPLICA_DATABASE_URL`` (every read on the primary) and one with it. For each read:

- its median time through each server;
- where it was served: the tuples each cluster's ``pg_stat_database`` counted as returned
  while that server answered it (the servers run with CONN_MAX_AGE=0, so every connection
  ends, and reports its statistics, with its request);

then service-layer transfers alone, with readers on the primary and with readers on the
replica (transfers/s), and the replica's replay lag after the writes. Prints the table and
writes it between its own markers in docs/PERFORMANCE.md.

    bench/replica                 # about 5 minutes
    bench/replica --items 2000    # a quick look
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import scale  # noqa: E402  (bench/scale.py: the data set, the servers, the sessions)
import scale_data as data  # noqa: E402
from tools.clusters import Cluster, Replica, free_port  # noqa: E402
from tools.production import NOT_INHERITED  # noqa: E402

BEGIN = "<!-- bench/replica: begin (this part is written by bench/replica) -->"
END = "<!-- bench/replica: end -->"
DATABASE = "hardfin"

#: The heavy reads issue 14 sends to the replica (views under ``replica_reads``); the readers
#: of the write rounds ask these.
HEAVY_READS = [
    "/api/stock/export.csv",
    "/api/valuation/",
    "/api/valuation/export.csv",
    "/api/reports/rollforward/",
    "/api/reports/rollforward.csv",
    "/api/stock/?as_of={as_of}",
    "/api/lots/?as_of={as_of}",
    "/reports/valuation/",
]
#: A list page that also goes to the replica, and one that stays on the primary, for contrast.
READS = HEAVY_READS + ["/api/stock/by-location/", "/api/items/"]


def tuples_returned(cluster: Cluster) -> int:
    with cluster.connect(DATABASE) as conn:
        return int(conn.execute("SELECT tup_returned FROM pg_stat_database WHERE datname = %s",
                                [DATABASE]).fetchone()[0])


def settled(primary: Cluster, replica: Cluster, seconds: float = 20) -> tuple:
    """Both clusters' counters once they (nearly) stop moving: a backend reports its statistics when its
    connection ends or, while it lives, at most once a second when idle, so the last request's
    tuples may arrive a moment after its answer."""
    last = tuples_returned(primary), tuples_returned(replica)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(1.2)
        now = tuples_returned(primary), tuples_returned(replica)
        if all(abs(a - b) < 500 for a, b in zip(now, last)):  # our own queries: ~60
            return now
        last = now
    return last


def measure_read(session: scale.Session, path: str, primary: Cluster, replica: Cluster, repeats: int) -> dict:
    before = settled(primary, replica)
    times = []
    for _ in range(repeats):
        reply = session.get(path, timeout=300)
        if reply.status != 200:
            raise RuntimeError(f"{path}: {reply.status} {reply.error or reply.body[:200]!r}")
        times.append(reply.seconds)
    after = settled(primary, replica)
    # Our own tuples_returned() connections add some tuples on each side (about 60 each); a read's own
    # tuples are thousands.
    return {"ms": statistics.median(times) * 1000, "primary": after[0] - before[0], "replica": after[1] - before[1]}


def readers(sessions: list[scale.Session], paths: list[str], stop: threading.Event, done: list[int]) -> list[threading.Thread]:
    lock = threading.Lock()

    def read(session):
        while not stop.is_set():
            for path in paths:
                if stop.is_set():
                    break
                session.get(path, timeout=300)
                with lock:
                    done[0] += 1
    threads = [threading.Thread(target=read, args=(s,), daemon=True) for s in sessions]
    for thread in threads:
        thread.start()
    return threads


def replay_lag(primary: Cluster) -> str:
    with primary.connect("postgres") as conn:
        row = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), replay_lag"
                           " FROM pg_stat_replication").fetchone()
    return f"{int(row[0] or 0):,} bytes behind, replay_lag {row[1] or '0'}" if row else "no replica connected"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20_000, help="items (x 5 locations); default 20,000")
    parser.add_argument("--repeats", type=int, default=3, help="times each read is asked (median)")
    parser.add_argument("--seconds", type=float, default=15, help="length of each write round")
    parser.add_argument("--output", type=Path, default=scale.ROOT / "docs" / "PERFORMANCE.md")
    args = parser.parse_args(argv)
    for name in NOT_INHERITED:
        os.environ.pop(name, None)
    began = time.monotonic()
    secret = secrets.token_urlsafe(32)
    logdir = Path(tempfile.mkdtemp(prefix="hardfin-bench-replica-"))
    servers: list[scale.Server] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with Cluster() as primary:
        primary.create_database(DATABASE)
        url = primary.url(DATABASE)
        dataset = scale.DataSet("large", DATABASE, url, args.items, 0)
        scale.say(f"primary on port {primary.port}: migrating and generating {args.items:,} items x 5 locations")
        scale.call([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=scale.django_env(url, secret),
                   timeout=600)
        scale.app_command(dataset, secret, "generate", "--items", str(args.items), "--empty-lots", "0",
                          timeout=3600, show_stderr=True)
        account = json.loads(scale.app_command(dataset, secret, "users", "--clients", str(scale.CLIENTS)).strip())
        counts = dataset.counts()
        with Replica(primary) as replica:
            replica.wait_caught_up(120)
            scale.say(f"replica on port {replica.port} caught up; starting gunicorn")
            try:
                plain = scale.Server(dataset, free_port(), 2, 305, secret, logdir, {"CONN_MAX_AGE": "0"})
                routed = scale.Server(dataset, free_port(), 2, 305, secret, logdir,
                                      {"CONN_MAX_AGE": "0", "REPLICA_DATABASE_URL": replica.url(DATABASE)})
                servers += [plain, routed]
                for server in servers:
                    server.start()
                for server in servers:
                    server.wait_ready()
                sessions = {server: scale.Session(server, account["manager"], account["password"], account["token"], 300)
                            for server in servers}
                rows = []
                for template in READS:
                    path = scale.report_path(template)
                    scale.say(f"reading {template}")
                    for session in sessions.values():  # warm both
                        session.get(path, timeout=300)
                    on_primary = measure_read(sessions[plain], path, primary, replica, args.repeats)
                    on_replica = measure_read(sessions[routed], path, primary, replica, args.repeats)
                    rows.append((template, on_primary, on_replica))

                scale.say("service-layer transfers: alone, with readers on the primary, with readers on the replica")
                items = scale.transfer_items(dataset, 0)
                heavy = [scale.report_path(t) for t in HEAVY_READS]
                writes = {}
                start = 0
                for label, server in (("alone", None), ("readers on the primary", plain),
                                      ("readers on the replica", routed)):
                    stop_event, done, threads = threading.Event(), [0], []
                    if server is not None:
                        reader_sessions = [scale.Session(server, account["manager"], account["password"],
                                                         account["token"], 300) for _ in range(2)]
                        threads = readers(reader_sessions, heavy, stop_event, done)
                    result = scale.service_transfers(dataset, secret, items=items, source="MKE", destination="DET",
                                                     ping_pong=True, start=start, seconds=args.seconds,
                                                     timeout=args.seconds + 300)
                    start += result.get("count", 0) + 100
                    stop_event.set()
                    for thread in threads:
                        thread.join(300)
                    writes[label] = (result["per_second"], done[0])
                lag = replay_lag(primary)
            finally:
                for server in servers:
                    server.stop()
    text = report(args, counts, rows, writes, lag, time.monotonic() - began)
    print(text)
    write_report(args.output, text)
    return 0


def report(args, counts, rows, writes, lag, seconds) -> str:
    m = scale.machine()
    alone = writes["alone"][0]
    lines = [
        BEGIN, "",
        f"Run of {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC: `bench/replica"
        + (f" --items {args.items}" if args.items != 20_000 else "") + f"`, {seconds / 60:.1f} minutes.", "",
        f"- Machine: {m['nproc']} CPUs, {m['memory']} memory, {m['os']}; primary and replica are throw-away "
        "PostgreSQL 15 clusters on the same machine (tools/clusters.py), the replica streaming from the primary.",
        f"- Data: {counts['inventory_item']:,} items, {counts['inventory_stocklevel']:,} stock levels, "
        f"{counts['lots_lot']:,} lots, {counts['movements_movementline']:,} ledger lines (bench/scale's generator).",
        "- Two gunicorn servers (2 sync workers each, DEBUG off, CONN_MAX_AGE=0) on the same data: one without "
        "`REPLICA_DATABASE_URL`, one with it. \"Tuples returned\" is `pg_stat_database.tup_returned` of each "
        f"cluster while that server answered the read {args.repeats} times: where the read was served.", "",
        "| read | from the primary | tuples returned: primary / replica | with the replica | tuples returned: primary / replica | served by |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for template, p, r in rows:
        # The smaller count is our own statistics queries' (the noise floor); a cluster that
        # served the read returned several times that.
        floor = max(min(r["primary"], r["replica"]), 1)
        on = [name for name in ("primary", "replica") if r[name] > 5 * floor]
        served = on[0] if len(on) == 1 else "**both**" if on else "neither"
        lines.append(f"| `{template}` | {p['ms']:,.0f} ms | {p['primary']:,} / {p['replica']:,} | {r['ms']:,.0f} ms "
                     f"| {r['primary']:,} / {r['replica']:,} | {served} |")
    if any("both" in line for line in lines):
        lines += ["", "**both**: some of the answers read the primary and some the replica (compare the tuples "
                  "with the first column's, which are all one cluster's)."]
    lines += ["", "| service-layer transfers, 1 client | transfers/s | vs alone | reads answered meanwhile |",
              "| --- | --- | --- | --- |"]
    for label, (rate, reads) in writes.items():
        lines.append(f"| {label} | {rate:,.1f} | {rate / alone * 100:.0f} % | {reads if label != 'alone' else ''} |")
    lines += ["", f"Replica after the writes: {lag}. On one 2-core machine the replica shares the CPUs with the "
              "primary and the app, so moving reads there frees the primary's locks and buffers, not the "
              "machine's cores; on separate hosts it frees both.", "", END]
    return "\n".join(lines)


def write_report(path: Path, text: str) -> None:
    current = path.read_text() if path.exists() else ""
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        current = head + text + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n## Reads from the replica (issue 14)\n\n" + text + "\n"
    path.write_text(current)


if __name__ == "__main__":
    sys.exit(main())
