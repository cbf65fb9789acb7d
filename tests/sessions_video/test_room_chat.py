"""The room's live chat: each line is kept, encrypted, in the pair's conversation as the live
session's transcript, then shown on both sides; a resend is one line; a closed conversation,
a blank line or a flood is refused to the sender, and the other side hears nothing."""

import uuid

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.urls import reverse

from messaging.models import Message
from messaging.services import conversation_close, conversation_open
from sessions_video import consumers
from sessions_video.services import room_chat_say
from tests.factories.messaging import MessageFactory
from tests.factories.sessions_video import DURING, STARTS_AT, a_room
from tests.sockets import both_in, open_socket, path, received, send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clock")]


def chat(text: str, client_id: str | None = None) -> dict:
    return {"type": "chat", "id": client_id or str(uuid.uuid4()), "text": text}


@database_sync_to_async
def kept():
    return list(Message.objects.order_by("pk"))


@database_sync_to_async
def raw_bodies() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body_encrypted FROM messaging_message")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.asyncio
async def test_a_line_is_kept_in_the_conversation_then_shown_on_both_sides():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    line = chat("I'm here.\nA bit nervous.")
    await send(patient_socket, line)

    at = DURING.isoformat()
    shown = {"type": "chat", "id": line["id"], "text": line["text"], "at": at}
    assert await received(patient_socket) == {**shown, "mine": True}
    assert await received(therapist_socket) == {**shown, "mine": False}
    [message] = await kept()
    conversation = await database_sync_to_async(conversation_open)(
        match_id=room.appointment.match_id
    )
    assert message.conversation_id == conversation.pk
    assert (message.sender_id, str(message.client_id)) == (patient.pk, line["id"])
    assert message.live_session is True
    assert message.read_at == DURING  # the therapist was in the room and saw it
    assert "nervous" not in (await raw_bodies())[0]
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_a_resend_after_a_reconnection_is_one_line():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    line = chat("Hello")

    for _attempt in range(2):
        await send(patient_socket, line)
        assert (await received(patient_socket))["id"] == line["id"]
        assert (await received(therapist_socket))["id"] == line["id"]

    assert len(await kept()) == 1
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_a_line_said_alone_waits_unread_in_the_conversation():
    patient, _therapist, room = await database_sync_to_async(a_room)()
    _, patient_socket = await open_socket(patient, path(room))

    await send(patient_socket, chat("Running five minutes late, sorry"))

    assert (await received(patient_socket))["mine"] is True
    [message] = await kept()
    assert message.read_at is None  # the therapist sees it with their messages, unread
    await patient_socket.disconnect()


@pytest.mark.asyncio
async def test_a_closed_conversation_refuses_the_line_to_its_sender_only():
    patient, therapist, room = await database_sync_to_async(a_room)()
    await database_sync_to_async(conversation_open)(match_id=room.appointment.match_id)
    await database_sync_to_async(conversation_close)(match_id=room.appointment.match_id)
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    line = chat("Hello")

    await send(patient_socket, line)

    assert await received(patient_socket) == {
        "type": "chat-refused",
        "id": line["id"],
        "reason": "closed",
    }
    assert await therapist_socket.receive_nothing()
    assert await kept() == []
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_a_blank_line_is_refused_as_invalid():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    line = chat(" \n ")

    await send(patient_socket, line)

    assert await received(patient_socket) == {
        "type": "chat-refused",
        "id": line["id"],
        "reason": "invalid",
    }
    assert await therapist_socket.receive_nothing()
    assert await kept() == []
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_lines_sent_too_fast_are_refused_and_not_kept(monkeypatch):
    monkeypatch.setattr(consumers, "CHAT_PER_SECOND", 0.0)  # no refill: exactly the burst
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    lines = [chat(str(number)) for number in range(consumers.CHAT_BURST + 3)]
    for line in lines:
        await send(patient_socket, line)
    answers = [await received(patient_socket) for _line in lines]

    # A refusal is answered at once; a line kept is shown after its write: any order.
    shown = {a["id"] for a in answers if a["type"] == "chat"}
    refused = {a["id"] for a in answers if a["type"] == "chat-refused"}
    assert shown == {line["id"] for line in lines[: consumers.CHAT_BURST]}
    assert refused == {line["id"] for line in lines[consumers.CHAT_BURST :]}
    assert {a["reason"] for a in answers if a["type"] == "chat-refused"} == {"too-fast"}
    assert {str(message.client_id) for message in await kept()} == shown
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


def test_the_room_page_shows_this_session_chat_so_far(client):
    patient, therapist, room = a_room()
    conversation = conversation_open(match_id=room.appointment.match_id)
    for sender, text, when, live in [
        (patient, "Before the session, by message", STARTS_AT.replace(hour=7), False),
        (therapist, "An earlier session's chat", STARTS_AT.replace(day=1), True),
        (patient, "Said in the room", DURING, True),
    ]:
        MessageFactory(
            conversation=conversation, sender=sender, body=text, created_at=when, live_session=live
        )
    client.force_login(therapist)

    page = client.get(reverse("session_room", kwargs={"token": room.token})).content.decode()

    assert "Said in the room" in page
    assert "An earlier session&#x27;s chat" not in page
    assert "Before the session" not in page


def test_the_conversation_marks_the_live_session_lines(client):
    patient, _therapist, room = a_room()
    conversation = conversation_open(match_id=room.appointment.match_id)
    room_chat_say(
        room=room, user=patient, text="Said in the room", client_id=uuid.uuid4(), now=DURING
    )
    client.force_login(patient)

    page = client.get(reverse("conversation", kwargs={"pk": conversation.pk})).content.decode()

    assert "Said in the room" in page
    assert "Live session chat" in page
