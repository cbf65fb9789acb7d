"""The room's socket never crashes on what a client sends (issue 15). A binary frame, JSON
nested 30,000 deep, a lone surrogate in a chat line once crashed it with 1011: ``disconnect``
never ran, the place stayed taken and every reconnection got 4409 until the window ended,
while the other party saw a ghost. Now a binary frame closes the socket with 4415 and anything
else malformed is dropped, as the protocol says; a socket closed gives its place back at once,
the other party sees them leave, and the user's next socket is let in."""

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, settings

from core.realtime import CLOSE_UNSUPPORTED_DATA
from sessions_video.models import Attendance
from tests.factories.sessions_video import a_room
from tests.helpers import client_for
from tests.sockets import (
    BAD_FRAMES,
    frames,
    no_handler_failed,
    open_socket,
    outcome,
    path,
    peer,
    presence,
    received,
    send_frame,
    socket,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clock"),
]


@database_sync_to_async
def open_places(room) -> int:
    return Attendance.objects.filter(room=room, left_at__isnull=True).count()


@pytest.fixture
def patient_in_a_room(transactional_db, clock):
    patient, _therapist, room = a_room()
    return client_for(patient), room


@pytest.mark.parametrize("name", sorted(BAD_FRAMES))
async def test_after_a_bad_frame_the_user_is_still_in_or_back_at_once(name, caplog):
    frame, _code_of_a_4_kb_socket = BAD_FRAMES[name]
    patient, therapist, room = await database_sync_to_async(a_room)()
    client, patient_socket = await open_socket(patient, path(room))
    _, therapist_socket = await open_socket(therapist, path(room))
    first = await presence(room, patient)
    assert await received(patient_socket) == peer("joined", await presence(room, therapist))
    assert await received(therapist_socket) == peer("joined", first)

    await send_frame(patient_socket, frame)

    closed = await outcome(patient_socket)
    if "bytes_data" in frame:
        assert closed == {"type": "websocket.close", "code": CLOSE_UNSUPPORTED_DATA}
        assert await received(therapist_socket) == peer("left", first)
        again = await socket(client, path=path(room))
        assert (await again.connect())[0]  # not 4409: the place was given back
        assert (await received(again))["type"] == "admission"
        assert await received(again) == peer("joined", await presence(room, therapist))
        assert await received(therapist_socket) == peer("joined", await presence(room, patient))
        patient_socket = again
    else:
        assert closed is None  # dropped (or, a well-formed chat line, kept and shown)
    # The therapist's socket still works: it answers a ping (after the chat line, if that was
    # kept and shown: the channel layer may deliver it first).
    assert await outcome(therapist_socket) is None
    for each in (patient_socket, therapist_socket):
        await each.disconnect()
    assert await open_places(room) == 0
    assert no_handler_failed(caplog)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames())
async def test_no_frame_crashes_the_socket_and_its_place_is_always_given_back(
    patient_in_a_room, caplog, frame
):
    client, room = patient_in_a_room
    communicator = await socket(client, path=path(room))
    assert (await communicator.connect())[0]  # every time: the last one's place was given back

    await send_frame(communicator, frame)

    closed = await outcome(communicator)
    assert closed is None or closed["code"] == CLOSE_UNSUPPORTED_DATA
    await communicator.disconnect()
    assert await open_places(room) == 0
    assert no_handler_failed(caplog)
