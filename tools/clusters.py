"""Throw-away PostgreSQL clusters: a primary made with initdb and a streaming replica made from it
with ``pg_basebackup -R``, each in a temporary directory on a free port of its own.

    with Cluster() as primary, Replica(primary) as replica:
        primary.url("hardfin")            # postgres://postgres@127.0.0.1:<port>/hardfin
        replica.wait_caught_up()          # the replica has replayed what the primary wrote so far
        with replica.paused():            # the replica holds still; the primary moves on
            ...

Never the machine's own server on 5432: bench/soak, bin/production and the replica tests each
make their own and remove it. When we run as root the server runs as the ``postgres`` OS user
(initdb and postgres refuse to run as root). PG_BIN names PostgreSQL's bin directory
(default PostgreSQL 15's, Debian's layout).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of our own in ``workdir`` (a new temporary one unless given), on
    127.0.0.1:``port`` (a free one unless given). Ready for streaming replicas: wal_level=replica
    and room for a few WAL senders; each Replica takes a replication slot, so the primary keeps
    the WAL a stopped or paused replica still needs."""

    def __init__(self, workdir: Path | None = None, port: int | None = None):
        self.owns_workdir = workdir is None
        self.workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="hardfin-pg-"))
        self.port = port or free_port()
        self.data, self.sockets, self.log = self.workdir / "data", self.workdir / "sockets", self.workdir / "postgres.log"
        self.running = False

    # --- running PostgreSQL's programs ----------------------------------------------------------

    @staticmethod
    def as_postgres(cmd: list[str]) -> list[str]:
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            return ["runuser", "-u", "postgres", "--", *cmd]
        return cmd

    def _run(self, *cmd, timeout: float = 120) -> None:
        result = subprocess.run(self.as_postgres([str(PG_BIN / cmd[0]), *cmd[1:]]), cwd="/", capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode:
            raise RuntimeError(f"{cmd[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _own_dirs(self) -> None:
        self.sockets.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")

    def _settings(self) -> str:
        return (
            f"\n# a throw-away cluster (tools/clusters.py)\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.sockets}'\nmax_connections = 100\nshared_buffers = 64MB\n"
            "log_min_messages = warning\nwal_level = replica\nmax_wal_senders = 10\nmax_replication_slots = 10\n"
            "hot_standby = on\nhot_standby_feedback = on\n"
        )

    # --- life cycle -----------------------------------------------------------------------------

    def create(self) -> Cluster:
        self._own_dirs()
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-instructions")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(self._settings())
        # trust for replication connections from this machine too (initdb's default allows them
        # from 127.0.0.1 already; said here so that it does not depend on initdb's version).
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        return self

    def start(self) -> Cluster:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def remove(self) -> None:
        """Stop the server if it runs, and delete its directory (if we made it)."""
        if self.running:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self) -> Cluster:
        try:
            return self.create().start()
        except BaseException:
            self.remove()
            raise

    def __exit__(self, *exc) -> None:
        self.remove()

    # --- talking to it --------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)

    def create_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def current_lsn(self) -> str:
        with self.connect() as conn:
            return conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]


class Replica(Cluster):
    """A hot-standby streaming replica of ``primary``: ``pg_basebackup -R`` copies the primary's
    data directory and writes the standby settings (primary_conninfo, standby.signal); a
    replication slot of its own makes the primary keep the WAL it has not received yet."""

    def __init__(self, primary: Cluster, workdir: Path | None = None, port: int | None = None):
        super().__init__(workdir, port)
        self.primary = primary
        self.slot = f"replica_{self.port}"

    def create(self) -> Replica:
        self._own_dirs()
        with self.primary.connect() as conn:
            conn.execute("SELECT pg_create_physical_replication_slot(%s)", [self.slot])
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
                  "-D", str(self.data), "-R", "-X", "stream", "-S", self.slot, "-c", "fast", timeout=300)
        # The copy carries the primary's port and socket directory: this one gets its own.
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(self._settings())
        return self

    def remove(self) -> None:
        super().remove()
        if self.primary.running:
            with contextlib.suppress(Exception), self.primary.connect() as conn:
                conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                             "WHERE slot_name = %s AND NOT active", [self.slot])

    def replayed_lsn(self) -> str | None:
        with self.connect() as conn:
            return conn.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()[0]

    def wait_caught_up(self, seconds: float = 60) -> None:
        """Wait until this replica has replayed everything the primary had written when called."""
        target = self.primary.current_lsn()
        deadline = time.monotonic() + seconds
        while True:
            with self.connect() as conn:
                done = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]
            if done:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"replica on port {self.port} did not replay up to {target} within {seconds:g} s")
            time.sleep(0.05)

    def pause_replay(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            # Pausing takes effect between records: wait until it has.
            deadline = time.monotonic() + 30
            while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
                if time.monotonic() > deadline:
                    raise RuntimeError("replay did not pause within 30 s")
                time.sleep(0.02)

    def resume_replay(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    @contextlib.contextmanager
    def paused(self):
        self.pause_replay()
        try:
            yield self
        finally:
            self.resume_replay()
