"""Checks every invariant of DESIGN.md rule 3 against the database, read-only, and the value
identities of the cost layers (the lots at their batches' costs against the ledger lines').

Each check is one SQL query that groups in the database and returns only the rows that
disagree, so the check's memory stays flat however long the ledger is (a million lines are
summed by the database, not held in Python). Names are looked up only for what is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from hardfin.quantities import DECIMAL_PLACES, fmt
from inventory.models import Item, Location, StockLevel
from lots.models import Batch, Lot

from .models import Movement, MovementLine, Shortfall

ZERO = Decimal(0)
Kind = Movement.Kind

TABLES = {
    "item": Item._meta.db_table,
    "location": Location._meta.db_table,
    "level": StockLevel._meta.db_table,
    "batch": Batch._meta.db_table,
    "lot": Lot._meta.db_table,
    "movement": Movement._meta.db_table,
    "line": MovementLine._meta.db_table,
    "shortfall": Shortfall._meta.db_table,
}


@dataclass(frozen=True)
class Mismatch:
    check: str
    subject: str
    expected: Decimal
    actual: Decimal

    def __str__(self):
        return f"[{self.check}] {self.subject}: expected {fmt(self.expected)}, found {fmt(self.actual)}"


def _decimal(value) -> Decimal:
    """A sum as an exact quantity: SQLite sums decimals as floats, so round to the places
    every quantity has (PostgreSQL's numeric sums are exact already)."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-DECIMAL_PLACES))


def _differs(expected: str, actual: str) -> str:
    """SQL: two sums differ by more than float noise (exact on PostgreSQL)."""
    return f"ROUND(COALESCE({expected}, 0) - COALESCE({actual}, 0), {DECIMAL_PLACES}) <> 0"


def _rows(sql: str, params=()) -> Iterator[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**TABLES), params)
        yield from cursor.fetchall()


def _sku(item_id) -> str:
    return Item.objects.filter(pk=item_id).values_list("sku", flat=True).first() or f"item #{item_id}"


def _code(location_id) -> str:
    return Location.objects.filter(pk=location_id).values_list("code", flat=True).first() or f"location #{location_id}"


def _pair(item_id, location_id) -> str:
    return f"{_sku(item_id)} @ {_code(location_id)}"


def _batch_at(batch_id, location_id) -> str:
    batch = Batch.objects.filter(pk=batch_id).values_list("item__sku", "number").first()
    label = f"{batch[0]} batch {batch[1]:04d}" if batch else f"batch #{batch_id}"
    return f"{label} @ {_code(location_id)}"


def reconcile() -> list[Mismatch]:
    mismatches: list[Mismatch] = []

    # 1. Every lot equals the replay of the ledger lines that touched it, and none is negative.
    for batch_id, location_id, expected, actual, lots in _rows(f"""
        SELECT batch_id, location_id, SUM(expected), SUM(actual), SUM(is_lot) FROM (
            SELECT batch_id, to_location_id AS location_id, quantity AS expected, 0 AS actual, 0 AS is_lot
              FROM {{line}} WHERE to_location_id IS NOT NULL
            UNION ALL
            SELECT batch_id, from_location_id, -quantity, 0, 0 FROM {{line}} WHERE from_location_id IS NOT NULL
            UNION ALL
            SELECT batch_id, location_id, 0, quantity, 1 FROM {{lot}}
        ) flows
        GROUP BY batch_id, location_id
        HAVING {_differs("SUM(expected)", "SUM(actual)")} OR SUM(is_lot) = 0 OR SUM(actual) < 0
        ORDER BY batch_id, location_id
    """):
        expected, actual = _decimal(expected), _decimal(actual)
        subject = _batch_at(batch_id, location_id)
        if not lots or expected != actual:
            mismatches.append(Mismatch("lot vs ledger replay", subject, expected, actual))
        if lots and actual < 0:
            mismatches.append(Mismatch("lot not negative", subject, ZERO, actual))

    # 2. Every stock level equals its lots minus its open shortfalls.
    for item_id, location_id, expected, actual, levels in _rows(f"""
        SELECT item_id, location_id, SUM(expected), SUM(actual), SUM(is_level) FROM (
            SELECT item_id, location_id, quantity AS expected, 0 AS actual, 0 AS is_level FROM {{lot}}
            UNION ALL
            SELECT item_id, location_id, -outstanding, 0, 0 FROM {{shortfall}} WHERE outstanding > 0
            UNION ALL
            SELECT item_id, location_id, 0, quantity, 1 FROM {{level}}
        ) sums
        GROUP BY item_id, location_id
        HAVING {_differs("SUM(expected)", "SUM(actual)")} OR SUM(is_level) = 0
        ORDER BY item_id, location_id
    """):
        mismatches.append(
            Mismatch("stock level vs lots - shortfalls", _pair(item_id, location_id), _decimal(expected), _decimal(actual))
        )

    # 3. Conservation per item: on hand = received + adjusted up - down - built - replaced.
    for item_id, expected, actual in _rows(f"""
        SELECT item_id, SUM(flow), SUM(on_hand) FROM (
            SELECT item_id, quantity AS flow, 0 AS on_hand FROM {{movement}}
             WHERE kind IN (%s, %s) AND to_location_id IS NOT NULL
            UNION ALL
            SELECT item_id, -quantity, 0 FROM {{movement}}
             WHERE kind IN (%s, %s, %s) AND from_location_id IS NOT NULL
            UNION ALL
            SELECT item_id, 0, quantity FROM {{lot}}
            UNION ALL
            SELECT item_id, 0, -outstanding FROM {{shortfall}} WHERE outstanding > 0
        ) totals
        GROUP BY item_id
        HAVING {_differs("SUM(flow)", "SUM(on_hand)")}
        ORDER BY item_id
    """, [Kind.RECEIPT, Kind.ADJUSTMENT, Kind.ADJUSTMENT, Kind.BUILD, Kind.REPLACEMENT]):
        mismatches.append(
            Mismatch("conservation (lots - shortfalls vs ledger)", _sku(item_id), _decimal(expected), _decimal(actual))
        )

    # 4. Each movement's lines add up to its quantity; a build's gap is exactly its shortfall.
    covered = "COALESCE(lines.total, 0) + COALESCE(short.total, 0)"
    for movement_id, kind, item_id, quantity, total in _rows(f"""
        SELECT m.id, m.kind, m.item_id, m.quantity, {covered}
          FROM {{movement}} m
          LEFT JOIN (SELECT movement_id, SUM(quantity) AS total FROM {{line}} GROUP BY movement_id) lines
                 ON lines.movement_id = m.id
          LEFT JOIN (SELECT build_id, SUM(quantity) AS total FROM {{shortfall}} GROUP BY build_id) short
                 ON short.build_id = m.id AND m.kind = %s
         WHERE {_differs("m.quantity", covered)}
         ORDER BY m.id
    """, [Kind.BUILD]):
        mismatches.append(
            Mismatch(f"{kind} lines add up", f"movement #{movement_id} ({_sku(item_id)})", _decimal(quantity), _decimal(total))
        )

    # 5. Each shortfall's outstanding = its quantity minus what settlements paid, and it is
    #    marked settled exactly when nothing is outstanding.
    for shortfall_id, item_id, location_id, expected, outstanding, settled_at in _rows(f"""
        SELECT s.id, s.item_id, s.location_id, s.quantity - COALESCE(paid.total, 0), s.outstanding, s.settled_at
          FROM {{shortfall}} s
          LEFT JOIN (SELECT shortfall_id, SUM(quantity) AS total FROM {{movement}}
                      WHERE kind = %s GROUP BY shortfall_id) paid
                 ON paid.shortfall_id = s.id
         WHERE {_differs("s.quantity - COALESCE(paid.total, 0)", "s.outstanding")}
            OR (s.outstanding = 0 AND s.settled_at IS NULL) OR (s.outstanding <> 0 AND s.settled_at IS NOT NULL)
         ORDER BY s.id
    """, [Kind.SETTLEMENT]):
        expected, outstanding = _decimal(expected), _decimal(outstanding)
        if expected != outstanding:
            mismatches.append(
                Mismatch("shortfall outstanding", f"shortfall #{shortfall_id} {_pair(item_id, location_id)}", expected,
                         outstanding)
            )
        if (outstanding == 0) != (settled_at is not None):
            mismatches.append(Mismatch("shortfall settled_at set iff settled", f"shortfall #{shortfall_id}", ZERO, outstanding))

    # 6. Each batch's initial quantity is what its creating movement brought in.
    for batch_id, initial, created in _rows(f"""
        SELECT b.id, b.initial_quantity, COALESCE(created.total, 0)
          FROM {{batch}} b
          LEFT JOIN (SELECT l.batch_id, SUM(l.quantity) AS total FROM {{line}} l
                       JOIN {{movement}} m ON m.id = l.movement_id
                      WHERE m.kind IN (%s, %s) AND l.to_location_id IS NOT NULL
                      GROUP BY l.batch_id) created
                 ON created.batch_id = b.id
         WHERE {_differs("b.initial_quantity", "created.total")}
         ORDER BY b.id
    """, [Kind.RECEIPT, Kind.ADJUSTMENT]):
        batch = Batch.objects.filter(pk=batch_id).values_list("item__sku", "number").get()
        mismatches.append(
            Mismatch("batch initial quantity", f"{batch[0]} batch {batch[1]:04d}", _decimal(initial), _decimal(created))
        )

    # 7. Value identity per item-location: the lots at their batches' costs are worth what the
    #    ledger lines brought in minus what they took out, at the same costs (units of unknown
    #    cost carry no value on either side).
    for item_id, location_id, expected, actual in _rows(f"""
        SELECT item_id, location_id, SUM(ledger), SUM(lots) FROM (
            SELECT b.item_id, l.to_location_id AS location_id, l.quantity * b.unit_cost AS ledger, 0 AS lots
              FROM {{line}} l JOIN {{batch}} b ON b.id = l.batch_id
             WHERE l.to_location_id IS NOT NULL AND b.unit_cost IS NOT NULL
            UNION ALL
            SELECT b.item_id, l.from_location_id, -(l.quantity * b.unit_cost), 0
              FROM {{line}} l JOIN {{batch}} b ON b.id = l.batch_id
             WHERE l.from_location_id IS NOT NULL AND b.unit_cost IS NOT NULL
            UNION ALL
            SELECT b.item_id, t.location_id, 0, t.quantity * b.unit_cost
              FROM {{lot}} t JOIN {{batch}} b ON b.id = t.batch_id
             WHERE b.unit_cost IS NOT NULL
        ) values_
        GROUP BY item_id, location_id
        HAVING {_differs_value("SUM(ledger)", "SUM(lots)")}
        ORDER BY item_id, location_id
    """):
        mismatches.append(
            Mismatch("value of lots vs ledger lines", _pair(item_id, location_id), _money(expected), _money(actual))
        )

    # 8. No batch has a negative cost (the database refuses one too).
    for batch_id, unit_cost in _rows("SELECT id, unit_cost FROM {batch} WHERE unit_cost < 0 ORDER BY id"):
        mismatches.append(Mismatch("batch cost not negative", f"batch #{batch_id}", ZERO, _money(unit_cost)))

    return mismatches


def _money(value) -> Decimal:
    """A summed value, to the cent (SQLite sums as floats; PostgreSQL exactly)."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _differs_value(expected: str, actual: str) -> str:
    """SQL: two summed values differ by a cent or more (exact on PostgreSQL; SQLite's float
    noise is far below a cent)."""
    return f"ROUND(COALESCE({expected}, 0) - COALESCE({actual}, 0), 2) <> 0"
