"""The data set of the scale benchmark and the parts of it that run inside Django, against
the one database DATABASE_URL names. bench/scale.py runs this file as a subprocess:

    python bench/scale_data.py generate --items N [--empty-lots E]
    python bench/scale_data.py users
    python bench/scale_data.py export-sql
    python bench/scale_data.py transfers < parameters.json

Each prints one line of JSON (or the SQL) on stdout; progress goes to stderr.

The layout (pure functions, no Django) is shared with bench/scale.py, which addresses the
generated rows by it. For item n (1 … N):

- batch n (number 0001) arrives at location 1 by one receipt of 100 units;
- four transfers move part of it to locations 2-5 (10, 15, 20, 25 units; every tenth item
  10, 20, 30, 40, which empties its lot at location 1);
- so the item has 5 lots, 5 stock levels, 5 movements and 5 ledger lines, with ids
  5(n-1)+1 … 5(n-1)+5 (the batch and the item have id n).

Optionally one more item has E empty lots at location 1 (E receipts of 1 unit, each consumed
by a downward adjustment) besides one lot of 100,000 units.
Everything is inserted with SQL in chunks; the result satisfies every constraint and
``reconcile`` (DESIGN.md rule 3). The ledger is only ever inserted into.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

LOCATIONS = [
    ("CHI", "Chicago Warehouse"),
    ("MKE", "Milwaukee Operations Center"),
    ("DET", "Detroit Depot"),
    ("STL", "St. Louis Depot"),
    ("MSP", "Minneapolis Service Vans"),
]
SUPPLIERS = [("ACME", "Acme Fasteners"), ("NORD", "Nordic Cable Co."), ("PAC", "Pacific Tools")]
PART_NAMES = ["Hex bolt", "Cable tie", "Fuse", "Relay", "Bracket", "Gasket", "Connector", "Bearing"]
RECEIVED = 100
#: Units transferred to locations 2-5: most items keep 30 at location 1, every tenth none.
TRANSFERS = (10, 15, 20, 25)
TRANSFERS_EMPTYING = (10, 20, 30, 40)
EMPTY_LOTS_SKU = "BN-EMPTY-LOTS"
EMPTY_LOTS_STOCK = 100_000
LOADER = "bench-loader"
MANAGER = "bench-manager"
CLIENT = "bench-operator-{}"
HISTORY = timedelta(days=3 * 365)
#: Batches of the items n with n mod 10 equal to this have an unknown unit cost.
UNKNOWN_COST_EVERY = 3
#: Where the count benchmark counts (no transfer benchmark moves stock there).
COUNT_LOCATION = "STL"
CHUNK = 10_000


def sku_width(items: int) -> int:
    return max(6, len(str(items)))


def sku(n: int, items: int) -> str:
    return f"BN-{n:0{sku_width(items)}d}"


def quantity_at(n: int, location_index: int) -> int:
    """What item n holds at location 1-5 after generation."""
    moved = TRANSFERS_EMPTYING if n % 10 == 0 else TRANSFERS
    return RECEIVED - sum(moved) if location_index == 1 else moved[location_index - 2]


def movement_id(n: int, k: int = 0) -> int:
    """Movement k of item n: 0 the receipt, 1-4 the transfers to locations 2-5."""
    return 5 * (n - 1) + k + 1


# --- inside Django ------------------------------------------------------------------------------

def setup_django():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hardfin.settings")
    import django

    django.setup()


def insert_select(cursor, model, exprs: dict[str, str], source: str, params: list) -> None:
    """INSERT INTO the model's table SELECT ``exprs`` (column -> SQL) FROM ``source``. Columns
    not named get the field's default, so a field added later with a default (or nullable)
    needs no change here; one without either stops the generator with its name."""
    from django.db import connection

    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    unknown = set(exprs) - {field.column for field in fields}
    if unknown:
        raise SystemExit(f"{model.__name__} has no column(s) {', '.join(sorted(unknown))}")
    columns, select, select_params = [], [], []
    for field in fields:
        columns.append(quote(field.column))
        if field.column in exprs:
            select.append(exprs[field.column])
        elif field.has_default():
            select.append("%s")
            select_params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            select.append("NULL")
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            select.append("now()")
        else:
            raise SystemExit(f"The benchmark generator does not know how to fill {model.__name__}.{field.name}")
    cursor.execute(
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(select)} FROM {source}",
        [*select_params, *params],
    )


def set_aside_indexes_and_keys(cursor, models) -> list[str]:
    """Drop the foreign keys and the indexes that back no constraint on the models' tables;
    return the statements that restore them (keys last, as they look rows up by index)."""
    tables = [model._meta.db_table for model in models]
    cursor.execute(
        "SELECT i.schemaname, i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
        "AND i.schemaname = current_schema() AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)",
        [tables],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
        [tables],
    )
    keys = cursor.fetchall()
    restore = []
    for table, name, definition in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for schema, name, definition in indexes:
        cursor.execute(f'DROP INDEX "{schema}"."{name}"')
        restore.insert(0, definition)
    return restore


def reset_sequences(cursor, models) -> None:
    for model in models:
        table = model._meta.db_table
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), coalesce((SELECT max(id) FROM " + table + "), 0) + 1, false)",
            [table],
        )


def generate(items: int, empty_lots: int) -> dict:
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from inventory.models import Item, StockLevel
    from inventory.services import location_create, supplier_create
    from lots.models import Batch, Lot
    from movements.models import AdjustmentReason, Movement, MovementLine

    if Item.objects.exists():
        raise SystemExit("The database already holds items; the generator needs a freshly migrated one.")
    locations = [location_create(code=code, name=name) for code, name in LOCATIONS]
    suppliers = [supplier_create(code=code, name=name) for code, name in SUPPLIERS]
    loader = User.objects.create_user(LOADER)
    start = timezone.now() - HISTORY
    step = HISTORY / (items + 1) * 0.9  # the last receipt's transfers still lie in the past
    # One row of constants joined to every generated row, so the expressions need no
    # placeholders of their own.
    constants = (
        "(SELECT %s::timestamptz AS t0, %s::interval AS step, %s::bigint[] AS loc, "
        "%s::bigint[] AS sup, %s::int AS uid, %s::text[] AS part) AS p"
    )
    constant_params = [
        start, step, [loc.id for loc in locations], [s.id for s in suppliers], loader.id, PART_NAMES,
    ]
    width = sku_width(items)
    when = "p.t0 + (n - 1) * p.step"
    # k = 0 is the receipt at location 1, k = 1 … 4 the transfers to locations 2 … 5.
    moved = (
        f"(CASE WHEN mod(n, 10) = 0 THEN (ARRAY{list(TRANSFERS_EMPTYING)})[k] "
        f"ELSE (ARRAY{list(TRANSFERS)})[k] END)"
    )
    kept = (
        f"(CASE WHEN mod(n, 10) = 0 THEN {RECEIVED - sum(TRANSFERS_EMPTYING)} "
        f"ELSE {RECEIVED - sum(TRANSFERS)} END)"
    )
    line_qty = f"(CASE WHEN k = 0 THEN {RECEIVED} ELSE {moved} END)"
    held = f"(CASE WHEN k = 0 THEN {kept} ELSE {moved} END)"
    at = f"{when} + k * interval '1 hour'"
    series = "generate_series(%s::bigint, %s::bigint) AS n"
    per_location = f"{series} CROSS JOIN generate_series(0, 4) AS k CROSS JOIN {constants}"
    per_item = f"{series} CROSS JOIN {constants}"
    supplier = "p.sup[1 + mod(n, 3)::int]"

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("items"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
    )
    began = time.perf_counter()
    models = [Item, Batch, Movement, MovementLine, Lot, StockLevel]
    with progress, connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        # The standard bulk load: secondary indexes and foreign keys are set aside while the
        # rows go in, then rebuilt and re-validated over the whole table in one pass each.
        deferred = set_aside_indexes_and_keys(cursor, models)
        task = progress.add_task(f"generating {items:,} items x {len(LOCATIONS)} locations", total=items)
        for lo in range(1, items + 1, CHUNK):
            hi = min(items, lo + CHUNK - 1)
            chunk = [lo, hi, *constant_params]
            with transaction.atomic():
                insert_select(cursor, Item, {
                    "id": "n",
                    "sku": f"'BN-' || lpad(n::text, {width}, '0')",
                    "name": "p.part[1 + mod(n, 8)::int] || ' ' || n",
                    "description": "''", "unit": "'ea'", "fractional": "false", "is_active": "true",
                    "last_batch_number": "1", "created_at": when,
                }, per_item, chunk)
                insert_select(cursor, Batch, {
                    "id": "n", "item_id": "n", "number": "1", "origin": "'receipt'",
                    "supplier_id": supplier, "po_number": "'PO-' || n", "shipment_number": "''",
                    "reference": "'PO-' || n", "received_at": when, "initial_quantity": str(RECEIVED),
                    # Costs for the accountant's reports: 1.25 to 62.50, every tenth batch unknown.
                    "unit_cost": f"CASE WHEN mod(n, 10) = {UNKNOWN_COST_EVERY} THEN NULL "
                                 "ELSE (1 + mod(n, 50)) * 1.25 END",
                }, per_item, chunk)
                insert_select(cursor, Movement, {
                    "id": "5 * (n - 1) + k + 1",
                    "kind": "CASE WHEN k = 0 THEN 'receipt' ELSE 'transfer' END",
                    "occurred_at": at, "item_id": "n", "quantity": line_qty,
                    "from_location_id": "CASE WHEN k = 0 THEN NULL ELSE p.loc[1] END",
                    "to_location_id": "p.loc[k + 1]",
                    "reference": "CASE WHEN k = 0 THEN 'PO-' || n ELSE '' END",
                    "supplier_id": f"CASE WHEN k = 0 THEN {supplier} END",
                    "shipment_number": "''", "note": "''", "user_id": "p.uid",
                }, per_location, chunk)
                insert_select(cursor, MovementLine, {
                    "id": "5 * (n - 1) + k + 1", "movement_id": "5 * (n - 1) + k + 1", "batch_id": "n",
                    "from_location_id": "CASE WHEN k = 0 THEN NULL ELSE p.loc[1] END",
                    "to_location_id": "p.loc[k + 1]", "quantity": line_qty,
                }, per_location, chunk)
                insert_select(cursor, Lot, {
                    "id": "5 * (n - 1) + k + 1", "batch_id": "n", "location_id": "p.loc[k + 1]",
                    "item_id": "n", "quantity": held, "created_at": at,
                }, per_location, chunk)
                insert_select(cursor, StockLevel, {
                    "id": "5 * (n - 1) + k + 1", "item_id": "n", "location_id": "p.loc[k + 1]",
                    "quantity": held, "updated_at": at,
                }, per_location, chunk)
            progress.advance(task, hi - lo + 1)
        if empty_lots:
            task = progress.add_task(f"one item with {empty_lots:,} empty lots", total=1)
            with transaction.atomic():
                reason = AdjustmentReason.objects.get(code="count_correction")
                _generate_empty_lots(cursor, items, empty_lots, constants, constant_params, reason.id)
            progress.advance(task)
        if deferred:
            task = progress.add_task("rebuilding indexes and foreign keys", total=len(deferred))
            for statement in deferred:
                cursor.execute(statement)
                progress.advance(task)
        reset_sequences(cursor, models)
        task = progress.add_task("VACUUM ANALYZE", total=len(models))
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
            progress.advance(task)
    return {"items": items, "empty_lots": empty_lots, "seconds": round(time.perf_counter() - began, 1)}


def _generate_empty_lots(cursor, items, empty_lots, constants, constant_params, reason_id) -> None:
    """Item N+1 at location 1: batches 1 … E of 1 unit each, each counted away by a downward
    adjustment before the next arrives, and batch E+1 of EMPTY_LOTS_STOCK units."""
    from inventory.models import Item, StockLevel
    from lots.models import Batch, Lot
    from movements.models import Movement, MovementLine

    item_id, base = items + 1, 5 * items  # ids above every generated row
    batches = empty_lots + 1
    qty = f"(CASE WHEN j <= {empty_lots} THEN 1 ELSE {EMPTY_LOTS_STOCK} END)"
    # Receipt j at j minutes past the start, its adjustment 30 seconds later.
    received = "p.t0 + j * interval '1 minute'"
    per_batch = f"generate_series(1, {batches}) AS j CROSS JOIN {constants}"
    per_empty = f"generate_series(1, {empty_lots}) AS j CROSS JOIN {constants}"
    insert_select(cursor, Item, {
        "id": str(item_id), "sku": f"'{EMPTY_LOTS_SKU}'", "name": f"'Part with {empty_lots} empty lots'",
        "description": "''", "unit": "'ea'", "fractional": "false", "is_active": "true",
        "last_batch_number": str(batches), "created_at": "p.t0",
    }, constants, constant_params)
    insert_select(cursor, Batch, {
        "id": f"{items} + j", "item_id": str(item_id), "number": "j", "origin": "'receipt'",
        "supplier_id": "p.sup[1]", "po_number": "'PO-E' || j", "shipment_number": "''",
        "reference": "'PO-E' || j", "received_at": received, "initial_quantity": qty,
    }, per_batch, constant_params)
    insert_select(cursor, Movement, {
        "id": f"{base} + j", "kind": "'receipt'", "occurred_at": received, "item_id": str(item_id),
        "quantity": qty, "to_location_id": "p.loc[1]", "reference": "'PO-E' || j",
        "supplier_id": "p.sup[1]", "shipment_number": "''", "note": "''", "user_id": "p.uid",
    }, per_batch, constant_params)
    insert_select(cursor, MovementLine, {
        "id": f"{base} + j", "movement_id": f"{base} + j", "batch_id": f"{items} + j",
        "to_location_id": "p.loc[1]", "quantity": qty,
    }, per_batch, constant_params)
    insert_select(cursor, Movement, {
        "id": f"{base} + {batches} + j", "kind": "'adjustment'",
        "occurred_at": f"{received} + interval '30 seconds'", "item_id": str(item_id), "quantity": "1",
        "from_location_id": "p.loc[1]", "reference": "'count_correction'", "reason_id": str(reason_id),
        "shipment_number": "''", "note": "''", "user_id": "p.uid",
    }, per_empty, constant_params)
    insert_select(cursor, MovementLine, {
        "id": f"{base} + {batches} + j", "movement_id": f"{base} + {batches} + j",
        "batch_id": f"{items} + j", "from_location_id": "p.loc[1]", "quantity": "1",
    }, per_empty, constant_params)
    insert_select(cursor, Lot, {
        "id": f"{base} + j", "batch_id": f"{items} + j", "location_id": "p.loc[1]", "item_id": str(item_id),
        "quantity": f"(CASE WHEN j <= {empty_lots} THEN 0 ELSE {EMPTY_LOTS_STOCK} END)", "created_at": received,
    }, per_batch, constant_params)
    insert_select(cursor, StockLevel, {
        "id": f"{base} + 1", "item_id": str(item_id), "location_id": "p.loc[1]",
        "quantity": str(EMPTY_LOTS_STOCK), "updated_at": "now()",
    }, constants, constant_params)


def users(clients: int) -> dict:
    """The benchmark's accounts: a manager (pages, admin, reads; signs in with a fresh
    password) and ``clients`` operators for concurrent API transfers, each with a token."""
    import secrets

    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    def account(username, group, password=None):
        user, _ = User.objects.get_or_create(username=username)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=group))
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user).key

    password = secrets.token_urlsafe(18)
    return {
        "manager": MANAGER,
        "password": password,
        "token": account(MANAGER, "Managers", password),
        "clients": [account(CLIENT.format(i + 1), "Operators") for i in range(clients)],
    }


def export_sql() -> str:
    """The query of the stock export (all rows, no filters), with its parameters bound."""
    from django.db import connection

    from inventory.filters import StockLevelFilter
    from inventory.selectors import stock_rows

    rows = StockLevelFilter({}, queryset=stock_rows()).qs
    query = rows.values_list("item__sku", "item__name", "location__name", "quantity").query
    sql, params = query.sql_with_params()
    return connection.ops.compose_sql(sql, params)


def transfers(params: dict) -> dict:
    """Service-layer transfers of 1 unit, one after the other, through ``transfer_create``.

    ``item_ids``, ``from``/``to`` (location codes), ``start`` (index into the items),
    ``ping_pong`` (every pass over the items reverses the direction, so stock never runs out),
    ``warmup``, then ``count`` transfers or as many as fit in ``seconds``."""
    import statistics

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory.models import Item, Location
    from movements.services import transfer_create

    ids = params["item_ids"]
    items = Item.objects.in_bulk(ids)
    first = params.get("start", 0)
    locations = {loc.code: loc for loc in Location.objects.all()}
    source, destination = locations[params["from"]], locations[params["to"]]
    user = User.objects.get(username=params["user"])
    index = params.get("start", 0)

    def one():
        nonlocal index
        item = items[ids[index % len(ids)]]
        forward = not params.get("ping_pong") or (index // len(ids)) % 2 == 0
        index += 1
        began = time.perf_counter()
        transfer_create(item=item, source=source if forward else destination,
                        destination=destination if forward else source, quantity=1, user=user)
        return time.perf_counter() - began

    for _ in range(params.get("warmup", 0)):
        one()
    with CaptureQueriesContext(connection) as queries:
        one()
    statements = len(queries)
    samples = []
    deadline = time.perf_counter() + params.get("seconds", 1e9)
    began = time.perf_counter()
    while len(samples) < params.get("count", 10**9) and time.perf_counter() < deadline:
        samples.append(one())
    elapsed = time.perf_counter() - began
    return {
        "count": len(samples),
        "per_second": len(samples) / elapsed,
        "median_ms": statistics.median(samples) * 1000,
        "statements": statements,
        "next": index,
        "done": index - first,  # warm-up included
    }


def count(params: dict) -> dict:
    """A count of ``lines`` items at ``COUNT_LOCATION`` through the counts services, as the
    pages and the API do it: started, every line entered at once (half of them one unit more than
    the stock, half one unit less), then posted — one ``count_correction`` adjustment per line,
    all in one transaction. Times each step and counts the statements of the post."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from counts.services import count_enter, count_post, count_start
    from inventory.models import Item, Location, StockLevel

    location = Location.objects.get(code=COUNT_LOCATION)
    user = User.objects.get(username=params["user"])
    levels = list(StockLevel.objects.filter(location=location, quantity__gt=1).order_by("item_id")
                  .values_list("item_id", "quantity")[: params["lines"]])
    items = Item.objects.in_bulk([item_id for item_id, _ in levels])
    began = time.perf_counter()
    counted = count_start(location=location, user=user, items=[items[item_id] for item_id, _ in levels])
    started = time.perf_counter() - began
    entries = [(items[item_id], quantity + (1 if n % 2 else -1)) for n, (item_id, quantity) in enumerate(levels)]
    began = time.perf_counter()
    count_enter(count=counted, entries=entries, user=user)
    entered = time.perf_counter() - began
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        count_post(count=counted, user=user)
        posted = time.perf_counter() - began
    return {"lines": len(levels), "start_s": started, "enter_s": entered, "post_s": posted,
            "post_statements": len(queries), "adjustments": counted.lines.filter(adjustment__isnull=False).count()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--items", type=int, required=True)
    gen.add_argument("--empty-lots", type=int, default=0)
    acc = sub.add_parser("users")
    acc.add_argument("--clients", type=int, default=4)
    sub.add_parser("export-sql")
    sub.add_parser("transfers")
    sub.add_parser("count")
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("The scale benchmark needs PostgreSQL (set DATABASE_URL).")
    if args.command == "generate":
        print(json.dumps(generate(args.items, args.empty_lots)))
    elif args.command == "users":
        print(json.dumps(users(args.clients)))
    elif args.command == "export-sql":
        print(export_sql())
    elif args.command == "count":
        print(json.dumps(count(json.load(sys.stdin))))
    else:
        print(json.dumps(transfers(json.load(sys.stdin))))


if __name__ == "__main__":
    main()
