"""Reminders before sessions: one row per reminder sent, the claim that makes it once."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scheduling.models.appointments import Appointment


class Reminder(models.Model):
    """One reminder of one appointment, ``offset_minutes`` before the time it was for.

    The row is the claim: it is inserted before anything is sent, and the unique constraint
    makes a second insert fail, so two sweeps never both send it. ``starts_at`` is the
    appointment's time the reminder was for: a rescheduled appointment gets reminders for its
    new time. ``sent_at`` stays empty until the emails are out (``services.reminders``).
    """

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("appointment"),
    )
    offset_minutes = models.PositiveIntegerField(_("minutes before"))
    starts_at = models.DateTimeField(_("for the session at"))
    claimed_at = models.DateTimeField(_("claimed at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "offset_minutes", "starts_at"],
                name="reminder_once_per_offset_and_time",
            ),
        ]
        indexes = [
            # The sweep looks for claims whose emails never went out (a worker died).
            models.Index(
                fields=["claimed_at"],
                condition=Q(sent_at__isnull=True),
                name="reminder_unsent_idx",
            ),
        ]

    def __str__(self):
        return f"reminder {self.offset_minutes} min before appointment {self.appointment_id}"
