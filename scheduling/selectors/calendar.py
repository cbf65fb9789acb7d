"""What the therapist's week calendar reads (``views.calendar``): a week, Monday to Sunday on
the therapist's clock, with their sessions (cancelled ones too), their weekly hours and time
off, day by day."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef

from accounts.models import TherapistProfile
from scheduling import slots
from scheduling.models import Appointment, AvailabilityWindow, SessionNote, TimeOff
from scheduling.selectors.availability import (
    therapist_zone,
    window_rule_is_plain,
    window_weekdays,
)
from scheduling.weeks import monday_of, week_bounds


@dataclass(frozen=True, slots=True)
class CalendarSession:
    appointment: Appointment  # with patient__patient_profile loaded, and has_note
    starts_at: datetime  # in the therapist's zone
    ends_at: datetime
    minutes: int

    @property
    def is_booked(self) -> bool:
        return self.appointment.is_booked


@dataclass(frozen=True, slots=True)
class CalendarDay:
    day: date
    is_today: bool
    time_off: bool
    windows: tuple[tuple[time, time], ...]  # wall times, by start
    sessions: tuple[CalendarSession, ...]  # by start; cancelled ones included


@dataclass(frozen=True, slots=True)
class CalendarWeek:
    monday: date
    time_zone: str
    days: tuple[CalendarDay, ...]  # Monday to Sunday

    @property
    def previous_monday(self) -> date:
        return self.monday - timedelta(weeks=1)

    @property
    def next_monday(self) -> date:
        return self.monday + timedelta(weeks=1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def booked_count(self) -> int:
        return sum(session.is_booked for day in self.days for session in day.sessions)

    @property
    def has_windows(self) -> bool:
        return any(day.windows for day in self.days)


def practice_week(*, therapist: TherapistProfile, day: date, now: datetime) -> CalendarWeek:
    """The week (Monday to Sunday, on the therapist's clock) holding ``day``: the therapist's
    sessions that start in it (cancelled ones too), their windows and time off, day by day.

    Three queries, however many sessions: appointments (with each patient's nickname and
    whether the therapist wrote notes on it), windows, time off.
    """
    zone = therapist_zone(therapist=therapist)
    monday = monday_of(day)
    days = [monday + timedelta(days=offset) for offset in range(7)]
    week_start, week_end = week_bounds(monday, zone)

    sessions: dict[date, list[CalendarSession]] = {d: [] for d in days}
    appointments = (
        Appointment.objects.filter(
            therapist=therapist, starts_at__gte=week_start, starts_at__lt=week_end
        )
        .select_related("patient__patient_profile")
        .annotate(has_note=Exists(SessionNote.objects.filter(appointment=OuterRef("pk"))))
        .order_by("starts_at", "pk")
    )
    for appointment in appointments:
        starts_at = appointment.starts_at.astimezone(zone)
        sessions[starts_at.date()].append(
            CalendarSession(
                appointment=appointment,
                starts_at=starts_at,
                ends_at=appointment.ends_at.astimezone(zone),
                minutes=int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
            )
        )

    windows: dict[date, list[tuple[time, time]]] = {d: [] for d in days}
    for window in AvailabilityWindow.objects.filter(therapist=therapist):
        for window_day in _window_days(window, therapist.user.time_zone, days):
            windows[window_day].append((window.start_time, window.end_time))

    off = TimeOff.objects.filter(
        therapist=therapist, first_day__lte=days[-1], last_day__gte=days[0]
    ).values_list("first_day", "last_day")
    off_days = {d for first, last in off for d in days if first <= d <= last}

    today = now.astimezone(zone).date()
    return CalendarWeek(
        monday=monday,
        time_zone=therapist.user.time_zone,
        days=tuple(
            CalendarDay(
                day=d,
                is_today=d == today,
                time_off=d in off_days,
                windows=tuple(sorted(windows[d])),
                sessions=tuple(sessions[d]),
            )
            for d in days
        ),
    )


def _window_days(window: AvailabilityWindow, zone: str, days: list[date]) -> list[date]:
    """Which of ``days`` (one week) the window's rule selects.

    A plain weekly rule (what the editor writes) by its weekdays. Any other rule (an
    every-other-week rule, one that ends, with exceptions ...) is asked of the slot engine,
    which expands rules the way booking does: the days on which the window offers a session of
    the shortest length.
    """
    if window_rule_is_plain(window.rule):
        weekdays = window_weekdays(window.rule)
        return [d for d in days if d.weekday() in weekdays]
    calendar = slots.Calendar(
        time_zone=zone,
        windows=(slots.Window(rule=window.rule, start=window.start_time, end=window.end_time),),
        session_minutes=min(slots.SESSION_MINUTES),
        buffer_minutes=0,
        notice=timedelta(0),
        horizon=timedelta(weeks=2),
    )
    tz = ZoneInfo(zone)
    start = datetime.combine(days[0], time.min, tzinfo=tz)
    end = datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=tz)
    found = slots.free_slots(calendar, now=start, start=start, end=end)
    return sorted({slot.astimezone(tz).date() for slot in found})
