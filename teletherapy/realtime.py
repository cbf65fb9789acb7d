"""The one gateway for real-time events: services send, consumers deliver.

A service announces a change with ``send_to_users``; the event reaches every open page of
those users after the transaction commits (never for a change that was rolled back). Events
carry ids and kinds, never clinical content: a page that receives one fetches what it shows
through the same permission-checked views as any request.
"""

import hashlib
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# WebSocket close codes (4000-4999 are the application's own).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404  # what HTTP answers with 404: not yours, or no longer
CLOSE_ROOM_FULL = 4409  # a session room: this user is already in it, or it has its two sockets
CLOSE_ROOM_NOT_OPEN = 4410  # a session room outside its window: not open yet, or over
CLOSE_TOO_MANY_MESSAGES = 4429  # kept sending far faster than allowed
CLOSE_MESSAGE_TOO_BIG = 1009


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    # Group names travel through Redis: a digest, never the session key itself.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def send_to_groups(groups: Iterable[str], message: dict) -> None:
    """Send now, from synchronous code (one event loop hop for all groups)."""
    groups = sorted(set(groups))

    async def send_all():
        layer = get_channel_layer()
        for group in groups:
            await layer.group_send(group, message)

    async_to_sync(send_all)()


def publish(groups: Iterable[str], event: dict) -> None:
    """Deliver ``event`` to the sockets in these groups once the current transaction commits.

    Each consumer checks, for every event, that its user may still receive it.
    """
    groups = list(groups)
    transaction.on_commit(
        lambda: send_to_groups(groups, {"type": "app.event", "event": event}), robust=True
    )


def send_to_users(user_ids: Iterable[int], event: dict) -> None:
    """Deliver ``event`` to these users' open pages once the current transaction commits."""
    publish([user_group(user_id) for user_id in user_ids], event)


def end_session_sockets(session_key: str) -> None:
    """Close every socket opened with this session (after log-out)."""
    groups = [session_group(session_key)]
    transaction.on_commit(lambda: send_to_groups(groups, {"type": "session.end"}), robust=True)
