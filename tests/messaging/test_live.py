"""A conversation page's own socket: the other side's new messages and read receipts arrive as ids,
only to those who may read the conversation; outsiders are closed with 4404, and so is a reader
who loses access. Each party's own events socket hears which conversation changed (for the list
of conversations and the dashboard), as ids and kinds."""

import json
import uuid

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from accounts import services as services_accounts
from accounts.models import TherapistProfile
from core.realtime import CLOSE_NOT_FOUND
from matching.models import Match
from matching.signals import match_ended
from messaging import selectors, services
from tests.factories import PatientFactory, StaffFactory, TherapistFactory
from tests.factories.messaging import ConversationFactory
from tests.sockets import assert_closed_with, open_socket, pong

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def a_conversation():
    conversation = ConversationFactory(
        match__patient=PatientFactory(), match__therapist=TherapistFactory().therapist_profile
    )
    return conversation.patient, conversation.therapist.user, conversation


@database_sync_to_async
def send(conversation, sender):
    return services.message_send(
        conversation=conversation, sender=sender, body="Private words", client_id=uuid.uuid4()
    )


@database_sync_to_async
def read(conversation, reader):
    return services.messages_mark_read(conversation=conversation, reader=reader)


@database_sync_to_async
def suspend(therapist):
    services_accounts.therapist_vetting_decide(
        profile=TherapistProfile.objects.get(user=therapist),
        action="suspend",
        actor=StaffFactory(),
        reason="Complaint under review",
    )


@database_sync_to_async
def end_match(conversation):
    """What a change of therapist does to the old match (matching's part, then its event)."""
    Match.objects.filter(pk=conversation.match_id).update(
        status=Match.Status.ENDED, ended_at=timezone.now()
    )
    match_ended.send(sender=Match, match_id=conversation.match_id, reason="switch")


def path(conversation) -> str:
    return f"/ws/conversations/{conversation.pk}/"


def activity(conversation, what, **ids) -> dict:
    return {
        "kind": "conversation.activity",
        "conversation": conversation.pk,
        "patient": conversation.patient_id,
        "therapist": conversation.therapist_id,
        "what": what,
        **ids,
    }


async def received(socket) -> dict:
    return json.loads(await socket.receive_from())


async def test_the_other_side_hears_of_new_messages_and_receipts_as_ids():
    patient, therapist, conversation = await a_conversation()
    _, therapist_page = await open_socket(therapist, path(conversation))
    _, patient_page = await open_socket(patient, path(conversation))
    _, therapist_elsewhere = await open_socket(therapist)

    message = await send(conversation, patient)
    event = await received(therapist_page)
    assert event == {
        "kind": "message.new",
        "conversation": conversation.pk,
        "message": message.pk,
        "by": patient.pk,
    }
    # Any other page of the therapist learns that the unread count changed, and in which
    # conversation something happened.
    assert await received(therapist_elsewhere) == {"kind": "messages.unread"}
    assert await received(therapist_elsewhere) == activity(
        conversation, "message", message=message.pk, by=patient.pk
    )
    assert await patient_page.receive_nothing()  # the sender already sees it

    await read(conversation, therapist)
    receipt = await received(patient_page)
    assert receipt == {"kind": "message.read", "conversation": conversation.pk, "by": therapist.pk}
    assert await therapist_page.receive_nothing()
    for socket in (therapist_page, patient_page, therapist_elsewhere):
        await socket.disconnect()


async def test_each_partys_own_pages_hear_which_conversation_changed():
    patient, therapist, conversation = await a_conversation()
    _, patient_events = await open_socket(patient)
    _, therapist_events = await open_socket(therapist)
    _, stranger_events = await open_socket(await database_sync_to_async(TherapistFactory)())

    message = await send(conversation, therapist)
    # The sender's own list moves too (last activity, order); the recipient's also counts it.
    assert await received(therapist_events) == activity(
        conversation, "message", message=message.pk, by=therapist.pk
    )
    assert await received(patient_events) == {"kind": "messages.unread"}
    assert await received(patient_events) == activity(
        conversation, "message", message=message.pk, by=therapist.pk
    )

    await read(conversation, patient)
    assert await received(patient_events) == {"kind": "messages.unread"}
    assert await received(patient_events) == activity(conversation, "read", by=patient.pk)
    assert await therapist_events.receive_nothing()  # their list shows nothing of it

    await end_match(conversation)
    for events in (patient_events, therapist_events):
        assert await received(events) == activity(conversation, "closed")

    assert await stranger_events.receive_nothing()
    for socket in (patient_events, therapist_events, stranger_events):
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


async def test_a_former_therapist_keeps_reading_their_closed_conversation_live():
    patient, therapist, conversation = await a_conversation()
    await send(conversation, therapist)
    _, therapist_page = await open_socket(therapist, path(conversation))

    await end_match(conversation)
    await read(conversation, patient)  # the patient still reads the closed conversation

    # Their professional record: the page stays live (a receipt, ids only), and a new socket
    # on it is accepted.
    assert await received(therapist_page) == {
        "kind": "message.read",
        "conversation": conversation.pk,
        "by": patient.pk,
    }
    _, reopened = await open_socket(therapist, path(conversation))
    assert await reopened.receive_nothing()
    for socket in (therapist_page, reopened):
        await socket.disconnect()


async def test_a_suspended_therapist_is_closed_at_once_and_the_patient_stays():
    patient, therapist, conversation = await a_conversation()
    _, therapist_page = await open_socket(therapist, path(conversation))
    _, therapist_events = await open_socket(therapist)
    _, patient_page = await open_socket(patient, path(conversation))

    await suspend(therapist)

    await assert_closed_with(therapist_page, CLOSE_NOT_FOUND)
    # Their events socket stays (they still have an account), and the patient's page too.
    assert await pong(therapist_events)
    assert await pong(patient_page)
    for socket in (therapist_events, patient_page):
        await socket.disconnect()


async def test_a_suspended_former_therapist_is_closed_at_once():
    _patient, therapist, conversation = await a_conversation()
    await send(conversation, therapist)
    _, therapist_page = await open_socket(therapist, path(conversation))
    await end_match(conversation)

    await suspend(therapist)

    await assert_closed_with(therapist_page, CLOSE_NOT_FOUND)


async def test_a_later_therapist_loses_shared_history_when_their_own_match_ends():
    patient, former, earlier = await a_conversation()
    await send(earlier, former)
    await end_match(earlier)
    later = await database_sync_to_async(ConversationFactory)(
        match__patient=patient, match__earlier_history_shared=True
    )
    later_therapist = await database_sync_to_async(lambda: later.therapist.user)()
    _, reading = await open_socket(later_therapist, path(earlier))
    _, their_own = await open_socket(later_therapist, path(later))
    _, patient_reading = await open_socket(patient, path(earlier))
    assert await reading.receive_nothing()  # allowed while their match is active

    await end_match(later)

    # At once, with no message in between: the match's end was sent to the earlier
    # conversation's sockets, which asked again.
    await assert_closed_with(reading, CLOSE_NOT_FOUND)
    assert await pong(their_own)  # their own conversation is their record
    assert await pong(patient_reading)
    for socket in (their_own, patient_reading):
        await socket.disconnect()


async def test_a_match_ending_without_shared_history_asks_no_socket_again():
    _patient, therapist, conversation = await a_conversation()
    _, therapist_page = await open_socket(therapist, path(conversation))

    assert (
        await database_sync_to_async(selectors.conversations_shared_through)(
            match_id=conversation.match_id
        )
        == []
    )
    await end_match(conversation)

    assert await therapist_page.receive_nothing()  # a former therapist keeps their record
    assert await pong(therapist_page)
    await therapist_page.disconnect()
