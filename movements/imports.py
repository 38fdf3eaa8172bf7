"""Opening balances: the stock a company already holds when it starts using Hardfin, loaded
from one CSV file as ordinary ledger entries, all or nothing.

Each row (``sku``, ``location``, ``quantity``; optional ``supplier``, ``po_number``,
``received_at``) becomes
- a **receipt** from that supplier when the row names one (PO number ``po_number``, or
  ``OPENING`` when blank), so the batch keeps its supplier; or
- an **upward adjustment** with reason ``count_correction`` and the note "Opening balance"
  when it does not.
Either way the units form a new batch at the location, dated ``received_at`` (the start of
that day in the site's time zone; the time of the import when blank). Rows are recorded
oldest date first, so batch numbers and FIFO order follow the received dates.

Every row is checked before anything is written, and every problem is reported at once
(row number, field, message); rows are numbered from 1, the first row under the header.

An import given a ``once_key`` (the admin hands one out with each preview) is recorded at
most once under that key: the same confirmation sent again records nothing and says when the
first one was imported.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from hardfin.csv import NUL_IN_CELL, unescape_cell
from hardfin.db import retry_on_conflict
from hardfin.errors import ConflictError, InvalidInput, PermissionDeniedError, UnknownObject
from hardfin.identifiers import has_nul
from hardfin.quantities import check_quantity
from inventory.models import Item, Location, Supplier
from inventory.services import key_field, require_active
from lots.models import Batch

from .models import Movement, OpeningBalancesImport
from .services import Line, adjustment_create, receipt_create, user_can

Kind = Movement.Kind

COLUMNS = ("sku", "location", "quantity", "supplier", "po_number", "received_at")
REQUIRED_COLUMNS = ("sku", "location", "quantity")
#: PO number of an opening-balance receipt whose row gives none.
OPENING_PO_NUMBER = "OPENING"
#: Reason of an opening-balance adjustment (a row without a supplier).
OPENING_REASON = "count_correction"
OPENING_NOTE = "Opening balance"
PO_NUMBER_MAX_LENGTH = Batch._meta.get_field("po_number").max_length


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self):
        return f"Row {self.row}, {self.field}: {self.message}"


class OpeningBalancesInvalid(InvalidInput):
    """One or more rows are wrong; nothing was recorded. ``errors`` lists every problem."""

    code = "invalid_rows"

    def __init__(self, errors: list[RowError]):
        self.errors = list(errors)
        count = len(self.errors)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found; nothing was imported.", field="file")


class AlreadyImported(ConflictError):
    """The import under this once key was recorded already; nothing new was recorded."""

    code = "already_imported"

    def __init__(self, earlier: OpeningBalancesImport):
        self.earlier = earlier
        when = timezone.localtime(earlier.imported_at)
        super().__init__(
            f"These opening balances were already imported on {when:%Y-%m-%d} at {when:%H:%M} by "
            f"{earlier.user.get_username()}; nothing new was recorded."
        )


@dataclass(frozen=True)
class OpeningBalance:
    """One checked row, ready to record."""

    row: int
    item: Item
    location: Location
    quantity: Decimal
    supplier: Supplier | None
    po_number: str
    received_at: datetime.datetime | None

    @property
    def kind(self) -> str:
        return Kind.RECEIPT if self.supplier else Kind.ADJUSTMENT


def may_import_opening_balances(user) -> bool:
    """Opening balances record receipts and upward adjustments, so they need both
    permissions: Managers and superusers."""
    return user_can(user, Kind.RECEIPT) and user_can(user, Kind.ADJUSTMENT)


def opening_balances_read(text: str) -> list[dict[str, str]]:
    """The rows of an opening-balances CSV file's text, keyed by lower-case column name.
    Raises InvalidInput (field ``file``) when the file itself is unusable."""
    data = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(data))
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        rows = [dict(zip(header, values, strict=False)) for values in reader]
    except csv.Error as exc:
        raise InvalidInput(f"The file is not valid CSV: {exc}.", field="file") from None
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise InvalidInput(
            f"The header row must name the columns {', '.join(REQUIRED_COLUMNS)}; missing: {', '.join(missing)}.",
            field="file",
        )
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        raise InvalidInput(
            f"Unknown column(s): {', '.join(unknown)}. The columns are {', '.join(COLUMNS)}.", field="file"
        )
    if not any(_is_filled(row) for row in rows):
        raise InvalidInput("The file has a header but no rows.", field="file")
    return rows


def _is_filled(row: Mapping[str, str]) -> bool:
    return any((value or "").strip() for value in row.values())


#: Keys looked up per query when a file's items, locations and suppliers are loaded.
LOOKUP_BATCH = 1000


class _Lookup:
    """Finds items, locations and suppliers by key ignoring case, as ``resolve`` does (same
    messages), from what ``load`` read for the whole file: a query per model and batch of keys
    rather than one per key."""

    def __init__(self):
        self._found: dict[tuple, object] = {}

    def load(self, model, keys: Iterable[str]) -> None:
        """Read the records of ``model`` whose key is one of ``keys``, ignoring case."""
        field = key_field(model)
        # Stored keys are ASCII (letters, digits and ``.-_``); any other key matches none.
        wanted = sorted({key.strip().lower() for key in keys if key.strip().isascii() and not has_nul(key)})
        for start in range(0, len(wanted), LOOKUP_BATCH):
            chunk = wanted[start:start + LOOKUP_BATCH]
            for record in model.objects.alias(_key_ci=Lower(field)).filter(_key_ci__in=chunk):
                self._found[model, getattr(record, field).lower()] = record

    def __call__(self, model, key: str, *, field: str):
        key = (key or "").strip()
        found = self._found.get((model, key.lower())) if key.isascii() else None
        if found is None:
            raise UnknownObject(f"No {model._meta.verbose_name} {key!r}.", field=field)
        require_active(found, field=field)
        return found


def _cell(row: Mapping[str, str], name: str) -> str:
    return unescape_cell((row.get(name) or "").strip())


def _received_at(text: str, *, today: datetime.date) -> datetime.datetime | None:
    if not text:
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date; write it as YYYY-MM-DD.", field="received_at") from None
    if day > today:
        raise InvalidInput("The received date is in the future.", field="received_at")
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def opening_balances_check(*, rows: Iterable[Mapping[str, str]]) -> list[OpeningBalance]:
    """Check every row and return them ready to record, or raise OpeningBalancesInvalid with
    every problem found. Writes nothing."""
    rows = list(rows)
    lookup = _Lookup()
    for model, column in ((Item, "sku"), (Location, "location"), (Supplier, "supplier")):
        lookup.load(model, (_cell(row, column) for row in rows if _is_filled(row) and not has_nul(row.get(column))))
    today = timezone.localdate()
    balances, errors = [], []
    for number, row in enumerate(rows, start=1):
        if not _is_filled(row):
            continue  # a blank line still counts, so row numbers match the file
        holding_nul = [name for name in COLUMNS if has_nul(row.get(name))]
        if holding_nul:
            errors += [RowError(number, name, NUL_IN_CELL) for name in holding_nul]
            continue
        problems: list[InvalidInput] = []

        def attempt(read):
            try:
                return read()
            except InvalidInput as exc:
                problems.append(exc)
                return None

        sku, location_code, supplier_code = _cell(row, "sku"), _cell(row, "location"), _cell(row, "supplier")
        item = attempt(lambda: lookup(Item, sku, field="sku")) if sku else None
        location = attempt(lambda: lookup(Location, location_code, field="location")) if location_code else None
        supplier = attempt(lambda: lookup(Supplier, supplier_code, field="supplier")) if supplier_code else None
        if not sku:
            problems.append(InvalidInput("Give the item's SKU.", field="sku"))
        if not location_code:
            problems.append(InvalidInput("Give the location code.", field="location"))
        quantity_text = _cell(row, "quantity")
        if not quantity_text:
            quantity = None
            problems.append(InvalidInput("Give the quantity.", field="quantity"))
        elif item is not None:
            quantity = attempt(lambda: check_quantity(quantity_text, fractional=item.fractional, unit=item.unit))
        else:
            # Without the item, whether it counts whole units is unknown; check the rest.
            quantity = attempt(lambda: check_quantity(quantity_text, fractional=True))
        po_number = _cell(row, "po_number")
        if len(po_number) > PO_NUMBER_MAX_LENGTH:
            problems.append(InvalidInput(f"A PO number has at most {PO_NUMBER_MAX_LENGTH} characters.", field="po_number"))
        if po_number and not supplier_code:
            problems.append(InvalidInput("A PO number needs the supplier it was ordered from.", field="supplier"))
        received_at = attempt(lambda: _received_at(_cell(row, "received_at"), today=today))

        if problems:
            errors += [RowError(number, problem.field or "", problem.message) for problem in problems]
        else:
            balances.append(OpeningBalance(number, item, location, quantity, supplier, po_number, received_at))
    if errors:
        raise OpeningBalancesInvalid(errors)
    return balances


def _claim_once_key(key: str, *, user, rows: int) -> None:
    """Record that the import under ``key`` is being made, in the import's transaction. A
    second import with the same key waits on the unique index until the first commits, then
    fails here; if the first rolled back, the key is free again."""
    try:
        with transaction.atomic():
            OpeningBalancesImport.objects.create(key=key, user=user, rows=rows)
    except IntegrityError:
        raise AlreadyImported(OpeningBalancesImport.objects.select_related("user").get(key=key)) from None


@retry_on_conflict
@transaction.atomic
def opening_balances_import(*, rows: Sequence[Mapping[str, str]], user, once_key: str | None = None) -> list[Movement]:
    """Record every row of an opening-balances file as a receipt or an upward adjustment (see
    the module docstring), in one transaction: all rows or none. Returns the movements.
    With ``once_key``, raises AlreadyImported if an import under that key was recorded."""
    if not may_import_opening_balances(user):
        raise PermissionDeniedError("Only managers may import opening balances.")
    balances = opening_balances_check(rows=rows)
    if once_key is not None:
        _claim_once_key(once_key, user=user, rows=len(balances))
    started_at = timezone.now()
    # Oldest first (undated rows last, as of now), so batch numbers follow the received dates.
    ordered = sorted(balances, key=lambda balance: (balance.received_at or started_at, balance.row))
    movements = []
    for balance in ordered:
        # The ledger records when the balance was entered (times are server-assigned, so
        # integrations reading "since" miss nothing); the batch keeps the received date.
        received_at = balance.received_at or started_at
        try:
            if balance.supplier:
                receipt = receipt_create(
                    supplier=balance.supplier, location=balance.location,
                    po_number=balance.po_number or OPENING_PO_NUMBER, lines=[Line(balance.item, balance.quantity)],
                    user=user, note=OPENING_NOTE, received_at=received_at,
                )
                movements += receipt.movements
            else:
                movements.append(
                    adjustment_create(
                        item=balance.item, location=balance.location, direction="up", quantity=balance.quantity,
                        reason=OPENING_REASON, user=user, note=OPENING_NOTE, received_at=received_at,
                    )
                )
        except InvalidInput as exc:
            # Something changed since the check (a location deactivated meanwhile, say).
            raise OpeningBalancesInvalid([RowError(balance.row, exc.field or "", exc.message)]) from exc
    return movements
