"""What the couples-session pages read: a session's live invitation, an invitation by its
emailed token (and why it can no longer be used), and the sessions a partner was invited to.

A partner reaches an appointment only through an invitation they accepted that is still live
(``partner_appointments``); none of the other selectors of this app lets them see anything.
"""

import hashlib
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from accounts.models import User
from scheduling.models import Appointment, PartnerInvitation

# Why an invitation's link no longer works, as the invitation page says it.
UNKNOWN, EXPIRED, USED, WITHDRAWN, CANCELLED, OVER = (
    "unknown",
    "expired",
    "used",
    "withdrawn",
    "cancelled",
    "over",
)


def token_digest(token: str) -> str:
    """What is kept of an invitation's token: its SHA-256, as hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def partner_invitation_live(*, appointment_id: int) -> PartnerInvitation | None:
    """The session's invitation that counts (not withdrawn), with its partner, or None."""
    return (
        PartnerInvitation.objects.select_related("partner")
        .filter(appointment_id=appointment_id, withdrawn_at__isnull=True)
        .first()
    )


def partner_invitation_by_token(*, token: str) -> PartnerInvitation | None:
    """The invitation this emailed token names, whatever its state, or None."""
    return (
        PartnerInvitation.objects.select_related(
            "appointment__therapist", "appointment__patient__patient_profile"
        )
        .filter(token_hash=token_digest(token))
        .first()
    )


def partner_invitation_problem(
    *, invitation: PartnerInvitation | None, now: datetime
) -> str | None:
    """Why this invitation's link cannot be used at ``now`` (one of the reasons above), or
    None when it can be accepted."""
    if invitation is None:
        return UNKNOWN
    if invitation.withdrawn_at is not None:
        return WITHDRAWN
    if invitation.accepted_at is not None:
        return USED
    if not invitation.appointment.is_booked:
        return CANCELLED
    if invitation.appointment.ends_at <= now:
        return OVER
    if invitation.expires_at <= now:
        return EXPIRED
    return None


def partner_invitation_is_for(*, invitation: PartnerInvitation, user: User) -> bool:
    """Whether ``user`` may accept this invitation: logged in with the invited address, and not
    the session's own patient or therapist."""
    appointment = invitation.appointment
    return user.email.lower() == invitation.email.lower() and user.pk not in (
        appointment.patient_id,
        appointment.therapist_id,
    )


def partner_invitation_has_account(*, invitation: PartnerInvitation) -> bool:
    """Whether an account already has the invited address (its owner logs in to accept)."""
    return User.objects.filter(email__iexact=invitation.email).exists()


def partner_appointments(*, user: User) -> QuerySet[Appointment]:
    """The appointments ``user`` was invited to as a partner and accepted, while the
    invitation is live (whatever their status: callers filter)."""
    if not user.is_authenticated:
        return Appointment.objects.none()
    accepted = PartnerInvitation.objects.filter(
        appointment=OuterRef("pk"), partner=user, withdrawn_at__isnull=True
    )
    return Appointment.objects.filter(Exists(accepted))


def appointment_get_for_partner(
    *, user: User, pk: int, now: datetime | None = None
) -> Appointment | None:
    """One appointment ``user`` takes part in as a partner, or None (404 for the view)."""
    appointment = (
        partner_appointments(user=user)
        .select_related("therapist__user", "patient__patient_profile")
        .filter(pk=pk)
        .first()
    )
    if appointment is not None and now is not None:
        appointment.room_state = appointment.room_state_at(now)
    return appointment


def with_partner_nicknames(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Each appointment with ``couples`` (it has a live invitation) and ``partner_nickname``
    (the accepted partner's, or None while nobody accepted): for the pages that list sessions,
    in the same query."""
    live = PartnerInvitation.objects.filter(appointment=OuterRef("pk"), withdrawn_at__isnull=True)
    return appointments.annotate(
        couples=Exists(live),
        partner_nickname=Subquery(live.filter(accepted_at__isnull=False).values("nickname")[:1]),
    )


def partner_sessions_for(*, user: User, now: datetime) -> dict[str, list[Appointment]]:
    """The sessions ``user`` was invited to and accepted: those to come (booked, not over),
    soonest first, and the 30 latest others, newest first; each with its ``room_state`` and
    the partner's own ``partner_nickname``."""
    mine = with_partner_nicknames(
        partner_appointments(user=user).select_related("therapist", "patient__patient_profile")
    )
    booked_to_come = mine.filter(status=Appointment.Status.BOOKED, ends_at__gt=now)
    upcoming = list(booked_to_come.order_by("starts_at"))
    earlier = list(mine.exclude(pk__in=[a.pk for a in upcoming]).order_by("-starts_at")[:30])
    for appointment in [*upcoming, *earlier]:
        appointment.room_state = appointment.room_state_at(now)
    return {"upcoming": upcoming, "earlier": earlier}
