"""The domain errors of counts. Each names the SKUs it is about, so every door can list them."""

from __future__ import annotations

from hardfin.errors import ConflictError


class CountError(ConflictError):
    """A count conflicts with its own state or with another count (HTTP 409)."""

    def __init__(self, message: str, *, skus: list[str] | None = None):
        super().__init__(message)
        self.skus = list(skus or [])


class CountClosed(CountError):
    code = "count_closed"


class CountIncomplete(CountError):
    code = "count_incomplete"


class CountOverlaps(CountError):
    code = "count_overlaps"
