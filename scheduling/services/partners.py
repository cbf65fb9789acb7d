"""Couples sessions: the patient invites a partner to a booked video or phone session, the
partner accepts (with a new minimal account or the one they have), the patient withdraws the
invitation.

Errors as in ``services.booking``: ``PermissionDenied`` for *who* (only the session's patient
invites and withdraws), ``ValidationError`` keyed by form field with a code for *what*
(``email``: ``invalid``, ``yourself``, ``therapist``, ``chat``, ``started``, ``cancelled``,
``already``; ``InvitationUnusable`` for a link that no longer works). Nothing is written then.

The invitation's email says only that someone invites the reader to an online session, when,
and the link: no name, no word of care (the rule of every email here, ``core.mail``); who
invited them is on the page behind the link. The link's token is shown once, in that email;
only its SHA-256 is kept.
"""

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.choices import Modality
from accounts.models import LegalDocument, User
from accounts.services import partner_register
from core.errors import field_error
from core.mail import Attachment, send_templated_mail, site_link
from scheduling import calendar_files, signals
from scheduling.models import Appointment, PartnerInvitation
from scheduling.selectors.partners import (
    partner_invitation_has_account,
    partner_invitation_is_for,
    partner_invitation_problem,
    token_digest,
)

# An invitation's link works for a week at most, and never after the session's end.
INVITATION_DAYS = 7
NICKNAME_MAX = 40


class InvitationUnusable(Exception):
    """The link's invitation cannot be accepted: ``reason`` is one of
    ``selectors.partners``' reasons (unknown, expired, used, withdrawn, cancelled, over)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _appointment_locked(pk: int) -> Appointment:
    return (
        Appointment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("therapist__user", "patient")
        .get(pk=pk)
    )


@transaction.atomic
def partner_invite(
    *, appointment: Appointment, by: User, email: str, now: datetime | None = None
) -> tuple[PartnerInvitation, str]:
    """Make ``appointment`` a couples session: invite ``email`` to it, emailed a link that
    works once, for ``INVITATION_DAYS`` at most. Returns the invitation and its token (the
    email holds the only other copy). Under the appointment's row lock."""
    now = now or timezone.now()
    appointment = _appointment_locked(appointment.pk)
    if by.pk != appointment.patient_id:
        raise PermissionDenied("only the session's patient invites a partner")
    address = _address(email)
    if not appointment.is_booked:
        raise field_error("email", _("This session was cancelled."), "cancelled")
    if appointment.starts_at <= now:
        raise field_error(
            "email", _("This session has started: a partner can no longer be invited."), "started"
        )
    if appointment.modality not in (Modality.VIDEO, Modality.PHONE):
        raise field_error(
            "email",
            _("Couples sessions are held by video or phone, not by live chat."),
            "chat",
        )
    if address == appointment.patient.email.lower():
        raise field_error("email", _("Invite someone other than yourself."), "yourself")
    if address == appointment.therapist.user.email.lower():
        raise field_error(
            "email", _("Your therapist takes part already: invite your partner."), "therapist"
        )
    if PartnerInvitation.objects.filter(
        appointment=appointment, withdrawn_at__isnull=True
    ).exists():
        raise field_error(
            "email",
            _("Someone is invited to this session already: withdraw that invitation first."),
            "already",
        )
    token = secrets.token_urlsafe(32)
    invitation = PartnerInvitation.objects.create(
        appointment=appointment,
        email=address,
        token_hash=token_digest(token),
        created_at=now,
        expires_at=min(now + timedelta(days=INVITATION_DAYS), appointment.ends_at),
    )
    patient = appointment.patient
    send_templated_mail(
        template="emails/partner_invitation.txt",
        to=[address],
        language=patient.language,
        time_zone=patient.time_zone,
        key=f"partner-invitation:{invitation.pk}",
        context={
            "starts_at": appointment.starts_at,
            "expires_at": invitation.expires_at,
            "time_zone": patient.time_zone,
            "link": site_link("partner_invitation", token),
        },
    )
    return invitation, token


def _address(email: str) -> str:
    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise field_error("email", _("Enter a valid email address."), "invalid") from None
    return address


def _usable_locked(*, token: str, now: datetime) -> PartnerInvitation:
    invitation = (
        PartnerInvitation.objects.select_for_update(of=("self",))
        .select_related("appointment")
        .filter(token_hash=token_digest(token))
        .first()
    )
    problem = partner_invitation_problem(invitation=invitation, now=now)
    if problem is not None:
        raise InvitationUnusable(problem)
    assert invitation is not None
    return invitation


def _nickname(nickname: str) -> str:
    nickname = (nickname or "").strip()
    if not nickname or len(nickname) > NICKNAME_MAX or "\x00" in nickname:
        raise field_error("nickname", _("Choose a nickname of 1 to 40 characters."), "nickname")
    return nickname


@transaction.atomic
def partner_invitation_accept(
    *, token: str, user: User, nickname: str, now: datetime | None = None
) -> PartnerInvitation:
    """``user``, logged in with the invited address, accepts the invitation of ``token`` under
    ``nickname``: the link is spent, the session is theirs to join, and they are emailed its
    calendar file. ``InvitationUnusable`` for a link that no longer works; PermissionDenied
    for anyone but the invited address, and for the session's own patient or therapist."""
    now = now or timezone.now()
    invitation = _usable_locked(token=token, now=now)
    appointment = invitation.appointment
    if not partner_invitation_is_for(invitation=invitation, user=user):
        raise PermissionDenied("not the invited address, or a party to the session already")
    invitation.nickname = _nickname(nickname)
    invitation.accepted_at = now
    invitation.partner = user
    invitation.save(update_fields=["nickname", "accepted_at", "partner"])
    _partner_email(invitation=invitation, partner=user, change=signals.BOOKED)
    signals.announce(appointment.pk, signals.PARTNER_JOINED)
    return invitation


@transaction.atomic
def partner_invitation_accept_new(
    *,
    token: str,
    nickname: str,
    password: str,
    language: str,
    time_zone: str,
    documents: list[LegalDocument],
    now: datetime | None = None,
) -> tuple[PartnerInvitation, User]:
    """Someone without an account accepts the invitation of ``token``: their minimal partner
    account is made with the invited address (verified by the invitation itself), the legal
    versions they ticked, and the invitation accepted, together or not at all. A
    ValidationError on ``email`` when an account already has the address (log in instead)."""
    now = now or timezone.now()
    invitation = _usable_locked(token=token, now=now)
    nickname = _nickname(nickname)
    if partner_invitation_has_account(invitation=invitation):
        raise field_error(
            "email",
            _("An account already uses this address: log in to accept the invitation."),
            "exists",
        )
    user = partner_register(
        email=invitation.email,
        password=password,
        language=language,
        time_zone=time_zone,
        documents=documents,
        now=now,
    )
    return partner_invitation_accept(token=token, user=user, nickname=nickname, now=now), user


@transaction.atomic
def partner_invitation_withdraw(
    *, appointment: Appointment, by: User, now: datetime | None = None
) -> PartnerInvitation | None:
    """The patient withdraws the session's invitation (accepted or not) before the session
    ends: the link stops working, the partner (if they had accepted) is emailed that the
    session left their calendar, and their sockets in the room are closed. None when nobody
    was invited."""
    now = now or timezone.now()
    appointment = _appointment_locked(appointment.pk)
    if by.pk != appointment.patient_id:
        raise PermissionDenied("only the session's patient withdraws an invitation")
    invitation = (
        PartnerInvitation.objects.select_for_update(of=("self",))
        .select_related("partner")
        .filter(appointment=appointment, withdrawn_at__isnull=True)
        .first()
    )
    if invitation is None:
        return None
    if appointment.ends_at <= now:
        raise field_error("email", _("This session is over."), "over")
    invitation.withdrawn_at = now
    invitation.save(update_fields=["withdrawn_at"])
    if invitation.partner is not None and invitation.partner.is_active and appointment.is_booked:
        _partner_email(invitation=invitation, partner=invitation.partner, change="removed")
    signals.announce(appointment.pk, signals.PARTNER_REMOVED)
    return invitation


def _partner_email(*, invitation: PartnerInvitation, partner: User, change: str) -> None:
    """The partner's confirmation (with the calendar file that adds the session) or, once
    removed, the email whose calendar file takes it out of their calendar."""
    appointment = invitation.appointment
    removed = change == "removed"
    method = calendar_files.CANCEL if removed else calendar_files.REQUEST
    with (
        translation.override(partner.language),
        timezone.override(ZoneInfo(partner.time_zone)),
    ):
        ics = calendar_files.appointment_ics(appointment, method=method, viewer=partner)
    send_templated_mail(
        template="emails/partner_removed.txt" if removed else "emails/appointment_booked.txt",
        to=[partner.email],
        language=partner.language,
        time_zone=partner.time_zone,
        key=f"partner-{change}:{invitation.pk}",
        context={
            "starts_at": appointment.starts_at,
            "time_zone": partner.time_zone,
            "link": calendar_files.sessions_link_for(appointment, partner),
        },
        attachments=(
            Attachment("session.ics", ics, f"text/calendar; method={method}; charset=utf-8"),
        ),
    )
