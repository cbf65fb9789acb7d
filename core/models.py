"""The outbox: every email the platform sends is first a row, written in the same transaction
as what caused it, then sent by a Celery task with retries (``core.outbox``).

So no user action fails because the mail server does, an email is never lost when a worker
dies between two steps, and staff can see what is waiting or failing. A row keeps the subject
and body encrypted (emails carry links, and some of those are keys); staff see only which
email it is (its template), to whom, and where it stands.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEmail(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("given up")

    template = models.CharField(_("email"), max_length=120)
    to = models.EmailField(_("to"))
    # The same key twice is one email: how a sweep that runs again sends nothing twice.
    key = models.CharField(_("key"), max_length=200, unique=True, null=True, blank=True)
    subject_encrypted = models.TextField(editable=False)
    body_encrypted = models.TextField(editable=False)
    # Encrypted JSON: [{"filename", "mimetype", "content" (base64)}].
    attachments_encrypted = models.TextField(blank=True, editable=False)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The kind of failure only (an exception's class and the server's code), never content.
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    # Deleted once sent (or given up): the last email to an erased person keeps no trace of
    # their address.
    forget_when_done = models.BooleanField(_("forgotten once sent"), default=False)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="outbox_pending_due",
            )
        ]

    def __str__(self):
        return f"{self.template} → {self.to} ({self.get_state_display()})"


class Heartbeat(models.Model):
    """When a background process last showed it works: ``beat`` when it last sent a task on
    schedule, ``worker`` when a worker last ran one (``core.heartbeat``)."""

    name = models.CharField(max_length=16, primary_key=True)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class DataKey(models.Model):
    """The key one subject's data is encrypted with (``core.crypto``): a patient's (their
    messages, files, intake, reasons, the notes about them) or a set of retained notes'.

    ``wrapped`` is the key sealed twice: by the wrapping key of its slot (this row's id) in the
    key vault (``core.keyvault``), then by the platform keys (``MESSAGE_ENCRYPTION_KEYS``).
    Destroying it empties ``wrapped``; shredding it then punctures its slot in the vault, which
    is what makes a database backup's copy of this row worthless. The row itself stays, so that
    the slot is never given to another key."""

    class Kind(models.TextChoices):
        PATIENT = "patient", _("patient")
        NOTES = "notes", _("retained notes")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # A user's id for a patient, a note set's id for retained notes: plain ids, so that the
    # ground depends on no app.
    subject_id = models.BigIntegerField(_("subject"))
    wrapped = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    destroyed_at = models.DateTimeField(_("destroyed at"), null=True, blank=True)
    shredded_at = models.DateTimeField(_("removed from the key vault at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data key")
        verbose_name_plural = _("data keys")
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject_id"], name="data_key_once"),
            models.CheckConstraint(
                condition=models.Q(destroyed_at__isnull=True) | models.Q(wrapped=""),
                name="data_key_destroyed_is_empty",
            ),
        ]
        indexes = [
            models.Index(
                fields=["destroyed_at"],
                condition=models.Q(destroyed_at__isnull=False, shredded_at__isnull=True),
                name="data_key_to_shred",
            )
        ]

    def __str__(self):
        return f"{self.kind} key {self.pk}"


class MailSuppression(models.Model):
    """An address the platform sends nothing to, but the emails a caller sends on purpose
    (``core.mail``): a patient who asked to delete their account, during the grace period.
    Only a digest of the address is kept."""

    address_digest = models.CharField(max_length=64, primary_key=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self):
        return self.address_digest[:12]
