"""A conversation page's own socket: the other side's new messages and read receipts arrive as ids,
only to the two parties; outsiders are closed with 4404, and so is a reader who loses access."""

import json
import uuid

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from matching.models import Match
from matching.signals import match_ended
from messaging import services
from teletherapy.realtime import CLOSE_NOT_FOUND
from tests.factories import PatientFactory, TherapistFactory
from tests.teletherapy.test_events_consumer import assert_closed_with, open_socket

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


def path(conversation) -> str:
    return f"/ws/conversations/{conversation.pk}/"


async def test_the_other_side_hears_of_new_messages_and_receipts_as_ids():
    patient, therapist, conversation = await a_conversation()
    _, therapist_page = await open_socket(therapist, path(conversation))
    _, patient_page = await open_socket(patient, path(conversation))
    _, therapist_elsewhere = await open_socket(therapist)

    message = await send(conversation, patient)
    event = json.loads(await therapist_page.receive_from())
    assert event == {
        "kind": "message.new",
        "conversation": conversation.pk,
        "message": message.pk,
        "by": patient.pk,
    }
    # Any other page of the therapist only learns that the unread count changed.
    assert json.loads(await therapist_elsewhere.receive_from()) == {"kind": "messages.unread"}
    assert await patient_page.receive_nothing()  # the sender already sees it

    await read(conversation, therapist)
    receipt = json.loads(await patient_page.receive_from())
    assert receipt == {"kind": "message.read", "conversation": conversation.pk, "by": therapist.pk}
    assert await therapist_page.receive_nothing()
    for socket in (therapist_page, patient_page, therapist_elsewhere):
        await socket.disconnect()


@pytest.mark.parametrize("outsider_factory", [PatientFactory, TherapistFactory])
async def test_an_outsider_is_closed_with_not_found_and_receives_nothing(outsider_factory):
    patient, _therapist, conversation = await a_conversation()
    outsider = await database_sync_to_async(outsider_factory)()
    _, refused = await open_socket(outsider, path(conversation))
    _, outsider_events = await open_socket(outsider)

    await assert_closed_with(refused, CLOSE_NOT_FOUND)
    await send(conversation, patient)

    assert await refused.receive_nothing()
    assert await outsider_events.receive_nothing()
    await outsider_events.disconnect()


async def test_a_conversation_that_does_not_exist_is_not_found():
    _, socket = await open_socket(
        await database_sync_to_async(PatientFactory)(), "/ws/conversations/999999/"
    )

    await assert_closed_with(socket, CLOSE_NOT_FOUND)


async def test_a_therapist_whose_match_ends_is_closed_at_the_next_event_not_sent_it():
    patient, therapist, conversation = await a_conversation()
    await send(conversation, therapist)
    _, therapist_page = await open_socket(therapist, path(conversation))

    @database_sync_to_async
    def end_match():
        Match.objects.filter(pk=conversation.match_id).update(
            status=Match.Status.ENDED, ended_at=timezone.now()
        )
        match_ended.send(sender=Match, match_id=conversation.match_id, reason="switch")

    await end_match()
    await read(conversation, patient)  # the patient still reads the closed conversation

    await assert_closed_with(therapist_page, CLOSE_NOT_FOUND)
