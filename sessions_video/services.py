from datetime import datetime

from django.db import IntegrityError, transaction

from accounts.models import User
from scheduling.models import Appointment
from sessions_video.models import Attendance, Room

# One socket per participant, so two per room.
ROOM_CAPACITY = 2


def room_for(*, appointment: Appointment) -> Room:
    """The appointment's room, made on first use (safe when two requests make it at once)."""
    room, _created = Room.objects.get_or_create(appointment=appointment)
    return room


@transaction.atomic
def room_join(*, room: Room, user: User, now: datetime) -> Attendance | None:
    """Record that ``user`` connected to the room, or None when they may not take a place now:
    they are already connected elsewhere, or the room already has its two connections.

    The caller has checked that ``user`` is one of the two parties and that the room is open.
    The room's row lock makes concurrent joins (from any daphne process) count one by one.
    """
    locked = Room.objects.select_for_update().get(pk=room.pk)
    attending = list(
        Attendance.objects.filter(room=locked, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    if user.pk in attending or len(attending) >= ROOM_CAPACITY:
        return None
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(room=locked, user=user, joined_at=now)
    except IntegrityError:  # the unique constraint's word, should the lock ever be bypassed
        return None
    changed = []
    appointment = locked.appointment
    both = {appointment.patient_id, appointment.therapist_id} <= {*attending, user.pk}
    if both and locked.started_at is None:
        locked.started_at = now
        changed.append("started_at")
    if locked.ended_at is not None:  # someone came back
        locked.ended_at = None
        changed.append("ended_at")
    if changed:
        locked.save(update_fields=changed)
    room.started_at, room.ended_at = locked.started_at, locked.ended_at
    return attendance


@transaction.atomic
def room_leave(*, room: Room, user: User, now: datetime) -> None:
    """Record that ``user``'s connection closed; when the room empties after the session started,
    that is when it ended."""
    locked = Room.objects.select_for_update().get(pk=room.pk)
    Attendance.objects.filter(room=locked, user=user, left_at__isnull=True).update(left_at=now)
    empty = not Attendance.objects.filter(room=locked, left_at__isnull=True).exists()
    if empty and locked.started_at is not None:
        locked.ended_at = now
        locked.save(update_fields=["ended_at"])
    room.ended_at = locked.ended_at
