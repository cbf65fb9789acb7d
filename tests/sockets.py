"""Helpers for socket tests: a logged-in ``WebsocketCommunicator`` against the real ASGI app,
the room socket's exchanges, and frames no page would ever send."""

import asyncio
import json

from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client
from hypothesis import strategies as st

from core.realtime import CLOSE_INVALID_FRAME, CLOSE_MESSAGE_TOO_BIG, CLOSE_UNSUPPORTED_DATA
from sessions_video.models import Attendance
from teletherapy.asgi import application

ORIGIN = (b"origin", b"http://localhost")
# How long a socket test waits for what it expects: far more than it takes, even on a loaded
# machine (two CPUs shared by the database, Redis and other tests); nothing waits this long
# when things go right.
WAIT_SECONDS = 5


@database_sync_to_async
def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


_layer_loop: asyncio.AbstractEventLoop | None = None


def _a_channel_layer_for_this_loop() -> None:
    """Each test runs in an event loop of its own; channels-redis keeps state bound to the loop
    that used it: a channel's receive lock, which a receive cancelled while waiting for it
    leaves behind (``ChannelLock.acquire`` counts the waiter and never uncounts it), so the
    next test's sockets fail with "bound to a different event loop". A fresh layer per loop."""
    global _layer_loop
    loop = asyncio.get_running_loop()
    if loop is not _layer_loop:
        channel_layers.backends.clear()
        _layer_loop = loop


async def socket(
    client: Client | None = None, origin=ORIGIN, path="/ws/events/"
) -> WebsocketCommunicator:
    _a_channel_layer_for_this_loop()
    headers = [origin] if origin else []
    if client is not None:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def open_socket(user, path="/ws/events/"):
    """A socket of ``user``, open; a room's first message (whether the user is let in, from
    the waiting room) read already."""
    client = await logged_in(user)
    communicator = await socket(client, path=path)
    connected, _ = await communicator.connect(timeout=WAIT_SECONDS)
    assert connected
    if path.startswith("/ws/room/"):
        first = await communicator.receive_output(timeout=WAIT_SECONDS)
        if first["type"] == "websocket.close":  # refused: for ``assert_closed_with``
            communicator.refused_with = first
        else:
            communicator.admission = json.loads(first["text"])
            assert communicator.admission["type"] == "admission", first
    return client, communicator


async def assert_closed_with(communicator, code):
    """The next thing the socket does is to close with ``code``. Awaited, not slept on: in a
    test that sends nothing, only what the test did (a revocation) can have closed it."""
    closed = getattr(communicator, "refused_with", None)
    if closed is None:
        closed = await communicator.receive_output(timeout=WAIT_SECONDS)
    assert closed == {"type": "websocket.close", "code": code}


async def pong(communicator, ping_id=1) -> bool:
    """The socket answers a ping (it is open and working)."""
    await communicator.send_to(text_data=json.dumps({"type": "ping", "id": ping_id}))
    return json.loads(await communicator.receive_from(timeout=WAIT_SECONDS)) == {
        "type": "pong",
        "id": ping_id,
    }


async def outcome(communicator) -> dict | None:
    """After a frame was sent: the close the socket answered with, or None while it still
    answers pings (whatever else it said before is skipped)."""
    await communicator.send_to(text_data=json.dumps({"type": "ping", "id": "after"}))
    while True:
        output = await communicator.receive_output(timeout=WAIT_SECONDS)
        if output["type"] == "websocket.close":
            return output
        if json.loads(output.get("text", "null")) == {"type": "pong", "id": "after"}:
            return None


# --- Frames no page sends (issue 15: each one crashed a socket once) --------------------------

CHAT_ID = "6f1c1d4e-8a4b-4c55-9d5e-2b8f0c4a7e11"
# name: (what send_to is given, the close code of a 4 KB socket: events, conversations)
BAD_FRAMES = {
    "binary": ({"bytes_data": b"\x00\x01\xff"}, CLOSE_UNSUPPORTED_DATA),
    "nested 30,000 deep": ({"text_data": "[" * 30000}, CLOSE_MESSAGE_TOO_BIG),
    "nested 3,000 deep": ({"text_data": "[" * 3000 + "]" * 3000}, CLOSE_MESSAGE_TOO_BIG),
    "nested 300 deep": ({"text_data": '{"a":' * 300 + "1" + "}" * 300}, CLOSE_INVALID_FRAME),
    "a lone surrogate": (
        {"text_data": '{"type": "chat", "id": "' + CHAT_ID + '", "text": "\ud800"}'},
        CLOSE_INVALID_FRAME,
    ),
    "an escaped lone surrogate": (
        {"text_data": '{"type": "chat", "id": "' + CHAT_ID + '", "text": "\\ud800"}'},
        CLOSE_INVALID_FRAME,
    ),
    "over 4 KB": (
        {"text_data": json.dumps({"type": "ping", "pad": "x" * 5000})},
        CLOSE_MESSAGE_TOO_BIG,
    ),
    "over 64 KB": (
        {"text_data": json.dumps({"type": "ping", "pad": "x" * 70000})},
        CLOSE_MESSAGE_TOO_BIG,
    ),
    "4 KB of 3-byte characters": ({"text_data": "€" * 1400}, CLOSE_MESSAGE_TOO_BIG),
    "not JSON": ({"text_data": "{not json"}, CLOSE_INVALID_FRAME),
    "empty": ({"text_data": ""}, CLOSE_INVALID_FRAME),
    "an array": ({"text_data": '["ping"]'}, CLOSE_INVALID_FRAME),
    "a number": ({"text_data": "42"}, CLOSE_INVALID_FRAME),
    "null": ({"text_data": "null"}, CLOSE_INVALID_FRAME),
    "a string": ({"text_data": '"ping"'}, CLOSE_INVALID_FRAME),
    "NaN": ({"text_data": '{"type": "ping", "id": NaN}'}, None),  # Python's JSON reads it
    "3,500 digits": ({"text_data": '{"type": "ping", "id": %s}' % ("9" * 3500)}, None),
    "a NUL in a chat line": (
        {"text_data": json.dumps({"type": "chat", "id": CHAT_ID, "text": "a\x00b"})},
        None,
    ),
    "a chat line of another type": (
        {"text_data": json.dumps({"type": "chat", "id": [CHAT_ID], "text": {"a": 1}})},
        None,
    ),
}


FRAME_TYPES = [
    *("ping", "chat", "offer", "answer", "candidate", "hangup", "typing"),
    *("screen", "screen-policy", "admit", "media"),
]


def frames():
    """Hypothesis: any frame a client could send: text with any code point (lone surrogates
    too), bytes, and JSON of any shape, some of it close to what the sockets expect."""
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
    kinds = st.sampled_from(FRAME_TYPES)
    optional = {
        "id": json_values,
        "sharing": json_values,
        "patientMayShare": json_values,
        "video": json_values,
        "lowered": json_values,
    }
    messages = st.fixed_dictionaries({"type": kinds}, optional=optional).flatmap(
        lambda base: st.dictionaries(st.text(max_size=10), json_values, max_size=3).map(
            lambda extra: {**extra, **base}
        )
    )
    return st.one_of(
        st.text(st.characters(exclude_categories=())).map(lambda text: {"text_data": text}),
        st.binary().map(lambda data: {"bytes_data": data}),
        json_values.map(lambda value: {"text_data": json.dumps(value)}),
        messages.map(lambda message: {"text_data": json.dumps(message)}),
    )


async def send_frame(communicator, frame: dict) -> None:
    """Send ``{"text_data": ...}`` or ``{"bytes_data": ...}`` as the server would pass it on,
    empty ones too (``send_to`` refuses those)."""
    if "text_data" in frame:
        await communicator.send_input({"type": "websocket.receive", "text": frame["text_data"]})
    else:
        await communicator.send_input({"type": "websocket.receive", "bytes": frame["bytes_data"]})


def no_handler_failed(caplog) -> bool:
    """Nothing crashed: a handler that raises is logged by the sockets' base and closed 4500."""
    return not [r for r in caplog.records if r.name == "accounts.consumers" and r.levelno >= 40]


# --- A session's room ------------------------------------------------------------------------


def path(room) -> str:
    return f"/ws/room/{room.token}/"


async def send(communicator, message):
    await communicator.send_to(text_data=json.dumps(message))


async def received(communicator):
    return json.loads(await communicator.receive_from(timeout=WAIT_SECONDS))


async def both_in(room, patient, therapist):
    _, patient_socket = await open_socket(patient, path(room))
    _, therapist_socket = await open_socket(therapist, path(room))
    assert await received(patient_socket) == peer("joined", await presence(room, therapist))
    assert await received(therapist_socket) == peer("joined", await presence(room, patient))
    return patient_socket, therapist_socket


def peer(state: str, presence: int) -> dict:
    return {"type": "peer", "state": state, "presence": presence}


@database_sync_to_async
def presence(room, user) -> int:
    """The id of ``user``'s latest connection to the room."""
    return Attendance.objects.filter(room=room, user=user).latest("pk").pk
