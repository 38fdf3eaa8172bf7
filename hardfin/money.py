"""Money, the one source of its rules: unit costs (exact decimals ≥ 0, at most 12 digits before
the point and 4 after, one currency per installation), values (quantity × unit cost, exact,
shown rounded half-up to 2 places), the model field that stores a unit cost, and how people
read money on pages.

A value that covers several lots or lines is the exact sum of exact values, rounded once
(``round_value``); never a sum of rounded values.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models

from hardfin.errors import ConflictError, InvalidInput
from hardfin.quantities import PLAIN_NUMBER

COST_INTEGER_DIGITS = 12
COST_DECIMAL_PLACES = 4
COST_MAX_DIGITS = COST_INTEGER_DIGITS + COST_DECIMAL_PLACES
COST_LIMIT = Decimal(10) ** COST_INTEGER_DIGITS
COST_STEP = Decimal(1).scaleb(-COST_DECIMAL_PLACES)
#: Values are shown (and returned) rounded half-up to cents.
CENT = Decimal("0.01")
ZERO = Decimal(0)
#: A rounded flow of nothing (``tie_out``).
NO_FLOW = Decimal("0.00")


class InvalidUnitCost(InvalidInput):
    code = "invalid_unit_cost"
    field = "unit_cost"


class CostAlreadySet(ConflictError):
    """A batch's cost is known; it is kept for ever (correct the books, not the layer)."""

    code = "cost_already_set"
    field = "unit_cost"


def currency() -> str:
    """The installation's one currency (ISO 4217), setting ``HARDFIN_CURRENCY``."""
    return settings.HARDFIN_CURRENCY


def check_unit_cost(value, *, field: str = "unit_cost") -> Decimal | None:
    """``value`` as a unit cost with 4 places, or None when it is absent (unknown); raise
    InvalidUnitCost saying what is wrong. Floats are refused, never rounded."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidUnitCost("A unit cost must be a decimal number, sent as text.", field=field)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not PLAIN_NUMBER.fullmatch(text):
            raise InvalidUnitCost(f"{value!r} is not an amount of money.", field=field)
        number = Decimal(text)
    else:
        raise InvalidUnitCost("A unit cost must be a number.", field=field)
    if not number.is_finite():
        raise InvalidUnitCost("A unit cost must be a finite number.", field=field)
    if number < 0:
        raise InvalidUnitCost("A unit cost cannot be negative.", field=field)
    if number >= COST_LIMIT:
        raise InvalidUnitCost(
            f"A unit cost may have at most {COST_INTEGER_DIGITS} digits before the decimal point.", field=field
        )
    if number != number.quantize(COST_STEP, rounding=ROUND_DOWN):
        raise InvalidUnitCost(
            f"A unit cost may have at most {COST_DECIMAL_PLACES} digits after the decimal point.", field=field
        )
    return number.quantize(COST_STEP)


def exact_value(quantity: Decimal, unit_cost: Decimal | None) -> Decimal | None:
    """quantity × unit cost, exactly (None when the cost is unknown)."""
    if unit_cost is None:
        return None
    return Decimal(quantity) * Decimal(unit_cost)


def round_value(value: Decimal | None) -> Decimal | None:
    """An exact value as it is shown: rounded half-up to 2 places."""
    if value is None:
        return None
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def sum_values(values: Iterable[Decimal | None]) -> Decimal | None:
    """The exact sum of exact values; None if any of them is unknown."""
    total = ZERO
    for value in values:
        if value is None:
            return None
        total += value
    return total


def tie_out(exact: list[Decimal], signs: list[int]) -> list[Decimal]:
    """Round the columns of a rollforward row so that it ties exactly.

    ``exact[0]`` is the opening value and ``exact[-1]`` the closing one; the columns between
    are flows added (sign +1) or taken away (sign -1), and opening + Σ sign × flow = closing
    holds exactly. Rounding every column on its own can break that by a cent, so the running
    totals are rounded instead: each flow is the difference of two rounded running totals.
    Opening and closing are then their own exact values rounded once (the same figures as the
    valuation at those instants), a flow differs from its own rounding by at most a cent, a
    column with no flow is 0.00, and the rounded row ties exactly."""
    # round_value inlined, and ± for ± 1 × (the same exact operation): every rollforward row
    # of a download comes through here.
    running = Decimal(exact[0])
    previous = running.quantize(CENT, ROUND_HALF_UP)
    flows = exact[1:-1]
    if not any(flows) and len(flows) == len(signs) and (running or not running.is_signed()):
        # No flow at all (most rows of a period): what the loop below gives, faster. The
        # running total keeps its value (and, not being −0, its sign), so each rounded running
        # total is ``previous`` again and each flow their difference, +0.00.
        return [previous, *[NO_FLOW] * len(flows), Decimal(exact[-1]).quantize(CENT, ROUND_HALF_UP)]
    rounded = [previous]
    for value, sign in zip(flows, signs, strict=True):
        running = running + value if sign > 0 else running - value
        current = running.quantize(CENT, ROUND_HALF_UP)
        # previous − current for what takes away: never a negative zero.
        rounded.append(current - previous if sign > 0 else previous - current)
        previous = current
    rounded.append(Decimal(exact[-1]).quantize(CENT, ROUND_HALF_UP))
    return rounded


class UnitCostField(models.DecimalField):
    """The model field of a stored unit cost: ≤ 12 digits before the point and 4 after; null
    means unknown."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", COST_MAX_DIGITS)
        kwargs.setdefault("decimal_places", COST_DECIMAL_PLACES)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


def fmt_money(value: Decimal | None, *, places: int = 2) -> str:
    """``1,250.00`` (a value) or ``12.5000`` with ``places=4`` (a unit cost); empty when
    unknown."""
    if value is None:
        return ""
    return f"{Decimal(value):,.{places}f}"


def plain_money(value: Decimal | None, *, places: int = 2) -> str:
    """As the API and CSV write money: ``1250.00``, no grouping; empty when unknown."""
    if value is None:
        return ""
    return f"{Decimal(value):.{places}f}"
