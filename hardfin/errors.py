"""Domain errors. Every door maps them once (API: JSON 400/409, forms: field errors, admin:
messages); services raise them instead of returning flags.

Each error carries data, declared here and set only when it is raised (never patched later):
``field`` names the input it is about (or None for the whole request), ``code`` is a stable
machine-readable word, ``line``/``sku`` say which line of a receipt or build it concerns.
Doors compose their own wording from that data ("Line 2 (LDR-4.1): …"); ``message`` is the
plain sentence about the input itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class InventoryError(Exception):
    code = "invalid"
    field: str | None = None
    #: Index (0-based) of the receipt or build line the error is about, and that line's SKU.
    line: int | None = None
    sku: str | None = None

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None, sku: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field
        if line is not None:
            self.line = line
            self.sku = sku

    def at_line(self, line: int, sku: str) -> InventoryError:
        """The same error, raised anew about line ``line`` (0-based) of a receipt or build."""
        return type(self)(self.message, field=self.field, line=line, sku=sku)


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
        # Imported here: quantities raise InvalidQuantity, so they import this module.
        from .quantities import fmt

        self.shortages = list(shortages)
        first = self.shortages[0]
        self.location = first.location
        self.requested = first.requested
        self.available = first.available
        message = "; ".join(
            f"only {fmt(s.available)} of {s.sku} available at {s.location} "
            f"({fmt(s.requested)} requested)"
            for s in self.shortages
        )
        super().__init__(message[0].upper() + message[1:] + ".")
        self.sku = first.sku


class DatabaseBusy(InventoryError):
    """The database stayed locked through every retry (HTTP 503)."""

    code = "busy"
