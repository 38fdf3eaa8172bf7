"""Figures for the hot paths: receipts, FIFO transfers, stock reads, the CSV export and
reconcile. Run through bench/run, which prepares a fresh database."""

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hardfin.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402

from hardfin.csv import csv_lines  # noqa: E402
from inventory.filters import StockLevelFilter  # noqa: E402
from inventory.selectors import stock_export_rows, stock_rows  # noqa: E402
from inventory.services import item_create, location_create, supplier_create  # noqa: E402
from movements.reconciliation import reconcile  # noqa: E402
from movements.services import Line, receipt_create, transfer_create  # noqa: E402


def timed(label, func, runs):
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        func(i)
        samples.append(time.perf_counter() - start)
    total = sum(samples)
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
    print(f"{label:<42} {runs:>6} runs  {runs / total:>9.1f}/s  p50 {statistics.median(samples) * 1000:7.2f} ms"
          f"  p95 {p95 * 1000:7.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--transfers", type=int, default=2000)
    args = parser.parse_args()
    if args.items % 10 or args.transfers * 3 > args.items * 50:
        parser.error("--items must be a multiple of 10, with at most 16 transfers per item")

    print(f"database: {connection.vendor}; items: {args.items}; transfers: {args.transfers}")
    user = User.objects.create_user("bench")
    user.groups.add(Group.objects.get(name="Managers"))
    supplier = supplier_create(code="SUP", name="Supplier")
    locations = [location_create(code=f"L{n}", name=f"Location {n}") for n in range(5)]
    items = [item_create(sku=f"BENCH-{n:05d}", name=f"Bench part {n}") for n in range(args.items)]

    def home(n):
        """Where item ``n`` is received: items come in blocks of 10, alternating locations."""
        return locations[(n // 10) % 2]

    def receive(i):
        first = (i * 10) % len(items)
        receipt_create(supplier=supplier, location=home(first), po_number=f"PO-{i}",
                       lines=[Line(item, 25) for item in items[first:first + 10]], user=user)

    # Two rounds, so every item has two batches and transfers split across them.
    timed("receipt (10 lines, 10 new batches)", receive, max(1, len(items) // 5))

    def transfer(i):
        n = i % len(items)
        item, source = items[n], home(n)
        destination = locations[2 + i % 3]
        transfer_create(item=item, source=source, destination=destination, quantity=3, user=user)

    timed("transfer (FIFO over several batches)", transfer, args.transfers)

    def read(i):
        rows = StockLevelFilter({"search": "BENCH-000"}, queryset=stock_rows()).qs
        list(rows[:50])

    timed("stock rows page (50, filtered)", read, 200)

    tracemalloc.start()
    start = time.perf_counter()
    lines = sum(1 for _ in csv_lines(("SKU", "Item name", "Location", "Quantity"),
                                     stock_export_rows(StockLevelFilter({}, queryset=stock_rows()).qs)))
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{'stock CSV export':<42} {lines:>6} lines {lines / elapsed:>9.1f}/s  peak memory {peak / 1e6:.1f} MB")

    start = time.perf_counter()
    mismatches = reconcile()
    print(f"{'reconcile':<42} {time.perf_counter() - start:>9.2f} s  mismatches: {len(mismatches)}")


if __name__ == "__main__":
    main()
