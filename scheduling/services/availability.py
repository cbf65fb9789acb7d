"""The therapist's availability: session settings, weekly windows and time off.

Errors, the same everywhere in this module:

- ``ValidationError`` keyed by form field (``session_minutes``, ``notice_hours``, ``weekdays``,
  ``start``, ``end``, ``first_day``, ``last_day``; ``NON_FIELD_ERRORS`` for a clash with what
  is already saved) with a code. Nothing is written then.
- ``AvailabilityWindow.DoesNotExist`` / ``TimeOff.DoesNotExist``: not one of this therapist's.

Callers pass an approved therapist's profile; who may edit is the view's business. Windows and
time off are wall times and local days of the therapist's zone (``therapist.user.time_zone``).
Each write locks the therapist's row first, so two tabs adding overlapping windows at once
cannot both pass the overlap check.
"""

from collections.abc import Iterable
from datetime import date, datetime, time

import recurrence
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _

from accounts.models import TherapistProfile
from scheduling.models import (
    AvailabilitySettings,
    AvailabilityWindow,
    TimeOff,
    validate_on_slot_grid,
)
from scheduling.selectors import availability as selectors

NOTICE_HOURS_MAX = 7 * 24
HORIZON_WEEKS_MIN = 1
HORIZON_WEEKS_MAX = 26


def _errors(errors: dict[str, ValidationError]) -> None:
    if errors:
        raise ValidationError(errors)


def _lock_therapist(therapist: TherapistProfile) -> None:
    TherapistProfile.objects.select_for_update(no_key=True).filter(pk=therapist.pk).first()


# --- Session settings --------------------------------------------------------------------------


@transaction.atomic
def availability_settings_update(
    *,
    therapist: TherapistProfile,
    session_minutes: int,
    buffer_minutes: int,
    notice_hours: int,
    horizon_weeks: int,
) -> AvailabilitySettings:
    """Save how the therapist's availability becomes sessions. Sessions already booked keep
    their time and length."""
    errors = {}
    if session_minutes not in AvailabilitySettings.SessionLength.values:
        errors["session_minutes"] = ValidationError(
            _("Choose one of the session lengths offered."), code="invalid_choice"
        )
    if buffer_minutes not in AvailabilitySettings.Buffer.values:
        errors["buffer_minutes"] = ValidationError(
            _("Choose one of the breaks offered."), code="invalid_choice"
        )
    if not 0 <= notice_hours <= NOTICE_HOURS_MAX:
        errors["notice_hours"] = ValidationError(
            _("Give between 0 and %(max)s hours (a week)."),
            code="range",
            params={"max": NOTICE_HOURS_MAX},
        )
    if not HORIZON_WEEKS_MIN <= horizon_weeks <= HORIZON_WEEKS_MAX:
        errors["horizon_weeks"] = ValidationError(
            _("Give between %(min)s and %(max)s weeks."),
            code="range",
            params={"min": HORIZON_WEEKS_MIN, "max": HORIZON_WEEKS_MAX},
        )
    _errors(errors)
    found, _created = AvailabilitySettings.objects.update_or_create(
        therapist=therapist,
        defaults={
            "session_minutes": session_minutes,
            "buffer_minutes": buffer_minutes,
            "notice_hours": notice_hours,
            "horizon_weeks": horizon_weeks,
        },
    )
    return found


# --- Weekly windows ----------------------------------------------------------------------------


@transaction.atomic
def availability_window_add(
    *, therapist: TherapistProfile, weekdays: Iterable[int], start: time, end: time
) -> AvailabilityWindow:
    """Add a weekly window from ``start`` to ``end`` (wall time) on ``weekdays`` (0 = Monday).

    The rule is one weekly rule with those days and no dtstart: the slot engine needs none for
    it, and a rule without one never grows slower with age (PITFALLS). Refused: no day, a time
    off the five-minute grid, an end not after the start, and an overlap with another window of
    the therapist on a day both share (back to back is fine).
    """
    days = sorted(set(weekdays))
    errors = {}
    if not days:
        errors["weekdays"] = ValidationError(_("Choose at least one day."), code="required")
    elif not all(isinstance(day, int) and 0 <= day <= 6 for day in days):
        errors["weekdays"] = ValidationError(_("Choose days of the week."), code="invalid_choice")
    for name, value in (("start", start), ("end", end)):
        try:
            validate_on_slot_grid(value)
        except ValidationError as error:
            errors[name] = error
    if "start" not in errors and "end" not in errors and end <= start:
        errors["end"] = ValidationError(
            _("The end comes after the start, on the same day."), code="before_start"
        )
    _errors(errors)

    _lock_therapist(therapist)
    for other in AvailabilityWindow.objects.filter(therapist=therapist):
        shared = set(days) & selectors.window_weekdays(other.rule)
        if shared and start < other.end_time and other.start_time < end:
            raise ValidationError(
                {NON_FIELD_ERRORS: _overlap_error(min(shared), other.start_time, other.end_time)}
            )
    rule = recurrence.Rule(recurrence.WEEKLY, byday=[recurrence.to_weekday(d) for d in days])
    return AvailabilityWindow.objects.create(
        therapist=therapist,
        rule=recurrence.Recurrence(rrules=[rule]),
        start_time=start,
        end_time=end,
    )


def _overlap_error(day: int, start: time, end: time) -> ValidationError:
    return ValidationError(
        _("This overlaps your hours on %(day)s, %(start)s–%(end)s. Change or remove those first."),
        code="overlap",
        params={
            "day": selectors.weekday_name(day),
            "start": time_format(start, "H:i"),
            "end": time_format(end, "H:i"),
        },
    )


@transaction.atomic
def availability_window_remove(*, therapist: TherapistProfile, window_id: int) -> None:
    """Remove one of the therapist's windows. Sessions already booked in it stay booked."""
    AvailabilityWindow.objects.get(pk=window_id, therapist=therapist).delete()


# --- Time off ----------------------------------------------------------------------------------


@transaction.atomic
def time_off_add(
    *,
    therapist: TherapistProfile,
    first_day: date,
    last_day: date,
    now: datetime | None = None,
) -> TimeOff:
    """Add whole days off, ``first_day`` to ``last_day`` inclusive, as days of the therapist's
    zone. Refused: a last day before the first, a first day already past (today is fine), and
    days already in another stretch of time off. Sessions already booked then stay booked."""
    today = selectors.therapist_today(therapist=therapist, now=now or timezone.now())
    errors = {}
    if last_day < first_day:
        errors["last_day"] = ValidationError(
            _("The last day is on or after the first day."), code="before_first"
        )
    if first_day < today:
        errors["first_day"] = ValidationError(_("Time off starts today or later."), code="past")
    _errors(errors)

    _lock_therapist(therapist)
    clash = (
        TimeOff.objects.filter(
            therapist=therapist, first_day__lte=last_day, last_day__gte=first_day
        )
        .order_by("first_day")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: ValidationError(
                    _("You already have time off from %(first)s to %(last)s."),
                    code="overlap",
                    params={
                        "first": date_format(clash.first_day, "l j F Y"),
                        "last": date_format(clash.last_day, "l j F Y"),
                    },
                )
            }
        )
    return TimeOff.objects.create(therapist=therapist, first_day=first_day, last_day=last_day)


@transaction.atomic
def time_off_remove(*, therapist: TherapistProfile, time_off_id: int) -> None:
    """Remove one of the therapist's stretches of time off."""
    TimeOff.objects.get(pk=time_off_id, therapist=therapist).delete()
