"""Bounded retries of writes that lost a race (hardfin/db.py)."""

import pytest
from django.db import OperationalError, transaction

from hardfin.db import retry_on_conflict
from hardfin.errors import DatabaseBusy


class Deadlock(Exception):
    sqlstate = "40P01"


def failing(times, cause=Deadlock):
    calls = []

    @retry_on_conflict
    def write():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("deadlock detected") from cause()
        return "written"

    return write, calls


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transient_failure_is_retried_until_it_succeeds(settings):
    settings.HARDFIN_WRITE_RETRIES = 3
    write, calls = failing(2)
    assert write() == "written"
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failure_that_persists_becomes_database_busy(settings):
    settings.HARDFIN_WRITE_RETRIES = 2
    write, calls = failing(10)
    with pytest.raises(DatabaseBusy):
        write()
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_locked_database_counts_as_transient(settings):
    calls = []

    @retry_on_conflict
    def write():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return "ok"

    assert write() == "ok"
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_other_database_errors_are_not_retried():
    calls = []

    @retry_on_conflict
    def write():
        calls.append(1)
        raise OperationalError("no such table: x")

    with pytest.raises(OperationalError):
        write()
    assert len(calls) == 1


def test_inside_an_outer_transaction_nothing_is_retried(db):
    write, calls = failing(1)
    with pytest.raises(OperationalError):
        with transaction.atomic():
            write()
    assert len(calls) == 1
