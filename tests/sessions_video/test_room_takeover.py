"""A place in a room whose process died is taken over (issue 15): a daphne process that
crashed never gave back its sockets' places, which kept their users out (4409) until the window
ended. Each socket confirms its place every ROOM_HEARTBEAT_SECONDS; one not confirmed for
ROOM_ATTENDANCE_STALE_SECONDS is taken over by the next to join, and the other party hears that
the ghost left."""

import asyncio
import threading
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from core.realtime import CLOSE_ROOM_FULL
from sessions_video import services
from sessions_video.models import Attendance
from tests.factories.sessions_video import DURING, a_room
from tests.sockets import (
    assert_closed_with,
    both_in,
    open_socket,
    path,
    peer,
    presence,
    received,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clock"),
]

STALE = timedelta(seconds=settings.ROOM_ATTENDANCE_STALE_SECONDS)


@database_sync_to_async
def ghost(room, user, last_seen_at):
    """An open place left by a process that died: nobody's socket holds it."""
    return Attendance.objects.create(
        room=room, user=user, joined_at=last_seen_at, last_seen_at=last_seen_at
    ).pk


@database_sync_to_async
def left_at(attendance_id):
    return Attendance.objects.get(pk=attendance_id).left_at


@pytest.mark.asyncio
async def test_a_place_gone_quiet_is_taken_over_and_the_other_party_sees_the_ghost_leave():
    patient, therapist, room = await database_sync_to_async(a_room)()
    _, therapist_socket = await open_socket(therapist, path(room))
    last_seen = DURING - STALE - timedelta(seconds=1)
    haunted = await ghost(room, patient, last_seen)

    _, patient_socket = await open_socket(patient, path(room))  # accepted: not 4409

    new = await presence(room, patient)
    assert new != haunted
    assert await received(therapist_socket) == peer("left", haunted)
    assert await received(therapist_socket) == peer("joined", new)
    assert await received(patient_socket) == peer("joined", await presence(room, therapist))
    assert await left_at(haunted) == last_seen  # gone when last confirmed
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_a_place_confirmed_recently_is_not_taken():
    patient, _therapist, room = await database_sync_to_async(a_room)()
    held = await ghost(room, patient, DURING - STALE + timedelta(seconds=1))

    _, refused = await open_socket(patient, path(room))

    await assert_closed_with(refused, CLOSE_ROOM_FULL)
    assert await left_at(held) is None


@pytest.mark.asyncio
async def test_a_living_socket_whose_place_was_taken_closes_itself():
    """Its process was only stuck (a blocked event loop) long enough to miss its heartbeats:
    once it hears the new socket took its place, it is not in the room any more."""
    patient, therapist, room = await database_sync_to_async(a_room)()
    _, first = await open_socket(patient, path(room))
    _, therapist_socket = await open_socket(therapist, path(room))
    first_presence = await presence(room, patient)
    assert await received(first) == peer("joined", await presence(room, therapist))
    assert await received(therapist_socket) == peer("joined", first_presence)
    await database_sync_to_async(Attendance.objects.filter(pk=first_presence).update)(
        last_seen_at=DURING - STALE - timedelta(seconds=1)
    )

    _, second = await open_socket(patient, path(room))

    await assert_closed_with(first, CLOSE_ROOM_FULL)
    second_presence = await presence(room, patient)
    assert await received(therapist_socket) == peer("left", first_presence)
    assert await received(therapist_socket) == peer("joined", second_presence)
    # It gives back nothing more: the place it held was ended by the one who took it.
    assert await therapist_socket.receive_nothing()
    assert await left_at(second_presence) is None
    for socket in (second, therapist_socket):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_the_places_of_a_process_are_confirmed_together(clock, settings, monkeypatch):
    settings.ROOM_HEARTBEAT_SECONDS = 0.05  # the beat's own pace, on the real clock
    later = DURING + timedelta(minutes=1)
    beats: list[list[int]] = []
    beaten = threading.Event()
    confirm = services.attendances_confirm

    def confirmed(**kwargs):
        gone = confirm(**kwargs)
        if kwargs["now"] == later:  # a beat begun before the clock moved does not count
            beats.append(sorted(kwargs["attendance_ids"]))
            beaten.set()
        return gone

    monkeypatch.setattr(services, "attendances_confirm", confirmed)
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    clock.move_to(later)

    assert await asyncio.to_thread(beaten.wait, 5)

    both = sorted([await presence(room, patient), await presence(room, therapist)])
    assert beats[-1] == both  # one query for the two sockets
    seen = await database_sync_to_async(list)(
        Attendance.objects.filter(room=room).values_list("last_seen_at", flat=True)
    )
    assert seen == [later] * 2
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_a_socket_whose_place_the_sweep_ended_is_told_at_the_next_beat(settings):
    settings.ROOM_HEARTBEAT_SECONDS = 0.05
    patient, _therapist, room = await database_sync_to_async(a_room)()
    _, socket = await open_socket(patient, path(room))

    await database_sync_to_async(Attendance.objects.filter(room=room).update)(left_at=DURING)

    await assert_closed_with(socket, CLOSE_ROOM_FULL)
    await socket.disconnect()


def test_confirming_a_place_taken_over_says_so():
    patient, therapist, room = a_room()
    place = services.room_join(room=room, user=patient, now=DURING)
    other = services.room_join(room=room, user=therapist, now=DURING)
    assert place is not None
    assert other is not None
    attendance = place.attendance.pk
    later = DURING + STALE + timedelta(seconds=1)
    both = [attendance, other.attendance.pk]

    assert services.attendances_confirm(attendance_ids=both, now=DURING) == []
    Attendance.objects.filter(pk=other.attendance.pk).update(last_seen_at=later)
    taken = services.room_join(
        room=room, user=patient, now=later, stale_before=services.attendance_stale_before(now=later)
    )

    assert taken is not None
    assert taken.taken_over == [attendance]  # the therapist's, confirmed, stays
    assert services.attendances_confirm(attendance_ids=both, now=later) == [attendance]


def test_without_stale_before_nothing_is_taken_over():
    """Records of the past (the demo's sessions) join at times long gone: no heartbeat there."""
    patient, therapist, room = a_room()
    services.room_join(room=room, user=patient, now=DURING)

    place = services.room_join(room=room, user=therapist, now=DURING + timedelta(hours=1))

    assert place is not None
    assert place.taken_over == []
    room.refresh_from_db()
    assert room.started_at == DURING + timedelta(hours=1)  # both there together
