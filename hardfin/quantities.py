"""Exact decimal quantities, the one source of their rules: the limits (12 digits before the
point, 3 after), parsing and checking input, the model field that stores them, and how people
read them on pages and in messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.db import models

from hardfin.errors import InvalidQuantity

MAX_DIGITS = 15
DECIMAL_PLACES = 3
#: Digits a quantity may have before the decimal point.
INTEGER_DIGITS = MAX_DIGITS - DECIMAL_PLACES
#: Quantities must stay below 10**12 (at most 12 digits before the point).
LIMIT = Decimal(10) ** INTEGER_DIGITS
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
        raise InvalidQuantity(f"Quantity may have at most {INTEGER_DIGITS} digits before the decimal point.", field=field)
    if number != number.quantize(STEP, rounding=ROUND_DOWN):
        raise InvalidQuantity(
            f"Quantity may have at most {DECIMAL_PLACES} digits after the decimal point.",
            field=field,
        )
    if not fractional and number != number.to_integral_value():
        label = f" ({unit})" if unit else ""
        raise InvalidQuantity(f"This item is counted in whole units{label}; send a whole number.", field=field)
    return number.quantize(STEP)


# --- storage ------------------------------------------------------------------------------------

class QuantityField(models.DecimalField):
    """The model field of every stored quantity: at most 12 digits before the point and 3
    after."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


# --- display ------------------------------------------------------------------------------------

def fmt(quantity: Decimal) -> str:
    """A quantity as people write it: ``75``, ``2.5`` (no exponent, no trailing zeros)."""
    return format(quantity.normalize(), "f")


@dataclass(frozen=True)
class Quantity:
    """A quantity as people read it: ``155 ea``, ``2.5 m``; ``+25 ea`` when ``signed``."""

    value: Decimal
    unit: str = ""
    signed: bool = False

    def __str__(self):
        text = fmt(self.value)
        if self.signed and self.value > 0:
            text = "+" + text
        return f"{text} {self.unit}".rstrip()

    @property
    def is_negative(self) -> bool:
        return self.value < 0
