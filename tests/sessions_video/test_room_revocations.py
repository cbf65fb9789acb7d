"""The room's sockets are closed by events, not by a query per message (issue 16): a session
cancelled or moved, its window closed by the sweep, a log-out, a suspension. Nothing is sent on
the closed socket, so only the event can have closed it; the other party hears that they left,
and another room's sockets hear nothing. What no event announces is caught by the periodic
re-check."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from accounts import services as accounts_services
from accounts.models import TherapistProfile
from core.realtime import CLOSE_NOT_FOUND, CLOSE_ROOM_NOT_OPEN, CLOSE_UNAUTHENTICATED
from scheduling import signals
from scheduling.models import Appointment
from scheduling.services.booking import appointment_cancel
from sessions_video import consumers, services
from tests.factories import StaffFactory
from tests.factories.sessions_video import DURING, ENDS_AT, STARTS_AT, a_room
from tests.sockets import (
    assert_closed_with,
    both_in,
    open_socket,
    path,
    peer,
    pong,
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
BEFORE_THE_START = STARTS_AT - timedelta(minutes=5)  # the room is open; a session may be cancelled


async def another_room_in_use():
    """Two people in a room of their own, who must hear nothing of the test's room."""
    patient, therapist, room = await database_sync_to_async(a_room)()
    return await both_in(room, patient, therapist)


async def assert_untouched(*sockets):
    for communicator in sockets:
        assert await communicator.receive_nothing()
        assert await pong(communicator)
    for communicator in sockets:  # once all are checked: each leaving is news to the other
        await communicator.disconnect()


async def test_a_cancelled_session_closes_its_room_at_once(clock):
    clock.move_to(BEFORE_THE_START)
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    others = await another_room_in_use()

    await database_sync_to_async(appointment_cancel)(
        appointment=room.appointment, by=patient, reason=""
    )

    await assert_closed_with(patient_socket, CLOSE_NOT_FOUND)
    await assert_closed_with(therapist_socket, CLOSE_NOT_FOUND)
    await assert_untouched(*others)


async def test_a_moved_session_closes_its_room_until_its_new_window(clock):
    clock.move_to(BEFORE_THE_START)
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    others = await another_room_in_use()

    @database_sync_to_async
    def move_to_tomorrow():
        """What ``appointment_reschedule`` does once its rules said yes: the row, then the
        domain event after commit (its own tests are scheduling's)."""
        Appointment.objects.filter(pk=room.appointment_id).update(
            starts_at=STARTS_AT + timedelta(days=1), ends_at=ENDS_AT + timedelta(days=1)
        )
        signals.announce(room.appointment_id, signals.RESCHEDULED)

    await move_to_tomorrow()

    await assert_closed_with(patient_socket, CLOSE_ROOM_NOT_OPEN)
    await assert_closed_with(therapist_socket, CLOSE_ROOM_NOT_OPEN)
    await assert_untouched(*others)


async def test_a_session_moved_within_its_window_keeps_its_room():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)

    @database_sync_to_async
    def end_ten_minutes_later():
        Appointment.objects.filter(pk=room.appointment_id).update(
            ends_at=ENDS_AT + timedelta(minutes=10)
        )
        signals.announce(room.appointment_id, signals.RESCHEDULED)

    await end_ten_minutes_later()

    # Asked again (no event says so: a second is far more than it takes), still allowed.
    for communicator in (patient_socket, therapist_socket):
        assert await communicator.receive_nothing(timeout=1)
    await send(patient_socket, OFFER)
    assert await received(therapist_socket) == OFFER
    # What the check read is what the socket now knows of the window's end.
    consumer = consumers.RoomConsumer()
    consumer.token = room.token
    assert await database_sync_to_async(consumer.refusal)(patient) is None
    assert consumer.closes_at == ENDS_AT + timedelta(minutes=40)
    for communicator in (patient_socket, therapist_socket):
        await communicator.disconnect()


async def test_the_sweep_closes_the_sockets_of_a_room_whose_window_is_over(clock):
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    after = ENDS_AT + timedelta(minutes=31)
    clock.move_to(after)

    assert await database_sync_to_async(services.rooms_close)(now=after) == 1

    await assert_closed_with(patient_socket, CLOSE_ROOM_NOT_OPEN)
    await assert_closed_with(therapist_socket, CLOSE_ROOM_NOT_OPEN)


async def test_a_log_out_closes_the_room_socket_and_the_other_party_sees_them_leave():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_client, patient_socket = await open_socket(patient, path(room))
    _, therapist_socket = await open_socket(therapist, path(room))
    patient_presence = await presence(room, patient)
    assert await received(patient_socket) == peer("joined", await presence(room, therapist))
    assert await received(therapist_socket) == peer("joined", patient_presence)

    await database_sync_to_async(patient_client.logout)()

    await assert_closed_with(patient_socket, CLOSE_UNAUTHENTICATED)
    assert await received(therapist_socket) == peer("left", patient_presence)
    await therapist_socket.disconnect()


async def test_a_suspended_therapist_is_closed_out_of_the_room_at_once():
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    therapist_presence = await presence(room, therapist)

    @database_sync_to_async
    def suspend():
        accounts_services.therapist_vetting_decide(
            profile=TherapistProfile.objects.get(user=therapist),
            action="suspend",
            actor=StaffFactory(),
            reason="Complaint under review",
        )

    await suspend()

    await assert_closed_with(therapist_socket, CLOSE_NOT_FOUND)
    assert await received(patient_socket) == peer("left", therapist_presence)
    await patient_socket.disconnect()


async def test_a_change_no_event_announces_is_caught_by_the_periodic_recheck(clock):
    patient, therapist, room = await database_sync_to_async(a_room)()
    patient_socket, therapist_socket = await both_in(room, patient, therapist)
    await database_sync_to_async(Appointment.objects.filter(pk=room.appointment_id).update)(
        status=Appointment.Status.CANCELLED, cancelled_at=DURING
    )

    await send(patient_socket, OFFER)  # not asked again yet: relayed
    assert await received(therapist_socket) == OFFER
    clock.shift(timedelta(seconds=settings.SOCKET_RECHECK_SECONDS))
    await send(patient_socket, OFFER)

    await assert_closed_with(patient_socket, CLOSE_NOT_FOUND)
    # The therapist's socket hears that the patient left, and asks too: it is due as well.
    await assert_closed_with(therapist_socket, CLOSE_NOT_FOUND)
