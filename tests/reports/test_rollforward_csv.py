"""The rollforward CSV download (``reports.exports._rollforward_csv``) writes, byte for byte, what
the row-by-row writer wrote before it: ``RollforwardRow`` objects, ``flat_row``, ``Money`` cells,
``csv.writer`` and ``escape_cell`` per cell. The reference below is that code as it was, kept
here so that the fast path is held to it on awkward and on random data."""

import csv
import io
import itertools
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hardfin.csv import csv_cell, csv_lines, escape_cell
from hardfin.money import CENT, COST_STEP, ZERO, plain_money, tie_out
from hardfin.quantities import STEP
from movements.services import Line, adjustment_create, build_create, receipt_create, transfer_create
from reports import exports
from reports.periods import this_month
from reports.exports import ROLLFORWARD_HEADER, _money_cell, rollforward_response
from reports.selectors import COLUMNS, FLOWS, SIGNS, Scope, _rollforward_rows_sql, _stream, rollforward
from tests.api_support import client_for
from tests.factories import ItemFactory, LocationFactory, SupplierFactory
from tests.reports.test_rollforward_property import STEP as MOVE
from tests.reports.test_rollforward_property import play

# --- the reference: the download as the code wrote it before -----------------------------------


def _reference_number(value, step=STEP):
    if value is None:
        return None
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(step)


def _reference_round(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _reference_tie_out(exact, signs):
    running = exact[0]
    previous = _reference_round(running)
    rounded = [previous]
    for value, sign in zip(exact[1:-1], signs, strict=True):
        running += sign * value
        current = _reference_round(running)
        rounded.append(current - previous if sign > 0 else previous - current)
        previous = current
    rounded.append(_reference_round(exact[-1]))
    return rounded


def _reference_rows(rows):
    """``_rollforward_rows`` as it was: a dict of quantities and one of exact values per row."""
    names = [name for name, _ in FLOWS]
    row = None
    for item_id, location_id, sku, _item_name, _unit, code, _location_name, _moves, *sums in rows:
        if row is None or row["key"] != (item_id, location_id):
            if row is not None:
                yield row
            row = {"key": (item_id, location_id), "sku": sku, "location": code,
                   "q": dict.fromkeys(COLUMNS, ZERO), "exact": dict.fromkeys(COLUMNS, ZERO), "unknown": ZERO}
            q = row["q"]
            q["opening"] = _reference_number(sums[0])
            for name, quantity in zip(names, sums[1:1 + len(names)], strict=True):
                q[name] = _reference_number(quantity)
            q["closing"] = q["opening"] + sum((sign * q[name] for name, sign in FLOWS), ZERO)
        cost, *values = sums[1 + len(names):]
        if values[-1] is None:
            continue
        cost = _reference_number(cost, COST_STEP)
        if cost is None:
            row["unknown"] += _reference_number(values[-1])
            continue
        for name, value in zip(COLUMNS, values, strict=True):
            row["exact"][name] += _reference_number(value) * cost
    if row is not None:
        yield row


def reference_csv(report) -> bytes:
    sql, params = _rollforward_rows_sql(since=report.since, until=report.until, scope=report.scope)
    lines = []
    for row in _reference_rows(_stream(sql, params) if sql else []):
        values = _reference_tie_out([row["exact"][name] for name in COLUMNS], SIGNS)
        lines.append([row["sku"], row["location"], *[row["q"][name] for name in COLUMNS],
                      *[plain_money(value) for value in values], row["unknown"]])
    return "".join(csv_lines(ROLLFORWARD_HEADER, lines)).encode()


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- awkward data -------------------------------------------------------------------------------

#: Keys a spreadsheet would misread or that need quoting (the validators refuse them in forms,
#: not in the database, so an import of old data could hold them).
AWKWARD_KEYS = ['SKU, "long"', "=HYPERLINK(\"x\")", "+1", "-ve", "@risk", "\tTab", "Line\nbreak",
                "Carriage\rreturn", "Trailing\\", "Ünïcödé-机器", "plain"]


@pytest.fixture
def awkward_ledger(manager):
    """Movements before and inside a period that begins an hour ago: several cost layers,
    unknown costs, fractional quantities, transfers, adjustments and a build short of stock."""
    supplier = SupplierFactory(code="AWKS")
    start = timezone.now() - timedelta(days=2)
    since = timezone.now() - timedelta(hours=1)
    places = [LocationFactory(code=f"={key[:4]}-L{index}" if index % 2 else f"L{index},\"x\"", name=key)
              for index, key in enumerate(AWKWARD_KEYS[:3])]
    places.append(LocationFactory(code="-MINUS\\", name="Minus"))
    for index, key in enumerate(AWKWARD_KEYS):
        item = ItemFactory(sku=key, name=f"Name {key}", fractional=True)
        here, there = places[index % len(places)], places[(index + 1) % len(places)]
        costs = ["0.0025", "1.3333", None, "999.9999", "12.50", "0"]
        at = itertools.count()

        def when(before=True):
            return (start if before else since) + timedelta(minutes=next(at))

        receipt_create(supplier=supplier, location=here, po_number="P1", user=manager, occurred_at=when(),
                       lines=[Line(item, ["2.5", "0.125", "1000", "7.333"][index % 4], costs[index % 6])])
        receipt_create(supplier=supplier, location=here, po_number="P2", user=manager, occurred_at=when(),
                       lines=[Line(item, "3.75", costs[(index + 1) % 6])])
        if index % 3 == 0:
            transfer_create(item=item, source=here, destination=there, quantity="1.5", user=manager,
                            occurred_at=when())
        receipt_create(supplier=supplier, location=here, po_number="P3", user=manager, occurred_at=when(False),
                       lines=[Line(item, "0.001", costs[(index + 2) % 6])])
        transfer_create(item=item, source=here, destination=there, quantity="1.25", user=manager,
                        occurred_at=when(False))
        if index % 2:
            adjustment_create(item=item, location=there, direction="up", quantity="0.5", reason="found",
                              user=manager, unit_cost=costs[(index + 3) % 6], occurred_at=when(False))
            adjustment_create(item=item, location=here, direction="down", quantity="0.333", reason="lost",
                              user=manager, occurred_at=when(False))
        if index % 4 == 1:
            build_create(location=there, reference="B", lines=[Line(item, "50")], allow_shortfall=True,
                         user=manager, occurred_at=when(False))
    return since


@pytest.mark.parametrize(("block_chars", "cells_kept"), [(1, 1), (64 * 1024, 10_000)],
                         ids=["a block per row, no cell remembered long", "one block"])
def test_the_download_is_byte_for_byte_the_row_writer_output(db, awkward_ledger, block_chars, cells_kept,
                                                             monkeypatch):
    monkeypatch.setattr(exports, "CSV_BLOCK_CHARS", block_chars)
    monkeypatch.setattr(exports, "CELLS_KEPT", cells_kept)
    report = rollforward(since=awkward_ledger, until=timezone.now() + timedelta(seconds=1))
    expected = reference_csv(report)

    assert body(rollforward_response(report)) == expected
    # The data is as awkward as meant: escaped and quoted keys, fractions, shortfalls, flows.
    rows = list(csv.reader(io.StringIO(expected.decode("utf-8-sig"), newline="")))
    assert rows[0] == ROLLFORWARD_HEADER and len(rows) > len(AWKWARD_KEYS)
    assert {"'=HYPERLINK(\"x\")", "'+1", "'-ve", "'@risk", "'\tTab", "Line\nbreak", "Trailing\\"} <= {r[0] for r in rows}
    assert b'"SKU, ""long"""' in expected and b"'-MINUS\\" in expected
    assert any("." in cell for row in rows[1:] for cell in row[2:11])  # fractional quantities
    assert any(cell.startswith("-") for row in rows[1:] for cell in row[2:11])  # a shortfall
    assert any(row[-1] != "0" for row in rows[1:])  # units of unknown cost
    assert any(cell not in ("0", "0.00") for row in rows[1:] for cell in row[3:10] + row[12:19])  # flows


def test_the_api_and_the_page_download_the_same_bytes(db, awkward_ledger, manager, client):
    from_api = body(client_for(manager).get("/api/reports/rollforward.csv", {"since": awkward_ledger.isoformat()}))
    assert from_api == reference_csv(rollforward(since=awkward_ledger, until=timezone.now()))
    client.force_login(manager)
    from_page = body(client.get("/reports/rollforward/export.csv"))  # this month so far
    assert from_page == reference_csv(rollforward(since=this_month()[0], until=timezone.now()))
    assert from_page.count(b"\r\n") > len(AWKWARD_KEYS)


def test_an_empty_scope_writes_the_header_alone(db, awkward_ledger):
    report = rollforward(since=awkward_ledger, until=timezone.now(), scope=Scope(item="NO-SUCH-SKU"))
    assert body(rollforward_response(report)) == reference_csv(report) == "".join(
        csv_lines(ROLLFORWARD_HEADER, [])).encode()


counter = itertools.count()


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(MOVE, min_size=1, max_size=12), cut=st.integers(-1, 13))
def test_random_ledgers_download_as_the_row_writer_wrote(manager, steps, cut):
    n = next(counter)
    item = ItemFactory(sku=f"=R-{n}", fractional=True)
    places = [LocationFactory(code=f"A{n},x"), LocationFactory(code=f"@B{n}")]
    start = timezone.now() - timedelta(days=1)
    play(steps, item=item, places=places, supplier=SupplierFactory(code=f"RS{n}"), user=manager, start=start)
    report = rollforward(since=start + timedelta(minutes=cut, seconds=30), until=timezone.now() + timedelta(seconds=1),
                         scope=Scope(item=item.sku))
    assert body(rollforward_response(report)) == reference_csv(report)


# --- the fast pieces against what they stand for ------------------------------------------------

DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=None,
                       min_value=Decimal("-1e20"), max_value=Decimal("1e20"))
EXACT = st.one_of(DECIMALS, st.sampled_from([Decimal(0), Decimal("-0"), Decimal("0.0000000"), Decimal("-0.0000000"),
                                             Decimal("0.005"), Decimal("-0.005"), Decimal("-0.004"), Decimal("1E+3")]))


ZEROS = st.sampled_from([Decimal(0), Decimal("-0"), Decimal("0.000"), Decimal("-0.000"), Decimal("0E-7")])


@settings(max_examples=600, deadline=None)
@given(exact=st.lists(EXACT, min_size=9, max_size=9), zeros=st.lists(ZEROS, min_size=7, max_size=7),
       zero_flows=st.booleans())
# An opening at −0 and flows of −0: previous − current is −0.00 here (the short way would say 0.00).
@example(exact=[Decimal("-0"), *[Decimal(1)] * 8], zeros=[Decimal("-0")] * 7, zero_flows=True)
def test_tie_out_rounds_as_it_did(exact, zeros, zero_flows):
    if zero_flows:  # the rows with no flow take a shorter way (not when opening at −0)
        exact = [exact[0], *zeros, exact[-1]]
    expected = _reference_tie_out(exact, SIGNS)
    got = tie_out(exact, SIGNS)
    assert [str(value) for value in got] == [str(value) for value in expected]


@settings(max_examples=400, deadline=None)
@given(value=EXACT)
def test_a_money_cell_is_plain_money(value):
    for cell in (value, value.quantize(CENT), -value.quantize(CENT), value.scaleb(30)):
        assert _money_cell(cell) == plain_money(cell)


@given(text=st.one_of(st.text(), st.sampled_from(AWKWARD_KEYS)))
def test_a_text_cell_is_what_the_csv_writer_writes(text):
    line = "".join(csv_lines([], [[text, "x"]]))
    assert line.split("\r\n", 1)[1] == csv_cell(text) + ",x\r\n"
    assert csv_cell(text).startswith('"') or csv_cell(text) == escape_cell(text)
