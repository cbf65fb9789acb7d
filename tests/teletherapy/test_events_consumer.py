"""The live events socket: who may connect, who receives what, and when it closes."""

import asyncio
import contextlib
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from core import realtime
from tests.factories import PatientFactory, TherapistFactory
from tests.sockets import assert_closed_with, logged_in, open_socket, socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def ping(communicator, ping_id=1):
    await communicator.send_to(text_data=json.dumps({"type": "ping", "id": ping_id}))
    return json.loads(await communicator.receive_from())


@database_sync_to_async
def make(factory, **kwargs):
    return factory(**kwargs)


async def test_a_logged_in_patient_gets_pongs():
    _, communicator = await open_socket(await make(PatientFactory))

    assert await ping(communicator, 7) == {"type": "pong", "id": 7}
    await communicator.disconnect()


@pytest.mark.parametrize("origin", [(b"origin", b"https://evil.example"), None])
async def test_a_foreign_or_missing_origin_is_refused(origin):
    client = await logged_in(await make(PatientFactory))
    communicator = await socket(client, origin=origin)

    connected, _ = await communicator.connect()

    assert not connected


async def test_without_a_session_the_socket_is_closed_as_unauthenticated():
    communicator = await socket()

    connected, _ = await communicator.connect()

    assert connected  # accepted, so that the browser can read the close code
    await assert_closed_with(communicator, realtime.CLOSE_UNAUTHENTICATED)


async def test_a_therapist_without_two_factor_is_refused():
    client = await logged_in(await make(TherapistFactory, totp=False))
    communicator = await socket(client)

    await communicator.connect()

    await assert_closed_with(communicator, realtime.CLOSE_FORBIDDEN)


async def test_events_reach_their_user_and_nobody_else():
    patient = await make(PatientFactory)
    _, mine = await open_socket(patient)
    _, outsider = await open_socket(await make(PatientFactory))
    _, a_therapist = await open_socket(await make(TherapistFactory))

    await database_sync_to_async(realtime.send_to_users)([patient.pk], {"kind": "test", "id": 3})

    assert json.loads(await mine.receive_from()) == {"kind": "test", "id": 3}
    assert await outsider.receive_nothing()
    assert await a_therapist.receive_nothing()
    for communicator in (mine, outsider, a_therapist):
        await communicator.disconnect()


async def test_an_event_is_not_sent_for_a_change_that_was_rolled_back():
    patient = await make(PatientFactory)
    _, communicator = await open_socket(patient)

    @database_sync_to_async
    def send_then_fail():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            realtime.send_to_users([patient.pk], {"kind": "test"})
            raise RuntimeError("rolled back")

    await send_then_fail()

    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_logging_out_closes_the_sockets_of_that_session():
    patient = await make(PatientFactory)
    client, communicator = await open_socket(patient)
    _, other_device = await open_socket(patient)

    await database_sync_to_async(client.logout)()

    await assert_closed_with(communicator, realtime.CLOSE_UNAUTHENTICATED)
    assert await ping(other_device) == {"type": "pong", "id": 1}
    await other_device.disconnect()


async def test_oversized_and_binary_messages_close_the_socket():
    _, big = await open_socket(await make(PatientFactory))
    _, binary = await open_socket(await make(PatientFactory))

    await big.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 5000}))
    await binary.send_to(bytes_data=b"\x00\x01")

    await assert_closed_with(big, realtime.CLOSE_MESSAGE_TOO_BIG)
    await assert_closed_with(binary, realtime.CLOSE_UNSUPPORTED_DATA)


@pytest.mark.parametrize("frame", ["{not json", json.dumps(["ping"]), "null"])
async def test_what_is_not_a_json_object_closes_the_socket_as_invalid(frame):
    _, communicator = await open_socket(await make(PatientFactory))

    await communicator.send_to(text_data=frame)

    await assert_closed_with(communicator, realtime.CLOSE_INVALID_FRAME)


async def test_unknown_messages_are_ignored():
    _, communicator = await open_socket(await make(PatientFactory))

    await communicator.send_to(text_data=json.dumps({"type": "subscribe", "group": "user.1"}))
    await communicator.send_to(text_data=json.dumps({"kind": "ping"}))

    assert await communicator.receive_nothing()
    assert await ping(communicator) == {"type": "pong", "id": 1}
    await communicator.disconnect()


async def test_a_socket_survives_a_quiet_spell_longer_than_redis_read_timeouts():
    """A regression: with redis-py 8's default 5-second read timeout, channels-redis closed
    every socket that had been quiet for 5 s. Quiet time is the subject, so this waits."""
    _, communicator = await open_socket(await make(PatientFactory))

    assert await communicator.receive_nothing(timeout=6.5)

    assert await ping(communicator) == {"type": "pong", "id": 1}
    await communicator.disconnect()


async def test_hundreds_of_sockets_closing_at_once_leave_no_group_entry_behind():
    """A deploy or a network blip closes every socket at once: each leaves its groups together.
    redis-py's pool refuses past its limit (100 by default) instead of waiting, which left
    group entries behind: the layer's limit is raised (CHANNEL_LAYER_MAX_CONNECTIONS)."""
    layer = get_channel_layer()
    group = f"burst-{uuid.uuid4().hex}"
    key = layer._group_key(group)
    redis = layer.connection(layer.consistent_hash(group))
    channels = [await layer.new_channel() for _ in range(300)]

    await asyncio.gather(*(layer.group_add(group, name) for name in channels))
    assert await redis.zcard(key) == 300

    await asyncio.gather(*(layer.group_discard(group, name) for name in channels))

    assert await redis.zcard(key) == 0
