"""Free booking slots of one therapist: pure functions over a prepared calendar.

No ORM and no queries here: the caller builds a ``Calendar`` from the therapist's availability,
time off and booked appointments; this module expands the weekly windows and takes away what is
not free, fast enough to find the next free slot of a thousand therapists
(``python -m bench --only scheduling_slots``).

Time zones. Availability is the therapist's wall time. Rules are expanded to local *days*
(naive), each window's times are put on those days, and only then is the therapist's zone
attached and the result converted to UTC: a 09:00 window stays at 09:00 local on both sides of
a daylight-saving change (a rule expanded from a dtstart stored in UTC would drift by an hour,
see PITFALLS). On the days clocks change:

- a wall time that does not exist (the spring-forward gap) never starts a slot;
- a wall time that happens twice (fall back) means its first occurrence (``fold=0``, still
  summer time); the hour gained is not offered;
- slots step in wall time from the window's start, and a slot must still fit, in real time,
  between the window's opening and closing instants.

Rules. Only the *days* a rule selects count; the times come from the window (a rule's
byhour/byminute/bysecond are ignored). Weekly and daily rules are supported, with interval,
byday, until, count, exrules, rdates and exdates; until, dtend, rdates and exdates count by the
therapist's local day. The recurrence's dtstart is the first day the rule applies and fixes the
phase of every-N-weeks rules, but it is not an extra day of availability (django-recurrence's
include_dtstart is ignored), and expansion never starts from it: dateutil replays every
occurrence since dtstart, so an old rule would get slower every week. Expansion starts instead
from dtstart moved forward by a whole number of periods to just before the queried days. An
aware dtstart (what RecurrenceField returns with USE_TZ) is read in the therapist's zone; a naive
one is already local.
"""

import heapq
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import groupby, repeat
from operator import itemgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import recurrence
from dateutil import rrule as dateutil_rrule

SESSION_MINUTES = (30, 45, 50, 60)
PERIOD_DAYS = {recurrence.WEEKLY: 7, recurrence.DAILY: 1}  # the frequencies supported
# Rule parameters that pick times of day: the window gives the times, so they are dropped.
_TIME_PARAMS = frozenset({"byhour", "byminute", "bysecond"})
# The smallest step of a datetime: "starts at or before h" is "starts before h + _TICK".
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Window:
    """One weekly availability window, in the therapist's local wall time."""

    rule: recurrence.Recurrence  # the days; what a RecurrenceField holds
    start: time
    end: time  # after start: no window runs across midnight

    def __post_init__(self) -> None:
        if not isinstance(self.rule, recurrence.Recurrence):
            raise ValueError(f"a window's rule is a recurrence.Recurrence, not {self.rule!r}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("a window's start and end are naive wall times")
        if self.end <= self.start:
            raise ValueError(f"a window ends after it starts: {self.start} to {self.end}")
        has_dtstart = self.rule.dtstart is not None
        for rule in (*self.rule.rrules, *self.rule.exrules):
            _check_rule(rule, has_dtstart=has_dtstart)


@dataclass(frozen=True, slots=True)
class Calendar:
    """What decides a therapist's free slots."""

    time_zone: str  # the therapist's IANA zone
    windows: tuple[Window, ...]
    time_off: tuple[tuple[date, date], ...] = ()  # inclusive local days: no slot on them
    busy: tuple[tuple[datetime, datetime], ...] = ()  # aware; booked sessions
    session_minutes: int = 50
    buffer_minutes: int = 10  # kept free after and before each busy session
    notice: timedelta = timedelta(hours=12)
    horizon: timedelta = timedelta(weeks=6)

    def __post_init__(self) -> None:
        _zone(self.time_zone)
        if self.session_minutes not in SESSION_MINUTES:
            raise ValueError(
                f"a session lasts {', '.join(map(str, SESSION_MINUTES))} minutes, "
                f"not {self.session_minutes}"
            )
        if self.buffer_minutes < 0:
            raise ValueError(f"the buffer cannot be negative: {self.buffer_minutes}")
        if self.notice < timedelta(0) or self.horizon < timedelta(0):
            raise ValueError("notice and horizon cannot be negative")
        for window in self.windows:
            if not isinstance(window, Window):
                raise ValueError(f"not a Window: {window!r}")
        for first, last in self.time_off:
            if last < first:
                raise ValueError(f"time off ends before it starts: {first} to {last}")
        for session_start, session_end in self.busy:
            _require_aware(busy_start=session_start, busy_end=session_end)
            if session_end <= session_start:
                raise ValueError(f"a busy session ends after it starts: {session_start}")


def free_slots(
    calendar: Calendar, *, now: datetime, start: datetime, end: datetime
) -> list[datetime]:
    """UTC start times, in order, of the free slots that start in ``[start, end)``.

    None starts before ``now + notice`` or after ``now + horizon``. Slots follow each other from
    the start of each window every session + buffer minutes; a slot is free when it lies wholly
    inside a window occurrence, on no day of time off, and does not come within the buffer of a
    busy session. Two overlapping windows may offer overlapping slots.
    """
    _require_aware(now=now, start=start, end=end)
    if end <= start:
        raise ValueError(f"the queried range ends after it starts: {start} to {end}")
    now = now.astimezone(UTC)  # adding to an aware local time would add wall time
    first = max(start.astimezone(UTC), now + calendar.notice)
    stop = min(end.astimezone(UTC), now + calendar.horizon + _TICK)
    return list(_free(calendar, first, stop))


def next_free_slot(calendar: Calendar, *, now: datetime) -> datetime | None:
    """The earliest free slot within the notice and horizon (UTC), or None."""
    _require_aware(now=now)
    now = now.astimezone(UTC)
    return next(_free(calendar, now + calendar.notice, now + calendar.horizon + _TICK), None)


def _free(calendar: Calendar, first: datetime, stop: datetime) -> Iterator[datetime]:
    """Free slots starting in ``[first, stop)`` (UTC), in order, found day by day.

    Lazy: ``next_free_slot`` stops at the first day that has one. Days come in order and, with
    gap times skipped and fold=0 for repeated ones, a later local time is never an earlier
    instant, so sorting each day is enough.
    """
    if stop <= first:
        return
    zone = _zone(calendar.time_zone)
    first_day = first.astimezone(zone).date()
    last_day = (stop - _TICK).astimezone(zone).date()
    session = timedelta(minutes=calendar.session_minutes)
    step = session + timedelta(minutes=calendar.buffer_minutes)
    blocked_starts, blocked_ends = _blocked(calendar.busy, calendar.buffer_minutes)
    time_off = [(a, b) for a, b in calendar.time_off if b >= first_day and a <= last_day]
    windows = calendar.windows
    days = heapq.merge(
        *(
            zip(_days(window.rule, zone, first_day, last_day), repeat(index), strict=False)
            for index, window in enumerate(windows)
        )
    )
    for day, group in groupby(days, key=itemgetter(0)):
        if any(a <= day <= b for a, b in time_off):
            continue
        found = set()
        for _, index in group:
            window = windows[index]
            opens = _utc(datetime.combine(day, window.start), zone)
            closes_wall = datetime.combine(day, window.end)
            closes = _utc(closes_wall, zone)
            wall = datetime.combine(day, window.start)
            while wall + session <= closes_wall:
                slot = _utc(wall, zone)
                slot_end = slot + session
                if (
                    first <= slot < stop
                    and opens <= slot
                    and slot_end <= closes
                    and _exists(slot, wall, zone)
                ):
                    # Free unless a blocked span [busy start - buffer, busy end + buffer)
                    # overlaps it; the spans are disjoint, so only the last one starting
                    # before the slot's end can.
                    at = bisect_left(blocked_starts, slot_end)
                    if at == 0 or blocked_ends[at - 1] <= slot:
                        found.add(slot)
                wall += step
        yield from sorted(found)


def _blocked(
    busy: Iterable[tuple[datetime, datetime]], buffer_minutes: int
) -> tuple[list[datetime], list[datetime]]:
    """Busy sessions widened by the buffer and merged: starts and ends of disjoint UTC spans."""
    buffer = timedelta(minutes=buffer_minutes)
    starts: list[datetime] = []
    ends: list[datetime] = []
    spans = sorted((a.astimezone(UTC) - buffer, b.astimezone(UTC) + buffer) for a, b in busy)
    for span_start, span_end in spans:
        if ends and span_start <= ends[-1]:
            ends[-1] = max(ends[-1], span_end)
        else:
            starts.append(span_start)
            ends.append(span_end)
    return starts, ends


def _days(rule: recurrence.Recurrence, zone: ZoneInfo, first: date, last: date) -> Iterator[date]:
    """The local days in ``[first, last]`` that a recurrence selects, in order."""
    anchor = _local_day(rule.dtstart, zone) if rule.dtstart is not None else None
    begin = max(first, anchor) if anchor is not None else first
    if rule.dtend is not None:
        last = min(last, _local_day(rule.dtend, zone))
    if last < begin:
        return
    days: Iterable[datetime]
    if len(rule.rrules) == 1 and not (rule.exrules or rule.rdates or rule.exdates):
        days = _dateutil_rule(rule.rrules[0], anchor, begin, zone)  # the usual case, faster
    else:
        days = rules = dateutil_rrule.rruleset()
        for rrule in rule.rrules:
            rules.rrule(_dateutil_rule(rrule, anchor, begin, zone))
        for exrule in rule.exrules:
            rules.exrule(_dateutil_rule(exrule, anchor, begin, zone))
        for rdate in rule.rdates:
            rules.rdate(_midnight(_local_day(rdate, zone)))
        for exdate in rule.exdates:
            rules.exdate(_midnight(_local_day(exdate, zone)))
    for occurrence in days:
        day = occurrence.date()
        if day > last:
            return
        if day >= begin:
            yield day


def _dateutil_rule(
    rule: recurrence.Rule, anchor: date | None, begin: date, zone: ZoneInfo
) -> dateutil_rrule.rrule:
    """``rule`` as a dateutil rule over local midnights, starting at most one period before
    ``begin`` (or at the recurrence's dtstart for a rule with a count, which counts from it)."""
    period = PERIOD_DAYS[rule.freq] * rule.interval
    if rule.count or anchor is None:
        dtstart = anchor or begin  # _check_rule: no anchor only when the phase is free
    else:
        dtstart = anchor + timedelta(days=(begin - anchor).days // period * period)
    params = {
        name: getattr(rule, name) or None for name in rule.byparams if name not in _TIME_PARAMS
    }
    params["byweekday"] = params.pop("byday")  # dateutil's name for byday
    until = _midnight(_local_day(rule.until, zone)) if rule.until is not None else None
    return dateutil_rrule.rrule(
        rule.freq,
        dtstart=_midnight(dtstart),
        interval=rule.interval,
        wkst=rule.wkst,
        count=rule.count,
        until=until,
        **params,
    )


def _check_rule(rule: recurrence.Rule, *, has_dtstart: bool) -> None:
    if rule.freq not in PERIOD_DAYS:
        raise ValueError("only weekly and daily availability rules are supported")
    if rule.interval < 1:
        raise ValueError(f"a rule's interval is at least 1, not {rule.interval}")
    if has_dtstart:
        return
    if rule.count:
        raise ValueError("a rule with a count needs a dtstart to count from")
    if rule.interval > 1:
        raise ValueError("an every-N-weeks or every-N-days rule needs a dtstart to fix its phase")
    if rule.freq == recurrence.WEEKLY and not rule.byday:
        raise ValueError("a weekly rule needs its days (byday) or a dtstart")


def _utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time as a UTC instant, fold=0 (the first of a repeated time)."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _exists(instant: datetime, wall: datetime, zone: ZoneInfo) -> bool:
    """False when ``wall`` fell in a spring-forward gap: its instant reads as another time."""
    return instant.astimezone(zone).replace(tzinfo=None) == wall


def _local_day(value: date | datetime, zone: ZoneInfo) -> date:
    if isinstance(value, datetime):
        return (value.astimezone(zone) if value.tzinfo is not None else value).date()
    return value


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min)


@cache  # ZoneInfo keeps only a few zones loaded; a thousand calendars would reload them
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"unknown time zone: {name!r}") from error


def _require_aware(**values: datetime) -> None:
    for name, value in values.items():
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime, not {value!r}")
