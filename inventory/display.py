"""Quantities as people read them on pages and in messages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .errors import fmt


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
