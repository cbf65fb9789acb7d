"""Conversations (one per match), their messages and attached files, encrypted at rest."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TherapistProfile
from core.storage import private_storage
from matching.models import Match


class Conversation(models.Model):
    """The written thread of one match: a patient and their therapist, between sessions."""

    match = models.OneToOneField(Match, on_delete=models.CASCADE, related_name="conversation")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.PROTECT, related_name="conversations"
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    # Set when the match ends: the thread stays readable, closed for new messages.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The last "you have a new message" email to each side (at most one per 30 minutes).
    patient_notified_at = models.DateTimeField(_("patient last emailed at"), null=True, blank=True)
    therapist_notified_at = models.DateTimeField(
        _("therapist last emailed at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-opened_at", "-pk"]

    def __str__(self):
        return f"conversation {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Message(models.Model):
    """One message. The body is encrypted at rest (MESSAGE_ENCRYPTION_KEYS); never logged."""

    MAX_LENGTH = 10_000

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Chosen by the sender's browser: a double submit or a retry sends one message.
    client_id = models.UUIDField(_("client id"))
    body_encrypted = models.TextField(_("body (encrypted)"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # When an email told the recipient about it (or about a later one): never emailed twice.
    notified_at = models.DateTimeField(_("recipient emailed at"), null=True, blank=True)
    # Written in a session room's live chat: the thread keeps the session's transcript.
    live_session = models.BooleanField(_("written during a live session"), default=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "client_id"], name="message_sent_once"),
        ]
        indexes = [
            models.Index(fields=["conversation", "-created_at", "-id"], name="message_thread_idx"),
            # The dashboard's questions per conversation: one side's last message, and the
            # first from the patient since (an index-only step each, not a scan of the thread).
            models.Index(
                fields=["conversation", "sender", "-created_at"], name="message_by_sender_idx"
            ),
            # Unread counts: the few messages not read yet, never the whole history.
            models.Index(
                fields=["conversation", "sender"],
                condition=models.Q(read_at__isnull=True),
                name="message_unread_idx",
            ),
            # The notification sweep's question: unread, and nobody emailed about it yet.
            models.Index(
                fields=["created_at"],
                condition=models.Q(read_at__isnull=True, notified_at__isnull=True),
                name="message_to_notify_idx",
            ),
        ]

    def __str__(self):
        return f"message {self.pk}"


def attachment_file_name(instance, filename: str) -> str:
    # Random: the stored name says nothing about the conversation or the file's own name.
    return f"message-attachments/{uuid.uuid4().hex}.bin"


class Attachment(models.Model):
    """A file sent with a message: PDF, JPEG or PNG checked from its content, kept encrypted in
    private storage (no URL), served only to the conversation's readers through a view.

    A voice message is a message whose one file is its recording (Opus in WebM or Ogg), with
    the length read from the file (``duration_ms``, set for recordings only) and when the
    recipient first played it: unread counts, read receipts, live push, the notification
    email, the export, key rotation and erasure treat it as any message with a file."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    # The Fernet token of the file's bytes, never the bytes themselves.
    file = models.FileField(
        _("file (encrypted)"),
        upload_to=attachment_file_name,
        storage=private_storage,
        max_length=200,
    )
    # A file's name can say as much as its content ("scan-after-overdose.pdf"): encrypted too.
    name_encrypted = models.TextField(_("file name (encrypted)"))
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    duration_ms = models.PositiveIntegerField(
        _("voice message length (milliseconds)"), null=True, blank=True
    )
    played_at = models.DateTimeField(_("first played by the recipient at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return f"attachment {self.pk}"

    @property
    def is_voice(self) -> bool:
        return self.duration_ms is not None
