"""A conversation page's socket never crashes on what a client sends (issue 15): each frame that
once crashed a socket, and any frame Hypothesis makes, is answered with its 4xxx close code or
ignored; never a crash (1011, or 4500 and a logged failure); the reader's next socket opens at
once and the other side's page goes on hearing the conversation."""

import uuid

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, given, settings

from core.realtime import CLOSE_INVALID_FRAME, CLOSE_MESSAGE_TOO_BIG, CLOSE_UNSUPPORTED_DATA
from messaging import services
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.messaging import ConversationFactory
from tests.helpers import client_for
from tests.sockets import (
    BAD_FRAMES,
    frames,
    no_handler_failed,
    open_socket,
    outcome,
    pong,
    received,
    send_frame,
    socket,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

BAD_FRAME_CODES = {CLOSE_INVALID_FRAME, CLOSE_MESSAGE_TOO_BIG, CLOSE_UNSUPPORTED_DATA}


def a_conversation():
    return ConversationFactory(
        match__patient=PatientFactory(), match__therapist=TherapistFactory().therapist_profile
    )


def path(conversation) -> str:
    return f"/ws/conversations/{conversation.pk}/"


@pytest.fixture
def reader(transactional_db):
    """The patient's logged-in client and the conversation's path."""
    conversation = a_conversation()
    return client_for(conversation.patient), path(conversation)


@pytest.mark.parametrize("name", sorted(BAD_FRAMES))
async def test_a_bad_frame_is_answered_and_the_reader_reconnects_at_once(name, caplog):
    frame, code = BAD_FRAMES[name]
    conversation = await database_sync_to_async(a_conversation)()
    patient = await database_sync_to_async(lambda: conversation.patient)()
    therapist = await database_sync_to_async(lambda: conversation.therapist.user)()
    client, patient_page = await open_socket(patient, path(conversation))
    _, therapist_page = await open_socket(therapist, path(conversation))

    await send_frame(patient_page, frame)

    closed = await outcome(patient_page)
    assert closed == (None if code is None else {"type": "websocket.close", "code": code})
    again = await socket(client, path=path(conversation))
    assert (await again.connect())[0]
    assert await pong(again)
    await database_sync_to_async(services.message_send)(
        conversation=conversation, sender=patient, body="Still here", client_id=uuid.uuid4()
    )
    assert (await received(therapist_page))["kind"] == "message.new"
    for each in (patient_page, therapist_page, again):
        await each.disconnect()
    assert no_handler_failed(caplog)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=frames())
async def test_no_frame_crashes_the_socket(reader, caplog, frame):
    client, conversation_path = reader
    communicator = await socket(client, path=conversation_path)
    assert (await communicator.connect())[0]

    await send_frame(communicator, frame)

    closed = await outcome(communicator)
    assert closed is None or closed["code"] in BAD_FRAME_CODES
    await communicator.disconnect()
    assert no_handler_failed(caplog)
