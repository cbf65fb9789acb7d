"""The room's socket: WebRTC signalling and live chat between the session's two parties.

The server checks and forwards: who may be here (``selectors.room_get_for_user``, and the
room's open window), at most one socket per participant and two per room (``services.room_join``,
through the database, so across every daphne process), and the shape, size and pace of what
they send. Signalling is relayed to the other participant, never back to the sender, and never
stored or logged. A chat line is kept first, encrypted, in the pair's conversation as the live
session's transcript (``services.room_chat_say``), then sent to both sides; never logged.

Client → server (JSON): ``offer``/``answer`` ``{"sdp": str}``; ``candidate``
``{"candidate": {...} | str | null}``; ``hangup``; ``chat`` ``{"id": uuid, "text": str}`` (1 to
2000 characters; the id makes a resend after a reconnection one line); ``typing``; ``ping``
(answered with ``pong``, not relayed). Anything else, or malformed, or over 64 KB, is dropped and
counted; the socket stays open.
Server → client: the other side's signalling as above; ``{"type": "peer", "state":
"joined"|"left", "presence": int}`` (a newcomer is told ``joined`` too when the other side is
already there; ``presence`` tells one connection of theirs from the next, whatever order the
news of a reload arrives in); ``{"type": "chat", "id", "text", "at", "mine"}`` to both sides once
kept; ``{"type": "chat-refused", "id", "reason": "closed"|"invalid"|"too-fast"}`` to the sender.
"""

import json
import logging
import time
import uuid

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from sessions_video import selectors, services
from teletherapy.consumers import CLOSE_UNSUPPORTED_DATA, SessionCheckedConsumer
from teletherapy.realtime import (
    CLOSE_NOT_FOUND,
    CLOSE_ROOM_FULL,
    CLOSE_ROOM_NOT_OPEN,
    CLOSE_TOO_MANY_MESSAGES,
)

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024  # an SDP with many candidates stays well below
MAX_CHAT_CHARACTERS = 2000
# Pace: a bucket of 50 messages refilled at 50 per second (ICE gathering sends bursts of a few
# dozen candidates). Messages beyond it are dropped; past 200 dropped, the socket is closed.
RATE_BURST = 50
RATE_PER_SECOND = 50.0
THROTTLED_BEFORE_CLOSE = 200
# Chat lines are written to the database: 10 at once, then one a second, is more than typing.
CHAT_BURST = 10
CHAT_PER_SECOND = 1.0

CANDIDATE_FIELDS = {"candidate": str, "sdpMid": str, "sdpMLineIndex": int, "usernameFragment": str}


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def _candidate(value) -> dict | str | None:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, dict) or not isinstance(value.get("candidate"), str):
        raise ValueError
    kept = {}
    for name, kind in CANDIDATE_FIELDS.items():
        if value.get(name) is not None:
            if not isinstance(value[name], kind) or isinstance(value[name], bool):
                raise ValueError
            kept[name] = value[name]
    return kept


def relayable(content) -> dict | None:
    """The message to forward, rebuilt from its known fields only, or None if it is not one."""
    if not isinstance(content, dict):
        return None
    kind = content.get("type")
    try:
        if kind in ("offer", "answer"):
            if not isinstance(content.get("sdp"), str) or not content["sdp"]:
                return None
            return {"type": kind, "sdp": content["sdp"]}
        if kind == "candidate":
            if "candidate" not in content:
                return None
            return {"type": kind, "candidate": _candidate(content["candidate"])}
        if kind in ("hangup", "typing"):
            return {"type": kind}
    except ValueError:
        return None
    return None


def chat_line(content) -> tuple[uuid.UUID, str] | None:
    """A chat message's client id and text, or None if it is not a well-formed one."""
    if not isinstance(content, dict) or content.get("type") != "chat":
        return None
    text = content.get("text")
    if not isinstance(text, str) or not 0 < len(text) <= MAX_CHAT_CHARACTERS:
        return None
    try:
        return uuid.UUID(str(content.get("id"))), text
    except ValueError:
        return None


class TokenBucket:
    def __init__(self, burst: int, per_second: float):
        self.burst, self.per_second = burst, per_second
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class RoomConsumer(SessionCheckedConsumer):
    """``ws/room/<token>/``. Refusals: 4404 not a party to a booked session (as the page's 404),
    4410 the room is not open (yet, or any more), 4409 a socket of this user is already in the
    room or the room has its two; 4429 after persistent flooding.

    Signalling comes in bursts (dozens of ICE candidates at once), each relayed message asked
    about on both sides: the answer to "may this user still be here?" holds for a second."""

    recheck_after_seconds = 5.0

    async def connect(self):
        self.token = self.scope["url_route"]["kwargs"]["token"]
        self.room = None
        self.attendance = None
        self.dropped = 0
        self.throttled = 0
        self.bucket = TokenBucket(RATE_BURST, RATE_PER_SECOND)
        self.chat_bucket = TokenBucket(CHAT_BURST, CHAT_PER_SECOND)
        await super().connect()
        if self.attendance is None or not self.joined:
            return
        presence = await database_sync_to_async(selectors.room_other_party_presence)(
            room_id=self.room.pk, user_id=self.user_id
        )
        if presence is not None:
            await self._send({"type": "peer", "state": "joined", "presence": presence})
        await self._to_room(
            {"type": "room.peer", "state": "joined", "presence": self.attendance.pk}
        )

    def groups_to_join(self) -> list[str]:
        return [room_group(self.room.pk)]

    def refusal(self, user: User) -> int | None:
        """Checked at connection and again for every message and event: the room must still be
        the user's and still open; at connection, the user must also get a place in it."""
        try:
            room = selectors.room_get_for_user(user=user, token=self.token)
        except Http404:
            return CLOSE_NOT_FOUND
        now = timezone.now()
        if not selectors.room_is_open(room, now):
            return CLOSE_ROOM_NOT_OPEN
        if self.attendance is None:
            self.attendance = services.room_join(room=room, user=user, now=now)
            if self.attendance is None:
                return CLOSE_ROOM_FULL
            self.room = room
        return None

    async def disconnect(self, code):
        if self.attendance is not None:
            presence = self.attendance.pk
            await database_sync_to_async(services.room_leave)(
                room=self.room, user=self.scope["user"], now=timezone.now()
            )
            self.attendance = None
            await self._to_room({"type": "room.peer", "state": "left", "presence": presence})
        await super().disconnect(code)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self.close(code=CLOSE_UNSUPPORTED_DATA)
            return
        if not self.bucket.take():
            self.throttled += 1
            self._dropped("too fast")
            if self.throttled > THROTTLED_BEFORE_CLOSE:
                await self.close(code=CLOSE_TOO_MANY_MESSAGES)
            return
        if len(text_data) > MAX_MESSAGE_BYTES or len(text_data.encode()) > MAX_MESSAGE_BYTES:
            self._dropped("oversized")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            self._dropped("not JSON")
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            if await self._still_allowed():
                await self._send({"type": "pong", "id": content.get("id")})
            return
        if isinstance(content, dict) and content.get("type") == "chat":
            await self._chat(content)
            return
        message = relayable(content)
        if message is None:
            self._dropped("unknown or malformed")
            return
        if await self._still_allowed():
            await self._to_room({"type": "room.relay", "message": message})

    async def _chat(self, content) -> None:
        line = chat_line(content)
        if line is None:
            self._dropped("malformed chat")
            return
        client_id, text = line
        if not self.chat_bucket.take():
            await self._send({"type": "chat-refused", "id": str(client_id), "reason": "too-fast"})
            return
        if not await self._still_allowed():
            return
        try:
            line = await database_sync_to_async(services.room_chat_say)(
                room=self.room,
                user=self.scope["user"],
                text=text,
                client_id=client_id,
                now=timezone.now(),
            )
        except ValidationError as error:
            codes = {e.code for errors in error.error_dict.values() for e in errors}
            reason = "closed" if "closed" in codes else "invalid"
            await self._send({"type": "chat-refused", "id": str(client_id), "reason": reason})
            return
        await self._to_room({"type": "room.chat", **line})

    async def room_relay(self, event):
        if event["sender"] != self.channel_name and await self._still_allowed():
            await self._send(event["message"])

    async def room_peer(self, event):
        if event["sender"] != self.channel_name and await self._still_allowed():
            await self._send(
                {"type": "peer", "state": event["state"], "presence": event["presence"]}
            )

    async def room_chat(self, event):
        if await self._still_allowed():
            mine = event["sender"] == self.channel_name
            line = {key: event[key] for key in ("id", "text", "at")}
            await self._send({"type": "chat", **line, "mine": mine})

    async def _send(self, message: dict) -> None:
        await self.send(text_data=json.dumps(message))

    async def _to_room(self, event: dict) -> None:
        await self.channel_layer.group_send(
            room_group(self.room.pk), {**event, "sender": self.channel_name}
        )

    def _dropped(self, reason: str) -> None:
        # Never the content: it may be the session's own words.
        self.dropped += 1
        logger.debug(
            "room %s: dropped a message (%s), %d so far", self.room_id, reason, self.dropped
        )

    @property
    def room_id(self):
        return self.room.pk if self.room is not None else None
