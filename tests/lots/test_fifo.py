"""The pure FIFO helper, checked by examples and against a reference model (Hypothesis)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lots.fifo import allocate

D = Decimal


def test_rule_1_fifo_takes_the_oldest_lot_first_and_splits():
    allocation = allocate([("0001", D(75)), ("0002", D(200))], D(120))
    assert allocation.takes == [("0001", D(75)), ("0002", D(45))]
    assert allocation.shortfall == 0


def test_exact_fit_stops_at_the_lot_that_covers_it():
    allocation = allocate([("a", D(10)), ("b", D(5))], D(10))
    assert allocation.takes == [("a", D(10))]


def test_empty_lots_are_passed_over():
    allocation = allocate([("a", D(0)), ("b", D(3))], D(2))
    assert allocation.takes == [("b", D(2))]


def test_not_enough_reports_the_shortfall_after_taking_everything():
    allocation = allocate([("a", D("1.5")), ("b", D(2))], D(5))
    assert allocation.takes == [("a", D("1.5")), ("b", D(2))]
    assert allocation.shortfall == D("1.5")
    assert allocation.taken == D("3.5")


def test_non_positive_quantity_is_a_programming_error():
    with pytest.raises(ValueError):
        allocate([("a", D(1))], D(0))


quantities = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False)


def reference_fifo(lots, quantity):
    """Unit by unit (in thousandths), the oldest lot with anything left gives the next one."""
    left = [int(available * 1000) for _, available in lots]
    want = int(quantity * 1000)
    taken = [0] * len(lots)
    for i in range(len(lots)):
        step = min(left[i], want)
        taken[i] += step
        want -= step
    return [(lots[i][0], D(taken[i]) / 1000) for i in range(len(lots)) if taken[i]], D(want) / 1000


@given(
    lots=st.lists(quantities, max_size=12).map(lambda qs: [(f"{n:04d}", q) for n, q in enumerate(qs, 1)]),
    quantity=st.decimals(min_value=D("0.001"), max_value=5000, places=3),
)
def test_allocate_matches_the_reference_model(lots, quantity):
    allocation = allocate(lots, quantity)
    expected_takes, expected_shortfall = reference_fifo(lots, quantity)
    assert allocation.takes == expected_takes
    assert allocation.shortfall == expected_shortfall
    # Conservation and FIFO shape: never more than asked or than a lot holds, and every lot
    # before the last one touched is drained.
    assert allocation.taken + allocation.shortfall == quantity
    available = dict(lots)
    assert all(0 < take <= available[key] for key, take in allocation.takes)
    keys = [key for key, _ in allocation.takes]
    for key in keys[:-1]:
        assert dict(allocation.takes)[key] == available[key]
