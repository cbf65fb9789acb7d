"""Reads of the session rooms: a user's room, who is in it (and in its waiting room), what was
said in its live chat, and the rooms whose window is over. The window itself is the
appointment's rule (``Appointment.room_opens_at``, ``room_closes_at``, ``room_is_open``)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from accounts.models import User
from messaging.models import Message
from messaging.selectors import message_body
from scheduling.models import Appointment
from scheduling.selectors import (
    appointments_for_user,
    partner_appointments,
    partner_invitation_live,
)
from sessions_video.models import Attendance, Room


def room_get_for_user(*, user: User, token: str) -> Room | None:
    """The room of a booked appointment of this user (its patient, its approved therapist, or
    the partner who accepted the live invitation to a couples session), or None: the same
    answer for a stranger, a cancelled session, a withdrawn partner and a token that never
    was."""
    booked = appointments_for_user(user=user).filter(status=Appointment.Status.BOOKED)
    partnered = partner_appointments(user=user).filter(status=Appointment.Status.BOOKED)
    return (
        Room.objects.select_related(
            "appointment__therapist__user", "appointment__patient__patient_profile"
        )
        .filter(Q(appointment__in=booked) | Q(appointment__in=partnered), token=token)
        .first()
    )


# A participant's part in a room.
THERAPIST, PATIENT, PARTNER = "therapist", "patient", "partner"


def room_role(*, room: Room, user_id: int) -> str:
    """The part ``user_id`` takes in the room (the caller knows they are one of its people)."""
    appointment = room.appointment
    if user_id == appointment.therapist_id:
        return THERAPIST
    return PATIENT if user_id == appointment.patient_id else PARTNER


@dataclass(frozen=True)
class Couples:
    """A couples session's partner, as its room sees them: their account once they accepted
    (None until then), and their nickname."""

    partner_id: int | None
    nickname: str


def room_couples(*, appointment_id: int) -> Couples | None:
    """The couples side of a session (it has a live invitation), or None for a session of two."""
    invitation = partner_invitation_live(appointment_id=appointment_id)
    if invitation is None:
        return None
    return Couples(partner_id=invitation.partner_id, nickname=invitation.nickname)


def room_admitted_roles(*, room: Room) -> list[str]:
    """Who is in the call of a couples room now: the therapist, and each guest let in."""
    roles = [THERAPIST]
    if room.admitted_at is not None:
        roles.append(PATIENT)
    if room.partner_admitted_at is not None:
        roles.append(PARTNER)
    return roles


def room_presences(*, room: Room, user_id: int) -> list[tuple[int, str]]:
    """The open connections of the others in the room now: (attendance id, their role), in
    the order they came."""
    rows = (
        Attendance.objects.filter(room_id=room.pk, left_at__isnull=True)
        .exclude(user_id=user_id)
        .order_by("joined_at", "pk")
        .values_list("pk", "user_id")
    )
    return [(pk, room_role(room=room, user_id=other)) for pk, other in rows]


def room_token_of(*, appointment_id: int) -> str | None:
    """The token of an appointment's room, or None when nobody has opened it yet."""
    tokens = Room.objects.filter(appointment_id=appointment_id).values_list("token", flat=True)
    return tokens.first()


@dataclass(frozen=True)
class WaitingRoom:
    """Where a session's waiting room stands, for the therapist's dashboard."""

    patient_waiting: bool  # the patient is in the room, not let in yet
    admitted: bool
    late_minutes: int | None  # what the therapist said, before letting them in
    partner_waiting: bool = False  # a couples session's partner is in the room, not let in


def waiting_rooms(*, appointment_ids: list[int]) -> dict[int, WaitingRoom]:
    """By appointment id, the waiting room of those whose room was opened: one query."""
    here = Attendance.objects.filter(room=OuterRef("pk"), left_at__isnull=True)
    rooms = (
        Room.objects.filter(appointment_id__in=appointment_ids)
        .annotate(
            patient_here=Exists(here.filter(user_id=OuterRef("appointment__patient_id"))),
            partner_here=Exists(
                here.exclude(user_id=OuterRef("appointment__patient_id")).exclude(
                    user_id=OuterRef("appointment__therapist_id")
                )
            ),
        )
        .values_list(
            "appointment_id",
            "patient_here",
            "partner_here",
            "admitted_at",
            "partner_admitted_at",
            "late_minutes",
        )
    )
    return {
        appointment_id: WaitingRoom(
            patient_waiting=patient_here and admitted_at is None,
            admitted=admitted_at is not None,
            late_minutes=None if admitted_at is not None else late,
            partner_waiting=partner_here and partner_admitted_at is None,
        )
        for appointment_id, patient_here, partner_here, admitted_at, partner_admitted_at, late in (
            rooms
        )
    }


def room_other_party_presence(
    *, room_id: int, user_id: int, party_ids: tuple[int, int] | None = None
) -> int | None:
    """The open attendance of the other party in the room now (its id tells one connection of
    theirs from the next), or None when they are not here. ``party_ids`` (the patient's and
    the therapist's): only theirs count, not a couples session's partner."""
    attendances = Attendance.objects.filter(room_id=room_id, left_at__isnull=True)
    if party_ids is not None:
        attendances = attendances.filter(user_id__in=party_ids)
    return attendances.exclude(user_id=user_id).values_list("pk", flat=True).first()


def room_chat_lines(*, room: Room, user: User) -> list[dict]:
    """What was said in this room's live chat so far, oldest first, for ``user`` (one of the
    two parties): ``id`` (the sender's client id), ``text``, ``at``, ``mine``."""
    appointment = room.appointment
    messages = Message.objects.filter(
        conversation__match_id=appointment.match_id,
        live_session=True,
        created_at__gte=appointment.room_opens_at,
        created_at__lt=appointment.room_closes_at,
    ).order_by("created_at", "pk")
    return [
        {
            "id": str(message.client_id),
            "text": message_body(message),
            "at": message.created_at,
            "mine": message.sender_id == user.pk,
        }
        for message in messages
    ]


def appointments_to_close(*, now: datetime) -> list[int]:
    """Booked appointments whose room window is over (within the last week) and whose room has
    not been closed by the sweep yet."""
    window_over = now - Appointment.room_closes_after()
    return list(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            ends_at__lte=window_over,
            ends_at__gt=window_over - timedelta(days=7),
        )
        .exclude(room__closed_at__isnull=False)
        .values_list("pk", flat=True)
    )


def person_export(*, user: User) -> dict:
    """When ``user`` was in the rooms of their sessions (each connection: joined, left), for
    their own export (GDPR art. 15 and 20); nothing about the other party. JSON-able with
    ``DjangoJSONEncoder``."""
    attendances = Attendance.objects.filter(user=user).select_related("room")
    return {
        "session_rooms": [
            {
                "appointment": attendance.room.appointment_id,
                "joined_at": attendance.joined_at,
                "left_at": attendance.left_at,
            }
            for attendance in attendances.order_by("joined_at", "pk")
        ]
    }
