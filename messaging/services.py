import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from matching.models import Match
from messaging.models import Conversation, Message
from teletherapy import crypto, realtime


def conversation_group(conversation_id: int) -> str:
    """The channel-layer group of the pages that have this conversation open."""
    return f"conversation.{conversation_id}"


def conversation_open(*, match_id: int) -> Conversation:
    """The conversation of a match that has just started (idempotent)."""
    match = Match.objects.select_related("therapist").get(pk=match_id)
    conversation, _created = Conversation.objects.get_or_create(
        match=match,
        defaults={
            "patient_id": match.patient_id,
            "therapist": match.therapist,
            "opened_at": match.started_at,
        },
    )
    return conversation


def conversation_close(*, match_id: int, now=None) -> int:
    """Close the conversation of a match that ended: still readable, no new messages."""
    return Conversation.objects.filter(match_id=match_id, closed_at__isnull=True).update(
        closed_at=now or timezone.now()
    )


def conversation_can_write(*, conversation: Conversation, user: User) -> bool:
    """Only the conversation's own patient and therapist write, and only while it is open; a
    therapist reading a patient's earlier, shared conversation only reads it."""
    return conversation.is_open and user.pk in (conversation.patient_id, conversation.therapist_id)


def message_send(
    *, conversation: Conversation, sender: User, body: str, client_id: uuid.UUID, now=None
) -> Message:
    """Keep a message, encrypted; sending the same ``client_id`` again returns the first one.

    ``conversation`` comes from ``selectors.conversation_get_for_user`` for ``sender``.
    """
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError(_("Write something first."), code="empty")
    if len(body) > Message.MAX_LENGTH:
        raise ValidationError(
            _("A message can be at most %(limit)s characters; this one has %(length)s.")
            % {"limit": f"{Message.MAX_LENGTH:,}", "length": f"{len(body):,}"},
            code="too_long",
        )
    if sender.pk not in (conversation.patient_id, conversation.therapist_id):
        raise PermissionDenied("only the two parties write in a conversation")
    existing = Message.objects.filter(conversation=conversation, client_id=client_id).first()
    if existing is not None:
        return existing
    if not conversation.is_open:
        raise ValidationError(
            _("This conversation is closed: it stays here for you to read."), code="closed"
        )
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                sender=sender,
                client_id=client_id,
                body_encrypted=crypto.encrypt_text(body),
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        # The same message sent twice at the same moment: the first one won.
        return Message.objects.get(conversation=conversation, client_id=client_id)
    # Ids only: the open page fetches the new message through the permission-checked view.
    _announce(conversation, {"kind": "message.new", "message": message.pk, "by": sender.pk})
    realtime.send_to_users(_others(conversation, sender), {"kind": "messages.unread"})
    return message


def _announce(conversation: Conversation, event: dict) -> None:
    """Tell the pages that have this conversation open (each socket re-checks its reader)."""
    event = {**event, "conversation": conversation.pk}
    realtime.publish([conversation_group(conversation.pk)], event)


def _others(conversation: Conversation, user: User) -> list[int]:
    return [pk for pk in (conversation.patient_id, conversation.therapist_id) if pk != user.pk]


def message_body(message: Message) -> str:
    return crypto.decrypt_text(message.body_encrypted)


def messages_mark_read(*, conversation: Conversation, reader: User, now=None) -> int:
    """The reader has seen everything the other side wrote: mark it read, once. Only the two
    parties mark anything read (a therapist reading shared earlier messages does not)."""
    if reader.pk not in (conversation.patient_id, conversation.therapist_id):
        return 0
    marked = (
        conversation.messages.filter(read_at__isnull=True)
        .exclude(sender=reader)
        .update(read_at=now or timezone.now())
    )
    if marked:
        _announce(conversation, {"kind": "message.read", "by": reader.pk})
        realtime.send_to_users([reader.pk], {"kind": "messages.unread"})
    return marked
