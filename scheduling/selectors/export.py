"""What scheduling holds about a person, for their own export (``teletherapy.exports``, GDPR
art. 15 and 20). JSON-able with ``DjangoJSONEncoder``: times are aware, in UTC.

The rule for session notes (docs/features.md, *Download my data*): a therapist's notes on a
session are the patient's health record, so they are in the **patient's** export, whoever
wrote them (an earlier therapist's too), with their addenda; they are never in the therapist's
own export, which holds their sessions as times and nothing about the patient.
"""

import recurrence

from accounts.models import User
from core import crypto
from scheduling.models import (
    Appointment,
    AvailabilityWindow,
    CalendarFeed,
    PartnerInvitation,
    SessionNote,
    SessionNoteAddendum,
    TimeOff,
)
from scheduling.selectors.availability import availability_settings_for


def person_export(*, user: User) -> dict:
    """A patient's sessions (with whom, when, how, cancelled by whom and why) and the notes
    their therapists wrote about them; a therapist's availability, time off, session settings
    and their sessions as times only (no patient, no reason, no note); anyone's calendar
    feeds (when made and turned off; never the address, which only its owner ever saw); couples
    sessions' invitations, sent or accepted."""
    feeds = CalendarFeed.objects.filter(user=user).order_by("created_at", "pk")
    data: dict = {"calendar_feeds": list(feeds.values("created_at", "revoked_at"))}
    if user.is_patient:
        data |= _patient_export(user)
    elif user.is_therapist:
        data |= _therapist_export(user)
    data |= _couples_export(user)
    return data


def _couples_export(user: User) -> dict:
    """Couples sessions: the partners a patient invited (the address they typed, when, the
    nickname the partner chose), and the sessions this person joined as a partner, as times
    only (nothing about the patient who invited them)."""
    sent = PartnerInvitation.objects.filter(appointment__patient=user).order_by("created_at", "pk")
    joined = PartnerInvitation.objects.filter(partner=user).select_related("appointment")
    data: dict = {}
    if sent.exists():
        data["partners_invited"] = [
            {
                "appointment": invitation.appointment_id,
                "email": invitation.email,
                "invited_at": invitation.created_at,
                "accepted_at": invitation.accepted_at,
                "nickname": invitation.nickname,
                "withdrawn_at": invitation.withdrawn_at,
            }
            for invitation in sent
        ]
    if joined.exists():
        data["sessions_joined_as_partner"] = [
            {
                "starts_at": invitation.appointment.starts_at,
                "ends_at": invitation.appointment.ends_at,
                "status": invitation.appointment.status,
                "nickname": invitation.nickname,
                "accepted_at": invitation.accepted_at,
                "withdrawn_at": invitation.withdrawn_at,
            }
            for invitation in joined.order_by("accepted_at", "pk")
        ]
    return data


def _decrypt(token: str) -> str:
    return crypto.decrypt_text(token)


def _patient_export(user: User) -> dict:
    appointments = Appointment.objects.filter(patient=user).select_related("therapist")
    notes = SessionNote.objects.filter(appointment__patient=user).select_related("therapist")
    addenda: dict[int, list[dict]] = {}
    for addendum in SessionNoteAddendum.objects.filter(note__in=notes).order_by("created_at", "pk"):
        addenda.setdefault(addendum.note_id, []).append(
            {"written_at": addendum.created_at, "text": _decrypt(addendum.body_encrypted)}
        )
    return {
        "appointments": [
            {
                "id": appointment.pk,
                "therapist": appointment.therapist.display_name,
                "starts_at": appointment.starts_at,
                "ends_at": appointment.ends_at,
                "modality": appointment.modality,
                "status": appointment.status,
                "booked_at": appointment.created_at,
                "cancelled_at": appointment.cancelled_at,
                "cancelled_by": _cancelled_by(appointment, user),
                "reason_for_cancelling": appointment.cancel_reason_text,
                "cancelled_late": appointment.late_cancellation,
            }
            for appointment in appointments.order_by("starts_at", "pk")
        ],
        "session_notes": [
            {
                "appointment": note.appointment_id,
                "therapist": note.therapist.display_name,
                "written_at": note.created_at,
                "last_saved_at": note.updated_at,
                "text": _decrypt(note.body_encrypted),
                "addenda": addenda.get(note.pk, []),
            }
            for note in notes.order_by("appointment__starts_at", "pk")
        ],
    }


def _cancelled_by(appointment: Appointment, patient: User) -> str | None:
    if appointment.cancelled_by_id is None:
        return None
    return "you" if appointment.cancelled_by_id == patient.pk else "therapist"


def _therapist_export(user: User) -> dict:
    profile = user.therapist_profile
    settings = availability_settings_for(therapist=profile)
    windows = AvailabilityWindow.objects.filter(therapist=profile).order_by("start_time", "pk")
    time_off = TimeOff.objects.filter(therapist=profile).order_by("first_day", "pk")
    sessions = Appointment.objects.filter(therapist=profile).order_by("starts_at", "pk")
    return {
        "availability": {
            "session_minutes": settings.session_minutes,
            "break_minutes": settings.buffer_minutes,
            "minimum_notice_hours": settings.notice_hours,
            "booking_horizon_weeks": settings.horizon_weeks,
            "weekly_hours": [
                {
                    "repeats": recurrence.serialize(window.rule),
                    "from": window.start_time,
                    "until": window.end_time,
                }
                for window in windows
            ],
            "time_off": list(time_off.values("first_day", "last_day")),
        },
        "sessions": list(
            sessions.values("id", "starts_at", "ends_at", "modality", "status", "cancelled_at")
        ),
    }
