"""Domain errors. Every door maps them once (API: JSON 400/409, forms: field errors, admin:
messages); services raise them instead of returning flags.

Each error carries data: ``field`` names the input it is about (or None for the whole
request), ``code`` is a stable machine-readable word.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class InventoryError(Exception):
    code = "invalid"
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class InvalidInput(InventoryError):
    """The request itself is wrong (HTTP 400)."""


class InvalidQuantity(InvalidInput):
    code = "invalid_quantity"
    field = "quantity"


class InactiveObject(InvalidInput):
    code = "inactive"


class UnknownObject(InvalidInput):
    code = "unknown"


class SameLocation(InvalidInput):
    code = "same_location"
    field = "to_location"


class PermissionDeniedError(InventoryError):
    """The user may not do this (HTTP 403)."""

    code = "permission_denied"


class ConflictError(InventoryError):
    """Valid input that conflicts with the current state (HTTP 409)."""

    code = "conflict"


class HasHistory(ConflictError):
    code = "has_history"


@dataclass(frozen=True)
class Shortage:
    sku: str
    location: str
    requested: Decimal
    available: Decimal


class InsufficientStock(ConflictError):
    """One or more consumptions asked for more than the lots at that location hold."""

    code = "insufficient_stock"
    field = "quantity"

    def __init__(self, shortages: list[Shortage]):
        self.shortages = list(shortages)
        first = self.shortages[0]
        self.sku = first.sku
        self.location = first.location
        self.requested = first.requested
        self.available = first.available
        message = "; ".join(
            f"only {fmt(s.available)} of {s.sku} available at {s.location} "
            f"({fmt(s.requested)} requested)"
            for s in self.shortages
        )
        super().__init__(message[0].upper() + message[1:] + ".")


class DatabaseBusy(InventoryError):
    """The database stayed locked through every retry (HTTP 503)."""

    code = "busy"


def fmt(quantity: Decimal) -> str:
    """A quantity as people write it: ``75``, ``2.5`` (no exponent, no trailing zeros)."""
    text = format(quantity.normalize(), "f")
    return text
