"""The events socket never crashes on what a client sends (issue 15): each frame that once
crashed a socket, and any frame Hypothesis makes, is answered with its 4xxx close code or
ignored; never a crash (1011, or 4500 and a logged failure), and the user's next socket opens
at once."""

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, settings

from core.realtime import CLOSE_INVALID_FRAME, CLOSE_MESSAGE_TOO_BIG, CLOSE_UNSUPPORTED_DATA
from tests.factories import PatientFactory
from tests.helpers import client_for
from tests.sockets import (
    BAD_FRAMES,
    frames,
    no_handler_failed,
    open_socket,
    outcome,
    pong,
    send_frame,
    socket,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

BAD_FRAME_CODES = {CLOSE_INVALID_FRAME, CLOSE_MESSAGE_TOO_BIG, CLOSE_UNSUPPORTED_DATA}


@pytest.fixture
def patient_client(transactional_db):
    return client_for(PatientFactory())


@pytest.mark.parametrize("name", sorted(BAD_FRAMES))
async def test_a_bad_frame_is_answered_and_the_user_reconnects_at_once(name, caplog):
    frame, code = BAD_FRAMES[name]
    client, communicator = await open_socket(await database_sync_to_async(PatientFactory)())

    await send_frame(communicator, frame)

    closed = await outcome(communicator)
    assert closed == (None if code is None else {"type": "websocket.close", "code": code})
    again = await socket(client)
    assert (await again.connect())[0]
    assert await pong(again)
    for each in (communicator, again):
        await each.disconnect()
    assert no_handler_failed(caplog)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames())
async def test_no_frame_crashes_the_socket(patient_client, caplog, frame):
    communicator = await socket(patient_client)
    assert (await communicator.connect())[0]

    await send_frame(communicator, frame)

    closed = await outcome(communicator)
    assert closed is None or closed["code"] in BAD_FRAME_CODES
    await communicator.disconnect()
    assert no_handler_failed(caplog)
