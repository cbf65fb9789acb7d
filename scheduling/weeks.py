"""The week a page shows, from its ``?week=`` (the patient's booking page, the therapist's
calendar): parsed here, once, and turned into the instants that bound it.

A week runs from Monday 00:00 to the next Monday 00:00 on one person's clock. ``?week=`` names
any of its days as ``YYYY-MM-DD`` (ASCII digits only: ``'²'`` is a digit to ``str.isdigit``),
between ``FIRST_DAY`` and ``LAST_DAY``, so that the week before and the week after always exist
(``date.max`` plus a week would overflow). Anything else is ``BadWeek``: the page answers 404,
never 500.
"""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_DAY, LAST_DAY = date(1900, 1, 8), date(9999, 12, 17)


class BadWeek(ValueError):
    """``?week=`` is not a day the week pages show."""


def parse_week(value: str | None) -> date | None:
    """The day ``value`` names, or None when there is none (the page picks its own week)."""
    if value is None:
        return None
    if not WEEK.fullmatch(value):
        raise BadWeek("not a date")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadWeek("not a date") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadWeek("too far")
    return day


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 and the next Monday 00:00 of the week of ``monday``, in ``zone``."""
    return (
        datetime.combine(monday, time.min, tzinfo=zone),
        datetime.combine(monday + timedelta(weeks=1), time.min, tzinfo=zone),
    )
