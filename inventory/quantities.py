"""Exact decimal quantities: parsing and the checks every movement input goes through."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from .errors import InvalidQuantity

MAX_DIGITS = 15
DECIMAL_PLACES = 3
#: Quantities must stay below 10**12 (at most 12 digits before the point).
LIMIT = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES)
STEP = Decimal(1).scaleb(-DECIMAL_PLACES)
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def parse_quantity(value, *, field: str = "quantity") -> Decimal:
    """Read ``value`` (Decimal, int or text) exactly; floats are refused, never rounded."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidQuantity("A quantity must be a decimal number, sent as text.", field=field)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        # Plain decimal notation only: Decimal() would also read "1_0" as 10, "1e3" as 1000
        # and other scripts' digits, none of which a person means as a quantity.
        if not PLAIN_NUMBER.fullmatch(text):
            if text.lower().lstrip("+-") in {"nan", "inf", "infinity", "snan"}:
                raise InvalidQuantity("A quantity must be a finite number.", field=field)
            raise InvalidQuantity(f"{value!r} is not a number.", field=field)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise InvalidQuantity(f"{value!r} is not a number.", field=field) from None
    else:
        raise InvalidQuantity("A quantity must be a number.", field=field)
    if not number.is_finite():
        raise InvalidQuantity("A quantity must be a finite number.", field=field)
    return number


def check_quantity(value, *, fractional: bool, unit: str = "", field: str = "quantity") -> Decimal:
    """Return ``value`` as a Decimal with 3 places, or raise InvalidQuantity saying why."""
    number = parse_quantity(value, field=field)
    if number <= 0:
        raise InvalidQuantity("Quantity must be greater than zero.", field=field)
    if number >= LIMIT:
        raise InvalidQuantity("Quantity may have at most 12 digits before the decimal point.", field=field)
    if number != number.quantize(STEP, rounding=ROUND_DOWN):
        raise InvalidQuantity(
            f"Quantity may have at most {DECIMAL_PLACES} digits after the decimal point.",
            field=field,
        )
    if not fractional and number != number.to_integral_value():
        label = f" ({unit})" if unit else ""
        raise InvalidQuantity(f"This item is counted in whole units{label}; send a whole number.", field=field)
    return number.quantize(STEP)
