"""The room's socket: WebRTC signalling and live chat between the session's two parties.

The server checks and forwards: who may be here (``selectors.room_get_for_user``, and the
room's open window, asked when the socket opens and again when a revocation says the session
was cancelled or moved), at most one socket per participant and two per room
(``services.room_join``, through the database, so across every daphne process; a place whose
process died is taken over once it has gone unconfirmed for ``ROOM_ATTENDANCE_STALE_SECONDS``),
and the shape, size and pace of what they send. No query per message: the window's end is
known to the socket, the sweep closes it too (4410). Signalling is relayed to the other
participant, never back to the sender, and never stored or logged. A chat line is kept first,
encrypted, in the pair's conversation as the live session's transcript
(``services.room_chat_say``), then sent to both sides; never logged.

Client → server (JSON): ``offer``/``answer`` ``{"sdp": str}``; ``candidate``
``{"candidate": {...} | str | null}``; ``hangup``; ``screen`` ``{"sharing": bool}`` (a screen is
shared in place of the camera, or not any more); ``media`` ``{"video": bool, "lowered": bool}``
(on a poor link: the video sent is lowered, or both go on with audio only); ``screen-policy``
``{"patientMayShare": bool}`` (the therapist only: kept on the room, relayed to the patient);
``admit`` (the therapist only: the patient is let in from the waiting room; before that, a
call's signalling is not relayed); ``chat`` ``{"id": uuid, "text": str}`` (1 to 2000
characters; the id makes a resend after a reconnection one line); ``typing``; ``ping``
(answered with ``pong``, not relayed). Anything else, or malformed (not JSON, not an object,
nested too deep, invalid Unicode), or over 64 KB, is dropped and counted; the socket stays
open. A binary frame closes it (4415).
Server → client: the other side's signalling as above; ``{"type": "peer", "state":
"joined"|"left", "presence": int}`` (a newcomer is told ``joined`` too when the other side is
already there; ``presence`` tells one connection of theirs from the next, whatever order the
news of a reload arrives in); ``{"type": "chat", "id", "text", "at", "mine"}`` to both sides once
kept; ``{"type": "chat-refused", "id", "reason": "closed"|"invalid"|"too-fast"}`` to the sender;
``{"type": "admission", "admitted": bool, "late": int | null}`` first to every newcomer (false
for a call's patient still in the waiting room),
``{"type": "admitted"}`` to both when the therapist lets the patient in, and
``{"type": "late", "minutes": int}`` to a waiting patient when the therapist says they are late.

**A couples session's room** (its patient invited a partner: ``scheduling.models
.PartnerInvitation``) holds three sockets, and its call is a mesh: each participant has a peer
connection with each of the two others. Each socket has a participant id, the server's (its
attendance's id, the ``presence`` above). ``offer``, ``answer`` and ``candidate`` must say whom
they are for (``"to": <participant id>``; without it they are dropped) and reach that socket
only; the others (``hangup``, ``screen``, ``media``, ``typing``) go to both others unless
addressed. Every relayed frame arrives with ``"from": <participant id>``, which the server
writes (a client's ``from`` is never read). ``admission`` also says ``you`` (the participant
id), ``role`` ("therapist", "patient" or "partner") and ``roles`` (who is in the call: the
therapist, and each guest let in); ``peer`` frames carry the newcomer's ``role``; ``admit``
takes ``"who": "patient" | "partner" | "all"`` (the default) and ``admitted`` says ``roles``.
A guest still waiting receives no call signalling. The partner has no part in the chat (it is
kept in the patient's conversation with their therapist): their ``chat`` and ``typing`` are
dropped and nobody's reaches them. A room of two keeps its frames exactly as above.
"""

import asyncio
import logging
import uuid
from datetime import datetime
from weakref import WeakKeyDictionary

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.consumers import SessionCheckedConsumer, TokenBucket
from accounts.models import User
from core.frames import BadFrame
from core.realtime import (
    CLOSE_NOT_FOUND,
    CLOSE_ROOM_FULL,
    CLOSE_ROOM_NOT_OPEN,
    CLOSE_UNSUPPORTED_DATA,
    send_to_others,
)
from sessions_video import selectors, services
from sessions_video.models import Room

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

# What makes a call: relayed only once the patient is let in from the waiting room.
CALL_SIGNALLING = frozenset({"offer", "answer", "candidate", "hangup", "screen", "media"})

CANDIDATE_FIELDS = {"candidate": str, "sdpMid": str, "sdpMLineIndex": int, "usernameFragment": str}


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
        if kind == "screen" and isinstance(content.get("sharing"), bool):
            return {"type": kind, "sharing": content["sharing"]}
        if kind == "media" and all(isinstance(content.get(k), bool) for k in ("video", "lowered")):
            return {"type": kind, "video": content["video"], "lowered": content["lowered"]}
    except ValueError:
        return None
    return None


# A participant id: the server's number for one socket in a room (its attendance's id).
MAX_PARTICIPANT_ID = 2**63 - 1


def addressee(content) -> int | None:
    """Whom a couples room's frame is for: a participant id (``to``), or None when it names
    nobody (for everyone in the call). ValueError when ``to`` is there but is not a
    participant id (the frame is dropped)."""
    if not isinstance(content, dict) or content.get("to") is None:
        return None
    to = content["to"]
    if isinstance(to, bool) or not isinstance(to, int) or not 0 < to <= MAX_PARTICIPANT_ID:
        raise ValueError("not a participant id")
    return to


# In a couples room these go to one participant (``to``); the others, to everyone.
ADDRESSED = frozenset({"offer", "answer", "candidate"})


def admit_who(content) -> str | None:
    """Whom the therapist lets in, in a couples room: ``who`` is "patient", "partner" or
    "all" (the default); None when malformed."""
    if not isinstance(content, dict):
        return None
    who = content.get("who", "all")
    return who if isinstance(who, str) and who in services.ADMIT_WHO else None


def screen_policy(content) -> bool | None:
    """Whether the therapist lets the patient share their screen, or None if malformed."""
    if not isinstance(content, dict) or content.get("type") != "screen-policy":
        return None
    allowed = content.get("patientMayShare")
    return allowed if isinstance(allowed, bool) else None


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


class _Heartbeat:
    """The room sockets of one event loop (a daphne process), whose places it confirms every
    ``ROOM_HEARTBEAT_SECONDS`` with one query for all (``services.attendances_confirm``): a
    place left unconfirmed is taken over, its process must have died. A socket whose place was
    ended meanwhile is told (``RoomConsumer.taken_over``)."""

    _by_loop: "WeakKeyDictionary[asyncio.AbstractEventLoop, _Heartbeat]" = WeakKeyDictionary()

    def __init__(self) -> None:
        self.sockets: dict[int, RoomConsumer] = {}
        self.task: asyncio.Task | None = None
        self.closing: set[asyncio.Task] = set()  # kept until done (the loop holds tasks weakly)

    @classmethod
    def of_this_loop(cls) -> "_Heartbeat":
        loop = asyncio.get_running_loop()
        if loop not in cls._by_loop:
            cls._by_loop[loop] = cls()
        return cls._by_loop[loop]

    def add(self, consumer: "RoomConsumer") -> None:
        assert consumer.attendance is not None
        self.sockets[consumer.attendance] = consumer
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._beat(), name="room-heartbeat")

    def discard(self, attendance_id: int) -> None:
        self.sockets.pop(attendance_id, None)

    async def _beat(self) -> None:
        while self.sockets:
            await asyncio.sleep(settings.ROOM_HEARTBEAT_SECONDS)
            if not self.sockets:
                return
            try:
                gone = await database_sync_to_async(services.attendances_confirm)(
                    attendance_ids=list(self.sockets), now=timezone.now()
                )
            except Exception:  # the database away: the next beat tries again
                logger.exception("rooms: the heartbeat failed")
                continue
            for attendance_id in gone:
                consumer = self.sockets.pop(attendance_id, None)
                if consumer is not None:
                    task = asyncio.create_task(consumer.taken_over())
                    self.closing.add(task)
                    task.add_done_callback(self.closing.discard)


class RoomConsumer(SessionCheckedConsumer):
    """``ws/room/<token>/``. Refusals: 4404 not a party to a booked session (as the page's 404;
    a partner whose invitation was withdrawn too), 4410 the room is not open (yet, or any
    more), 4409 a socket of this user is already in the room or the room has its two (three
    in a couples session; or this one's place was taken over after it went quiet);
    4429 after persistent flooding; 4415 a binary frame."""

    max_frame_bytes = MAX_MESSAGE_BYTES

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.token = ""
        self.room: Room | None = None
        self.closes_at: datetime | None = None  # the end of the room's window, as last read
        self.attendance: int | None = None  # this connection's id, while it holds a place
        self.ghosts: list[int] = []  # places this one took over
        self.other_presence: int | None = None
        self.let_in = True  # a call's patient waits to be let in (``refusal`` reads it)
        self.is_therapist = False
        # A couples session's room (decided once, when the socket first opens): three people,
        # each frame of the call addressed to one of them (``to``, ``from``: participant ids).
        self.couples: bool | None = None
        self.role = ""
        self.others: list[tuple[int, str]] = []  # (participant id, role) of those here
        self.dropped = 0
        self.chat_bucket = TokenBucket(CHAT_BURST, CHAT_PER_SECOND)

    def pace(self) -> tuple[int, float, int]:
        return RATE_BURST, RATE_PER_SECOND, THROTTLED_BEFORE_CLOSE

    async def connect(self):
        self.token = self.scope["url_route"]["kwargs"]["token"]
        await super().connect()

    def groups_to_join(self) -> list[str]:
        return [services.room_group(self.token)]

    def refusal(self, user: User) -> int | None:
        """Checked when the socket opens and after a revocation (reads only): the room must
        still be the user's and open. The room as read is kept: ``admit`` takes a place in it,
        and the socket knows when its window ends."""
        room = selectors.room_get_for_user(user=user, token=self.token)
        if room is None:
            return CLOSE_NOT_FOUND
        if not room.appointment.room_is_open(timezone.now()):
            return CLOSE_ROOM_NOT_OPEN
        self.room, self.closes_at = room, room.appointment.room_closes_at
        self.is_therapist = user.pk == room.appointment.therapist_id
        self.role = selectors.room_role(room=room, user_id=user.pk)
        if self.couples is None:
            couples = selectors.room_couples(appointment_id=room.appointment_id)
            self.couples = couples is not None and room.has_waiting_room
        self.let_in = self._let_in(room)
        return None

    def _let_in(self, room: Room) -> bool:
        if not room.has_waiting_room:
            return True
        if not self.couples:
            return room.admitted_at is not None
        return self.role in selectors.room_admitted_roles(room=room)

    def admit(self, user: User) -> int | None:
        assert self.room is not None  # ``refusal`` said yes
        now = timezone.now()
        place = services.room_join(
            room=self.room,
            user=user,
            now=now,
            stale_before=services.attendance_stale_before(now=now),
            capacity=services.COUPLES_ROOM_CAPACITY if self.couples else services.ROOM_CAPACITY,
        )
        if place is None:
            return CLOSE_ROOM_FULL
        self.attendance, self.ghosts = place.attendance.pk, place.taken_over
        if self.couples:
            self.others = selectors.room_presences(room=self.room, user_id=user.pk)
        else:
            self.other_presence = selectors.room_other_party_presence(
                room_id=self.room.pk, user_id=user.pk
            )
        return None

    async def admitted(self) -> None:
        for presence in self.ghosts:  # the other side may still show them
            await self._to_others({"type": "room.peer", "state": "left", "presence": presence})
        assert self.room is not None
        late = None if self.let_in else self.room.late_minutes
        if self.couples:
            await self._send(
                {
                    "type": "admission",
                    "admitted": self.let_in,
                    "late": late,
                    "you": self.attendance,
                    "role": self.role,
                    "roles": selectors.room_admitted_roles(room=self.room),
                }
            )
            for presence, role in self.others:
                await self._send(
                    {"type": "peer", "state": "joined", "presence": presence, "role": role}
                )
        else:
            await self._send({"type": "admission", "admitted": self.let_in, "late": late})
            if self.other_presence is not None:
                await self._send(
                    {"type": "peer", "state": "joined", "presence": self.other_presence}
                )
        await self._to_others(
            {"type": "room.peer", "state": "joined", "presence": self.attendance, "role": self.role}
        )
        _Heartbeat.of_this_loop().add(self)

    def refusal_now(self) -> int | None:
        if self.closes_at is not None and timezone.now() >= self.closes_at:
            return CLOSE_ROOM_NOT_OPEN
        return None

    async def release(self) -> None:
        presence, self.attendance = self.attendance, None
        if presence is None:
            return
        _Heartbeat.of_this_loop().discard(presence)
        await database_sync_to_async(services.room_leave)(
            room=self.room, user=self.scope["user"], now=timezone.now(), attendance_id=presence
        )
        await self._to_others(
            {"type": "room.peer", "state": "left", "presence": presence, "role": self.role}
        )

    async def taken_over(self) -> None:
        """Its place was ended while it was open (taken over after it went quiet, or closed by
        the sweep): it is not in the room any more."""
        presence, self.attendance = self.attendance, None
        if presence is not None:
            _Heartbeat.of_this_loop().discard(presence)
        await self.end(CLOSE_ROOM_FULL)

    # -- frames ---------------------------------------------------------------------------------

    async def bad_frame(self, bad: BadFrame) -> None:
        if bad.close_code == CLOSE_UNSUPPORTED_DATA:
            await self.end(bad.close_code)
        else:
            self._dropped(bad.reason)

    async def receive_frame(self, content: dict) -> None:
        kind = content.get("type")
        if kind == "ping":
            await self._send({"type": "pong", "id": content.get("id")})
        elif kind == "chat":
            await self._chat(content)
        elif kind == "screen-policy":
            await self._screen_policy(content)
        elif kind == "admit":
            await self._admit(content)
        elif (message := relayable(content)) is not None:
            if not self.let_in and message["type"] in CALL_SIGNALLING:
                self._dropped("signalling from the waiting room")
                return
            if not self.couples:
                await self._to_others({"type": "room.relay", "message": message})
                return
            await self._relay_addressed(content, message)
        else:
            self._dropped("unknown or malformed")

    async def _relay_addressed(self, content: dict, message: dict) -> None:
        """A couples room's frame of the call, to one participant (``to``) or to all."""
        try:
            to = addressee(content)
        except ValueError:
            self._dropped("not addressed to a participant")
            return
        if to is None and message["type"] in ADDRESSED:
            self._dropped("not addressed to a participant")
            return
        if message["type"] == "typing" and self.role == selectors.PARTNER:
            self._dropped("typing from the partner, who has no chat")
            return
        # ``from`` is the server's to say: never taken from the frame.
        await self._to_others(
            {"type": "room.relay", "message": message, "from": self.attendance, "to": to}
        )

    async def _chat(self, content: dict) -> None:
        line = chat_line(content)
        if line is None:
            self._dropped("malformed chat")
            return
        if self.role == selectors.PARTNER:
            # The chat is kept in the patient's conversation with their therapist: their
            # record, which a partner has no part in.
            self._dropped("chat from the partner")
            return
        client_id, text = line
        if not self.chat_bucket.take():
            await self._send({"type": "chat-refused", "id": str(client_id), "reason": "too-fast"})
            return
        try:
            kept = await database_sync_to_async(services.room_chat_say)(
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
        await self._to_room({"type": "room.chat", **kept})

    async def _admit(self, content: dict) -> None:
        who = admit_who(content) if self.couples else "patient"
        if who is None:
            self._dropped("malformed admission")
            return
        try:
            roles = await database_sync_to_async(services.room_admit)(
                room=self.room, user=self.scope["user"], now=timezone.now(), who=who
            )
        except PermissionDenied:
            self._dropped("admission by the patient")
            return
        await self._to_room({"type": "room.admitted", "roles": roles})

    async def _screen_policy(self, content: dict) -> None:
        allowed = screen_policy(content)
        if allowed is None:
            self._dropped("malformed screen policy")
            return
        try:
            await database_sync_to_async(services.room_screen_policy_set)(
                room=self.room, user=self.scope["user"], patient_may_share=allowed
            )
        except PermissionDenied:
            self._dropped("screen policy from the patient")
            return
        message = {"type": "screen-policy", "patientMayShare": allowed}
        await self._to_others({"type": "room.relay", "message": message})

    # -- events of the room's group -------------------------------------------------------------

    async def room_relay(self, event):
        if self.attendance is None or event["sender"] == self.channel_name:
            return
        if not self.couples:
            if await self.still_allowed():
                await self._send(event["message"])
            return
        message = event["message"]
        to = event.get("to")
        if to is not None and to != self.attendance:
            return  # addressed to someone else
        if not self.let_in and message["type"] in CALL_SIGNALLING:
            return  # still in the waiting room: no call yet
        if message["type"] == "typing" and self.role == selectors.PARTNER:
            return
        if await self.still_allowed():
            await self._send({**message, "from": event.get("from")})

    async def room_peer(self, event):
        if self.attendance is None or event["sender"] == self.channel_name:
            return
        if event["state"] == "left" and event["presence"] == self.attendance:
            await self.taken_over()  # by another socket, after this one went quiet
            return
        if await self.still_allowed():
            peer = {"type": "peer", "state": event["state"], "presence": event["presence"]}
            if self.couples and event.get("role"):
                peer["role"] = event["role"]
            await self._send(peer)

    async def room_admitted(self, event):
        roles = event.get("roles") or ["patient"]
        if not self.couples or self.role in roles:
            self.let_in = True
        if self.attendance is not None and await self.still_allowed():
            await self._send(
                {"type": "admitted", "roles": roles} if self.couples else {"type": "admitted"}
            )

    async def room_late(self, event):
        if self.attendance is not None and not self.let_in and await self.still_allowed():
            await self._send({"type": "late", "minutes": event["minutes"]})

    async def room_chat(self, event):
        if self.attendance is None or self.role == selectors.PARTNER:
            return
        if await self.still_allowed():
            mine = event["sender"] == self.channel_name
            line = {key: event[key] for key in ("id", "text", "at")}
            await self._send({"type": "chat", **line, "mine": mine})

    async def _send(self, message: dict) -> None:
        await self.send_message(message)

    async def _to_room(self, event: dict) -> None:
        """To every socket of the room, this one included (a chat line comes back marked
        ``mine``; an admission tells the therapist's page too)."""
        await self.channel_layer.group_send(
            services.room_group(self.token), {**event, "sender": self.channel_name}
        )

    async def _to_others(self, event: dict) -> None:
        """To the room's other sockets: what this one sent (a frame of the call) or says of
        itself (joined, left)."""
        await send_to_others(
            self.channel_layer, services.room_group(self.token), event, self.channel_name
        )

    def _dropped(self, reason: str) -> None:
        # Never the content: it may be the session's own words.
        self.dropped += 1
        logger.debug(
            "room %s: dropped a message (%s), %d so far", self.room_id, reason, self.dropped
        )

    @property
    def room_id(self) -> int | None:
        return self.room.pk if self.room is not None else None
