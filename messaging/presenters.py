"""Messaging in words for the pages: whose conversation it is, as its reader sees it, each
message of a thread with its text and files decrypted, and how soon a therapist answers."""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from messaging import selectors, voice
from messaging.models import Attachment, Conversation, Message


def conversation_name(*, conversation: Conversation, reader: User) -> str:
    """Who the conversation is with, for ``reader``: the therapist's name for the patient, the
    patient's nickname for their therapist (current or former), and for a later therapist
    reading shared history, the patient's nickname and that it was with an earlier therapist."""
    if reader.pk == conversation.patient_id:
        return conversation.therapist.display_name
    nickname = conversation.patient.patient_profile.display_name
    if reader.pk == conversation.therapist_id:
        return nickname
    return _("%(nickname)s, with an earlier therapist") % {"nickname": nickname}


@dataclass(frozen=True)
class ThreadItem:
    message: Message
    body: str
    files: list[tuple[Attachment, str]]  # each file with its name
    mine: bool
    # Who wrote it, for a reader who is not one of the two parties (shared history); "" else.
    author: str
    voice: Attachment | None = None  # a voice message's recording
    voice_length: str = ""  # its length as m:ss, read from the file
    can_delete: bool = False  # its sender may still take it back
    # Its recipient has not played it yet: their page says so when they do.
    marks_played: bool = False


def thread_items(
    *, conversation: Conversation, messages: list[Message], reader: User
) -> list[ThreadItem]:
    """The messages of a page of the thread, decrypted, for a reader the caller has checked."""
    party = selectors.conversation_is_party(conversation=conversation, user=reader)
    now = timezone.now()
    items = []
    for message in messages:
        author = ""
        if not party:
            from_patient = message.sender_id == conversation.patient_id
            author = (
                conversation.patient.patient_profile.nickname
                if from_patient
                else _("Earlier therapist")
            )
        # Not asked when the selector (or the send) said it has none; asked when unsaid.
        attached = message.attachments.all() if getattr(message, "has_files", True) else ()
        recording = next((a for a in attached if a.is_voice), None)
        items.append(
            ThreadItem(
                message=message,
                body=selectors.message_body(message),
                files=[(a, selectors.attachment_name(a)) for a in attached if not a.is_voice],
                mine=message.sender_id == reader.pk,
                author=author,
                voice=recording,
                voice_length=_voice_length(recording),
                marks_played=recording is not None
                and party
                and message.sender_id != reader.pk
                and recording.played_at is None,
                can_delete=recording is not None
                and selectors.voice_can_delete(
                    conversation=conversation, message=message, user=reader, now=now
                ),
            )
        )
    return items


def _voice_length(recording: Attachment | None) -> str:
    if recording is None or recording.duration_ms is None:
        return ""
    return voice.minutes_seconds(recording.duration_ms / 1000)


def reply_time_words(reply_time: timedelta | None) -> str:
    """ "Usually replies within 3 hours" (rounded up), or "" when there is too little to say."""
    if reply_time is None:
        return ""
    hours = max(1, math.ceil(reply_time.total_seconds() / 3600))
    if hours < 24:
        return ngettext(
            "Usually replies within an hour", "Usually replies within %(count)d hours", hours
        ) % {"count": hours}
    days = math.ceil(hours / 24)
    return ngettext(
        "Usually replies within a day", "Usually replies within %(count)d days", days
    ) % {"count": days}
