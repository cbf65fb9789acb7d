from datetime import datetime, timedelta

from django.conf import settings
from django.shortcuts import get_object_or_404

from accounts.models import User
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


def room_opens_at(room: Room) -> datetime:
    return room.appointment.starts_at - timedelta(
        minutes=settings.SESSION_ROOM_OPENS_MINUTES_BEFORE
    )


def room_closes_at(room: Room) -> datetime:
    return room.appointment.ends_at + timedelta(minutes=settings.SESSION_ROOM_CLOSES_MINUTES_AFTER)


def room_is_open(room: Room, now: datetime) -> bool:
    """From SESSION_ROOM_OPENS_MINUTES_BEFORE before the start until
    SESSION_ROOM_CLOSES_MINUTES_AFTER after the end (excluded)."""
    return room_opens_at(room) <= now < room_closes_at(room)


def room_other_party_present(*, room_id: int, user_id: int) -> bool:
    """Whether someone other than this user is connected to the room now."""
    return (
        Attendance.objects.filter(room_id=room_id, left_at__isnull=True)
        .exclude(user_id=user_id)
        .exists()
    )


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


def appointment_room_reachable(appointment: Appointment, now: datetime) -> bool:
    """Whether a "Join the session" link still leads somewhere: the session is booked and its
    room has not closed (before it opens, the room page says when it will)."""
    closes_at = appointment.ends_at + timedelta(minutes=settings.SESSION_ROOM_CLOSES_MINUTES_AFTER)
    return appointment.is_booked and now < closes_at
