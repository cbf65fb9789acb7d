import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts import selectors
from accounts.models import User
from teletherapy.realtime import (
    CLOSE_FORBIDDEN,
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_UNAUTHENTICATED,
    session_group,
    user_group,
)

MAX_MESSAGE_BYTES = 4096
CLOSE_UNSUPPORTED_DATA = 1003


class SessionCheckedConsumer(AsyncWebsocketConsumer):
    """A socket that lives only as long as its login session is good, and whose user is asked
    again, for every message and every event, whether they may still have it.

    A socket must not outlive a log-out elsewhere, a password change, a suspension or the end of
    what it was opened for. Subclasses name their groups (``groups``) and add their own rule
    (``refusal``, synchronous, in the same database round trip as the session check).

    ``recheck_after_seconds``: how long a "yes" holds (by the wall clock, which tests control);
    0, the default, asks again for every message and event. A log-out closes the socket at once
    whatever it is (``session_end``).
    """

    recheck_after_seconds = 0.0

    async def connect(self):
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        self.user_id = self.scope["user"].pk
        self.joined: list[str] = []
        self.allowed_at: float | None = None
        # Accept first so that a refusal reaches the browser as a close code it can act on.
        await self.accept()
        if not await self._still_allowed():
            return
        for group in (*self.groups_to_join(), session_group(self.session_key)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)

    def groups_to_join(self) -> list[str]:
        raise NotImplementedError

    def refusal(self, user: User) -> int | None:
        """The close code that refuses ``user`` now, beyond their session, or None."""
        return None

    async def disconnect(self, code):
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self.close(code=CLOSE_UNSUPPORTED_DATA)
            return
        if len(text_data.encode()) > MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_MESSAGE_TOO_BIG)
            return
        if not await self._still_allowed():
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send(text_data=json.dumps({"type": "pong", "id": content.get("id")}))

    async def app_event(self, message):
        """An event from ``realtime.publish``: ids and kinds only, never content."""
        if await self._still_allowed():
            await self.send(text_data=json.dumps(message["event"]))

    async def session_end(self, message):
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _still_allowed(self) -> bool:
        now = time.time()
        if self.allowed_at is not None and 0 <= now - self.allowed_at < self.recheck_after_seconds:
            return True
        refusal = await self._refusal()
        if refusal is not None:
            self.allowed_at = None
            await self.close(code=refusal)
            return False
        self.allowed_at = now
        return True

    @database_sync_to_async
    def _refusal(self) -> int | None:
        session_key = self.session_key
        user = selectors.user_get_for_session(session_key=session_key) if session_key else None
        if user is None or user.pk != self.user_id:
            return CLOSE_UNAUTHENTICATED
        if selectors.user_needs_mfa_setup(user=user):
            return CLOSE_FORBIDDEN
        return self.refusal(user)


class EventsConsumer(SessionCheckedConsumer):
    """A user's live events (``realtime.send_to_users``). Answers pings."""

    def groups_to_join(self) -> list[str]:
        return [user_group(self.user_id)]
