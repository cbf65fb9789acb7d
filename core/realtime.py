"""The one gateway for real-time events: services send, consumers deliver.

A service announces a change with ``send_to_users``; the event reaches every open page of
those users after the transaction commits (never for a change that was rolled back). Events
carry ids and kinds, never clinical content: a page that receives one fetches what it shows
through the same permission-checked views as any request.
"""

import asyncio
import hashlib
import os
import threading
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from core.channel_layer import RedisChannelLayer

# How long a publish from synchronous code waits for Redis before giving up (logged by on_commit's
# robust callback; the pages catch up when their socket reconnects).
PUBLISH_TIMEOUT_SECONDS = 5.0

# WebSocket close codes: the application's own are 4000-4999 (daphne's server refuses any other
# but 1000 from an application, and the consumer would then die with 1011).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404  # what HTTP answers with 404: not yours, or no longer
CLOSE_ROOM_FULL = 4409  # a session room: this user is already in it, or it has its two sockets
CLOSE_ROOM_NOT_OPEN = 4410  # a session room outside its window: not open yet, or over
CLOSE_TOO_MANY_MESSAGES = 4429  # kept sending far faster than allowed
CLOSE_INVALID_FRAME = 4400  # not a JSON object, nested too deep, or invalid Unicode
CLOSE_MESSAGE_TOO_BIG = 4413
CLOSE_UNSUPPORTED_DATA = 4415  # a binary frame where text was expected
CLOSE_SERVER_ERROR = 4500  # the server failed while handling the socket (logged): try later
# The same codes by name, for the pages' scripts: templates/base.html writes them into every
# page (json_script "close-codes"), static/teletherapy/events.js reads them from there.
CLOSE_CODES = {
    "unauthenticated": CLOSE_UNAUTHENTICATED,
    "forbidden": CLOSE_FORBIDDEN,
    "notFound": CLOSE_NOT_FOUND,
    "roomFull": CLOSE_ROOM_FULL,
    "roomNotOpen": CLOSE_ROOM_NOT_OPEN,
    "tooManyMessages": CLOSE_TOO_MANY_MESSAGES,
    "invalidFrame": CLOSE_INVALID_FRAME,
    "messageTooBig": CLOSE_MESSAGE_TOO_BIG,
    "unsupportedData": CLOSE_UNSUPPORTED_DATA,
    "serverError": CLOSE_SERVER_ERROR,
}


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    # Group names travel through Redis: a digest, never the session key itself.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def user_sockets_group(user_id: int) -> str:
    """Every socket of this user, whatever it was opened for: where revocations about the user
    (a password change, a deactivation, a suspension) are sent. Events never go there."""
    return f"sockets.user.{user_id}"


class _PublishLoop:
    """One event loop, in a thread of its own, for every publish of this process from
    synchronous code: a gunicorn worker, a Celery worker. ``async_to_sync`` from a thread
    without a loop would make a new loop, thread and Redis connection for each publish;
    channels-redis keeps one connection pool per loop, so this keeps one. Made again in a
    process forked from the one that made it (the thread does not survive a fork)."""

    _current: "_PublishLoop | None" = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="realtime-publish", daemon=True
        )
        self.thread.start()

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            current = cls._current
            if current is None or current.pid != os.getpid() or not current.thread.is_alive():
                current = cls._current = cls()
            return current.loop


async def _group_sends(sends: list[tuple[str, dict]]) -> None:
    """Each group's messages in the order given; the groups at once (on Redis, all in one
    round trip: ``core.channel_layer.RedisChannelLayer.group_send_many``)."""
    layer = get_channel_layer()
    assert layer is not None  # CHANNEL_LAYERS is always set
    if isinstance(layer, RedisChannelLayer):
        await layer.group_send_many(sends)
        return
    by_group: dict[str, list[dict]] = {}
    for group, message in sends:
        by_group.setdefault(group, []).append(message)

    async def in_order(group: str, messages: list[dict]) -> None:
        for message in messages:
            await layer.group_send(group, message)

    await asyncio.gather(*(in_order(group, messages) for group, messages in by_group.items()))


async def send_to_others(layer, group: str, message: dict, sender: str) -> None:
    """From a socket's consumer: ``message`` to the other sockets of ``group``, marked with
    ``sender`` (its handlers ignore what their own socket sent). On Redis it is not even
    written for the sender: in a session room, that copy was half of all that was relayed."""
    message = {**message, "sender": sender}
    if isinstance(layer, RedisChannelLayer):
        await layer.group_send(group, message, left_out=sender)
    else:
        await layer.group_send(group, message)


def _send_now(sends: list[tuple[str, dict]]) -> None:
    """Every (group, message) at once, from synchronous code: one hop to an event loop."""
    if not sends:
        return
    if isinstance(get_channel_layer(), InMemoryChannelLayer):
        # Its queues belong to the loop of the server (or test) in this process: go there.
        async_to_sync(_group_sends)(sends)
        return
    future = asyncio.run_coroutine_threadsafe(_group_sends(sends), _PublishLoop.get())
    future.result(timeout=PUBLISH_TIMEOUT_SECONDS)


def send_to_groups(groups: Iterable[str], message: dict) -> None:
    """Send now, from synchronous code (one event loop hop for all groups)."""
    _send_now([(group, message) for group in sorted(set(groups))])


def publish(groups: Iterable[str], event: dict) -> None:
    """Deliver ``event`` to the sockets in these groups once the current transaction commits.

    A socket was authorised when it opened; whatever changes that is sent as a revocation
    (``revoke``), so delivering an event costs no query.
    """
    publish_all([(groups, event)])


def publish_all(deliveries: Iterable[tuple[Iterable[str], dict]]) -> None:
    """Several ``publish`` in one: after commit, one hop to the event loop and every group sent
    to at once (a new message: its conversation's open pages and both parties' own pages)."""
    sends = [
        (group, {"type": "app.event", "event": event})
        for groups, event in deliveries
        for group in sorted(set(groups))
    ]
    transaction.on_commit(lambda: _send_now(sends), robust=True)


def send_to_users(user_ids: Iterable[int], event: dict) -> None:
    """Deliver ``event`` to these users' open pages once the current transaction commits."""
    publish([user_group(user_id) for user_id in user_ids], event)


def revoke(groups: Iterable[str], *, code: int | None = None) -> None:
    """Once the current transaction commits, tell every socket in these groups that what
    authorised it may have changed: each one asks again, once, and closes with the refusal's
    code if the answer is no (``accounts.consumers.SessionCheckedConsumer.access_revoked``).
    With ``code``, when the answer is known (a room's window is over), they close with it at
    once. Sending to a group nobody listens to costs nothing."""
    groups = list(groups)
    message: dict = {"type": "access.revoked"}
    if code is not None:
        message["code"] = code
    transaction.on_commit(lambda: send_to_groups(groups, message), robust=True)


def end_session_sockets(session_key: str) -> None:
    """Close every socket opened with this session (after log-out)."""
    groups = [session_group(session_key)]
    transaction.on_commit(lambda: send_to_groups(groups, {"type": "session.end"}), robust=True)
