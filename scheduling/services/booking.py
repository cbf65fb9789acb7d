"""Booking, cancelling and moving appointments.

Errors, the same everywhere in this module:

- ``PermissionDenied``: *who* may not do this. A patient books only with their current
  therapist (an active match) while that therapist is approved; only the appointment's patient
  and therapist cancel or move it.
- ``ValidationError`` keyed by form field (``starts_at``, ``modality``, ``reason``) with a code:
  *what* was asked cannot be done (a modality not offered, a time outside the policy ...).
- ``SlotTaken`` (a ``ValidationError``): the time overlaps another booked appointment of the
  therapist or of the patient. Nothing is written then.

No two booked appointments overlap: each write locks the patient's match and the therapist's
row, then checks in Python, inside one transaction (on SQLite the immediate transaction mode
serialises writers anyway); on PostgreSQL the exclusion constraints also refuse an overlap
whatever path the row takes, and their violation becomes ``SlotTaken`` too.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.choices import Modality
from accounts.models import TherapistProfile, User
from accounts.selectors import approved_therapist_profile, therapists_visible_to_patients
from core import crypto
from core.errors import field_error
from matching.models import Match
from scheduling import selectors, signals, slots
from scheduling.models import SLOT_GRID_MINUTES, Appointment, AvailabilitySettings
from scheduling.services.notices import appointment_notices_send

# PostgreSQL's SQLSTATEs.
EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"


class SlotTaken(ValidationError):
    """The time overlaps a booked appointment of the therapist or of the patient."""

    def __init__(self):
        super().__init__(_("This time was just taken."), code="taken")


def _changed(appointment_id: int, change: str) -> None:
    """Both sides' emails (with the calendar file) written to the outbox in this transaction,
    so they go out with the change or not at all; then the domain event, after commit."""
    appointment_notices_send(appointment_id=appointment_id, change=change)
    signals.announce(appointment_id, change)


# --- Booking -----------------------------------------------------------------------------------


@transaction.atomic
def appointment_book(
    *,
    patient: User,
    starts_at: datetime,
    modality: str,
    therapist: TherapistProfile | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book a session of the therapist's length at ``starts_at`` with the patient's current
    therapist.

    ``therapist``, when given, is the therapist whose calendar the patient booked from: should
    it no longer be their therapist (they changed in another tab), nothing is booked.
    """
    now = now or timezone.now()
    match = _active_match_locked(patient=patient)
    if therapist is not None and therapist.pk != match.therapist_id:
        raise PermissionDenied("not the patient's current therapist")
    profile = _approved_therapist_locked(therapist_id=match.therapist_id)
    if modality not in Modality.values or modality not in profile.modalities:
        raise field_error(
            "modality", _("This therapist does not offer sessions this way."), "modality"
        )
    availability = selectors.availability_settings_for(therapist=profile)
    _ensure_slot_is_offered(
        therapist=profile, availability=availability, starts_at=starts_at, now=now
    )
    appointment = Appointment(
        match=match,
        therapist=profile,
        patient=patient,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=availability.session_minutes),
        modality=modality,
        created_at=now,
    )
    _save_unless_taken(appointment, buffer_minutes=availability.buffer_minutes)
    _changed(appointment.pk, signals.BOOKED)
    return appointment


def _active_match_locked(*, patient: User) -> Match:
    """The patient's active match, locked: a change of therapist committing meanwhile waits for
    this transaction, or this one sees the match ended (``matching.services.match_switch``
    locks the same row), so no appointment outlives its match unnoticed."""
    match = (
        Match.objects.select_for_update(no_key=True)
        .filter(patient=patient, status=Match.Status.ACTIVE)
        .first()
    )
    if match is None:
        raise PermissionDenied("no current therapist")
    return match


def _approved_therapist_locked(*, therapist_id: int) -> TherapistProfile:
    """The therapist, if they may reach patients now, with their row locked: every booking
    with one therapist waits for the one before, so the overlap check sees it."""
    profile = (
        TherapistProfile.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user")
        .filter(pk=therapist_id)
        .first()
    )
    if profile is None or approved_therapist_profile(user=profile.user) is None:
        raise PermissionDenied("therapist not approved")
    return profile


def _ensure_slot_is_offered(
    *,
    therapist: TherapistProfile,
    availability: AvailabilitySettings,
    starts_at: datetime,
    now: datetime,
) -> None:
    """Refuse a start the therapist's calendar does not offer: off the slot grid, within the
    minimum notice, beyond the horizon, or not a slot of their availability windows outside
    their time off (``scheduling.slots``). Booked sessions are left out here: a time another
    booking holds is ``SlotTaken`` (checked under the lock), not "not offered"."""
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be aware")
    local = starts_at.astimezone(ZoneInfo(therapist.user.time_zone))
    if local.second or local.microsecond or local.minute % SLOT_GRID_MINUTES:
        raise field_error("starts_at", _("Sessions start at the times shown."), "misaligned")
    if starts_at < now + timedelta(hours=availability.notice_hours):
        raise field_error(
            "starts_at",
            ngettext_lazy(
                "Sessions are booked at least %(hours)s hour ahead.",
                "Sessions are booked at least %(hours)s hours ahead.",
                "hours",
            ),
            "notice",
            {"hours": availability.notice_hours},
        )
    if starts_at > now + timedelta(weeks=availability.horizon_weeks):
        raise field_error(
            "starts_at",
            ngettext_lazy(
                "Sessions are booked at most %(weeks)s week ahead.",
                "Sessions are booked at most %(weeks)s weeks ahead.",
                "weeks",
            ),
            "horizon",
            {"weeks": availability.horizon_weeks},
        )
    _ensure_in_availability(therapist=therapist, starts_at=starts_at, now=now)


def _ensure_in_availability(*, therapist: TherapistProfile, starts_at: datetime, now: datetime):
    """Refuse a start that is not a slot of the therapist's windows, outside their time off."""
    calendar = selectors.therapist_calendar(therapist=therapist, now=now, with_busy=False)
    offered = slots.free_slots(
        calendar, now=now, start=starts_at, end=starts_at + timedelta(microseconds=1)
    )
    if starts_at not in offered:
        raise field_error("starts_at", _("Your therapist does not offer this time."), "not_offered")


def _save_unless_taken(appointment: Appointment, *, buffer_minutes: int) -> None:
    """Save (insert or update) the booked appointment, or raise ``SlotTaken`` if its time
    overlaps another booked appointment of its patient, or comes within the therapist's break
    (``buffer_minutes``) of one of theirs.

    The caller holds the therapist's row lock, so the Python check is exact for the therapist;
    on PostgreSQL the exclusion constraints cover whatever it could miss.
    """
    overlapping = selectors.appointments_overlapping(
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        therapist_id=appointment.therapist_id,
        patient_id=appointment.patient_id,
        exclude_pk=appointment.pk,
        buffer=timedelta(minutes=buffer_minutes),
    )
    if overlapping.exists():
        raise SlotTaken()
    try:
        with transaction.atomic():  # a savepoint: the outer transaction stays usable
            appointment.save()
    except (IntegrityError, OperationalError) as error:
        if _lost_to_an_overlap(error):
            raise SlotTaken() from error
        raise


def _lost_to_an_overlap(error: Exception) -> bool:
    """Whether PostgreSQL refused the row for overlapping another booked appointment.

    Either plainly (exclusion_violation), or, when overlapping rows are written at the same
    moment, by choosing this transaction as the victim of a deadlock while checking the
    exclusion constraint: each insert waits for the other to finish before it can decide. The
    locks taken above keep bookings through this module out of that case.
    """
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate == EXCLUSION_VIOLATION:
        return True
    context = getattr(getattr(cause, "diag", None), "context", None) or ""
    return sqlstate == DEADLOCK_DETECTED and "exclusion constraint" in context


# --- Cancelling --------------------------------------------------------------------------------


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, by: User, reason: str = "", now: datetime | None = None
) -> Appointment:
    """Cancel a booked appointment that has not started, for its patient or its therapist.

    A patient may always cancel; less than the cut-off (``selectors.cancel_cutoff()``, 24 h by
    default) before the start, the cancellation is late. A therapist must give a reason, which
    the patient will read. Cancelling an appointment already cancelled changes nothing.
    """
    now = now or timezone.now()
    appointment = _appointment_locked(appointment)
    by_patient = _party(appointment, by)
    if not appointment.is_booked:
        return appointment
    if appointment.starts_at <= now:
        raise ValidationError(_("This session has already started."), code="started")
    reason = reason.strip()
    if not by_patient and not reason:
        raise field_error("reason", _("Tell your patient why you cancel this session."), "required")
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by = by
    appointment.cancel_reason = ""
    appointment.cancel_reason_encrypted = (
        crypto.encrypt_text_for(appointment.patient_id, reason) if reason else ""
    )
    appointment.late_cancellation = by_patient and (
        appointment.starts_at - now < selectors.cancel_cutoff()
    )
    appointment.sequence += 1
    appointment.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "cancel_reason_encrypted",
            "late_cancellation",
            "sequence",
        ]
    )
    _changed(appointment.pk, signals.CANCELLED)
    return appointment


def appointments_cancel_for_ended_match(*, match_id: int, now: datetime | None = None) -> int:
    """Cancel the match's sessions to come, with notice to both sides; nobody cancelled them
    and none is late. A session in progress (its room already open, and not ended) is never
    cancelled: the two may be in it (``selectors.appointments_to_cancel_for_ended_match``).
    Idempotent; returns how many it cancelled."""
    now = now or timezone.now()
    return _cancel(
        selectors.appointments_to_cancel_for_ended_match(match_id=match_id, now=now),
        Appointment.MATCH_ENDED,
        now=now,
    )


def appointments_cancel_for_unavailable_therapist(
    *, therapist_id: int, now: datetime | None = None
) -> int:
    """Cancel the sessions to come of a therapist who may no longer hold them (suspended, or
    otherwise no longer approved). Idempotent; returns how many it cancelled. Decided on the
    therapist's status now, not the event's: the events of a status that changed more than
    once in one transaction arrive after it commits (an application submitted then approved
    must not cancel what was booked with the approved therapist)."""
    now = now or timezone.now()
    if therapists_visible_to_patients().filter(pk=therapist_id).exists():
        return 0
    return _cancel(
        Appointment.objects.filter(
            therapist_id=therapist_id, status=Appointment.Status.BOOKED, starts_at__gt=now
        ),
        Appointment.THERAPIST_UNAVAILABLE,
        now=now,
    )


def appointments_cancel_for_leaving_patient(*, patient_id: int, now: datetime | None = None) -> int:
    """Cancel the sessions to come of a patient who asked to delete their account, with notice
    to their therapist (the patient is emailed nothing more). A session under way is left to
    end. Idempotent; returns how many it cancelled."""
    now = now or timezone.now()
    return _cancel(
        Appointment.objects.filter(
            patient_id=patient_id, status=Appointment.Status.BOOKED, starts_at__gt=now
        ),
        Appointment.PATIENT_LEFT,
        now=now,
    )


@transaction.atomic
def _cancel(appointments: QuerySet[Appointment], reason: str, *, now: datetime) -> int:
    """Cancel these booked appointments, for no person: under their row locks, each announced."""
    ids = list(appointments.select_for_update(no_key=True).values_list("pk", flat=True))
    cancelled = Appointment.objects.filter(pk__in=ids, status=Appointment.Status.BOOKED).update(
        status=Appointment.Status.CANCELLED,
        cancelled_at=now,
        cancelled_by=None,
        cancel_reason=reason,
        late_cancellation=False,
        sequence=F("sequence") + 1,
    )
    for pk in ids:
        _changed(pk, signals.CANCELLED)
    return cancelled


def _appointment_locked(appointment: Appointment) -> Appointment:
    """The appointment as it is now in the database, its row locked until the commit."""
    return (
        Appointment.objects.select_for_update(no_key=True)
        .select_related("therapist__user")
        .get(pk=appointment.pk)
    )


def _party(appointment: Appointment, user: User) -> bool:
    """True for the appointment's patient, False for its (still approved) therapist; anyone
    else is refused."""
    if user.pk == appointment.patient_id:
        return True
    if user.pk == appointment.therapist_id and approved_therapist_profile(user=user) is not None:
        return False
    raise PermissionDenied("not a party to this appointment")


# --- Moving ------------------------------------------------------------------------------------


@transaction.atomic
def appointment_reschedule(
    *, appointment: Appointment, starts_at: datetime, by: User, now: datetime | None = None
) -> Appointment:
    """Move a booked appointment that has not started to ``starts_at``, for its patient or its
    therapist, under the booking rules (current match, approved therapist, notice, horizon, no
    overlap except with itself). Same ``uid``, next ``sequence``; the session takes the
    therapist's current session length.

    A patient moves it only before the cancellation cut-off: later, moving would be a late
    cancellation without the name, so they cancel instead.
    """
    now = now or timezone.now()
    by_patient = _party(appointment, by)
    # Locks in the order booking takes them (match, therapist), then the appointment.
    match = _active_match_locked(patient=appointment.patient)
    profile = _approved_therapist_locked(therapist_id=appointment.therapist_id)
    appointment = _appointment_locked(appointment)
    if match.pk != appointment.match_id:
        raise PermissionDenied("the match of this appointment has ended")
    if not appointment.is_booked:
        raise ValidationError(_("This session was cancelled."), code="cancelled")
    if appointment.starts_at <= now:
        raise ValidationError(_("This session has already started."), code="started")
    cutoff = selectors.cancel_cutoff()
    if by_patient and appointment.starts_at - now < cutoff:
        raise ValidationError(
            ngettext_lazy(
                "Less than %(hours)s hour before a session it can no longer be moved; "
                "you can still cancel it.",
                "Less than %(hours)s hours before a session it can no longer be moved; "
                "you can still cancel it.",
                "hours",
            ),
            code="too_late",
            params={"hours": int(cutoff.total_seconds() // 3600)},
        )
    availability = selectors.availability_settings_for(therapist=profile)
    _ensure_slot_is_offered(
        therapist=profile, availability=availability, starts_at=starts_at, now=now
    )
    appointment.starts_at = starts_at
    appointment.ends_at = starts_at + timedelta(minutes=availability.session_minutes)
    appointment.sequence += 1
    _save_unless_taken(appointment, buffer_minutes=availability.buffer_minutes)
    _changed(appointment.pk, signals.RESCHEDULED)
    return appointment
