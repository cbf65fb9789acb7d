"""Every write of messaging: conversations opened and closed with their match, messages and
files kept encrypted, read receipts, key rotation, and the "you have a new message" emails.

Each change is announced on commit through ``core.realtime`` with ids only: to the pages that
have the conversation open (``conversation.<id>`` group) and to both parties' own event sockets.
"""

import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import crypto, realtime, uploads
from core.errors import field_error
from core.mail import send_templated_mail, site_link
from core.storage import private_storage
from matching.models import Match
from messaging import selectors, voice
from messaging.models import Attachment, Conversation, Message, attachment_file_name


def conversation_group(conversation_id: int) -> str:
    """The channel-layer group of the pages that have this conversation open."""
    return f"conversation.{conversation_id}"


def conversation_open(*, match_id: int) -> Conversation:
    """The conversation of a match that has just started (idempotent)."""
    match = Match.objects.select_related("therapist").get(pk=match_id)
    conversation, created = Conversation.objects.get_or_create(
        match=match,
        defaults={
            "patient_id": match.patient_id,
            "therapist": match.therapist,
            "opened_at": match.started_at,
        },
    )
    if created:
        _activity(conversation, "opened", to=_parties(conversation))
    return conversation


def conversation_close(*, match_id: int, now=None) -> int:
    """Close the conversation of a match that ended: still readable by both, no new messages."""
    conversation = Conversation.objects.filter(match_id=match_id, closed_at__isnull=True).first()
    if conversation is None:
        return 0
    closed = Conversation.objects.filter(pk=conversation.pk, closed_at__isnull=True).update(
        closed_at=now or timezone.now()
    )
    if closed:
        _activity(conversation, "closed", to=_parties(conversation))
    return closed


def message_send(
    *,
    conversation: Conversation,
    sender: User,
    body: str,
    client_id: uuid.UUID,
    upload: UploadedFile | None = None,
    voice_recording: bool = False,
    live_session: bool = False,
    seen_at=None,
    now=None,
) -> Message:
    """Keep a message, encrypted, with at most one attached file (PDF, JPEG or PNG, checked from
    its content, encrypted too); sending the same ``client_id`` again returns the first one.
    ``voice_recording``: the file is a voice message's recording (``voice_message_send``).

    ``live_session``: written in a session room's chat, kept as the session's transcript;
    ``seen_at``: when the recipient already saw it (there, in the room).

    ``conversation`` comes from ``selectors.conversation_get_for_user`` for ``sender``. Errors
    are a ValidationError keyed by form field (``body``, ``attachment``); nothing is kept then.
    """
    if not selectors.conversation_is_party(conversation=conversation, user=sender):
        raise PermissionDenied("only the two parties write in a conversation")
    if not conversation.is_open:
        # A retry of a message kept before the conversation closed still finds it.
        existing = selectors.message_sent(conversation=conversation, client_id=client_id)
        if existing is not None:
            return existing
        raise field_error(
            "body", _("This conversation is closed: it stays here for you to read."), "closed"
        )
    body = _message_body_clean(body, with_file=upload is not None)
    checked = None
    if upload is not None:
        checked = _voice_check(upload) if voice_recording else _attachment_check(upload)
    stored: list[str] = []
    # A message alone is one INSERT: outside a transaction it needs none of its own (no BEGIN
    # and COMMIT round trips; a refused repeat breaks nothing); inside the caller's, a
    # savepoint keeps a refused repeat from breaking it; with a file, both rows or neither.
    alone = checked is None and not transaction.get_connection().in_atomic_block
    try:
        with nullcontext() if alone else transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                sender=sender,
                client_id=client_id,
                body_encrypted=crypto.encrypt_text_for(conversation.patient_id, body),
                created_at=now or timezone.now(),
                live_session=live_session,
                read_at=seen_at,
            )
            if upload is not None and checked is not None:
                _attachment_store(message, upload, checked, stored=stored)
            # As its selectors say it (``selectors._with_files``): no query for files it has not.
            message.has_files = checked is not None  # type: ignore[attr-defined]
    except IntegrityError:
        # Sent before (a retry, a double submit; the unique constraint answers, no SELECT
        # first): the first one is the message.
        _files_delete(stored)
        first = selectors.message_sent(conversation=conversation, client_id=client_id)
        if first is None:  # not a repeat: another constraint refused the row
            raise
        return first
    except BaseException:
        _files_delete(stored)
        raise
    # Ids only: the open page fetches the new message through the permission-checked view. One
    # publish: the conversation's open pages, the other side's unread count, both lists.
    realtime.publish_all(
        [
            _announcement(
                conversation, {"kind": "message.new", "message": message.pk, "by": sender.pk}
            ),
            ([realtime.user_group(pk) for pk in _others(conversation, sender)], _UNREAD),
            _activity_delivery(
                conversation, "message", to=_parties(conversation), message=message.pk, by=sender.pk
            ),
        ]
    )
    return message


def _message_body_clean(body: str, *, with_file: bool) -> str:
    body = body.replace("\r\n", "\n").strip()
    if not body and not with_file:
        raise field_error("body", _("Write something first."), "empty")
    if len(body) > Message.MAX_LENGTH:
        raise field_error(
            "body",
            _("A message can be at most %(limit)s characters; this one has %(length)s.")
            % {"limit": f"{Message.MAX_LENGTH:,}", "length": f"{len(body):,}"},
            "too_long",
        )
    return body


@dataclass(frozen=True)
class _CheckedFile:
    content_type: str
    data: bytes | None = None  # what to keep, when not the upload's bytes as they came
    duration_ms: int | None = None  # a voice message's length


def _attachment_check(upload: UploadedFile) -> _CheckedFile:
    try:
        return _CheckedFile(uploads.validate_upload(upload, allowed=uploads.DOCUMENT_TYPES))
    except ValidationError as error:
        raise ValidationError({"attachment": error}) from None


# A recording may last a little longer than the limit: the browser stops it at the limit, and
# its last packet and the container's timing may end a fraction of a second later.
VOICE_TOLERANCE_SECONDS = 1.0


def _voice_check(upload: UploadedFile) -> _CheckedFile:
    """A voice recording checked from its bytes: Opus in WebM or Ogg, its length read from the
    file (never the browser's word), not empty, within VOICE_MESSAGE_MAX_SECONDS and
    VOICE_MESSAGE_MAX_BYTES. A WebM file without a duration (MediaRecorder's) is kept with the
    one read written into it, so that players can show its length and seek in it."""
    limit = settings.VOICE_MESSAGE_MAX_BYTES
    size = upload.size or 0
    if size > limit:
        raise field_error(
            "voice",
            _("This recording is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            "too_large",
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise field_error(
            "voice",
            _("This recording is over %(limit)s.") % {"limit": filesizeformat(limit)},
            "too_large",
        )
    if not data:
        raise field_error("voice", _("This recording is empty: nothing was recorded."), "empty")
    try:
        audio = voice.inspect(data)
    except voice.AudioUnreadable as error:
        if error.code == "not_audio":
            raise field_error(
                "voice",
                _("This is not a voice recording (Opus audio in WebM or Ogg)."),
                "not_audio",
            ) from None
        raise field_error(
            "voice", _("This recording is damaged: please record it again."), "damaged"
        ) from None
    if audio.duration <= 0:
        raise field_error("voice", _("This recording is empty: nothing was recorded."), "empty")
    seconds = settings.VOICE_MESSAGE_MAX_SECONDS
    if audio.duration > seconds + VOICE_TOLERANCE_SECONDS:
        raise field_error(
            "voice",
            _("A voice message can last at most %(limit)s; this one lasts %(length)s.")
            % {
                "limit": voice.minutes_seconds(seconds),
                "length": voice.minutes_seconds(audio.duration),
            },
            "too_long",
        )
    if audio.content_type == voice.WEBM:
        data = voice.with_duration(data, audio.duration)
    return _CheckedFile(audio.content_type, data, round(audio.duration * 1000))


def _attachment_store(
    message: Message, upload: UploadedFile, checked: _CheckedFile, *, stored: list[str]
) -> Attachment:
    """Encrypt and keep the file; its stored name goes in ``stored`` for the caller to remove
    should the message not be kept after all."""
    content_type = checked.content_type
    data = checked.data
    if data is None:
        upload.seek(0)
        data = upload.read()
    if checked.duration_ms is not None:
        name = "voice-message" + voice.EXTENSIONS[content_type]
    else:
        name = _attachment_name(upload.name or "", content_type)
    patient_id = message.conversation.patient_id
    attachment = Attachment(
        message=message,
        name_encrypted=crypto.encrypt_text_for(patient_id, name),
        content_type=content_type,
        size=len(data),
        duration_ms=checked.duration_ms,
    )
    sealed = crypto.encrypt_bytes_for(patient_id, data)
    attachment.file.save("attachment", ContentFile(sealed), save=False)
    if attachment.file.name:
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


_UNREAD = {"kind": "messages.unread"}


def _announcement(conversation: Conversation, event: dict) -> tuple[list[str], dict]:
    """An event for the pages that have this conversation open, as ``realtime.publish_all``
    takes it."""
    return [conversation_group(conversation.pk)], {**event, "conversation": conversation.pk}


def _announce(conversation: Conversation, event: dict) -> None:
    """Tell the pages that have this conversation open."""
    realtime.publish(*_announcement(conversation, event))


def _parties(conversation: Conversation) -> list[int]:
    return [conversation.patient_id, conversation.therapist_id]


def _others(conversation: Conversation, user: User) -> list[int]:
    return [pk for pk in _parties(conversation) if pk != user.pk]


def _activity(conversation: Conversation, what: str, *, to: list[int], **ids: int) -> None:
    """Tell these users' own pages (the list of conversations, the dashboard) that the
    conversation's summary changed, whatever page they are on:

        {"kind": "conversation.activity", "conversation": 12, "patient": 34, "therapist": 56,
         "what": "message" | "read" | "opened" | "closed", ...ids}

    ``patient`` and ``therapist`` are user ids; a new message adds ``message`` and ``by`` (the
    sender), a read adds ``by`` (the reader). Ids and kinds only, never content.
    """
    realtime.publish(*_activity_delivery(conversation, what, to=to, **ids))


def _activity_delivery(
    conversation: Conversation, what: str, *, to: list[int], **ids: int
) -> tuple[list[str], dict]:
    """``_activity``'s event and its users' groups, as ``realtime.publish_all`` takes them."""
    event = {
        "kind": "conversation.activity",
        "conversation": conversation.pk,
        "patient": conversation.patient_id,
        "therapist": conversation.therapist_id,
        "what": what,
        **ids,
    }
    return [realtime.user_group(pk) for pk in to], event


def messages_mark_read(*, conversation: Conversation, reader: User, now=None) -> int:
    """The reader has seen everything the other side wrote: mark it read, once. Only the two
    parties mark anything read (a therapist reading shared earlier messages does not)."""
    if not selectors.conversation_is_party(conversation=conversation, user=reader):
        return 0
    marked = (
        conversation.messages.filter(read_at__isnull=True)
        .exclude(sender=reader)
        .update(read_at=now or timezone.now())
    )
    if marked:
        realtime.publish_all(
            [
                _announcement(conversation, {"kind": "message.read", "by": reader.pk}),
                ([realtime.user_group(reader.pk)], _UNREAD),
                _activity_delivery(conversation, "read", to=[reader.pk], by=reader.pk),
            ]
        )
    return marked


# --- Voice messages -------------------------------------------------------------------------------


def voice_message_send(
    *,
    conversation: Conversation,
    sender: User,
    upload: UploadedFile,
    client_id: uuid.UUID,
    now=None,
) -> Message:
    """Keep a voice message: a message without text whose one file is the recording, checked
    from its bytes (``_voice_check``) and encrypted like any file; so unread counts, read
    receipts, live push and the "you have a new message" email treat it as any message.
    Refusals are a ValidationError keyed ``voice`` (``body`` for a closed conversation);
    nothing is kept then."""
    return message_send(
        conversation=conversation,
        sender=sender,
        body="",
        client_id=client_id,
        upload=upload,
        voice_recording=True,
        now=now,
    )


def voice_message_mark_played(
    *, conversation: Conversation, attachment: Attachment, listener: User, now=None
) -> bool:
    """The recipient played the voice message: its sender sees "Played" (once; a replay, the
    sender's own playing and a later therapist reading shared history change nothing). Played
    is read, too. ``attachment`` is a voice message of ``conversation``, which the caller has
    checked ``listener`` may read."""
    message = attachment.message
    if (
        not attachment.is_voice
        or message.conversation_id != conversation.pk
        or message.sender_id == listener.pk
        or not selectors.conversation_is_party(conversation=conversation, user=listener)
    ):
        return False
    now = now or timezone.now()
    with transaction.atomic():
        played = Attachment.objects.filter(pk=attachment.pk, played_at__isnull=True).update(
            played_at=now
        )
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
    if played:
        _announce(
            conversation, {"kind": "message.played", "message": message.pk, "by": listener.pk}
        )
    return bool(played)


def voice_message_delete(
    *, conversation: Conversation, attachment: Attachment, patient: User, now=None
) -> None:
    """The patient takes back a voice message they sent, within VOICE_DELETE_WITHIN of sending
    it: the message goes, and its file leaves storage once that commits; both sides' open pages
    drop it. Someone else's message, or a therapist's, is a PermissionDenied (a 404 to the
    view); too late is a ValidationError keyed ``voice`` that says why."""
    message = attachment.message
    if (
        not attachment.is_voice
        or message.conversation_id != conversation.pk
        or message.sender_id != patient.pk
        or conversation.patient_id != patient.pk
    ):
        raise PermissionDenied("only the patient takes back their own voice message")
    now = now or timezone.now()
    if not selectors.voice_can_delete(
        conversation=conversation, message=message, user=patient, now=now
    ):
        raise field_error(
            "voice",
            _(
                "A voice message can be deleted within %(minutes)s minutes of sending it; "
                "this one was sent longer ago."
            )
            % {"minutes": int(selectors.VOICE_DELETE_WITHIN.total_seconds() // 60)},
            "too_late",
        )
    with transaction.atomic():
        names = list(message.attachments.exclude(file="").values_list("file", flat=True))
        Message.objects.filter(pk=message.pk).delete()
        for name in names:
            transaction.on_commit(partial(private_storage.delete, name), robust=True)
    realtime.publish_all(
        [
            _announcement(
                conversation, {"kind": "message.deleted", "message": message.pk, "by": patient.pk}
            ),
            ([realtime.user_group(pk) for pk in _others(conversation, patient)], _UNREAD),
            _activity_delivery(conversation, "deleted", to=_parties(conversation), by=patient.pk),
        ]
    )


def messages_reencrypt(*, batch_size: int = 500) -> tuple[int, int]:
    """Move every message body, file name and file still under the platform keys (written
    before patients had data keys) to their patient's data key; those already there need
    nothing when the platform keys rotate (their data keys are re-wrapped instead). So an
    older platform key can then be removed. Safe to run while people write (each row is
    rewritten only if unchanged since it was read) and to run again. Returns (messages,
    attachments) rewritten."""
    messages = crypto.reencrypt_column_for(
        Message, "body_encrypted", patient="conversation__patient_id", batch_size=batch_size
    )
    attachments = 0
    for attachment in (
        Attachment.objects.exclude(name_encrypted__startswith=crypto.PREFIX)
        .annotate(patient_id=F("message__conversation__patient_id"))
        .order_by("pk")
        .iterator(chunk_size=batch_size)
    ):
        attachments += _attachment_move_to_patient_key(
            attachment,
            patient_id=attachment.patient_id,  # type: ignore[attr-defined]
        )
    return messages, attachments


def _attachment_move_to_patient_key(attachment: Attachment, *, patient_id: int) -> int:
    """Write the file under its patient's data key with a new name, point the row at it (its
    name encrypted likewise), then remove the old file: a crash at any step leaves a readable
    attachment. Returns 1 when moved (messaging/migrations/0004 does the same)."""
    old_name = attachment.file.name
    if not old_name or crypto.is_data_key_token(attachment.name_encrypted):
        return 0
    with private_storage.open(old_name, "rb") as stored:
        moved = crypto.reencrypt_bytes_for(patient_id, stored.read())
    new_name = private_storage.save(
        attachment_file_name(attachment, "attachment"), ContentFile(moved)
    )
    updated = Attachment.objects.filter(
        pk=attachment.pk, file=old_name, name_encrypted=attachment.name_encrypted
    ).update(
        file=new_name,
        name_encrypted=crypto.reencrypt_text_for(patient_id, attachment.name_encrypted),
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
    _email_new_message(conversation_id=conversation.pk, recipient_id=recipient_id)
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


# --- A patient who deletes their account (teletherapy.erasure) ------------------------------


def patient_conversations_pause(*, patient: User, now: datetime) -> int:
    """The patient asked to delete their account: their open conversation closes (still
    readable by their therapist, no new messages: the patient would never read them)."""
    paused = 0
    for match_id in Conversation.objects.filter(
        patient=patient, closed_at__isnull=True
    ).values_list("match_id", flat=True):
        paused += conversation_close(match_id=match_id, now=now)
    return paused


def patient_conversations_resume(*, patient: User) -> int:
    """They changed their mind: the conversation of their match still under way opens again."""
    conversations = Conversation.objects.filter(
        patient=patient, closed_at__isnull=False, match__status=Match.Status.ACTIVE
    )
    reopened = list(conversations)
    Conversation.objects.filter(pk__in=[c.pk for c in reopened]).update(closed_at=None)
    for conversation in reopened:
        _activity(conversation, "opened", to=_parties(conversation))
    return len(reopened)


@transaction.atomic
def patient_conversations_erase(*, patient: User) -> int:
    """Delete every conversation of the patient, every message in it (theirs and their
    therapists') and every file, which leave storage once this commits (should that fail,
    they stay encrypted under a data key that is about to be destroyed). Returns how many
    messages went."""
    names = list(
        Attachment.objects.filter(message__conversation__patient=patient)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    messages = Message.objects.filter(conversation__patient=patient).count()
    Conversation.objects.filter(patient=patient).delete()
    for name in names:
        transaction.on_commit(partial(private_storage.delete, name), robust=True)
    return messages
