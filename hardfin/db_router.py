"""The read replica: which database each query goes to when ``REPLICA_DATABASE_URL`` is set.

Reads go to the primary ("default") unless a door opts in with :func:`replica_reads` — the
exports, the reports (valuation, rollforward), the ``as_of`` lists and the ledger list wrap
themselves in it. Even inside it a read goes to the primary when

* the connection to the primary is inside ``transaction.atomic`` (whatever runs there decides a
  write: availability checks, locks, services, ``select_for_update``);
* the request is *pinned*: it wrote (a non-safe method, or any write through this router), or
  the same browser/client wrote less than ``REPLICA_PIN_SECONDS`` ago (the pin cookie, set by
  :class:`hardfin.middleware.ReplicaPinningMiddleware`), so nobody misses their own write;
* the replica cannot be connected (a warning is logged): reads fall back to the primary.

Every write goes to the primary. Without a "replica" database this router is not installed and
there is one database, as before.

The state is context-local (contextvars), so it holds per thread and per asyncio task.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import time

from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
#: The cookie that pins a browser/client to the primary after it wrote; its value is the time
#: (Unix seconds) until which it is pinned.
PIN_COOKIE = "hardfin_pin"

#: Inside replica_reads(): True when the replica may serve this scope's reads.
_replica_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar("hardfin_replica_allowed", default=False)
#: The current request wrote (or its client is pinned): reads go to the primary.
_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("hardfin_replica_pinned", default=False)
#: The current request wrote.
_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("hardfin_replica_wrote", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def pin(*, wrote: bool = True) -> None:
    """Read from the primary for the rest of this request: it wrote (then its client stays
    pinned for REPLICA_PIN_SECONDS, see the middleware), or its client wrote a moment ago."""
    _pinned.set(True)
    if wrote:
        _wrote.set(True)


def wrote() -> bool:
    return _wrote.get()


def is_pinned() -> bool:
    return _pinned.get()


@contextlib.contextmanager
def request_scope():
    """One request's pinning state, forgotten when it ends (the middleware opens it)."""
    pinned, wrote_ = _pinned.set(False), _wrote.set(False)
    try:
        yield
    finally:
        _pinned.reset(pinned)
        _wrote.reset(wrote_)


def replica_usable() -> bool:
    """Whether the replica answers; if not, log a warning (its reads go to the primary)."""
    if not replica_configured():
        return False
    connection = connections[REPLICA]
    try:
        connection.ensure_connection()
        if connection.vendor == "postgresql" and not connection.is_usable():
            connection.close()
            connection.ensure_connection()
        return True
    except DatabaseError as exc:
        logger.warning("read replica unavailable, reading from the primary instead: %s", exc)
        with contextlib.suppress(Exception):
            connection.close()
        return False


class replica_reads(contextlib.ContextDecorator):
    """Let the reads in this block (or function, or view) go to the replica; see the module.

    Checks the replica's connection on entry, so that an export starts from the primary
    rather than failing when the replica is down. A view's streamed response is read in this
    scope too (its content is produced after the view returns)."""

    def __enter__(self):
        usable = (replica_configured() and not _pinned.get() and not connections[PRIMARY].in_atomic_block
                  and replica_usable())
        self._token = _replica_allowed.set(usable)
        return self

    def __exit__(self, *exc):
        _replica_allowed.reset(self._token)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self._recreate_cm():
                response = func(*args, **kwargs)
                allowed = _replica_allowed.get() and not _pinned.get()
            if getattr(response, "streaming", False) and allowed:
                response.streaming_content = _in_scope(response.streaming_content)
            return response

        return wrapper

    def _recreate_cm(self):
        return type(self)()


def _in_scope(chunks):
    """Produce a streamed response's chunks with the replica allowed and unpinned, as in its
    view (which checked that the replica answers and that the request was not pinned before the
    response started). The chunks are produced after the request's scope has ended, in the
    worker's own context, which a write after that scope may have pinned: the session that
    SessionMiddleware saves on the way out of a sign-in, say. Left to that context, every later
    export of the same worker read the primary (bench/replica showed it)."""
    iterator = iter(chunks)
    while True:
        allowed, unpinned = _replica_allowed.set(True), _pinned.set(False)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _pinned.reset(unpinned)
            _replica_allowed.reset(allowed)
        yield chunk


def reads_from_replica() -> bool:
    """Where a read made now would go (for the router and for tests)."""
    if not _replica_allowed.get() or _pinned.get() or not replica_configured():
        return False
    # Inside a transaction on the primary everything reads what that transaction sees.
    return not connections[PRIMARY].in_atomic_block


class ReplicaRouter:
    """DATABASE_ROUTERS entry, installed only when a "replica" database is configured."""

    def db_for_read(self, model, **hints):
        return REPLICA if reads_from_replica() else PRIMARY

    def db_for_write(self, model, **hints):
        # The rest of this request reads from the primary: it must see what it wrote.
        pin()
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data (the replica is a copy of the primary).
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica replays the primary's WAL: nothing is ever migrated on it directly.
        return db == PRIMARY


def pin_until(now: float | None = None, seconds: float = 5) -> str:
    return f"{(now if now is not None else time.time()) + seconds:.3f}"


def pinned_by_cookie(value: str | None, now: float | None = None) -> bool:
    if not value:
        return False
    try:
        until = float(value)
    except ValueError:
        return False
    return (now if now is not None else time.time()) < until
