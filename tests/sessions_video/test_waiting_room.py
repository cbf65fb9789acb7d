"""The waiting room of a call (issue 19, item 2): the patient waits until the therapist lets
them in; before that the server relays no call signalling between them (the chat and their
presence, yes); only the therapist lets in; a therapist running late says so and the waiting
patient sees it live; the therapist's pages hear that the patient is waiting."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError

from core import realtime
from sessions_video import services
from sessions_video.models import Room
from tests.factories import TherapistFactory
from tests.factories.sessions_video import DURING, a_room
from tests.sockets import both_in, open_socket, path, received, send

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clock"),
]

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}


@database_sync_to_async
def waiting_room(modality="video"):
    return a_room(modality=modality, admitted=False)


@database_sync_to_async
def reloaded(room) -> Room:
    return Room.objects.get(pk=room.pk)


async def test_until_let_in_the_call_is_not_relayed_but_presence_and_chat_are():
    patient, therapist, room = await waiting_room()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    for socket in (patient_socket, therapist_socket):
        assert socket.admission == {"type": "admission", "admitted": False, "late": None}

    await send(patient_socket, OFFER)
    await send(therapist_socket, OFFER)
    await send(therapist_socket, {"type": "screen", "sharing": True})
    await send(patient_socket, {"type": "media", "video": False, "lowered": False})
    assert await patient_socket.receive_nothing()
    assert await therapist_socket.receive_nothing()
    await send(patient_socket, {"type": "typing"})
    assert await received(therapist_socket) == {"type": "typing"}
    assert (await reloaded(room)).started_at is None  # both here, but not together yet

    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


async def test_only_the_therapist_lets_the_patient_in_then_the_call_starts():
    patient, therapist, room = await waiting_room()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    await send(patient_socket, {"type": "admit"})  # the patient cannot let themselves in
    assert await therapist_socket.receive_nothing()
    assert await patient_socket.receive_nothing()
    assert (await reloaded(room)).admitted_at is None

    await send(therapist_socket, {"type": "admit"})
    for socket in (patient_socket, therapist_socket):
        assert await received(socket) == {"type": "admitted"}
    kept = await reloaded(room)
    assert kept.admitted_at == DURING
    assert kept.started_at == DURING
    await send(patient_socket, OFFER)
    assert await received(therapist_socket) == OFFER

    # A reload after that goes straight in.
    await patient_socket.disconnect()
    _, again = await open_socket(patient, path(room))
    assert again.admission == {"type": "admission", "admitted": True, "late": None}
    for socket in (again, therapist_socket):
        await socket.disconnect()


async def test_a_live_chat_session_has_no_waiting_room():
    patient, therapist, room = await waiting_room(modality="chat")
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    assert patient_socket.admission["admitted"] is True
    assert (await reloaded(room)).started_at == DURING
    for socket in (patient_socket, therapist_socket):
        await socket.disconnect()


async def test_a_waiting_patient_sees_the_therapist_running_late_live_and_on_arrival():
    patient, therapist, room = await waiting_room()
    _, patient_socket = await open_socket(patient, path(room))

    await database_sync_to_async(services.room_late)(
        appointment=room.appointment, user=therapist, minutes=5, now=DURING
    )

    assert await received(patient_socket) == {"type": "late", "minutes": 5}
    await patient_socket.disconnect()
    _, again = await open_socket(patient, path(room))
    assert again.admission == {"type": "admission", "admitted": False, "late": 5}
    await again.disconnect()


@pytest.mark.parametrize("who", ["patient", "another therapist"])
async def test_only_the_sessions_therapist_says_they_are_late_or_lets_in(who):
    patient, _therapist, room = await waiting_room()
    user = patient if who == "patient" else await database_sync_to_async(TherapistFactory)()

    with pytest.raises(PermissionDenied):
        await database_sync_to_async(services.room_late)(
            appointment=room.appointment, user=user, minutes=5, now=DURING
        )
    with pytest.raises(PermissionDenied):
        await database_sync_to_async(services.room_admit)(room=room, user=user, now=DURING)
    kept = await reloaded(room)
    assert (kept.late_minutes, kept.admitted_at) == (None, None)


async def test_lateness_is_one_of_the_delays_offered_and_only_before_letting_in():
    _patient, therapist, room = await waiting_room()
    with pytest.raises(ValidationError):  # the room is not open yet an hour before
        await database_sync_to_async(services.room_late)(
            appointment=room.appointment, user=therapist, minutes=5, now=DURING - timedelta(hours=1)
        )

    with pytest.raises(ValidationError):
        await database_sync_to_async(services.room_late)(
            appointment=room.appointment, user=therapist, minutes=7, now=DURING
        )
    await database_sync_to_async(services.room_admit)(room=room, user=therapist, now=DURING)
    with pytest.raises(ValidationError):
        await database_sync_to_async(services.room_late)(
            appointment=room.appointment, user=therapist, minutes=5, now=DURING
        )
    assert (await reloaded(room)).late_minutes is None


async def test_the_therapists_pages_hear_the_patient_come_and_go(monkeypatch):
    sends = []  # every (group, message) handed to the channel layer after a commit
    real = realtime._send_now

    def keep(batch):
        sends.extend(batch)
        real(batch)

    monkeypatch.setattr(realtime, "_send_now", keep)
    patient, therapist, room = await waiting_room()

    _, patient_socket = await open_socket(patient, path(room))
    await patient_socket.disconnect()

    events = [
        (group, message["event"]) for group, message in sends if message.get("type") == "app.event"
    ]
    appointment = room.appointment_id
    assert events == [
        (f"user.{therapist.pk}", {"kind": "room.waiting", "appointment": appointment}),
        (f"user.{therapist.pk}", {"kind": "room.left", "appointment": appointment}),
    ]


async def test_letting_in_twice_changes_nothing():
    _patient, therapist, room = await waiting_room()
    await database_sync_to_async(services.room_admit)(room=room, user=therapist, now=DURING)
    later = DURING + timedelta(minutes=3)

    await database_sync_to_async(services.room_admit)(room=room, user=therapist, now=later)

    assert (await reloaded(room)).admitted_at == DURING
