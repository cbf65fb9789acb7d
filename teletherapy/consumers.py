import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts import selectors
from teletherapy.realtime import (
    CLOSE_FORBIDDEN,
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_UNAUTHENTICATED,
    session_group,
    user_group,
)

MAX_MESSAGE_BYTES = 4096
CLOSE_UNSUPPORTED_DATA = 1003


@database_sync_to_async
def _session_refusal(session_key: str | None, user_id: int | None) -> int | None:
    """The close code that refuses this socket now, or None while its session is good."""
    user = selectors.user_get_for_session(session_key=session_key) if session_key else None
    if user is None or user.pk != user_id:
        return CLOSE_UNAUTHENTICATED
    if selectors.user_needs_mfa_setup(user=user):
        return CLOSE_FORBIDDEN
    return None


class EventsConsumer(AsyncWebsocketConsumer):
    """A user's live events. Joins only that user's groups; answers pings.

    The session is checked again for every message and event: a socket must not outlive a
    log-out elsewhere, a password change or a suspension.
    """

    async def connect(self):
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        self.user_id = self.scope["user"].pk
        self.joined: list[str] = []
        refusal = await _session_refusal(self.session_key, self.user_id)
        await self.accept()
        if refusal is not None:
            await self.close(code=refusal)
            return
        for group in (user_group(self.user_id), session_group(self.session_key)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)

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

    async def user_event(self, message):
        if await self._still_allowed():
            await self.send(text_data=json.dumps(message["event"]))

    async def session_end(self, message):
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _still_allowed(self) -> bool:
        refusal = await _session_refusal(self.session_key, self.user_id)
        if refusal is not None:
            await self.close(code=refusal)
            return False
        return True
