"""What decides a therapist's free times, and what their availability editor reads.

Everything here is in the therapist's own zone (``therapist.user.time_zone``): windows are wall
times and time off is local days. The slot engine (``scheduling.slots``) turns them into free
session starts, in UTC.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import recurrence
from django.db.models import QuerySet

from accounts.models import TherapistProfile
from matching.choices import Weekday
from scheduling import slots
from scheduling.models import Appointment, AvailabilitySettings, AvailabilityWindow, TimeOff

ALL_WEEKDAYS = frozenset(range(7))


def therapist_zone(*, therapist: TherapistProfile) -> ZoneInfo:
    return ZoneInfo(therapist.user.time_zone)


def therapist_today(*, therapist: TherapistProfile, now: datetime) -> date:
    """The date on the therapist's clock at ``now``."""
    return now.astimezone(therapist_zone(therapist=therapist)).date()


def weekday_name(day: int) -> str:
    """ "Monday" for 0, in the active language."""
    return str(Weekday(day).label)


def availability_settings_for(*, therapist: TherapistProfile) -> AvailabilitySettings:
    """The therapist's settings, or the defaults (unsaved) when they never changed them."""
    found = AvailabilitySettings.objects.filter(therapist=therapist).first()
    return found or AvailabilitySettings(therapist=therapist)


# --- Free times ----------------------------------------------------------------------------------


def therapist_calendar(
    *,
    therapist: TherapistProfile,
    now: datetime,
    with_busy: bool = True,
    exclude_pk: int | None = None,
) -> slots.Calendar:
    """Everything that decides the therapist's free slots from ``now`` on, for the slot engine:
    windows, time off, settings and (``with_busy``) booked sessions, in three queries.
    ``exclude_pk``: an appointment being moved does not block its own new time."""
    availability = availability_settings_for(therapist=therapist)
    buffer = timedelta(minutes=availability.buffer_minutes)
    busy: tuple[tuple[datetime, datetime], ...] = ()
    if with_busy:
        booked = Appointment.objects.filter(
            therapist=therapist, status=Appointment.Status.BOOKED, ends_at__gt=now - buffer
        )
        if exclude_pk is not None:
            booked = booked.exclude(pk=exclude_pk)
        busy = tuple(booked.order_by("starts_at").values_list("starts_at", "ends_at"))
    yesterday = (now - timedelta(days=1)).date()
    return slots.Calendar(
        time_zone=therapist.user.time_zone,
        windows=tuple(
            slots.Window(rule=window.rule, start=window.start_time, end=window.end_time)
            for window in AvailabilityWindow.objects.filter(therapist=therapist)
        ),
        time_off=tuple(
            TimeOff.objects.filter(therapist=therapist, last_day__gte=yesterday)
            .order_by("first_day")
            .values_list("first_day", "last_day")
        ),
        busy=busy,
        session_minutes=availability.session_minutes,
        buffer_minutes=availability.buffer_minutes,
        notice=timedelta(hours=availability.notice_hours),
        horizon=timedelta(weeks=availability.horizon_weeks),
    )


def free_slots_between(
    *,
    therapist: TherapistProfile,
    now: datetime,
    start: datetime,
    end: datetime,
    exclude_pk: int | None = None,
) -> list[datetime]:
    """The therapist's free session starts (UTC) in ``[start, end)``; ``exclude_pk``: the
    appointment being moved, whose own time counts as free."""
    calendar = therapist_calendar(therapist=therapist, now=now, exclude_pk=exclude_pk)
    return slots.free_slots(calendar, now=now, start=start, end=end)


def first_free_slot(
    *,
    therapist: TherapistProfile,
    now: datetime,
    after: datetime | None = None,
    exclude_pk: int | None = None,
) -> datetime | None:
    """The therapist's first free session start (UTC) at or after ``after`` (by default, the
    first one patients may book at all), within their notice and horizon; None if there is
    none."""
    calendar = therapist_calendar(therapist=therapist, now=now, exclude_pk=exclude_pk)
    if after is None:
        return slots.next_free_slot(calendar, now=now)
    end = now + calendar.horizon + timedelta(seconds=1)
    if after >= end:
        return None
    return next(iter(slots.free_slots(calendar, now=now, start=after, end=end)), None)


def nearest_free_slots(
    *,
    therapist: TherapistProfile,
    around: datetime,
    now: datetime,
    count: int = 3,
    exclude_pk: int | None = None,
) -> list[datetime]:
    """The ``count`` free starts closest to ``around`` (within a week either side), in time
    order: what to offer someone who just lost ``around`` to another booking."""
    week = timedelta(weeks=1)
    found = free_slots_between(
        therapist=therapist,
        now=now,
        start=around - week,
        end=around + week,
        exclude_pk=exclude_pk,
    )
    return sorted(sorted(found, key=lambda slot: abs(slot - around))[:count])


# --- The availability editor -------------------------------------------------------------------


def window_weekdays(rule: recurrence.Recurrence) -> frozenset[int]:
    """The weekdays (0 = Monday) on which a window's rule can select a day.

    Exact for the rules the editor writes (one weekly rule with its days). Of other rules only
    the weekdays are read: a weekly rule without days falls on its dtstart's weekday, a daily
    one on any day.
    """
    days: set[int] = set()
    for rule_ in rule.rrules:
        if rule_.byday:
            days.update(recurrence.to_weekday(day).number for day in rule_.byday)
        elif rule_.freq == recurrence.WEEKLY and rule.dtstart is not None:
            days.add(rule.dtstart.weekday())
        else:
            return ALL_WEEKDAYS
    return frozenset(days)


def window_rule_is_plain(rule: recurrence.Recurrence) -> bool:
    """Whether the rule selects every week the same weekdays, for ever (what the editor
    writes): then ``window_weekdays`` says exactly which days it selects."""
    return (
        rule.dtstart is None
        and rule.dtend is None
        and not (rule.exrules or rule.rdates or rule.exdates)
        and all(
            r.freq in (recurrence.WEEKLY, recurrence.DAILY)
            and r.interval == 1
            and not r.count
            and r.until is None
            for r in rule.rrules
        )
    )


@dataclass(frozen=True, slots=True)
class WindowItem:
    """One weekly window as the editor lists it: "Monday, Tuesday · 09:00–12:00"."""

    pk: int
    weekdays: tuple[int, ...]
    start: time
    end: time

    @property
    def day_names(self) -> list[str]:
        return [weekday_name(day) for day in self.weekdays]


def availability_windows_for(*, therapist: TherapistProfile) -> list[WindowItem]:
    """The therapist's weekly windows, by first weekday then start time."""
    items = [
        WindowItem(
            pk=window.pk,
            weekdays=tuple(sorted(window_weekdays(window.rule))),
            start=window.start_time,
            end=window.end_time,
        )
        for window in AvailabilityWindow.objects.filter(therapist=therapist)
    ]
    return sorted(items, key=lambda item: (item.weekdays[:1], item.start, item.end, item.pk))


def time_off_upcoming(*, therapist: TherapistProfile, today: date) -> QuerySet[TimeOff]:
    """The therapist's time off that has not ended before ``today``, soonest first."""
    return TimeOff.objects.filter(therapist=therapist, last_day__gte=today).order_by(
        "first_day", "pk"
    )
