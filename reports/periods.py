"""Instants and periods as the reports read them: ISO times (or dates, meaning their midnight in
the installation's ``TIME_ZONE``), and the period presets of the rollforward."""

from __future__ import annotations

import datetime
from datetime import UTC

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from hardfin.errors import InvalidInput


def parse_instant(text, *, field: str) -> datetime.datetime | None:
    """``text`` as an aware time in UTC, None when absent; InvalidInput when malformed. A time
    without offset, or a date, is read in the installation's time zone."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    try:
        value = parse_datetime(text)
        if value is None:
            day = parse_date(text)
            if day is not None:
                value = datetime.datetime.combine(day, datetime.time.min)
    except ValueError:
        value = None
    if value is None:
        raise InvalidInput(f"{text!r} is not an ISO 8601 time (such as 2026-12-01T09:30:00Z).", field=field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{text!r} is out of range.", field=field) from None


def month_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, 1)).astimezone(UTC)


def this_month(now: datetime.datetime | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """The current calendar month so far, in ``TIME_ZONE``: its first midnight to now."""
    now = now or timezone.now()
    return month_start(timezone.localtime(now).date()), now


def last_month(now: datetime.datetime | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """The whole previous calendar month, in ``TIME_ZONE``."""
    start_of_this = month_start(timezone.localtime(now or timezone.now()).date())
    previous_day = timezone.localtime(start_of_this).date() - datetime.timedelta(days=1)
    return month_start(previous_day), start_of_this


def period(since_text, until_text) -> tuple[datetime.datetime, datetime.datetime]:
    """The period a request asks for: ``since`` (inclusive) and ``until`` (exclusive), each by
    default the current month so far; until must not come before since."""
    default_since, default_until = this_month()
    since = parse_instant(since_text, field="since") or default_since
    until = parse_instant(until_text, field="until") or max(default_until, since)
    if until < since:
        raise InvalidInput("until must not be before since.", field="until")
    return since, until
