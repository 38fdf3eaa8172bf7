"""The FIFO decision, kept pure: given the lots at one location (oldest first) and a quantity,
say how much to take from each. No database, no side effects; services do the writing."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Allocation(Generic[K]):
    #: ``(key, take)`` pairs in FIFO order; every take is > 0.
    takes: list[tuple[K, Decimal]] = field(default_factory=list)
    #: What the lots could not cover (0 when they could).
    shortfall: Decimal = Decimal(0)

    @property
    def taken(self) -> Decimal:
        return sum((take for _, take in self.takes), Decimal(0))


def allocate(lots: Iterable[tuple[K, Decimal]], quantity: Decimal) -> Allocation[K]:
    """Take ``quantity`` from ``lots`` (``(key, available)`` pairs, oldest first), draining
    each lot before touching the next. Lots with nothing available are passed over."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    remaining = quantity
    takes: list[tuple[K, Decimal]] = []
    for key, available in lots:
        if remaining == 0:
            break
        if available <= 0:
            continue
        take = min(available, remaining)
        takes.append((key, take))
        remaining -= take
    return Allocation(takes=takes, shortfall=remaining)
