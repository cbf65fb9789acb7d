"""The user's own live events socket (``/ws/events/``): every page of a logged-in user holds one."""

from accounts.consumers import SessionCheckedConsumer
from core.realtime import user_group


class EventsConsumer(SessionCheckedConsumer):
    """A user's live events (``realtime.send_to_users``). Answers pings."""

    def groups_to_join(self) -> list[str]:
        assert self.user_id is not None  # asked once the session named a user
        return [user_group(self.user_id)]
