"""What the session pages read: who sees which appointment and what they may do with it, the
booking page's week of free times, the sessions the two home pages list, and what a change of
therapist would cancel.

The selectors that hand sessions to pages take ``now`` and set each one's ``room_state``
(``Appointment.room_state_at``), so that templates show "Join the session" without asking the
clock themselves.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from accounts.models import TherapistProfile, User
from accounts.selectors import approved_therapist_profile
from matching.models import Match
from scheduling.models import Appointment
from scheduling.selectors.availability import first_free_slot, free_slots_between
from scheduling.selectors.partners import with_partner_nicknames
from scheduling.weeks import monday_of, week_bounds


def cancel_cutoff() -> timedelta:
    """How long before a session a patient's cancellation stops being on time (24 h unless
    SCHEDULING_CANCEL_CUTOFF_HOURS says otherwise)."""
    return timedelta(hours=settings.SCHEDULING_CANCEL_CUTOFF_HOURS)


def with_room_states(appointments: Iterable[Appointment], now: datetime) -> None:
    """Set each appointment's ``room_state`` at ``now``, for a page."""
    for appointment in appointments:
        appointment.room_state = appointment.room_state_at(now)


def appointments_overlapping(
    *,
    starts_at: datetime,
    ends_at: datetime,
    therapist_id: int,
    patient_id: int,
    exclude_pk: int | None = None,
    buffer: timedelta = timedelta(0),
) -> QuerySet[Appointment]:
    """Booked appointments of this patient that share some of the time ``[starts_at, ends_at)``
    (one ending as the other starts does not), or of this therapist that come within ``buffer``
    of it (the therapist's break between sessions)."""
    appointments = Appointment.objects.filter(
        Q(therapist_id=therapist_id, starts_at__lt=ends_at + buffer, ends_at__gt=starts_at - buffer)
        | Q(patient_id=patient_id, starts_at__lt=ends_at, ends_at__gt=starts_at),
        status=Appointment.Status.BOOKED,
    )
    if exclude_pk is not None:
        appointments = appointments.exclude(pk=exclude_pk)
    return appointments


def appointments_for_user(*, user: User) -> QuerySet[Appointment]:
    """Every appointment this user may see: a patient their own, an approved therapist those
    booked with them."""
    if not user.is_authenticated:
        return Appointment.objects.none()
    if user.is_patient:
        return Appointment.objects.filter(patient=user)
    profile = approved_therapist_profile(user=user)
    if profile is None:
        return Appointment.objects.none()
    return Appointment.objects.filter(therapist=profile)


def appointment_get_for_user(
    *, user: User, pk: int, now: datetime | None = None
) -> Appointment | None:
    """One appointment this user may see, or None (the view answers 404: the same for an
    appointment of someone else and one that never was). With ``now``, for a page: its
    ``room_state`` set."""
    appointment = (
        appointments_for_user(user=user)
        .select_related("therapist__user", "patient__patient_profile")
        .filter(pk=pk)
        .first()
    )
    if appointment is not None and now is not None:
        with_room_states([appointment], now)
    return appointment


def patient_current_match(*, patient: User) -> Match | None:
    """The patient's active match, with the therapist they book with."""
    return (
        Match.objects.filter(patient=patient, status=Match.Status.ACTIVE)
        .select_related("therapist__user")
        .first()
    )


def sessions_for_user(*, user: User, now: datetime) -> dict[str, list[Appointment]]:
    """The user's sessions to come (booked, not yet over), soonest first, and the 30 latest
    others (past or cancelled), newest first: two queries."""
    mine = appointments_for_user(user=user).select_related("therapist", "patient__patient_profile")
    upcoming = Q(status=Appointment.Status.BOOKED, ends_at__gt=now)
    return {
        "upcoming": list(mine.filter(upcoming).order_by("starts_at")),
        "earlier": list(mine.exclude(upcoming).order_by("-starts_at")[:30]),
    }


def appointment_options(*, appointment: Appointment, user: User, now: datetime) -> dict[str, Any]:
    """What ``user`` (the appointment's patient or therapist) may do with it now: the rules the
    services enforce, for a page to offer only what will work. A patient moves a session only
    before the cancellation cut-off; cancelling after it counts as late."""
    is_patient = user.pk == appointment.patient_id
    cutoff = cancel_cutoff()
    upcoming = appointment.is_booked and appointment.starts_at > now
    return {
        "is_patient": is_patient,
        "upcoming": upcoming,
        "can_move": upcoming and (not is_patient or appointment.starts_at - now >= cutoff),
        "late": upcoming and is_patient and appointment.starts_at - now < cutoff,
        "cutoff_hours": int(cutoff.total_seconds() // 3600),
    }


# --- The booking page's week -------------------------------------------------------------------


@dataclass(frozen=True)
class BookingWeek:
    """A week of a therapist's free times, on the patient's clock (Monday to Sunday)."""

    start: datetime  # Monday 00:00, aware in the patient's zone
    end: datetime  # the next Monday 00:00
    days: list[tuple[date, list[datetime]]]  # the free starts, local, grouped by day
    next_free: datetime | None  # for a week without free time: the first one after it
    is_first: bool  # the week of today: nothing bookable before it

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    @property
    def previous_monday(self) -> date | None:
        return None if self.is_first else (self.start - timedelta(weeks=1)).date()

    @property
    def next_monday(self) -> date:
        return self.end.date()


def booking_week(
    *,
    therapist: TherapistProfile,
    zone: ZoneInfo,
    now: datetime,
    day: date | None,
    exclude_pk: int | None = None,
) -> BookingWeek:
    """The week of ``day`` (never one already over) or, without a day, the first week with a
    free time (this week when there is none at all). A week without free time says when the
    next one is. ``exclude_pk``: the appointment being moved, whose own time counts as free."""
    today = now.astimezone(zone).date()
    if day is None:
        first = first_free_slot(therapist=therapist, now=now, exclude_pk=exclude_pk)
        day = first.astimezone(zone).date() if first is not None else today
    monday = monday_of(max(day, today))
    start, end = week_bounds(monday, zone)
    free = free_slots_between(
        therapist=therapist, now=now, start=start, end=end, exclude_pk=exclude_pk
    )
    next_free = None
    if not free:
        found = first_free_slot(therapist=therapist, now=now, after=end, exclude_pk=exclude_pk)
        next_free = found.astimezone(zone) if found is not None else None
    local = [slot.astimezone(zone) for slot in free]
    return BookingWeek(
        start=start,
        end=end,
        days=[(day, list(group)) for day, group in groupby(local, key=lambda s: s.date())],
        next_free=next_free,
        is_first=monday == monday_of(today),
    )


# --- The practitioner dashboard and the patient home ---------------------------------------------

# The dashboard's second list: the days after today, this many of them.
COMING_DAYS = 7


def next_sessions_by_patient(
    *, therapist: TherapistProfile, now: datetime, patient_ids: list[int] | None = None
) -> dict[int, Appointment]:
    """Each patient's next session with this therapist (booked, not over yet), its start and
    key alone (the dashboard links to it), of these patients only if ``patient_ids`` is given:
    one query, of one session per patient however many are booked ahead."""
    soonest_first = Window(
        RowNumber(),
        partition_by=[F("patient_id")],
        order_by=[F("starts_at").asc(), F("pk").asc()],
    )
    booked = Appointment.objects.filter(
        therapist=therapist, status=Appointment.Status.BOOKED, ends_at__gt=now
    )
    if patient_ids is not None:
        booked = booked.filter(patient_id__in=patient_ids)
    upcoming = (
        booked.annotate(soonest=soonest_first).filter(soonest=1).only("patient_id", "starts_at")
    )
    return {appointment.patient_id: appointment for appointment in upcoming}


def therapist_week_sessions(
    *, therapist: TherapistProfile, now: datetime, zone: ZoneInfo
) -> dict[str, list[Appointment]]:
    """The therapist's booked sessions not over yet: ``today`` (until midnight in ``zone``) and
    ``next_days``, the ``COMING_DAYS`` days after today (whatever day of the week today is: on
    a Sunday, Monday's sessions are there), soonest first, with each patient's nickname, their
    ``room_state``, and for a couples session ``couples`` and the ``partner_nickname``: one
    query."""
    today = now.astimezone(zone).date()
    tomorrow, stop = (
        datetime.combine(today + timedelta(days=days), datetime.min.time(), zone)
        for days in (1, 1 + COMING_DAYS)
    )
    sessions = list(
        with_partner_nicknames(
            Appointment.objects.filter(
                therapist=therapist,
                status=Appointment.Status.BOOKED,
                ends_at__gt=now,
                starts_at__lt=stop,
            )
        )
        .select_related("patient__patient_profile")
        .order_by("starts_at")
    )
    with_room_states(sessions, now)
    return {
        "today": [s for s in sessions if s.starts_at < tomorrow],
        "next_days": [s for s in sessions if s.starts_at >= tomorrow],
    }


def next_session_for_patient(*, patient: User, now: datetime) -> Appointment | None:
    """The patient's next session (booked, not over yet), with their therapist and its
    ``room_state``: one query."""
    appointment = (
        Appointment.objects.filter(
            patient=patient, status=Appointment.Status.BOOKED, ends_at__gt=now
        )
        .select_related("therapist")
        .order_by("starts_at")
        .first()
    )
    if appointment is not None:
        with_room_states([appointment], now)
    return appointment


# --- A change of therapist ---------------------------------------------------------------------


def appointments_to_cancel_for_ended_match(
    *, match_id: int, now: datetime
) -> QuerySet[Appointment]:
    """The match's sessions that ending it at ``now`` cancels: booked, their room not open yet.
    A session whose room is open (from SESSION_ROOM_OPENS_MINUTES_BEFORE before its start) may
    be under way: it is kept, as are sessions already over."""
    return Appointment.objects.filter(
        match_id=match_id,
        status=Appointment.Status.BOOKED,
        starts_at__gt=now + Appointment.room_opens_before(),
    )


def appointments_in_progress_for_match(*, match_id: int, now: datetime) -> list[Appointment]:
    """The match's booked sessions that may be under way at ``now`` (their room open, not
    ended): a change of therapist leaves them be."""
    return [
        appointment
        for appointment in Appointment.objects.filter(
            match_id=match_id, status=Appointment.Status.BOOKED, ends_at__gt=now
        ).order_by("starts_at")
        if appointment.in_progress_at(now)
    ]
