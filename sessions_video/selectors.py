from datetime import datetime, timedelta

from django.conf import settings
from django.shortcuts import get_object_or_404

from accounts.models import User
from messaging.models import Message
from messaging.services import message_body
from scheduling.models import Appointment
from scheduling.selectors import appointments_for_user
from sessions_video.models import Attendance, Room


def room_get_for_user(*, user: User, token: str) -> Room:
    """The room of a booked appointment of this user (its patient, or its approved therapist),
    or 404: the same answer for a stranger, a cancelled session and a token that never was."""
    booked = appointments_for_user(user=user).filter(status=Appointment.Status.BOOKED)
    return get_object_or_404(
        Room.objects.select_related(
            "appointment__therapist__user", "appointment__patient__patient_profile"
        ).filter(appointment__in=booked),
        token=token,
    )


def appointment_room_opens_at(appointment: Appointment) -> datetime:
    return appointment.starts_at - timedelta(minutes=settings.SESSION_ROOM_OPENS_MINUTES_BEFORE)


def appointment_room_closes_at(appointment: Appointment) -> datetime:
    return appointment.ends_at + timedelta(minutes=settings.SESSION_ROOM_CLOSES_MINUTES_AFTER)


def room_opens_at(room: Room) -> datetime:
    return appointment_room_opens_at(room.appointment)


def room_closes_at(room: Room) -> datetime:
    return appointment_room_closes_at(room.appointment)


def room_is_open(room: Room, now: datetime) -> bool:
    """From SESSION_ROOM_OPENS_MINUTES_BEFORE before the start until
    SESSION_ROOM_CLOSES_MINUTES_AFTER after the end (excluded)."""
    return room_opens_at(room) <= now < room_closes_at(room)


def room_other_party_presence(*, room_id: int, user_id: int) -> int | None:
    """The open attendance of the other party in the room now (its id tells one connection of
    theirs from the next), or None when they are not here."""
    return (
        Attendance.objects.filter(room_id=room_id, left_at__isnull=True)
        .exclude(user_id=user_id)
        .values_list("pk", flat=True)
        .first()
    )


def room_chat_lines(*, room: Room, user: User) -> list[dict]:
    """What was said in this room's live chat so far, oldest first, for ``user`` (one of the
    two parties): ``id`` (the sender's client id), ``text``, ``at``, ``mine``."""
    messages = Message.objects.filter(
        conversation__match_id=room.appointment.match_id,
        live_session=True,
        created_at__gte=room_opens_at(room),
        created_at__lt=room_closes_at(room),
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
    window_over = now - timedelta(minutes=settings.SESSION_ROOM_CLOSES_MINUTES_AFTER)
    return list(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            ends_at__lte=window_over,
            ends_at__gt=window_over - timedelta(days=7),
        )
        .exclude(room__closed_at__isnull=False)
        .values_list("pk", flat=True)
    )


def appointment_room_state(appointment: Appointment, now: datetime) -> str:
    """Where the session's room stands for a "Join the session" button: ``open`` (its parties
    may enter now), ``later`` (booked, not open yet) or ``""`` (cancelled, or closed)."""
    if not appointment.is_booked:
        return ""
    if now < appointment_room_opens_at(appointment):
        return "later"
    return "open" if now < appointment_room_closes_at(appointment) else ""
