"""The therapist's availability page: session settings, weekly hours, time off. Approved
therapists only; anyone else gets 404.

The availability page has three forms, each posting to its own URL. With htmx, the answer is
the form's part of the page (422 with the errors beside the fields) plus a status line swapped
out of band; without JavaScript, a redirect back with a message, or the whole page with the
errors (422).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.choices import Modality
from accounts.decorators import approved_therapist_required
from accounts.models import TherapistProfile
from core.htmx import is_htmx
from scheduling import services
from scheduling.forms.availability import (
    AvailabilitySettingsForm,
    AvailabilityWindowForm,
    TimeOffForm,
)
from scheduling.models import AvailabilityWindow, TimeOff
from scheduling.selectors import availability as selectors

TEMPLATE = "scheduling/practice/availability.html"
# The parts of the availability page, by their section's id: section "windows" holds the
# partial "windows-body" (what a post swaps) and the status line "windows-status"; the partial
# "windows-answer" is both, for htmx.
SETTINGS, WINDOWS, TIME_OFF = "settings", "windows", "time-off"


# --- The availability page ---------------------------------------------------------------------


def _settings_form(profile: TherapistProfile) -> AvailabilitySettingsForm:
    saved = selectors.availability_settings_for(therapist=profile)
    fields = AvailabilitySettingsForm.base_fields
    return AvailabilitySettingsForm(initial={name: getattr(saved, name) for name in fields})


def _context(profile: TherapistProfile, **forms) -> dict:
    today = selectors.therapist_today(therapist=profile, now=timezone.now())
    return {
        "profile": profile,
        "time_zone": profile.user.time_zone,
        "modalities": [
            Modality(code).label for code in profile.modalities if code in Modality.values
        ],
        "settings_form": forms.get("settings_form") or _settings_form(profile),
        "window_form": forms.get("window_form") or AvailabilityWindowForm(),
        "time_off_form": forms.get("time_off_form") or TimeOffForm(),
        "windows": selectors.availability_windows_for(therapist=profile),
        "time_off": selectors.time_off_upcoming(therapist=profile, today=today),
    }


@approved_therapist_required
@require_safe
def availability(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    return render(request, TEMPLATE, _context(profile))


def _invalid(request: HttpRequest, profile: TherapistProfile, part: str, **forms) -> HttpResponse:
    context = _context(profile, **forms)
    if is_htmx(request):
        return _part(request, part, context, status=422)
    return render(request, TEMPLATE, context, status=422)


def _done(request: HttpRequest, profile: TherapistProfile, part: str, message: str) -> HttpResponse:
    if is_htmx(request):
        return _part(request, part, _context(profile) | {"status_message": message})
    messages.success(request, message)
    return redirect(reverse("practice_availability") + "#" + part)


def _part(request: HttpRequest, part: str, context: dict, *, status: int = 200) -> HttpResponse:
    """The page's answer partial for ``part``: the part and its status line."""
    return render(request, f"{TEMPLATE}#{part}-answer", context, status=status)


@approved_therapist_required
@require_POST
def availability_settings_save(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    form = AvailabilitySettingsForm(request.POST)
    if form.is_valid():
        try:
            services.availability_settings_update(therapist=profile, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)  # beside its fields, or above them
    if form.errors:
        return _invalid(request, profile, SETTINGS, settings_form=form)
    return _done(request, profile, SETTINGS, _("Session settings saved."))


@approved_therapist_required
@require_POST
def availability_window_add(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    form = AvailabilityWindowForm(request.POST)
    if form.is_valid():
        try:
            services.availability_window_add(therapist=profile, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)  # beside its fields, or above them
    if form.errors:
        return _invalid(request, profile, WINDOWS, window_form=form)
    return _done(request, profile, WINDOWS, _("Hours added."))


@approved_therapist_required
@require_POST
def availability_window_remove(
    request: HttpRequest, profile: TherapistProfile, pk: int
) -> HttpResponse:
    try:
        services.availability_window_remove(therapist=profile, window_id=pk)
    except AvailabilityWindow.DoesNotExist:
        raise Http404 from None
    return _done(request, profile, WINDOWS, _("Hours removed."))


@approved_therapist_required
@require_POST
def time_off_add(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    form = TimeOffForm(request.POST)
    if form.is_valid():
        try:
            services.time_off_add(therapist=profile, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)  # beside its fields, or above them
    if form.errors:
        return _invalid(request, profile, TIME_OFF, time_off_form=form)
    return _done(request, profile, TIME_OFF, _("Time off added."))


@approved_therapist_required
@require_POST
def time_off_remove(request: HttpRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    try:
        services.time_off_remove(therapist=profile, time_off_id=pk)
    except TimeOff.DoesNotExist:
        raise Http404 from None
    return _done(request, profile, TIME_OFF, _("Time off removed."))
