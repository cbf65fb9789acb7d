"""Couples sessions: a partner's account, an invitation to a session (accepted or not), and a
couples session's room at the room tests' fixed time."""

import secrets
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from scheduling.models import Appointment, PartnerInvitation
from scheduling.selectors.partners import token_digest
from sessions_video import services
from tests.factories.accounts import UserFactory
from tests.factories.sessions_video import STARTS_AT, a_room


class PartnerFactory(UserFactory):
    """A partner's minimal account: a verified address, the legal versions accepted."""

    role = User.Role.PARTNER


def invite(
    appointment: Appointment,
    *,
    partner: User | None = None,
    email: str = "",
    nickname: str = "Sam",
    accepted: bool = True,
    expires_at=None,
) -> tuple[PartnerInvitation, str]:
    """An invitation of ``partner`` (or of ``email``) to ``appointment``, written directly (the
    services are tested on their own): accepted by ``partner`` unless ``accepted`` is false.
    Returns it and its token."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = PartnerInvitation.objects.create(
        appointment=appointment,
        email=(partner.email if partner is not None else email) or "sam@example.test",
        token_hash=token_digest(token),
        created_at=min(now, appointment.starts_at - timedelta(days=1)),
        expires_at=expires_at or appointment.ends_at,
        accepted_at=now if accepted else None,
        partner=partner if accepted else None,
        nickname=nickname if accepted else "",
    )
    return invitation, token


def a_couples_room(
    modality="video", admitted=True, starts_at=STARTS_AT, partner_email="sam@example.test"
):
    """A couples session's room: returns (patient, therapist, partner, room). Its patient and
    partner have been let in from the waiting room, unless ``admitted`` is false."""
    patient, therapist, room = a_room(modality=modality, starts_at=starts_at, admitted=False)
    partner = PartnerFactory(email=partner_email)
    invite(room.appointment, partner=partner)
    if admitted:
        room.admitted_at = room.partner_admitted_at = starts_at - timedelta(minutes=5)
        room.save(update_fields=["admitted_at", "partner_admitted_at"])
    services.room_for(appointment=room.appointment)
    return patient, therapist, partner, room
