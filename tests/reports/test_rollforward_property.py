"""The rollforward's identities hold exactly on every row, for quantities and values, for random
periods over random movement sequences; and periods chain (one period's closing is the next
one's opening), ending at today's stock and valuation."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hardfin.errors import InsufficientStock
from movements.services import (
    Line,
    adjustment_create,
    build_create,
    receipt_create,
    replacement_create,
    transfer_create,
)
from hardfin.money import round_value, tie_out
from reports.selectors import FLOWS, Scope, rollforward, valuation
from tests.factories import ItemFactory, LocationFactory, SupplierFactory
from tests.helpers import level

COSTS = st.sampled_from([None, "0.0025", "1.3333", "10", "12.50", "0.0001", "999.9999"])
QUANTITY = st.integers(min_value=1, max_value=25)
SPOT = st.integers(min_value=0, max_value=1)
STEP = st.one_of(
    st.tuples(st.just("receive"), SPOT, QUANTITY, COSTS),
    st.tuples(st.just("up"), SPOT, QUANTITY, st.one_of(st.none(), COSTS)),
    st.tuples(st.just("down"), SPOT, QUANTITY),
    st.tuples(st.just("transfer"), SPOT, QUANTITY),
    st.tuples(st.just("build"), SPOT, QUANTITY),
    st.tuples(st.just("replace"), SPOT, QUANTITY),
)
counter = itertools.count()


def play(steps, *, item, places, supplier, user, start):
    times = []
    for index, (kind, spot, quantity, *rest) in enumerate(steps):
        at = start + timedelta(minutes=index)
        here, there = places[spot], places[1 - spot]
        try:
            if kind == "receive":
                receipt_create(supplier=supplier, location=here, po_number="P", lines=[Line(item, quantity, rest[0])],
                               user=user, occurred_at=at)
            elif kind == "up":
                adjustment_create(item=item, location=here, direction="up", quantity=quantity, reason="found",
                                  user=user, unit_cost=rest[0], occurred_at=at)
            elif kind == "down":
                adjustment_create(item=item, location=here, direction="down", quantity=quantity, reason="lost",
                                  user=user, occurred_at=at)
            elif kind == "transfer":
                transfer_create(item=item, source=here, destination=there, quantity=quantity, user=user,
                                occurred_at=at)
            elif kind == "build":
                build_create(location=here, reference="B", lines=[Line(item, quantity)], allow_shortfall=True,
                             user=user, occurred_at=at)
            else:
                replacement_create(item=item, location=here, quantity=quantity, asset="A", user=user, occurred_at=at)
        except InsufficientStock:
            continue
        times.append(at)
    return times


def identity(values: dict) -> bool:
    return values["opening"] + sum(sign * values[name] for name, sign in FLOWS) == values["closing"]


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=14), cuts=st.lists(st.integers(-1, 15), min_size=2, max_size=4))
# Columns rounded one by one would not tie here: 2.67 received − 1.33 out ≠ 1.33 closing.
@example(steps=[("receive", 0, 1, "1.3333"), ("receive", 0, 1, "1.3333"), ("transfer", 0, 1)], cuts=[-1, 15])
def test_rollforward_identities_hold_for_random_periods(manager, steps, cuts):
    n = next(counter)
    item = ItemFactory(sku=f"P-{n}")
    places = [LocationFactory(code=f"A{n}"), LocationFactory(code=f"B{n}")]
    start = timezone.now() - timedelta(days=1)
    play(steps, item=item, places=places, supplier=SupplierFactory(code=f"S{n}"), user=manager, start=start)
    scope = Scope(item=item.sku)
    # Period boundaries at, between and around the movements' times.
    bounds = sorted({start + timedelta(minutes=cut, seconds=30 * (cut % 2)) for cut in cuts})
    bounds = [start - timedelta(hours=1), *bounds, timezone.now() + timedelta(seconds=1)]

    previous = None
    for since, until in itertools.pairwise(bounds):
        report = rollforward(since=since, until=until, scope=scope)
        rows = {row.location: row for row in report.rows}
        for row in report.rows:
            assert identity(row.quantities), row.quantities
            assert identity(row.values), row.values
            assert all(row.values[name] >= 0 for name, _ in FLOWS)
        totals = report.totals()
        assert identity(totals.quantities) and identity(totals.values)
        if previous is not None:
            for code in set(rows) | set(previous):
                closing = previous[code].quantities["closing"] if code in previous else Decimal(0)
                opening = rows[code].quantities["opening"] if code in rows else Decimal(0)
                assert opening == closing
                closing_value = previous[code].values["closing"] if code in previous else Decimal(0)
                opening_value = rows[code].values["opening"] if code in rows else Decimal(0)
                assert opening_value == closing_value
        previous = rows

    # The last period closes at today's stock levels and valuation.
    for place in places:
        closing = previous[place.code].quantities["closing"] if place.code in previous else Decimal(0)
        assert closing == level(item, place)
    now = {row.location: row.holding.value for row in valuation(scope=scope).rows}
    for place in places:
        closing_value = previous[place.code].values["closing"] if place.code in previous else Decimal("0.00")
        assert closing_value == round_value(now.get(place.code, Decimal(0)))


def test_tie_out_rounds_running_totals_so_the_row_ties():
    exact = [Decimal(0), Decimal("2.6666"), Decimal("1.3333"), Decimal("1.3333")]
    assert tie_out(exact, [1, -1]) == [Decimal("0.00"), Decimal("2.67"), Decimal("1.34"), Decimal("1.33")]
