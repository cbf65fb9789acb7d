"""New messages and read receipts reach the other side's open pages, as ids only; nobody else
receives anything."""

import json
import uuid

import pytest
from channels.db import database_sync_to_async

from matching.models import Match
from messaging import services
from tests.factories import PatientFactory, TherapistFactory
from tests.teletherapy.test_events_consumer import open_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def a_conversation():
    therapist = TherapistFactory()
    patient = PatientFactory()
    match = Match.objects.create(patient=patient, therapist=therapist.therapist_profile)
    return patient, therapist, services.conversation_open(match_id=match.pk)


@database_sync_to_async
def send(conversation, sender):
    return services.message_send(
        conversation=conversation, sender=sender, body="Private words", client_id=uuid.uuid4()
    )


@database_sync_to_async
def read(conversation, reader):
    return services.messages_mark_read(conversation=conversation, reader=reader)


async def test_the_other_side_hears_of_new_messages_and_receipts():
    patient, therapist, conversation = await a_conversation()
    outsider = await database_sync_to_async(TherapistFactory)()
    _, therapist_socket = await open_socket(therapist)
    _, patient_socket = await open_socket(patient)
    _, outsider_socket = await open_socket(outsider)

    await send(conversation, patient)
    event = json.loads(await therapist_socket.receive_from())
    assert event == {"kind": "message.new", "conversation": conversation.pk}
    assert "Private" not in json.dumps(event)
    assert await patient_socket.receive_nothing()
    assert await outsider_socket.receive_nothing()

    await read(conversation, therapist)
    receipt = json.loads(await patient_socket.receive_from())
    assert receipt == {"kind": "message.read", "conversation": conversation.pk}
    assert await outsider_socket.receive_nothing()
    for socket in (therapist_socket, patient_socket, outsider_socket):
        await socket.disconnect()
