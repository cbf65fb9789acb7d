"""Booked sessions: one row per appointment, for its whole life (booked, moved, cancelled), and
the rule of its room's window (when the session's room opens and closes)."""

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Modality
from accounts.models import TherapistProfile
from core import crypto
from matching.models import Match


class RoomState(StrEnum):
    """Where a session's room stands at some moment (``Appointment.room_state_at``)."""

    OPEN = "open"  # its two parties may enter now
    LATER = "later"  # booked, not open yet
    OVER = "over"  # booked, its window is over
    CANCELLED = "cancelled"


class Appointment(models.Model):
    """A session a patient booked with their therapist. Times are aware and stored in UTC.

    No two *booked* appointments overlap for one therapist, nor for one patient. On PostgreSQL
    the database enforces it with two exclusion constraints (``appointment_no_therapist_overlap``,
    ``appointment_no_patient_overlap``: ``tstzrange(starts_at, ends_at, '[)')`` with ``&&``,
    where ``status = 'booked'``), so back-to-back sessions are fine and concurrent requests
    cannot both win. They are added by ``scheduling/migrations/_postgresql_only.py`` and are
    deliberately *not* declared in ``Meta``: SQLite (the embedded default) has neither range
    types nor exclusion constraints, and a declared constraint would make Django try to create
    it there and validate it in model forms with PostgreSQL-only SQL. On SQLite the booking
    services' check inside an immediate (write-locked) transaction is the guarantee.

    ``uid`` names the appointment in calendar files and stays the same across reschedules;
    ``sequence`` counts its changes (the iCalendar SEQUENCE).

    **The room's window**, the one rule for it: the session's room is open from
    SESSION_ROOM_OPENS_MINUTES_BEFORE before the start until SESSION_ROOM_CLOSES_MINUTES_AFTER
    after the end (excluded) — ``room_opens_at``, ``room_closes_at``, ``room_state_at(now)``.
    """

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")

    # cancel_reason of the appointments cancelled by no person: their match ended, or their
    # therapist may no longer hold sessions (suspended, say: never said to the patient), or the
    # patient asked to delete their account.
    MATCH_ENDED = "match ended"
    THERAPIST_UNAVAILABLE = "therapist unavailable"
    PATIENT_LEFT = "patient left"
    AUTOMATIC = (MATCH_ENDED, THERAPIST_UNAVAILABLE, PATIENT_LEFT)

    uid = models.UUIDField(_("calendar id"), default=uuid.uuid4, unique=True, editable=False)
    match = models.ForeignKey(
        Match, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("match")
    )
    therapist = models.ForeignKey(
        TherapistProfile,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("therapist"),
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("patient"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    modality = models.CharField(_("modality"), max_length=16, choices=Modality.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.BOOKED
    )
    sequence = models.PositiveIntegerField(_("changes"), default=0)
    created_at = models.DateTimeField(_("booked at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Empty when nobody did: the match ended.
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    # Why nobody cancelled it (MATCH_ENDED, THERAPIST_UNAVAILABLE, PATIENT_LEFT), a code; a
    # person's own words go encrypted under the patient's data key.
    cancel_reason = models.TextField(_("automatic cancellation"), blank=True)
    cancel_reason_encrypted = models.TextField(
        _("reason for cancelling (encrypted)"), blank=True, editable=False
    )
    late_cancellation = models.BooleanField(_("cancelled late"), default=False)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["therapist", "starts_at"], name="appointment_therapist_idx"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_idx"),
            models.Index(fields=["status", "starts_at"], name="appointment_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="appointment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status="booked", cancelled_at__isnull=True)
                | Q(status="cancelled", cancelled_at__isnull=False),
                name="appointment_cancelled_at_iff_cancelled",
            ),
        ]

    # Where the session's room stood when a page's sessions were read: set by the selectors that
    # list sessions for pages (``scheduling.selectors.booking``), so that templates show a join
    # button without asking the clock themselves. Absent on appointments read otherwise.
    room_state: RoomState

    def __str__(self):
        return f"appointment {self.uid}"

    @staticmethod
    def room_opens_before() -> timedelta:
        return timedelta(minutes=settings.SESSION_ROOM_OPENS_MINUTES_BEFORE)

    @staticmethod
    def room_closes_after() -> timedelta:
        return timedelta(minutes=settings.SESSION_ROOM_CLOSES_MINUTES_AFTER)

    @property
    def room_opens_at(self) -> datetime:
        return self.starts_at - self.room_opens_before()

    @property
    def room_closes_at(self) -> datetime:
        return self.ends_at + self.room_closes_after()

    def room_is_open(self, now: datetime) -> bool:
        """Whether ``now`` is within the room's window (whatever the appointment's status)."""
        return self.room_opens_at <= now < self.room_closes_at

    def room_state_at(self, now: datetime) -> RoomState:
        if not self.is_booked:
            return RoomState.CANCELLED
        if now < self.room_opens_at:
            return RoomState.LATER
        return RoomState.OPEN if now < self.room_closes_at else RoomState.OVER

    def in_progress_at(self, now: datetime) -> bool:
        """Whether the session may be under way at ``now``: booked, its room open, not ended.
        A change of therapist never cancels such a session."""
        return self.is_booked and self.room_opens_at <= now < self.ends_at

    @property
    def is_booked(self) -> bool:
        return self.status == self.Status.BOOKED

    @property
    def cancel_reason_text(self) -> str:
        """The reason to show: a person's own words, or ours when the match ended."""
        if self.cancelled_by_id is None and self.cancel_reason == self.MATCH_ENDED:
            return str(
                _("Cancelled automatically: this patient and therapist no longer work together.")
            )
        if self.cancelled_by_id is None and self.cancel_reason == self.THERAPIST_UNAVAILABLE:
            return str(_("Cancelled automatically: the therapist cannot hold sessions for now."))
        if self.cancelled_by_id is None and self.cancel_reason == self.PATIENT_LEFT:
            return str(_("Cancelled automatically: the patient asked to delete their account."))
        if self.cancel_reason_encrypted:
            return crypto.decrypt_text(self.cancel_reason_encrypted)
        return self.cancel_reason
