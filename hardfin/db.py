"""Database plumbing shared by every door: bounded retries of writes that lost a race or the
connection, and what counts as "the database is unavailable"."""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.transaction import Atomic

from hardfin.errors import DatabaseBusy

logger = logging.getLogger(__name__)

# deadlock_detected, serialization_failure, lock_not_available
TRANSIENT_SQLSTATES = {"40P01", "40001", "55P03"}
# SQLSTATE classes of a server that is out of reach or going away rather than of a wrong
# request: connection exception (08), insufficient resources such as too many connections
# (53), operator intervention such as admin/crash shutdown, "starting up" or a statement
# timeout (57), system error (58).
UNAVAILABLE_SQLSTATE_CLASSES = {"08", "53", "57", "58"}
# What SQLite says when its file cannot be used at all.
SQLITE_UNAVAILABLE = ("unable to open database file", "disk i/o error")

BUSY = "The database is busy; please try again."
UNAVAILABLE = "The database is unavailable; nothing was recorded. Please try again."
#: The write may have been committed just before the connection broke.
OUTCOME_UNKNOWN = (
    "The connection to the database was lost while the write was being committed, so it may or "
    "may not have been recorded: check before sending it again. (An API client retries safely "
    "with the same Idempotency-Key: a write that was recorded is answered again, not recorded twice.)"
)


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` means "try the same transaction again", not "the request is wrong"."""
    if _sqlstate(exc) in TRANSIENT_SQLSTATES:
        return True
    # SQLite answers a lock it could not get within its timeout with this message.
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot be reached or dropped the connection (the
    server restarted, the backend was terminated, the network broke, too many connections),
    so the request may succeed later; not a wrong request or a bug."""
    if isinstance(exc, InterfaceError):  # a connection that is already closed
        return True
    if not isinstance(exc, OperationalError) or is_transient(exc):
        return False
    sqlstate = _sqlstate(exc)
    if sqlstate:
        return sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("psycopg"):
        # psycopg reports a failed connection attempt and a connection lost mid-statement
        # without a SQLSTATE (no server answered).
        return True
    message = str(exc).lower()
    return any(text in message for text in SQLITE_UNAVAILABLE)


def raised_while_finishing(exc: BaseException) -> bool:
    """Whether ``exc`` came out of ending a transaction (its COMMIT, or what follows it)
    rather than out of a statement inside it. A connection lost before COMMIT was sent
    certainly committed nothing; lost during or after it, the outcome is unknown."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is Atomic.__exit__.__code__:
            return True
        tb = tb.tb_next
    return False


def retry_on_conflict(func):
    """Run ``func`` (which opens its own transaction) again, a bounded number of times, when
    it certainly committed nothing and trying again may work: after a deadlock, a
    serialization failure or a locked SQLite database, or after the connection was lost
    before COMMIT (then on a new connection). Then raise DatabaseBusy.

    A connection lost while committing is not retried: the write may have been recorded, and
    running it again could record it twice. DatabaseBusy says so; the client's retry with the
    same Idempotency-Key is the safe one.

    Inside an outer transaction nothing is retried here: the failed statement has aborted
    that transaction, so only whoever opened it can start again.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        connection = transaction.get_connection()
        if connection.in_atomic_block:
            return func(*args, **kwargs)
        retries = getattr(settings, "HARDFIN_WRITE_RETRIES", 3)
        for attempt in range(retries + 1):
            try:
                return func(*args, **kwargs)
            except (OperationalError, InterfaceError) as exc:
                if is_transient(exc):
                    message = BUSY
                elif is_unavailable(exc):
                    if raised_while_finishing(exc):
                        logger.warning("%s lost the database while committing: %s", func.__name__, exc)
                        raise DatabaseBusy(OUTCOME_UNKNOWN) from exc
                    message = UNAVAILABLE
                    _drop(connection)
                else:
                    raise
                if attempt == retries:
                    raise DatabaseBusy(message) from exc
                logger.info("retrying %s after %s (attempt %d)", func.__name__, exc, attempt + 1)
                time.sleep(random.uniform(0.01, 0.05) * (2**attempt))
        raise AssertionError("unreachable")

    return wrapper


def _drop(connection) -> None:
    """Close a broken connection, so that the next query opens a new one."""
    try:
        connection.close()
    except DatabaseError:
        connection.connection = None


def prepared_insert(model, instances: Sequence, connection) -> tuple[str, str, list]:
    """An INSERT of ``instances`` of ``model`` as its parts: the quoted column names, the
    ``VALUES`` rows and their parameters, each value prepared by its field as ``save``
    prepares it (``auto_now_add`` included) — without the per-value work of Django's insert
    compiler, for the writes that build their own statements."""
    pk = model._meta.pk
    columns = [field for field in model._meta.concrete_fields if field is not pk]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params = [
        field.get_db_prep_save(field.pre_save(instance, add=True), connection)
        for instance in instances
        for field in columns
    ]
    return ", ".join(quote(field.column) for field in columns), ", ".join([row] * len(instances)), params


def prepared_cursor(connection):
    """A cursor of ``connection`` (a Django connection) whose statements PostgreSQL parses
    and plans once per connection and then only executes: psycopg's prepared statements,
    which Django leaves off (``prepare_threshold``) for the poolers that lose them. For the
    few statements a transfer sends, planning cost more than running them (a 0.3 ms plan for
    a 0.03 ms index read). The statements keep Django's wrapping: errors as Django's, and
    counted by ``CaptureQueriesContext``. Elsewhere, or with
    ``HARDFIN_PREPARED_STATEMENTS`` off, a plain cursor."""
    if connection.vendor != "postgresql" or not settings.HARDFIN_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor_class()(connection.connection))


@functools.cache
def _preparing_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Binds its parameters on the server and prepares every statement it runs."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

        def _send_query_prepared(self, name, pgq, *, binary=None):
            # Kept, as for an unprepared statement, for Django's query log (its text, with
            # $1 … for the parameters).
            self._query = pgq
            return super()._send_query_prepared(name, pgq, binary=binary)

    return PreparingCursor
