"""The therapist's availability forms: they read what was typed; the services in
``scheduling.services.availability`` decide what may be saved."""

from django import forms
from django.utils.translation import gettext_lazy

from matching.choices import Weekday
from scheduling.models import SLOT_GRID_MINUTES, AvailabilitySettings
from scheduling.services.availability import (
    HORIZON_WEEKS_MAX,
    HORIZON_WEEKS_MIN,
    NOTICE_HOURS_MAX,
)


class AvailabilitySettingsForm(forms.Form):
    session_minutes = forms.TypedChoiceField(
        label=gettext_lazy("Session length"),
        choices=AvailabilitySettings.SessionLength.choices,
        coerce=int,
    )
    buffer_minutes = forms.TypedChoiceField(
        label=gettext_lazy("Break between sessions"),
        choices=AvailabilitySettings.Buffer.choices,
        coerce=int,
        help_text=gettext_lazy("Kept free after each session, before the next one can start."),
    )
    notice_hours = forms.IntegerField(
        label=gettext_lazy("Minimum notice, in hours"),
        min_value=0,
        max_value=NOTICE_HOURS_MAX,
        help_text=gettext_lazy(
            "Patients cannot book a session starting sooner than this. At most a week (168 h)."
        ),
    )
    horizon_weeks = forms.IntegerField(
        label=gettext_lazy("Booking horizon, in weeks"),
        min_value=HORIZON_WEEKS_MIN,
        max_value=HORIZON_WEEKS_MAX,
        help_text=gettext_lazy("How far ahead patients can book: from 1 to 26 weeks."),
    )


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": SLOT_GRID_MINUTES * 60})


class AvailabilityWindowForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Days"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one day.")},
    )
    start = forms.TimeField(
        label=gettext_lazy("From"),
        widget=_time_input(),
        help_text=gettext_lazy("On a five-minute mark, such as 09:00 or 13:35."),
    )
    end = forms.TimeField(label=gettext_lazy("Until"), widget=_time_input())


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class TimeOffForm(forms.Form):
    first_day = forms.DateField(label=gettext_lazy("First day off"), widget=_date_input())
    last_day = forms.DateField(
        label=gettext_lazy("Last day off"),
        widget=_date_input(),
        help_text=gettext_lazy("The same as the first day for a single day."),
    )
