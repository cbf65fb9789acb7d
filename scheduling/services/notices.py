"""Emails to both sides of an appointment when it is booked, moved or cancelled.

Each email is in its recipient's language, gives the time in their own zone, links to their
sessions page and carries the calendar file that adds, moves or removes the event. It names
nobody and says nothing clinical: not who the other side is, not the modality, and never the
reason of a cancellation (a therapist's reason may be clinical; it waits on the sessions page,
behind the log-in).
"""

from zoneinfo import ZoneInfo

from django.utils import timezone, translation

from accounts.models import User
from accounts.selectors import approved_therapist_profile
from core.mail import Attachment, send_templated_mail
from scheduling import calendar_files, signals
from scheduling.models import Appointment
from scheduling.selectors.partners import partner_invitation_live

TEMPLATES = {
    signals.BOOKED: "emails/appointment_booked.txt",
    signals.RESCHEDULED: "emails/appointment_rescheduled.txt",
    signals.CANCELLED: "emails/appointment_cancelled.txt",
}


def appointment_recipients(appointment: Appointment) -> list[User]:
    """Who hears about this appointment: its patient, its therapist while they may reach
    patients (approved), and, for a couples session, the partner who accepted the invitation
    (while it is live); inactive accounts hear nothing."""
    recipients = []
    if appointment.patient.is_active:
        recipients.append(appointment.patient)
    therapist = appointment.therapist.user
    if therapist.is_active and approved_therapist_profile(user=therapist) is not None:
        recipients.append(therapist)
    invitation = partner_invitation_live(appointment_id=appointment.pk)
    if invitation is not None and invitation.partner is not None and invitation.partner.is_active:
        recipients.append(invitation.partner)
    return recipients


def appointment_notices_send(*, appointment_id: int, change: str) -> int:
    """Email the appointment's patient and therapist that it was ``change`` (one of
    ``signals.BOOKED``, ``RESCHEDULED``, ``CANCELLED``); returns how many emails were sent.

    Called after the change committed, from a task. The appointment is read afresh: a booking
    or a move that has been cancelled since is not announced (the cancellation is).
    """
    if change not in TEMPLATES:
        raise ValueError(f"unknown appointment change {change!r}")
    appointment = (
        Appointment.objects.select_related("patient", "therapist__user")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return 0
    cancelled = change == signals.CANCELLED
    if not cancelled and not appointment.is_booked:
        return 0
    method = calendar_files.CANCEL if cancelled else calendar_files.REQUEST
    recipients = appointment_recipients(appointment)
    for recipient in recipients:
        _email(appointment=appointment, recipient=recipient, change=change, method=method)
    return len(recipients)


def _email(*, appointment: Appointment, recipient: User, change: str, method: str) -> None:
    with (
        translation.override(recipient.language),
        timezone.override(ZoneInfo(recipient.time_zone)),
    ):
        ics = calendar_files.appointment_ics(appointment, method=method, viewer=recipient)
    send_templated_mail(
        template=TEMPLATES[change],
        to=[recipient.email],
        language=recipient.language,
        time_zone=recipient.time_zone,
        context={
            "starts_at": appointment.starts_at,
            "time_zone": recipient.time_zone,
            "link": calendar_files.sessions_link_for(appointment, recipient),
            "cancelled_by": _cancelled_by(appointment, recipient),
        },
        attachments=(
            Attachment("session.ics", ics, f"text/calendar; method={method}; charset=utf-8"),
        ),
    )


def _cancelled_by(appointment: Appointment, recipient: User) -> str:
    """Who cancelled, as the recipient should read it: "you", "therapist", "patient", or, when
        nobody did, "match_ended" (the two no longer work together), "therapist_unavailable" or
        "patient_left" (the patient asked to delete their account); "for_partner" for the partner
    of a couples session, who is told only that it was cancelled."""
    if appointment.is_booked:
        return ""
    if recipient.pk not in (appointment.patient_id, appointment.therapist_id):
        return "for_partner"  # whoever cancelled, and why, is not the partner's to read
    if appointment.cancelled_by_id is None:
        if appointment.cancel_reason == Appointment.THERAPIST_UNAVAILABLE:
            return "therapist_unavailable"
        if appointment.cancel_reason == Appointment.PATIENT_LEFT:
            return "patient_left"
        return "match_ended"
    if appointment.cancelled_by_id == recipient.pk:
        return "you"
    if appointment.cancelled_by_id == appointment.therapist_id:
        return "therapist"
    return "patient"
