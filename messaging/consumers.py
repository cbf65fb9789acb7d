from accounts.models import User
from messaging import selectors
from messaging.services import conversation_group
from teletherapy.consumers import SessionCheckedConsumer
from teletherapy.realtime import CLOSE_NOT_FOUND


class ConversationConsumer(SessionCheckedConsumer):
    """The live side of one open conversation page: new messages and read receipts, as ids.

    Who may connect, and who may receive each event, is decided by the selector the HTTP views
    use (``conversations_for_user``): an outsider, or a therapist whose match has ended, is closed
    with 4404, as the page would answer 404.
    """

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
