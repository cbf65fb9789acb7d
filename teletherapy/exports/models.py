"""A person's export: its state while a worker builds it, then its file until it expires."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage


def export_file_name(instance, filename: str) -> str:
    # Random: the stored name says nothing about whose data it holds.
    return f"data-exports/{uuid.uuid4().hex}.bin"


class DataExport(models.Model):
    """One copy of a person's data that they asked for: a zip (``data.json``, ``summary.html``
    and their files) built by a Celery task, then kept in private storage until ``expires_at``
    and downloaded by its owner only.

    The stored file is the zip encrypted with the keys of MESSAGE_ENCRYPTION_KEYS, in chunks
    (``CHUNK_BYTES`` of the zip per Fernet token, one token per line), so that neither building
    nor downloading holds a large export in memory. At most one export per person is under way
    (queued or running): the database refuses a second. ``attempts`` counts the builds started;
    a build writes only while its attempt is the current one, so a build the sweep started
    again (its worker died) and a late first one never both finish.
    """

    CHUNK_BYTES = 1024 * 1024

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Being prepared")
        READY = "ready", _("Ready to download")
        FAILED = "failed", _("Could not be prepared")
        EXPIRED = "expired", _("Deleted")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="data_exports",
        verbose_name=_("person"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (percent)"), default=0)
    attempts = models.PositiveSmallIntegerField(_("builds started"), default=0)
    requested_at = models.DateTimeField(_("asked for at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # The build's last sign of life: one silent for EXPORT_STALE_MINUTES is started again.
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("last downloaded at"), null=True, blank=True)
    file = models.FileField(
        _("file (encrypted)"),
        upload_to=export_file_name,
        storage=private_storage,
        max_length=200,
        blank=True,
    )
    size = models.PositiveBigIntegerField(_("size of the zip in bytes"), null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["queued", "running"]),
                name="export_one_under_way_per_person",
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="export_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | Q(expires_at__isnull=False) & ~Q(file=""),
                name="export_ready_has_file_and_expiry",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="export_status_expiry_idx"),
        ]

    def __str__(self):
        return f"data export {self.pk}"

    @property
    def is_under_way(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
