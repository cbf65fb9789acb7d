import uuid
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from messaging.services import conversation_open, message_body, message_send
from scheduling.models import Appointment
from sessions_video import selectors
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


def room_chat_say(
    *, room: Room, user: User, text: str, client_id: uuid.UUID, now: datetime
) -> dict:
    """Keep a line of the room's live chat in the pair's conversation (encrypted, marked as
    written during the live session), seen at once when the other party is in the room, and
    return it as kept: ``id`` (the client id), ``text``, ``at`` (ISO 8601). Saying the same
    ``client_id`` again (a resend after a reconnection) gives the first one. Refused with a
    ValidationError when the conversation is closed or the text is blank."""
    conversation = conversation_open(match_id=room.appointment.match_id)
    present = selectors.room_other_party_presence(room_id=room.pk, user_id=user.pk)
    message = message_send(
        conversation=conversation,
        sender=user,
        body=text,
        client_id=client_id,
        live_session=True,
        seen_at=now if present is not None else None,
        now=now,
    )
    return {
        "id": str(message.client_id),
        "text": message_body(message),
        "at": message.created_at.isoformat(),
    }


def rooms_close(*, now: datetime | None = None) -> int:
    """Close the rooms whose window is over: end connections left open (a crashed process), set
    when the session ended, and record who never came. Run every minute by Celery beat; each
    room is closed once, under its row lock (rooms another sweep holds are left to it).
    Returns how many rooms were closed."""
    now = now or timezone.now()
    closed = 0
    for appointment_id in selectors.appointments_to_close(now=now):
        appointment = Appointment.objects.get(pk=appointment_id)
        room_for(appointment=appointment)
        with transaction.atomic():
            room = (
                Room.objects.select_for_update(skip_locked=True)
                .filter(appointment_id=appointment_id, closed_at__isnull=True)
                .first()
            )
            if room is None:
                continue
            closes_at = selectors.room_closes_at(room)
            room.attendances.filter(left_at__isnull=True).update(left_at=closes_at)
            came = set(room.attendances.values_list("user_id", flat=True))
            room.patient_no_show = appointment.patient_id not in came
            room.therapist_no_show = appointment.therapist_id not in came
            if room.started_at is not None and room.ended_at is None:
                room.ended_at = closes_at
            room.closed_at = now
            room.save(
                update_fields=["patient_no_show", "therapist_no_show", "ended_at", "closed_at"]
            )
            closed += 1
    return closed
