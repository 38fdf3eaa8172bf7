"""Counts under concurrency, on PostgreSQL with real threads and row locks."""

import threading

import pytest
from django.db import connection

from counts.errors import CountOverlaps
from counts.models import Count, CountLine
from counts.services import count_enter, count_post, count_start
from hardfin.errors import InsufficientStock
from movements.reconciliation import reconcile
from movements.services import Line, receipt_create, transfer_create
from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def run_together(*actions):
    start = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def worker(index, action):
        try:
            start.wait()
            results[index] = action()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_counts_started_at_once_never_both_cover_an_item_location():
    manager = UserFactory(groups=["Managers"])
    location = LocationFactory(code="CHI")
    items = [ItemFactory() for _ in range(30)]
    for _ in range(5):
        results = run_together(*[lambda: count_start(location=location, items=items, user=manager)] * 4)
        assert sum(isinstance(result, Count) for result in results) == 1, results
        assert all(isinstance(result, (Count, CountOverlaps)) for result in results), results
        winner = next(result for result in results if isinstance(result, Count))
        assert CountLine.objects.filter(is_open=True).count() == 30
        from counts.services import count_cancel

        count_cancel(count=winner, user=manager)


def test_posting_while_stock_moves_stays_conserved():
    manager = UserFactory(groups=["Managers"])
    chicago, milwaukee = LocationFactory(code="CHI"), LocationFactory(code="MKE")
    items = [ItemFactory() for _ in range(20)]
    receipt_create(supplier=SupplierFactory(), location=chicago, po_number="PO", lines=[Line(i, "10") for i in items],
                   user=manager)
    count = count_start(location=chicago, user=manager)
    count_enter(count=count, entries=[(item, "7") for item in items], user=manager)

    def moves():
        for item in items:
            try:
                transfer_create(item=item, source=chicago, destination=milwaukee, quantity="2", user=manager)
            except InsufficientStock:
                pass

    results = run_together(lambda: count_post(count=count, user=manager), moves)
    assert not any(isinstance(result, BaseException) and not isinstance(result, InsufficientStock)
                   for result in results), results
    assert list(reconcile()) == []


def test_a_count_being_worked_on_does_not_hold_up_movements_at_its_location():
    """While a count's row is locked (entering, posting), movements at its location are still
    recorded: the lock is the count's row alone, not the location row every movement refers to.
    (A lock on the location made a post and a transfer wait for each other — a deadlock.)"""
    from django.db import transaction

    from counts.services import _locked

    manager = UserFactory(groups=["Managers"])
    chicago, milwaukee = LocationFactory(code="CHI"), LocationFactory(code="MKE")
    item = ItemFactory()
    receipt_create(supplier=SupplierFactory(), location=chicago, po_number="PO", lines=[Line(item, "10")],
                   user=manager)
    count = count_start(location=chicago, user=manager)
    holding, release = threading.Event(), threading.Event()

    def hold_the_count():
        try:
            with transaction.atomic():
                _locked(count)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_count)
    holder.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        try:
            transfer_create(item=item, source=chicago, destination=milwaukee, quantity="2", user=manager)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
    finally:
        release.set()
        holder.join()
    assert chicago.stock_levels.get(item=item).quantity == 8
