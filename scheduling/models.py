import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from recurrence.fields import RecurrenceField

from accounts.choices import Modality
from accounts.models import TherapistProfile
from matching.models import Match

# Every session starts on a five-minute mark of the therapist's clock (09:00, 09:55 ...): window
# bounds and buffers are whole multiples of it, so every slot the calendar offers lies on it.
SLOT_GRID_MINUTES = 5


def validate_on_slot_grid(value) -> None:
    if value.second or value.microsecond or value.minute % SLOT_GRID_MINUTES:
        raise ValidationError(
            _("Use a time on a %(minutes)s-minute mark, such as 09:00 or 09:05."),
            code="grid",
            params={"minutes": SLOT_GRID_MINUTES},
        )


class AvailabilitySettings(models.Model):
    """How a therapist's calendar turns availability into bookable sessions.

    A therapist without a row has the defaults (``selectors.availability_settings_for``).
    """

    class SessionLength(models.IntegerChoices):
        MINUTES_30 = 30, _("30 minutes")
        MINUTES_45 = 45, _("45 minutes")
        MINUTES_50 = 50, _("50 minutes")
        MINUTES_60 = 60, _("60 minutes")

    class Buffer(models.IntegerChoices):
        NONE = 0, _("None")
        MINUTES_5 = 5, _("5 minutes")
        MINUTES_10 = 10, _("10 minutes")
        MINUTES_15 = 15, _("15 minutes")
        MINUTES_20 = 20, _("20 minutes")
        MINUTES_30 = 30, _("30 minutes")

    therapist = models.OneToOneField(
        TherapistProfile,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="availability_settings",
        verbose_name=_("therapist"),
    )
    session_minutes = models.PositiveSmallIntegerField(
        _("session length"), choices=SessionLength.choices, default=SessionLength.MINUTES_50
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("break between sessions"), choices=Buffer.choices, default=Buffer.MINUTES_10
    )
    notice_hours = models.PositiveSmallIntegerField(
        _("minimum notice (hours)"),
        default=12,
        validators=[MaxValueValidator(7 * 24)],
        help_text=_("How long before a session patients can still book it."),
    )
    horizon_weeks = models.PositiveSmallIntegerField(
        _("booking horizon (weeks)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text=_("How far ahead patients can book."),
    )

    class Meta:
        verbose_name = _("availability settings")
        verbose_name_plural = _("availability settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(session_minutes__in=[30, 45, 50, 60]),
                name="availability_session_length_allowed",
            ),
            models.CheckConstraint(
                condition=Q(horizon_weeks__gte=1), name="availability_horizon_at_least_a_week"
            ),
        ]

    def __str__(self):
        return f"availability settings of {self.therapist_id}"


class AvailabilityWindow(models.Model):
    """A recurring stretch of time the therapist works, in wall time in the therapist's zone
    (``therapist.user.time_zone``), so it stays at 09:00 across daylight-saving changes.

    ``rule`` says on which days (a weekly rule with weekdays); the window lies within one day.
    """

    therapist = models.ForeignKey(
        TherapistProfile,
        on_delete=models.CASCADE,
        related_name="availability_windows",
        verbose_name=_("therapist"),
    )
    rule = RecurrenceField(verbose_name=_("repeats"))
    start_time = models.TimeField(_("from"), validators=[validate_on_slot_grid])
    end_time = models.TimeField(_("until"), validators=[validate_on_slot_grid])

    class Meta:
        verbose_name = _("availability window")
        verbose_name_plural = _("availability windows")
        ordering = ["therapist", "start_time", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="availability_window_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"


class TimeOff(models.Model):
    """Whole days without sessions, inclusive, as dates in the therapist's zone."""

    therapist = models.ForeignKey(
        TherapistProfile,
        on_delete=models.CASCADE,
        related_name="time_off",
        verbose_name=_("therapist"),
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        ordering = ["therapist", "first_day", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")),
                name="time_off_ends_on_or_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.first_day} – {self.last_day}"


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
    """

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")

    # cancel_reason of the appointments cancelled by no person: their match ended, or their
    # therapist may no longer hold sessions (suspended, say: never said to the patient).
    MATCH_ENDED = "match ended"
    THERAPIST_UNAVAILABLE = "therapist unavailable"

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
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
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

    def __str__(self):
        return f"appointment {self.uid}"

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
        return self.cancel_reason


class CalendarFeed(models.Model):
    """A private address where a calendar app reads its user's sessions (``/calendar/<token>.ics``).

    Calendar apps send no cookie, so whoever holds the token reads the feed: only its SHA-256
    is stored, the token itself is shown once. Renewing revokes the previous feed; at most one
    feed per user is live (not revoked).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        verbose_name=_("user"),
    )
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_live_per_user",
            ),
        ]

    def __str__(self):
        return f"calendar feed {self.pk}"


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


class SessionNote(models.Model):
    """The therapist's private notes on one appointment, encrypted at rest with the message keys
    (``teletherapy.crypto``). Only the appointment's own therapist reads them: not the patient,
    not another therapist (a patient's new one included), not staff (not in the admin).

    Editable from when the session's room opens until SESSION_NOTES_EDITABLE_HOURS after its
    planned end (at the cancellation, for a cancelled one), then locked; later words are
    addenda. ``version`` counts saves: a save made from an older version is refused, so two
    open windows never silently overwrite each other.
    """

    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.PROTECT,
        related_name="session_note",
        verbose_name=_("appointment"),
    )
    # The appointment's therapist when the note was written: the owner, whoever the patient
    # works with later.
    therapist = models.ForeignKey(
        TherapistProfile,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("therapist"),
    )
    body_encrypted = models.TextField(_("note (encrypted)"), editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last saved at"), default=timezone.now)

    class Meta:
        verbose_name = _("session note")
        verbose_name_plural = _("session notes")
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gte=1), name="session_note_version_positive"
            ),
        ]

    def __str__(self):
        return f"session note {self.pk}"


class SessionNoteAddendum(models.Model):
    """Words added to a locked note, dated; never changed once written."""

    note = models.ForeignKey(
        SessionNote,
        on_delete=models.CASCADE,
        related_name="addenda",
        verbose_name=_("session note"),
    )
    body_encrypted = models.TextField(_("addendum (encrypted)"), editable=False)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"addendum {self.pk} to session note {self.note_id}"
