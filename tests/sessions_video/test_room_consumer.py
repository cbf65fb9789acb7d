"""The room's socket: its two parties only, while the room is open, one socket each; messages
are checked, paced and relayed to the other side only; join and leave are recorded."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from core.channel_layer import RedisChannelLayer
from core.realtime import (
    CLOSE_NOT_FOUND,
    CLOSE_ROOM_FULL,
    CLOSE_ROOM_NOT_OPEN,
    CLOSE_TOO_MANY_MESSAGES,
)
from messaging.models import Message
from sessions_video import consumers
from sessions_video.models import Attendance, Room
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.sessions_video import DURING, ENDS_AT, STARTS_AT, a_room
from tests.sockets import (
    assert_closed_with,
    both_in,
    open_socket,
    path,
    peer,
    presence,
    received,
    send,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clock"),
]

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
CHAT_ID = "6f1c1d4e-8a4b-4c55-9d5e-2b8f0c4a7e11"
ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n"}
CANDIDATE = {
    "type": "candidate",
    "candidate": {
        "candidate": "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    },
}


@database_sync_to_async
def attendances(room):
    return list(Attendance.objects.filter(room=room).values_list("user_id", "joined_at", "left_at"))


@database_sync_to_async
def reloaded(room):
    return Room.objects.get(pk=room.pk)


async def test_signalling_reaches_the_other_side_only():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    for message in (OFFER, CANDIDATE, {"type": "candidate", "candidate": None}):
        await send(patient_socket, message)
        assert await received(therapist_socket) == message
    for message in (ANSWER, {"type": "typing"}):
        await send(therapist_socket, message)
        assert await received(patient_socket) == message
    await send(patient_socket, {"type": "hangup"})
    assert await received(therapist_socket) == {"type": "hangup"}

    assert await patient_socket.receive_nothing()  # never an echo
    assert await therapist_socket.receive_nothing()
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


async def test_only_known_fields_are_relayed():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    await send(patient_socket, {**OFFER, "to": "someone", "html": "<b>x</b>"})

    assert await received(therapist_socket) == OFFER
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


async def test_screen_sharing_news_is_relayed_to_the_other_side():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    for sharing in (True, False):
        await send(therapist_socket, {"type": "screen", "sharing": sharing, "x": 1})
        assert await received(patient_socket) == {"type": "screen", "sharing": sharing}
    for bad in ({"type": "screen"}, {"type": "screen", "sharing": "yes"}):
        await send(therapist_socket, bad)
    assert await patient_socket.receive_nothing()
    assert await therapist_socket.receive_nothing()
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


async def test_a_poor_links_news_is_relayed_to_the_other_side():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    for video, lowered in ((True, True), (False, False), (True, False)):
        await send(patient_socket, {"type": "media", "video": video, "lowered": lowered})
        assert await received(therapist_socket) == {
            "type": "media",
            "video": video,
            "lowered": lowered,
        }
    for bad in ({"type": "media", "video": True}, {"type": "media", "video": 1, "lowered": 0}):
        await send(patient_socket, bad)
    assert await therapist_socket.receive_nothing()
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


async def test_only_the_therapist_lets_the_patient_share_their_screen():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    # The patient cannot let themselves; a malformed policy is dropped.
    await send(patient_socket, {"type": "screen-policy", "patientMayShare": True})
    await send(therapist_socket, {"type": "screen-policy", "patientMayShare": "yes"})
    assert await therapist_socket.receive_nothing()
    assert await patient_socket.receive_nothing()
    assert (await reloaded(room)).patient_may_share_screen is False

    await send(therapist_socket, {"type": "screen-policy", "patientMayShare": True})
    assert await received(patient_socket) == {"type": "screen-policy", "patientMayShare": True}
    assert (await reloaded(room)).patient_may_share_screen is True
    await send(therapist_socket, {"type": "screen-policy", "patientMayShare": False})
    assert await received(patient_socket) == {"type": "screen-policy", "patientMayShare": False}
    assert (await reloaded(room)).patient_may_share_screen is False
    assert await therapist_socket.receive_nothing()  # never an echo
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


async def test_join_and_leave_are_recorded_and_announced():
    patient, therapist, room = await database_sync_to_async(a_room)()
    _, patient_socket = await open_socket(patient, path(room))
    assert await patient_socket.receive_nothing()  # alone: nobody to announce
    assert (await reloaded(room)).started_at is None

    _, therapist_socket = await open_socket(therapist, path(room))
    therapist_presence = await presence(room, therapist)
    assert await received(patient_socket) == peer("joined", therapist_presence)
    assert await received(therapist_socket) == peer("joined", await presence(room, patient))
    assert (await reloaded(room)).started_at == DURING

    await therapist_socket.disconnect()
    assert await received(patient_socket) == peer("left", therapist_presence)
    assert (await reloaded(room)).ended_at is None  # the patient is still there
    await patient_socket.disconnect()

    records = sorted(await attendances(room))
    assert records == sorted([(patient.pk, DURING, DURING), (therapist.pk, DURING, DURING)])
    assert (await reloaded(room)).ended_at == DURING


async def test_a_party_may_come_back_after_leaving():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    first = await presence(room, patient)
    await patient_socket.disconnect()
    assert await received(therapist_socket) == peer("left", first)

    _, again = await open_socket(patient, path(room))

    assert await received(again) == peer("joined", await presence(room, therapist))
    second = await presence(room, patient)
    assert second != first  # the other side tells a late "left" of the first from the second
    assert await received(therapist_socket) == peer("joined", second)
    assert len(await attendances(room)) == 3
    for socket in (again, therapist_socket):
        await socket.disconnect()


@pytest.mark.parametrize("outsider", ["patient", "therapist", "other patient of the therapist"])
async def test_an_outsider_is_closed_with_not_found(outsider):
    patient, therapist, room = await database_sync_to_async(a_room)()
    if outsider == "patient":
        user = await database_sync_to_async(PatientFactory)()
    elif outsider == "therapist":
        user = await database_sync_to_async(TherapistFactory)()
    else:
        user, _, _ = await database_sync_to_async(a_room)(
            therapist=therapist, starts_at=ENDS_AT + timedelta(hours=1)
        )
    _, patient_socket = await open_socket(patient, path(room))

    _, refused = await open_socket(user, path(room))

    await assert_closed_with(refused, CLOSE_NOT_FOUND)
    assert await patient_socket.receive_nothing()
    assert await attendances(room) == [(patient.pk, DURING, None)]
    await patient_socket.disconnect()


@pytest.mark.parametrize(
    "moment",
    [STARTS_AT - timedelta(minutes=11), ENDS_AT + timedelta(minutes=30)],
    ids=["before", "after"],
)
async def test_outside_its_window_the_room_refuses_as_not_open(clock, moment):
    patient, _therapist, room = await database_sync_to_async(a_room)()
    clock.move_to(moment)

    _, refused = await open_socket(patient, path(room))

    await assert_closed_with(refused, CLOSE_ROOM_NOT_OPEN)
    assert await attendances(room) == []


async def test_the_room_closes_the_socket_when_its_window_ends(clock):
    """The socket knows when the window ends: the first message after it closes the socket,
    with no query (the sweep closes silent ones, test_room_revocations)."""
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    clock.move_to(ENDS_AT + timedelta(minutes=30))

    await send(patient_socket, {"type": "chat", "id": CHAT_ID, "text": "Still there?"})

    await assert_closed_with(patient_socket, CLOSE_ROOM_NOT_OPEN)
    # The news of that reaches the therapist's socket, which knows the window is over too.
    await assert_closed_with(therapist_socket, CLOSE_ROOM_NOT_OPEN)
    assert not await database_sync_to_async(Message.objects.exists)()
    # Both places given back when the sockets closed.
    assert {left for _user, _joined, left in await attendances(room)} == {
        ENDS_AT + timedelta(minutes=30)
    }


async def test_a_second_socket_of_the_same_user_is_refused_as_full():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    _, second = await open_socket(patient, path(room))

    await assert_closed_with(second, CLOSE_ROOM_FULL)
    assert await patient_socket.receive_nothing()
    assert await therapist_socket.receive_nothing()
    await send(therapist_socket, OFFER)
    assert await received(patient_socket) == OFFER  # the first one still works
    assert len(await attendances(room)) == 2
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


async def test_a_second_socket_is_refused_even_when_alone():
    patient, _therapist, room = await database_sync_to_async(a_room)()
    _, first = await open_socket(patient, path(room))

    _, second = await open_socket(patient, path(room))

    await assert_closed_with(second, CLOSE_ROOM_FULL)
    await first.disconnect()


async def test_bad_messages_are_dropped_and_the_socket_stays_open():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    await patient_socket.send_to(text_data="{not json")
    for message in (
        ["offer"],
        {"type": "subscribe", "group": "room.1"},
        {"type": "offer"},
        {"type": "offer", "sdp": 42},
        {"type": "answer", "sdp": ""},
        {"type": "candidate"},
        {"type": "candidate", "candidate": 3},
        {"type": "candidate", "candidate": {"sdpMid": "0"}},
        {"type": "candidate", "candidate": {"candidate": "c", "sdpMLineIndex": "zero"}},
        {"type": "chat", "id": CHAT_ID, "text": ""},
        {"type": "chat", "id": CHAT_ID, "text": "x" * 2001},
        {"type": "chat", "id": CHAT_ID},
        {"type": "chat", "text": "no id"},
        {"type": "chat", "id": "not-a-uuid", "text": "x"},
        {"type": "offer", "sdp": "x" * (64 * 1024)},  # over the size limit with its envelope
    ):
        await send(patient_socket, message)

    assert await therapist_socket.receive_nothing()
    assert await patient_socket.receive_nothing()
    assert not await database_sync_to_async(Message.objects.exists)()
    await send(patient_socket, OFFER)
    assert await received(therapist_socket) == OFFER
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


async def test_a_flood_is_throttled_then_closed(monkeypatch):
    # No refill during the test: exactly the burst passes, whatever the machine's speed.
    monkeypatch.setattr(consumers, "RATE_PER_SECOND", 0.0)
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    for number in range(60):
        await send(patient_socket, {"type": "offer", "sdp": str(number)})
    got = []
    while not await therapist_socket.receive_nothing(timeout=0.5):
        got.append(await received(therapist_socket))
    # Under the stopped clock, the Redis layer orders messages queued at the same instant as it
    # likes (it scores them by time): which ones passed is the point, not their order.
    got.sort(key=lambda message: int(message["sdp"]))
    assert got == [{"type": "offer", "sdp": str(n)} for n in range(consumers.RATE_BURST)]

    assert await patient_socket.receive_nothing()  # throttled, not yet closed
    for _number in range(20):
        await send(patient_socket, {"type": "typing"})
    closed = False
    for _number in range(consumers.THROTTLED_BEFORE_CLOSE - 10):
        await send(patient_socket, {"type": "typing"})
    while not closed:
        output = await patient_socket.receive_output(timeout=5)
        closed = output["type"] == "websocket.close"
    assert output == {"type": "websocket.close", "code": CLOSE_TOO_MANY_MESSAGES}
    await therapist_socket.disconnect()


async def test_the_check_only_reads_the_place_is_taken_after_it():
    """``refusal`` (asked at connection and after a revocation) writes nothing; the socket takes
    its place in the room once the check has said yes, before it is accepted."""
    patient, _therapist, room = await database_sync_to_async(a_room)()
    consumer = consumers.RoomConsumer()
    consumer.token, consumer.room = room.token, None

    assert await database_sync_to_async(consumer.refusal)(patient) is None
    assert await database_sync_to_async(consumer.refusal)(patient) is None
    assert await attendances(room) == []

    _, socket = await open_socket(patient, path(room))
    assert await attendances(room) == [(patient.pk, DURING, None)]
    await socket.disconnect()


async def _candidate_then_answer():
    """A room with both parties in it: the patient sends a candidate, the therapist an
    answer, each heard by the other."""
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    await send(patient_socket, CANDIDATE)
    assert await received(therapist_socket) == CANDIDATE
    await send(therapist_socket, ANSWER)
    assert await received(patient_socket) == ANSWER
    return room, therapist, patient_socket, therapist_socket


async def test_a_frame_is_not_even_written_for_its_sender(monkeypatch):
    """On Redis (production's layer) the room's other socket gets a frame of the call, or a
    party's coming and going, and the sender's own copy is never written (half of all a room
    relayed, each read and dropped)."""
    assert isinstance(get_channel_layer(), RedisChannelLayer)
    heard: list[tuple[str, str]] = []
    for name in ("room_relay", "room_peer"):
        handler = getattr(consumers.RoomConsumer, name)

        async def spied(self, event, handler=handler):
            heard.append((self.channel_name, event["sender"]))
            await handler(self, event)

        monkeypatch.setattr(consumers.RoomConsumer, name, spied)
    room, therapist, patient_socket, therapist_socket = await _candidate_then_answer()
    await therapist_socket.disconnect()
    assert await received(patient_socket) == peer("left", await presence(room, therapist))

    assert len(heard) == 4  # joined, the candidate, the answer, left: each by the other only
    assert all(receiver != sender for receiver, sender in heard)
    await patient_socket.disconnect()


async def test_on_the_embedded_layer_the_sender_ignores_its_own_copy(settings):
    """``make run``'s in-memory layer sends a room's events to every socket of the room: the
    sender's handlers drop what it sent, so the other side alone hears it."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    _room, _therapist, patient_socket, therapist_socket = await _candidate_then_answer()
    assert await patient_socket.receive_nothing()
    assert await therapist_socket.receive_nothing()
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()
