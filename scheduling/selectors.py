from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import TherapistProfile, User
from accounts.selectors import approved_therapist_profile
from matching.models import Match
from scheduling import slots
from scheduling.models import Appointment, AvailabilitySettings, AvailabilityWindow, TimeOff


def cancel_cutoff() -> timedelta:
    """How long before a session a patient's cancellation stops being on time (24 h unless
    SCHEDULING_CANCEL_CUTOFF_HOURS says otherwise)."""
    return timedelta(hours=settings.SCHEDULING_CANCEL_CUTOFF_HOURS)


def availability_settings_for(*, therapist: TherapistProfile) -> AvailabilitySettings:
    """The therapist's settings, or the defaults (unsaved) when they never changed them."""
    found = AvailabilitySettings.objects.filter(therapist=therapist).first()
    return found or AvailabilitySettings(therapist=therapist)


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
    busy = ()
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


def appointment_get_for_user(*, user: User, pk: int) -> Appointment:
    """One appointment this user may see, or 404."""
    return get_object_or_404(
        appointments_for_user(user=user).select_related("therapist__user", "patient"), pk=pk
    )


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


def appointment_options(*, appointment: Appointment, user: User, now: datetime) -> dict:
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


# --- The practitioner dashboard and the patient home ---------------------------------------------


def next_sessions_by_patient(
    *, therapist: TherapistProfile, now: datetime
) -> dict[int, Appointment]:
    """Each patient's next session with this therapist (booked, not over yet): one query."""
    upcoming = Appointment.objects.filter(
        therapist=therapist, status=Appointment.Status.BOOKED, ends_at__gt=now
    ).order_by("-starts_at")
    # Latest first, so the soonest of each patient is written last.
    return {appointment.patient_id: appointment for appointment in upcoming}


def therapist_week_sessions(
    *, therapist: TherapistProfile, now: datetime, zone
) -> dict[str, list[Appointment]]:
    """The therapist's booked sessions not over yet, today and in the rest of this week (to
    Sunday night in ``zone``), soonest first, with each patient's nickname: one query."""
    local = now.astimezone(zone)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    next_week = datetime.combine(
        local.date() + timedelta(days=7 - local.weekday()), datetime.min.time(), zone
    )
    sessions = list(
        Appointment.objects.filter(
            therapist=therapist,
            status=Appointment.Status.BOOKED,
            ends_at__gt=now,
            starts_at__lt=next_week,
        )
        .select_related("patient__patient_profile")
        .order_by("starts_at")
    )
    return {
        "today": [s for s in sessions if s.starts_at < tomorrow],
        "this_week": [s for s in sessions if s.starts_at >= tomorrow],
    }


def next_session_for_patient(*, patient: User, now: datetime) -> Appointment | None:
    """The patient's next session (booked, not over yet), with their therapist: one query."""
    return (
        Appointment.objects.filter(
            patient=patient, status=Appointment.Status.BOOKED, ends_at__gt=now
        )
        .select_related("therapist")
        .order_by("starts_at")
        .first()
    )
