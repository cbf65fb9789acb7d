"""When a therapist works: their session settings, weekly windows and time off, all in the
therapist's own zone (``therapist.user.time_zone``)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from recurrence.fields import RecurrenceField

from accounts.models import TherapistProfile

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
