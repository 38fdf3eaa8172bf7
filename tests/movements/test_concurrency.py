"""Rule 2 under concurrency, on PostgreSQL with real threads and real row locks: many writers
moving, consuming (builds with shortfalls too) and receiving one item across three locations
never drive a lot below zero, never fail with anything but InsufficientStock, and leave every
total conserved."""

import random
import threading

import pytest
from django.db import connection

from hardfin.errors import InsufficientStock
from lots.models import Lot
from movements.models import Movement, Shortfall
from movements.reconciliation import reconcile
from movements.services import (
    Line,
    adjustment_create,
    build_create,
    receipt_create,
    replacement_create,
    transfer_create,
)
from tests.factories import ItemFactory, LocationFactory, SupplierFactory, UserFactory
from tests.stock import receive

THREADS = 8
OPERATIONS = 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rule_2_concurrent_transfers_and_consumptions_never_go_negative(caplog):
    item = ItemFactory(sku="LDR-4.1")
    locations = [LocationFactory(code=code) for code in ("CHI", "MKE", "DET")]
    manager = UserFactory(groups=["Managers"])
    supplier = SupplierFactory()
    for location in locations:
        for quantity in (40, 30):
            receive(item, location, quantity, supplier=supplier, user=manager, po_number="PO")

    start = threading.Barrier(THREADS)
    unexpected: list[BaseException] = []
    counts = {"ok": 0, "insufficient": 0}
    counts_lock = threading.Lock()

    def worker(seed: int):
        rng = random.Random(seed)
        try:
            start.wait()
            for _ in range(OPERATIONS):
                source, destination = rng.sample(locations, 2)
                quantity = rng.randint(1, 15)
                action = rng.choice(["transfer", "transfer", "transfer", "replace", "adjust", "build", "short", "receive"])
                try:
                    if action == "transfer":
                        transfer_create(item=item, source=source, destination=destination, quantity=quantity, user=manager)
                    elif action == "replace":
                        replacement_create(item=item, location=source, quantity=quantity, asset="A", user=manager)
                    elif action == "adjust":
                        adjustment_create(item=item, location=source, direction="down", quantity=quantity,
                                          reason="damaged", user=manager)
                    elif action in ("build", "short"):
                        build_create(location=source, reference="B", lines=[Line(item, quantity)], user=manager,
                                     allow_shortfall=action == "short")
                    else:
                        receipt_create(supplier=supplier, location=source, po_number="PO",
                                       lines=[Line(item, quantity)], user=manager)
                    outcome = "ok"
                except InsufficientStock:
                    outcome = "insufficient"
                with counts_lock:
                    counts[outcome] += 1
        except BaseException as exc:  # anything else is a failure of the locking protocol
            unexpected.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    # The lock order makes deadlocks impossible, so not even a retried one may show up.
    assert [r.getMessage() for r in caplog.records if r.name == "hardfin.db"] == []
    assert counts["ok"] + counts["insufficient"] == THREADS * OPERATIONS
    assert counts["ok"] > THREADS * OPERATIONS // 4  # the test really moved stock
    assert not Lot.objects.filter(quantity__lt=0).exists()
    received = sum(Movement.objects.filter(kind="receipt").values_list("quantity", flat=True))
    consumed = sum(
        Movement.objects.filter(kind__in=["replacement", "adjustment", "build"]).values_list("quantity", flat=True)
    )
    open_shortfalls = sum(Shortfall.objects.values_list("outstanding", flat=True))
    assert sum(Lot.objects.values_list("quantity", flat=True)) - open_shortfalls == received - consumed
    assert reconcile() == []
