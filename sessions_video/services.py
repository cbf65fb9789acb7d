"""Every write of the session rooms: a place taken (over, from a connection whose process
died), confirmed and given back, a live chat line kept in the pair's conversation, who may
share their screen, and the sweep that closes rooms whose window is over (and their sockets)."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import realtime
from core.realtime import CLOSE_ROOM_NOT_OPEN
from messaging.selectors import message_body
from messaging.services import conversation_open, message_send
from scheduling.models import Appointment
from sessions_video import selectors
from sessions_video.models import Attendance, Room

# One socket per participant, so two per room; three in a couples session.
ROOM_CAPACITY = 2
COUPLES_ROOM_CAPACITY = 3


def room_group(token: str) -> str:
    """The channel-layer group of a room's sockets: its signalling, chat and revocations. Named
    by a digest of the room's token, which the socket knows before any query (group names
    travel through Redis: never the token itself)."""
    return "room." + hashlib.sha256(token.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class RoomPlace:
    """A place taken in a room: the new connection, and the connections ended to make room
    for it because their process had stopped confirming them (their ids, to say they left)."""

    attendance: Attendance
    taken_over: list[int]


def attendance_stale_before(*, now: datetime) -> datetime:
    """An open connection last confirmed before this belongs to a process that died."""
    return now - timedelta(seconds=settings.ROOM_ATTENDANCE_STALE_SECONDS)


def room_for(*, appointment: Appointment) -> Room:
    """The appointment's room, made on first use (safe when two requests make it at once)."""
    room, _created = Room.objects.get_or_create(appointment=appointment)
    return room


@transaction.atomic
def room_join(
    *,
    room: Room,
    user: User,
    now: datetime,
    stale_before: datetime | None = None,
    capacity: int = ROOM_CAPACITY,
) -> RoomPlace | None:
    """Record that ``user`` connected to the room, or None when they may not take a place now:
    they are already connected elsewhere, or the room already has its ``capacity``
    connections (two; three in a couples session).

    With ``stale_before`` (a live socket passes ``attendance_stale_before``), open connections
    last confirmed before it count as left (when they were last seen): their process died
    without closing them, and would otherwise keep their user out until the window ends.

    The caller has checked that ``user`` is one of the room's people and that it is open.
    The room's row lock makes concurrent joins (from any daphne process) count one by one.
    """
    locked = Room.objects.select_for_update().get(pk=room.pk)
    taken_over: list[int] = []
    if stale_before is not None:
        stale = Attendance.objects.filter(room=locked, left_at__isnull=True).filter(
            Q(last_seen_at__lt=stale_before)
            | Q(last_seen_at__isnull=True, joined_at__lt=stale_before)
        )
        taken_over = list(stale.values_list("pk", flat=True))
        # When last seen (never before joining, whatever the clocks of two processes say).
        stale.update(left_at=Greatest("joined_at", Coalesce("last_seen_at", "joined_at")))
    attending = list(
        Attendance.objects.filter(room=locked, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    if user.pk in attending or len(attending) >= capacity:
        return None
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                room=locked, user=user, joined_at=now, last_seen_at=now
            )
    except IntegrityError:  # the unique constraint's word, should the lock ever be bypassed
        return None
    changed = []
    appointment = locked.appointment
    both = {appointment.patient_id, appointment.therapist_id} <= {*attending, user.pk}
    waiting = locked.has_waiting_room and locked.admitted_at is None
    guest = user.pk != appointment.therapist_id
    if guest and user.pk != appointment.patient_id:  # a couples session's partner
        waiting = locked.has_waiting_room and locked.partner_admitted_at is None
    if guest and waiting:
        # The therapist's pages (the dashboard) show the patient in the waiting room.
        realtime.send_to_users(
            [appointment.therapist_id], {"kind": "room.waiting", "appointment": appointment.pk}
        )
    call_waits = locked.has_waiting_room and locked.admitted_at is None
    if both and not call_waits and locked.started_at is None:
        locked.started_at = now
        changed.append("started_at")
    if locked.ended_at is not None:  # someone came back
        locked.ended_at = None
        changed.append("ended_at")
    if changed:
        locked.save(update_fields=changed)
    room.started_at, room.ended_at = locked.started_at, locked.ended_at
    return RoomPlace(attendance=attendance, taken_over=taken_over)


@transaction.atomic
def room_leave(*, room: Room, user: User, now: datetime, attendance_id: int | None = None) -> None:
    """Record that ``user``'s connection closed (``attendance_id``: that one only, should a later
    one of theirs have taken its place); when the room empties after the session started, that
    is when it ended."""
    locked = Room.objects.select_for_update().get(pk=room.pk)
    leaving = Attendance.objects.filter(room=locked, user=user, left_at__isnull=True)
    if attendance_id is not None:
        leaving = leaving.filter(pk=attendance_id)
    leaving.update(left_at=now)
    appointment = locked.appointment
    admitted = locked.admitted_at
    if user.pk not in (appointment.patient_id, appointment.therapist_id):  # a partner
        admitted = locked.partner_admitted_at
    if user.pk != appointment.therapist_id and locked.has_waiting_room and not admitted:
        realtime.send_to_users(
            [appointment.therapist_id], {"kind": "room.left", "appointment": appointment.pk}
        )
    empty = not Attendance.objects.filter(room=locked, left_at__isnull=True).exists()
    if empty and locked.started_at is not None:
        locked.ended_at = now
        locked.save(update_fields=["ended_at"])
    room.ended_at = locked.ended_at


def attendances_confirm(*, attendance_ids: list[int], now: datetime) -> list[int]:
    """The heartbeat of a process's room sockets: their connections are still there. Returns
    those of ``attendance_ids`` that were ended meanwhile (taken over after going quiet, or
    closed by the sweep): their sockets are not in the room any more."""
    still_open = set(
        Attendance.objects.filter(pk__in=attendance_ids, left_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    Attendance.objects.filter(pk__in=still_open, left_at__isnull=True).update(last_seen_at=now)
    return [pk for pk in attendance_ids if pk not in still_open]


def room_chat_say(
    *, room: Room, user: User, text: str, client_id: uuid.UUID, now: datetime
) -> dict:
    """Keep a line of the room's live chat in the pair's conversation (encrypted, marked as
    written during the live session), seen at once when the other party is in the room, and
    return it as kept: ``id`` (the client id), ``text``, ``at`` (ISO 8601). Saying the same
    ``client_id`` again (a resend after a reconnection) gives the first one. Refused with a
    ValidationError when the conversation is closed or the text is blank."""
    conversation = conversation_open(match_id=room.appointment.match_id)
    parties = (room.appointment.patient_id, room.appointment.therapist_id)
    present = selectors.room_other_party_presence(
        room_id=room.pk, user_id=user.pk, party_ids=parties
    )
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


# Whom the therapist lets in (``room_admit``): the patient, a couples session's partner, both.
ADMIT_WHO = {"patient": ("patient",), "partner": ("partner",), "all": ("patient", "partner")}


@transaction.atomic
def room_admit(*, room: Room, user: User, now: datetime, who: str = "patient") -> list[str]:
    """The therapist lets the patient (``who``: or a couples session's partner, or both:
    ``ADMIT_WHO``) in from the waiting room: the call starts (and counts as started if the
    patient and the therapist are both there). Only the session's therapist may
    (PermissionDenied); letting in twice changes nothing. Returns who is let in (now or
    before) of those asked for."""
    if user.pk != room.appointment.therapist_id:
        raise PermissionDenied
    if who not in ADMIT_WHO:
        raise ValueError(f"nobody to let in as {who!r}")
    locked = Room.objects.select_for_update().get(pk=room.pk)
    roles = list(ADMIT_WHO[who])
    if "partner" in roles and locked.partner_admitted_at is None:
        locked.partner_admitted_at = now
        locked.save(update_fields=["partner_admitted_at"])
    room.partner_admitted_at = locked.partner_admitted_at
    if "patient" not in roles or locked.admitted_at is not None:
        room.admitted_at = locked.admitted_at
        return roles
    locked.admitted_at = now
    changed = ["admitted_at"]
    appointment = locked.appointment
    present = set(
        Attendance.objects.filter(room=locked, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    if {appointment.patient_id, appointment.therapist_id} <= present and not locked.started_at:
        locked.started_at = now
        changed.append("started_at")
    locked.save(update_fields=changed)
    room.admitted_at, room.started_at = locked.admitted_at, locked.started_at
    realtime.send_to_users(
        [appointment.therapist_id], {"kind": "room.admitted", "appointment": appointment.pk}
    )
    return roles


LATE_MINUTES = (5, 10)


@transaction.atomic
def room_late(*, appointment: Appointment, user: User, minutes: int, now: datetime) -> Room:
    """The therapist tells the patient they will be about ``minutes`` late (one of
    ``LATE_MINUTES``): kept on the room, shown live in the waiting room. Only the session's
    therapist (PermissionDenied), while its room is open and the patient has not been let in
    yet (ValidationError otherwise)."""
    if user.pk != appointment.therapist_id:
        raise PermissionDenied
    if minutes not in LATE_MINUTES:
        raise ValidationError(
            {"minutes": _("Choose one of the delays offered.")}, code="invalid_choice"
        )
    if not appointment.is_booked or not appointment.room_is_open(now):
        raise ValidationError(
            {"minutes": _("The room of this session is not open.")}, code="not_open"
        )
    room = room_for(appointment=appointment)
    if room.admitted_at is not None:
        raise ValidationError({"minutes": _("The session has started already.")}, code="started")
    room.late_minutes, room.late_said_at = minutes, now
    room.save(update_fields=["late_minutes", "late_said_at"])
    group = room_group(room.token)
    transaction.on_commit(
        lambda: realtime.send_to_groups([group], {"type": "room.late", "minutes": minutes}),
        robust=True,
    )
    return room


def room_screen_policy_set(*, room: Room, user: User, patient_may_share: bool) -> None:
    """The therapist lets the patient share their screen in this room, or stops letting them.
    Only the session's therapist may; anyone else gets a PermissionDenied."""
    if user.pk != room.appointment.therapist_id:
        raise PermissionDenied
    Room.objects.filter(pk=room.pk).update(patient_may_share_screen=patient_may_share)
    room.patient_may_share_screen = patient_may_share


def rooms_close(*, now: datetime | None = None) -> int:
    """Close the rooms whose window is over: end connections left open (a crashed process), set
    when the session ended, record who never came, and close the room's sockets (4410). Run
    every minute by Celery beat; each room is closed once, under its row lock (rooms another
    sweep holds are left to it). Returns how many rooms were closed."""
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
            closes_at = appointment.room_closes_at
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
            realtime.revoke([room_group(room.token)], code=CLOSE_ROOM_NOT_OPEN)
            closed += 1
    return closed


def patient_attendances_erase(*, patient: User) -> int:
    """A patient's account is erased (``teletherapy.erasure``): when they came into which room
    goes; the rooms of the sessions kept with retained notes stay (when the session started and
    ended, who did not come), the others go with their sessions. Returns how many went."""
    deleted, _by_model = Attendance.objects.filter(user=patient).delete()
    return deleted
