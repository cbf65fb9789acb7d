import uuid
from datetime import datetime
from functools import partial
from pathlib import PurePosixPath

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from matching.models import Match
from messaging import selectors
from messaging.models import Attachment, Conversation, Message, attachment_file_name
from teletherapy import crypto, realtime, uploads
from teletherapy.mail import send_templated_mail, site_link
from teletherapy.storage import private_storage


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
    *,
    conversation: Conversation,
    sender: User,
    body: str,
    client_id: uuid.UUID,
    upload: UploadedFile | None = None,
    live_session: bool = False,
    seen_at=None,
    now=None,
) -> Message:
    """Keep a message, encrypted, with at most one attached file (PDF, JPEG or PNG, checked from
    its content, encrypted too); sending the same ``client_id`` again returns the first one.

    ``live_session``: written in a session room's chat, kept as the session's transcript;
    ``seen_at``: when the recipient already saw it (there, in the room).

    ``conversation`` comes from ``selectors.conversation_get_for_user`` for ``sender``. Errors
    are a ValidationError keyed by form field (``body``, ``attachment``); nothing is kept then.
    """
    if sender.pk not in (conversation.patient_id, conversation.therapist_id):
        raise PermissionDenied("only the two parties write in a conversation")
    existing = Message.objects.filter(conversation=conversation, client_id=client_id).first()
    if existing is not None:
        return existing
    if not conversation.is_open:
        raise _field_error(
            "body", _("This conversation is closed: it stays here for you to read."), "closed"
        )
    body = _message_body_clean(body, with_file=upload is not None)
    content_type = _attachment_check(upload) if upload is not None else None
    stored: list[str] = []
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                sender=sender,
                client_id=client_id,
                body_encrypted=crypto.encrypt_text(body),
                created_at=now or timezone.now(),
                live_session=live_session,
                read_at=seen_at,
            )
            if upload is not None:
                _attachment_store(message, upload, content_type, stored=stored)
    except IntegrityError:
        # The same message sent twice at the same moment: the first one won.
        _files_delete(stored)
        return Message.objects.get(conversation=conversation, client_id=client_id)
    except BaseException:
        _files_delete(stored)
        raise
    # Ids only: the open page fetches the new message through the permission-checked view.
    _announce(conversation, {"kind": "message.new", "message": message.pk, "by": sender.pk})
    realtime.send_to_users(_others(conversation, sender), {"kind": "messages.unread"})
    return message


def _message_body_clean(body: str, *, with_file: bool) -> str:
    body = body.replace("\r\n", "\n").strip()
    if not body and not with_file:
        raise _field_error("body", _("Write something first."), "empty")
    if len(body) > Message.MAX_LENGTH:
        raise _field_error(
            "body",
            _("A message can be at most %(limit)s characters; this one has %(length)s.")
            % {"limit": f"{Message.MAX_LENGTH:,}", "length": f"{len(body):,}"},
            "too_long",
        )
    return body


def _field_error(field: str, message: str, code: str) -> ValidationError:
    """An error the form shows beside ``field``; ``.error_dict[field][0].code`` says which."""
    return ValidationError({field: ValidationError(message, code=code)})


def _attachment_check(upload: UploadedFile) -> str:
    try:
        return uploads.validate_upload(upload, allowed=uploads.DOCUMENT_TYPES)
    except ValidationError as error:
        raise ValidationError({"attachment": error}) from None


def _attachment_store(
    message: Message, upload: UploadedFile, content_type: str, *, stored: list[str]
) -> Attachment:
    """Encrypt and keep the file; its stored name goes in ``stored`` for the caller to remove
    should the message not be kept after all."""
    upload.seek(0)
    data = upload.read()
    name = _attachment_name(upload.name or "", content_type)
    attachment = Attachment(
        message=message,
        name_encrypted=crypto.encrypt_text(name),
        content_type=content_type,
        size=len(data),
    )
    attachment.file.save("attachment", ContentFile(crypto.encrypt_bytes(data)), save=False)
    stored.append(attachment.file.name)
    attachment.save()
    return attachment


def _attachment_name(name: str, content_type: str) -> str:
    """The name the file is offered under again: the sender's, minus any path, with the
    extension of what it really is."""
    stem = PurePosixPath(name.replace("\\", "/")).stem.strip()[:120] or "file"
    return stem + uploads.EXTENSIONS[content_type]


def _files_delete(names: list[str]) -> None:
    for name in names:
        private_storage.delete(name)


def attachment_name(attachment: Attachment) -> str:
    return crypto.decrypt_text(attachment.name_encrypted)


def attachment_content(attachment: Attachment) -> tuple[str, bytes]:
    """The file's name and bytes, decrypted, for a reader the caller has checked."""
    with attachment.file.open("rb") as stored:
        data = crypto.decrypt_bytes(stored.read())
    return attachment_name(attachment), data


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


def messages_reencrypt(*, batch_size: int = 500) -> tuple[int, int]:
    """Encrypt every message body, file name and file again with the newest key of
    MESSAGE_ENCRYPTION_KEYS, so an older key can then be removed. Safe to run while people
    write (each row is rewritten only if unchanged since it was read) and to run again.
    Returns (messages, attachments) rewritten."""
    messages = 0
    last = 0
    while batch := list(
        Message.objects.filter(pk__gt=last)
        .order_by("pk")
        .values_list("pk", "body_encrypted")[:batch_size]
    ):
        for pk, token in batch:
            rotated = crypto.rotate(token.encode()).decode()
            messages += Message.objects.filter(pk=pk, body_encrypted=token).update(
                body_encrypted=rotated
            )
        last = batch[-1][0]
    attachments = 0
    for attachment in Attachment.objects.order_by("pk").iterator(chunk_size=batch_size):
        attachments += _attachment_reencrypt(attachment)
    return messages, attachments


def _attachment_reencrypt(attachment: Attachment) -> int:
    """Write the rotated file under a new name, point the row at it, then remove the old file:
    a crash at any step leaves a readable attachment."""
    old_name = attachment.file.name
    with attachment.file.open("rb") as stored:
        rotated = crypto.rotate(stored.read())
    new_name = private_storage.save(
        attachment_file_name(attachment, "attachment"), ContentFile(rotated)
    )
    updated = Attachment.objects.filter(pk=attachment.pk, file=old_name).update(
        file=new_name, name_encrypted=crypto.rotate(attachment.name_encrypted.encode()).decode()
    )
    private_storage.delete(old_name if updated else new_name)
    return updated


# --- "You have a new message" emails ----------------------------------------------------------


def notifications_send(*, now: datetime | None = None) -> int:
    """Email "you have a new message" to each recipient whose messages have waited unread long
    enough (``selectors.messages_to_notify``); returns how many emails were sent.

    Run every minute by Celery beat. One email covers all that the recipient has not read in
    the conversation, and marks it notified; what arrives while they were emailed recently waits
    for the next allowed email. Safe when two sweeps run at once: each conversation is handled
    under its row lock, and one that another sweep holds is left to that sweep.
    """
    now = now or timezone.now()
    waiting = (
        selectors.messages_to_notify(now=now)
        .order_by("conversation_id")
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    sent = 0
    for conversation_id in list(waiting):
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update(skip_locked=True)
                .filter(pk=conversation_id)
                .first()
            )
            if conversation is None:
                continue
            for recipient_id in (conversation.patient_id, conversation.therapist_id):
                sent += _notification_send(
                    conversation=conversation, recipient_id=recipient_id, now=now
                )
    return sent


def _notification_send(*, conversation: Conversation, recipient_id: int, now: datetime) -> bool:
    """Email this side of the conversation if a message is waiting for them. The caller holds
    the conversation's row lock."""
    # Asked again under the lock: another sweep may have emailed, the recipient may have read.
    waiting = selectors.messages_to_notify(now=now).filter(conversation=conversation)
    if not waiting.exclude(sender_id=recipient_id).exists():
        return False
    conversation.messages.filter(
        read_at__isnull=True, notified_at__isnull=True, created_at__lte=now
    ).exclude(sender_id=recipient_id).update(notified_at=now)
    if recipient_id == conversation.patient_id:
        conversation.patient_notified_at = now
        conversation.save(update_fields=["patient_notified_at"])
    else:
        conversation.therapist_notified_at = now
        conversation.save(update_fields=["therapist_notified_at"])
    transaction.on_commit(
        partial(_email_new_message, conversation_id=conversation.pk, recipient_id=recipient_id)
    )
    return True


def _email_new_message(*, conversation_id: int, recipient_id: int) -> None:
    # Only a link: never the message, who wrote it, or either side's name.
    recipient = User.objects.get(pk=recipient_id)
    send_templated_mail(
        template="emails/message_new.txt",
        to=[recipient.email],
        language=recipient.language,
        context={"link": site_link("conversation", conversation_id)},
    )
