"""Database plumbing shared by every door: bounded retries of writes that lost a race, and the
one check for text no database row can hold."""

from __future__ import annotations

import functools
import logging
import random
import time

from django.conf import settings
from django.db import OperationalError, transaction

from hardfin.errors import DatabaseBusy

logger = logging.getLogger(__name__)

# deadlock_detected, serialization_failure, lock_not_available
TRANSIENT_SQLSTATES = {"40P01", "40001", "55P03"}


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` means "try the same transaction again", not "the request is wrong"."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)
    if sqlstate in TRANSIENT_SQLSTATES:
        return True
    # SQLite answers a lock it could not get within its timeout with this message.
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


def retry_on_conflict(func):
    """Run ``func`` (which opens its own transaction) again after a deadlock, a serialization
    failure or a locked SQLite database, a bounded number of times, then raise DatabaseBusy.

    Inside an outer transaction nothing is retried here: the failed statement has aborted
    that transaction, so only whoever opened it can start again.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if transaction.get_connection().in_atomic_block:
            return func(*args, **kwargs)
        retries = getattr(settings, "HARDFIN_WRITE_RETRIES", 3)
        for attempt in range(retries + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                if not is_transient(exc):
                    raise
                if attempt == retries:
                    raise DatabaseBusy("The database is busy; please try again.") from exc
                logger.info("retrying %s after %s (attempt %d)", func.__name__, exc, attempt + 1)
                time.sleep(random.uniform(0.01, 0.05) * (2**attempt))
        raise AssertionError("unreachable")

    return wrapper
