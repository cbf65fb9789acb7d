from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TherapistProfile
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

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "client_id"], name="message_sent_once"),
        ]
        indexes = [
            models.Index(fields=["conversation", "-created_at", "-id"], name="message_thread_idx")
        ]

    def __str__(self):
        return f"message {self.pk}"
