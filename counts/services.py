"""The business actions of counts and reorder points, one function each, one transaction each.

A count's life: ``count_start`` (the lines) → ``count_enter`` (counted quantities, any number
of times, by anyone counting) → ``count_post`` (the variances become ``count_correction``
adjustments, all in one write) or ``count_cancel``.

Each action on a count first locks the count's row (``SELECT … FOR UPDATE``), so entries,
posting and cancelling of one count happen one after the other and a closed count stays
closed. That lock comes before any stock-level lock of the movement services, and nothing
that holds a stock-level lock waits for a count, so the order is one-way. Two open counts of
one item-location are refused here with the SKUs, and by the database
(``countline_one_open_count``) should two starts race.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hardfin.db import retry_on_conflict
from hardfin.errors import InvalidInput, PermissionDeniedError
from hardfin.quantities import STEP, check_quantity, parse_quantity
from inventory.models import Item, Location
from inventory.services import require_active
from movements.services import Correction, adjustments_create

from . import selectors
from .errors import CountClosed, CountIncomplete, CountOverlaps
from .models import Count, CountLine, ReorderPoint

#: The adjustment reason of every correction a count posts (seeded by movements.roles).
REASON = "count_correction"
UNCOUNTED = ("ignore", "zero")

VIEW = "counts.view_count"
ENTER = "counts.enter_count"
MANAGE = "counts.manage_count"


def user_may(user, permission: str) -> bool:
    return bool(user and not isinstance(user, AnonymousUser) and user.is_active and user.has_perm(permission))


def _require(user, permission: str, action: str) -> None:
    if not user_may(user, permission):
        raise PermissionDeniedError(f"You are not allowed to {action}.")


def check_counted(value, *, item: Item, field: str = "counted") -> Decimal:
    """A counted quantity: ≥ 0 (zero is a count: none there), the item's unit rules apply."""
    number = parse_quantity(value, field=field)
    if number == 0:
        return Decimal(0).quantize(STEP)
    if number < 0:
        raise InvalidInput("A counted quantity cannot be negative.", field=field)
    return check_quantity(number, fractional=item.fractional, unit=item.unit, field=field)


def _locked(count: Count) -> Count:
    """The count's row, locked, as it is now; refused unless it is open."""
    # Only the count's own row, and FOR NO KEY UPDATE: a plain FOR UPDATE joined to the
    # location would lock the location's row too, and every movement there (whose rows refer to
    # it) would wait for this count while it waits for their stock levels — a deadlock.
    locked = Count.objects.select_for_update(of=("self",), no_key=True).select_related("location").get(pk=count.pk)
    if not locked.is_open:
        raise CountClosed(f"Count {locked.pk} is {locked.get_status_display().lower()}; it can no longer change.")
    return locked


def _add_lines(count: Count, items: Sequence[Item], *, found: bool) -> list[CountLine]:
    """New lines for ``items``, refused (with every SKU) if another open count covers any."""
    taken = selectors.open_lines_elsewhere(location=count.location, item_ids=[item.id for item in items], count=count)
    if taken:
        raise CountOverlaps(_overlap_message(count.location, taken), skus=taken)
    lines = [CountLine(count=count, item=item, location=count.location, found=found) for item in items]
    try:
        with transaction.atomic():  # a savepoint: a start that lost a race leaves a usable transaction
            return CountLine.objects.bulk_create(lines, batch_size=500)
    except IntegrityError:
        taken = selectors.open_lines_elsewhere(location=count.location, item_ids=[i.id for i in items], count=count)
        if not taken:
            raise
        raise CountOverlaps(_overlap_message(count.location, taken), skus=taken) from None


def _save_lines(lines: Sequence[CountLine], names: Sequence[str]) -> None:
    """Save ``names`` of many lines: one UPDATE by primary key run for all of them, where the
    ORM's ``bulk_update`` builds a CASE per line and spends seconds on a 5,000-line count."""
    if not lines:
        return
    fields = [CountLine._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{connection.ops.quote_name(field.column)} = %s" for field in fields)
    rows = [
        [field.get_db_prep_save(getattr(line, field.attname), connection) for field in fields] + [line.pk]
        for line in lines
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {CountLine._meta.db_table} SET {assignments} WHERE id = %s", rows)


def _overlap_message(location: Location, skus: list[str]) -> str:
    shown = ", ".join(skus[:10]) + (f" and {len(skus) - 10} more" if len(skus) > 10 else "")
    return f"Another open count of {location.code} already covers {shown}."


@retry_on_conflict
@transaction.atomic
def count_start(*, location: Location, user, items: Iterable[Item] | None = None, note: str = "") -> Count:
    """Open a count of ``location``: one line per item of ``items`` (default: every active
    item with a lot or a non-zero stock level there)."""
    _require(user, MANAGE, "start counts")
    require_active(location, field="location")
    if items is None:
        items = list(selectors.items_to_count(location))
    else:
        items = list({item.id: item for item in items}.values())
        for item in items:
            require_active(item, field="skus")
    count = Count.objects.create(location=location, note=(note or "").strip(), started_by=user)
    _add_lines(count, sorted(items, key=lambda item: item.sku.lower()), found=False)
    return count


@retry_on_conflict
@transaction.atomic
def count_enter(*, count: Count, entries: Sequence[tuple[Item, object]], user) -> Count:
    """Record counted quantities, now: each entry sets its line's ``counted``, ``counted_at``
    and ``expected`` (the ledger's stock level at that moment); counting a line again replaces
    it. An item not on the count is added as found stock. All entries or none."""
    _require(user, ENTER, "enter counts")
    if not entries:
        raise InvalidInput("Add at least one line.", field="lines")
    checked, seen = [], set()
    for index, (item, counted) in enumerate(entries):
        try:
            if item.id in seen:
                raise InvalidInput(f"{item.sku} appears more than once; count it on one line.", field="sku")
            seen.add(item.id)
            checked.append((item, check_counted(counted, item=item)))
        except InvalidInput as exc:
            raise exc.at_line(index, item.sku) from None
    count = _locked(count)
    lines = {line.item_id: line for line in CountLine.objects.filter(count=count, item_id__in=list(seen))}
    new = [item for item, _ in checked if item.id not in lines]
    for index, (item, _) in enumerate(checked):
        if item.id not in lines and not item.is_active:
            raise InvalidInput(f"The item {item.sku} is inactive and cannot be counted.", field="sku").at_line(
                index, item.sku)
    for line in _add_lines(count, new, found=True):
        lines[line.item_id] = line
    now = timezone.now()
    expected = selectors.levels_at(location=count.location, at=now, item_ids=seen)
    changed = []
    for item, counted in checked:
        line = lines[item.id]
        line.counted, line.counted_at, line.counted_by = counted, now, user
        line.expected = expected.get(item.id, Decimal(0))
        changed.append(line)
    _save_lines(changed, ["counted", "counted_at", "counted_by", "expected"])
    return count


@retry_on_conflict
@transaction.atomic
def count_post(*, count: Count, user, uncounted: str | None = None) -> Count:
    """Post a count: one ``count_correction`` adjustment per line with a non-zero variance
    (up: a new batch; down: the oldest batches first), all in this one transaction, with the
    note ``Count {id}``. Uncounted lines refuse the post unless ``uncounted`` is ``zero``
    (counted as 0 now) or ``ignore`` (left uncounted, not adjusted). A downward correction
    that no longer fits the stock refuses the whole post."""
    _require(user, MANAGE, "post counts")
    if uncounted not in (None, "", *UNCOUNTED):
        raise InvalidInput("uncounted must be 'ignore' or 'zero'.", field="uncounted")
    count = _locked(count)
    lines = list(CountLine.objects.filter(count=count).select_related("item").order_by("item__sku", "id"))
    missing = [line for line in lines if line.counted is None]
    if missing and not uncounted:
        skus = [line.item.sku for line in missing]
        raise CountIncomplete(
            f"{len(skus)} line{'s' if len(skus) != 1 else ''} of count {count.pk} not counted yet; count them, "
            "or post with uncounted 'zero' or 'ignore'.",
            skus=skus,
        )
    now = timezone.now()
    if missing and uncounted == "zero":
        expected = selectors.levels_at(location=count.location, at=now, item_ids=[line.item_id for line in missing])
        for line in missing:
            line.counted, line.counted_at, line.counted_by = Decimal(0).quantize(STEP), now, user
            line.expected = expected.get(line.item_id, Decimal(0))
    corrected = [line for line in lines if line.variance]
    movements = adjustments_create(
        corrections=[
            Correction(line.item, count.location, "up" if line.variance > 0 else "down", abs(line.variance))
            for line in corrected
        ],
        reason=REASON, note=f"Count {count.pk}", user=user,
    )
    for line, movement in zip(corrected, movements, strict=True):
        line.adjustment = movement
    for line in lines:
        line.is_open = False
    _save_lines(lines, ["counted", "counted_at", "counted_by", "expected", "adjustment", "is_open"])
    count.status, count.posted_at, count.posted_by = Count.Status.POSTED, now, user
    count.save(update_fields=["status", "posted_at", "posted_by"])
    return count


@retry_on_conflict
@transaction.atomic
def count_cancel(*, count: Count, user) -> Count:
    """Close a count without adjusting anything; its item-locations may be counted again."""
    _require(user, MANAGE, "cancel counts")
    count = _locked(count)
    CountLine.objects.filter(count=count).update(is_open=False)
    count.status, count.cancelled_at, count.cancelled_by = Count.Status.CANCELLED, timezone.now(), user
    count.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    return count


# --- reorder points -----------------------------------------------------------------------------

ADD_REORDER, CHANGE_REORDER, DELETE_REORDER = (
    "counts.add_reorderpoint", "counts.change_reorderpoint", "counts.delete_reorderpoint")


def _check_levels(item: Item, minimum, target) -> tuple[Decimal, Decimal | None]:
    minimum = check_counted(minimum, item=item, field="minimum")
    if target is not None:
        target = check_counted(target, item=item, field="target")
        if target < minimum:
            raise InvalidInput("The target cannot be below the minimum.", field="target")
    return minimum, target


@transaction.atomic
def reorder_point_create(*, item: Item, location: Location, minimum, target=None, user) -> ReorderPoint:
    """The minimum (and optional target) of one item-location; one per item-location."""
    _require(user, ADD_REORDER, "set reorder points")
    minimum, target = _check_levels(item, minimum, target)
    if ReorderPoint.objects.filter(item=item, location=location).exists():
        raise InvalidInput(f"{item.sku} at {location.code} has a reorder point already; change that one.",
                           field="non_field_errors")
    try:
        with transaction.atomic():
            return ReorderPoint.objects.create(item=item, location=location, minimum=minimum, target=target)
    except IntegrityError:
        raise InvalidInput(f"{item.sku} at {location.code} has a reorder point already; change that one.",
                           field="non_field_errors") from None


_UNSET = object()


@transaction.atomic
def reorder_point_update(*, reorder_point: ReorderPoint, user, minimum=_UNSET, target=_UNSET) -> ReorderPoint:
    """Change the minimum and/or the target (``None`` removes the target)."""
    _require(user, CHANGE_REORDER, "change reorder points")
    point = (ReorderPoint.objects.select_for_update(of=("self",), no_key=True).select_related("item", "location")
             .get(pk=reorder_point.pk))  # its own row only, as in ``_locked``
    point.minimum, point.target = _check_levels(
        point.item,
        point.minimum if minimum is _UNSET else minimum,
        point.target if target is _UNSET else target,
    )
    point.save(update_fields=["minimum", "target"])
    return point


@transaction.atomic
def reorder_point_delete(*, reorder_point: ReorderPoint, user) -> None:
    _require(user, DELETE_REORDER, "delete reorder points")
    ReorderPoint.objects.filter(pk=reorder_point.pk).delete()
