"""The live side of an open conversation page (``/ws/conversations/<id>/``)."""

from accounts.consumers import SessionCheckedConsumer
from accounts.models import User
from core.realtime import CLOSE_NOT_FOUND
from messaging import selectors
from messaging.services import conversation_group


class ConversationConsumer(SessionCheckedConsumer):
    """The live side of one open conversation page: new messages and read receipts, as ids.

    Who may connect is decided by the selector the HTTP views use (``conversations_for_user``):
    an outsider, a suspended therapist, or a later therapist whose match (and so the patient's
    consent to share history) has ended, is closed with 4404, as the page would answer 404.
    Losing that right is announced to the socket (``messaging.receivers``, ``accounts.receivers``:
    a match ending, a suspension), which asks again and closes. A former therapist keeps reading
    their own, closed conversation, so their socket stays open.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conversation_id = 0

    def groups_to_join(self) -> list[str]:
        return [conversation_group(self.conversation_id)]

    async def connect(self):
        self.conversation_id = self.scope["url_route"]["kwargs"]["pk"]
        await super().connect()

    def refusal(self, user: User) -> int | None:
        if not selectors.conversation_readable_by(user=user, pk=self.conversation_id):
            return CLOSE_NOT_FOUND
        return None

    async def app_event(self, message):
        # The one who acted already sees it: only the other side's pages hear of it.
        if message["event"].get("by") != self.user_id:
            await super().app_event(message)
