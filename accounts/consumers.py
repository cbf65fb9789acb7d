"""The base of every socket: authorised once when it opens, closed by revocations, never
crashed by what a client sends.

How a socket lives (``SessionCheckedConsumer``):

- **Opening.** It joins its groups — its own (a user's events, a conversation, a room) and the
  two that revocations are sent to: its login session's and its user's — and then asks the
  database, once: is the session still logged in, the user active, with the second factor they
  need, and allowed what the socket is for (``refusal``)? Joining before asking means that no
  revocation sent while it asks is missed. It is accepted with the answer, even a no (then
  closed at once), so that a refusal reaches the page as a close code it can act on.
- **Then no query per frame or per event.** What changes a user's rights is sent to the groups
  of the sockets it concerns as a revocation (``core.realtime.revoke``): a password change, a
  deactivation, a suspension, a match ending, a session cancelled or moved, a room's window
  over. The socket asks again once and closes with the refusal's code (``access_revoked``); a
  log-out closes it at once (``session_end``). As a backstop for a revocation that went missing
  (Redis down at the wrong moment), the first frame or event ``SOCKET_RECHECK_SECONDS`` after
  the last answer asks again.
- **Frames** are read by ``core.frames.frame_read`` (size, depth and Unicode checked before
  anything else) and paced by a token bucket: frames beyond it are dropped, and past a
  threshold the socket is closed with 4429. A bad frame closes the socket with its code
  (4400, 4413, 4415); the room drops most of them instead, as its protocol says.
- **Whatever the exit** — a close by either side, a refusal, a bad frame, a handler that
  raised (logged, closed with 4500) — what the socket holds is given back once (``release``):
  its groups, and what a subclass took (the room's place).
"""

import asyncio
import json
import logging
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts import selectors
from accounts.models import User
from core.frames import BadFrame, frame_read
from core.realtime import (
    CLOSE_FORBIDDEN,
    CLOSE_SERVER_ERROR,
    CLOSE_TOO_MANY_MESSAGES,
    CLOSE_UNAUTHENTICATED,
    session_group,
    user_sockets_group,
)

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4096


class TokenBucket:
    """``burst`` frames at once, refilled at ``per_second``: ``take()`` says whether one more
    may pass now."""

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


class SessionCheckedConsumer(AsyncWebsocketConsumer):
    """A socket that lives as long as its login session is good and its user may hold it
    (see the module's docstring). Subclasses name their groups (``groups_to_join``), their
    rule (``refusal``, synchronous, read only, in the same database round trip as the session
    check), what they take once allowed (``admit``) and give back (``release``), and what
    they do with a well-formed frame (``receive_frame``)."""

    max_frame_bytes = MAX_MESSAGE_BYTES

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_id: int | None = None
        self.session_key: str | None = None
        self.joined: list[str] = []
        self.checked_at = 0.0  # when the last "yes" was given (wall clock: tests control it)
        self.closing = False
        self.released = False
        burst, per_second, self.throttled_before_close = self.pace()
        self.bucket = TokenBucket(burst, per_second)
        self.throttled = 0

    # -- what subclasses say --------------------------------------------------------------------

    def pace(self) -> tuple[int, float, int]:
        """(frames at once, frames refilled per second, frames dropped before closing)."""
        return (
            settings.SOCKET_RATE_BURST,
            settings.SOCKET_RATE_PER_SECOND,
            settings.SOCKET_THROTTLED_BEFORE_CLOSE,
        )

    def groups_to_join(self) -> list[str]:
        raise NotImplementedError

    def refusal(self, user: User) -> int | None:
        """The close code that refuses ``user`` now, beyond their session, or None. Reads only:
        asked when the socket opens and again after a revocation."""
        return None

    def admit(self, user: User) -> int | None:
        """Once allowed, in the same database round trip: take what the socket holds (a room's
        place), or the close code that refuses it."""
        return None

    def refusal_now(self) -> int | None:
        """A refusal known without the database (a room whose window has ended), asked before
        each frame and event."""
        return None

    async def admitted(self) -> None:
        """The socket is open and allowed: say so to whom it concerns."""

    async def release(self) -> None:
        """Give back what ``admit`` took. Runs once, whatever the exit."""

    async def receive_frame(self, content: dict) -> None:
        """A well-formed frame, paced and allowed: answer pings; ignore what is not known (a
        page newer than the server may say more)."""
        if content.get("type") == "ping":
            await self.send_message({"type": "pong", "id": content.get("id")})

    async def bad_frame(self, bad: BadFrame) -> None:
        await self.end(bad.close_code)

    # -- the life of a socket -------------------------------------------------------------------

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A crash, a cancellation, a server shutting down: what is held is given back.
            await asyncio.shield(self._release())

    async def dispatch(self, message):
        # Channels' own dispatch also closes old database connections, a thread hop for every
        # frame; every database call here goes through database_sync_to_async, which does it.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        try:
            await handler(message)
        except StopConsumer:
            raise
        except Exception:
            # Never the frame or the event: they may be someone's words.
            logger.exception("%s: %s failed", type(self).__name__, message["type"])
            await self.end(CLOSE_SERVER_ERROR)
            if message["type"] == "websocket.disconnect":
                raise StopConsumer() from None

    async def connect(self):
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        user = self.scope.get("user")
        self.user_id = user.pk if user is not None else None
        if self.session_key is None or self.user_id is None:
            await self.accept()
            await self.end(CLOSE_UNAUTHENTICATED)
            return
        groups = [
            *self.groups_to_join(),
            session_group(self.session_key),
            user_sockets_group(self.user_id),
        ]
        self.joined = groups
        await asyncio.gather(
            *(self.channel_layer.group_add(group, self.channel_name) for group in groups)
        )
        refusal = await database_sync_to_async(self._admission)()
        # Accepted once the answer is known (an open room socket holds its place), and even
        # to refuse: the page then reads the close code.
        await self.accept()
        if refusal is not None:
            await self.end(refusal)
            return
        await self.admitted()

    async def disconnect(self, code):
        await self._release()

    async def end(self, code: int) -> None:
        """Give back what the socket holds, then close it with ``code`` (once)."""
        if self.closing:
            return
        self.closing = True
        try:
            await self._release()
        finally:
            await self.close(code=code)

    async def _release(self) -> None:
        if self.released:
            return
        self.released = True
        try:
            await self.release()
        finally:
            joined, self.joined = self.joined, []
            results = await asyncio.gather(
                *(self.channel_layer.group_discard(group, self.channel_name) for group in joined),
                return_exceptions=True,
            )
            if any(isinstance(result, BaseException) for result in results):
                # The channel layer's group expiry removes them in the end.
                logger.warning("%s: could not leave its groups", type(self).__name__)

    # -- frames and events ----------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self.closing:
            return
        if not self.bucket.take():
            self.throttled += 1
            if self.throttled > self.throttled_before_close:
                await self.end(CLOSE_TOO_MANY_MESSAGES)
            return
        try:
            content = frame_read(text_data, bytes_data, max_bytes=self.max_frame_bytes)
        except BadFrame as bad:
            await self.bad_frame(bad)
            return
        if await self.still_allowed():
            await self.receive_frame(content)

    async def app_event(self, message):
        """An event from ``realtime.publish``: ids and kinds only, never content."""
        if await self.still_allowed():
            await self.send_message(message["event"])

    async def access_revoked(self, message):
        """Something that authorised this socket may have changed (``realtime.revoke``): ask
        again once, or close with the code the message carries."""
        if self.closing:
            return
        code = message.get("code")
        if code is None:
            code = await self._recheck()
        if code is not None:
            await self.end(code)

    async def session_end(self, message):
        """Its login session was logged out."""
        await self.end(CLOSE_UNAUTHENTICATED)

    async def still_allowed(self) -> bool:
        """False (and the socket closing) when it may no longer be open. No query, but for
        the backstop: once ``SOCKET_RECHECK_SECONDS`` have passed since the last answer."""
        if self.closing:
            return False
        refusal = self.refusal_now()
        elapsed = time.time() - self.checked_at
        if refusal is None and not 0 <= elapsed < settings.SOCKET_RECHECK_SECONDS:
            refusal = await self._recheck()
        if refusal is not None:
            await self.end(refusal)
            return False
        return True

    async def send_message(self, message: dict) -> None:
        if not self.closing:
            await self.send(text_data=json.dumps(message))

    # -- the check ------------------------------------------------------------------------------

    def _check(self) -> tuple[User | None, int | None]:
        session_key = self.session_key
        user = selectors.user_get_for_session(session_key=session_key) if session_key else None
        if user is None or user.pk != self.user_id:
            return None, CLOSE_UNAUTHENTICATED
        if selectors.user_needs_mfa_setup(user=user):
            return user, CLOSE_FORBIDDEN
        return user, self.refusal(user)

    def _admission(self) -> int | None:
        user, refusal = self._check()
        if refusal is None and user is not None:
            refusal = self.admit(user)
        self.checked_at = time.time()
        return refusal

    async def _recheck(self) -> int | None:
        _user, refusal = await database_sync_to_async(self._check)()
        self.checked_at = time.time()
        return refusal
