import zoneinfo

from allauth.account import views as allauth_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from accounts import services
from accounts.forms import (
    PatientProfileForm,
    PatientSignupForm,
    PreferencesForm,
    TherapistSignupForm,
)
from teletherapy.htmx import is_htmx


def signup_choice(request: HttpRequest) -> HttpResponse:
    return render(request, "account/signup_choice.html")


class InvalidFormStatusMixin:
    """A form sent back with errors answers 422 (429 once attempts are rate limited)."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        rate_limited = form.has_error(NON_FIELD_ERRORS, "too_many_login_attempts")
        response.status_code = 429 if rate_limited else 422
        return response


class LoginView(InvalidFormStatusMixin, allauth_views.LoginView):
    pass


class PatientSignupView(InvalidFormStatusMixin, allauth_views.SignupView):
    form_class = PatientSignupForm
    extra_context = {"signup_role": "patient"}


class TherapistSignupView(InvalidFormStatusMixin, allauth_views.SignupView):
    form_class = TherapistSignupForm
    extra_context = {"signup_role": "therapist"}


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form_class = PatientProfileForm if user.is_patient else PreferencesForm
    initial = {"language": user.language, "time_zone": user.time_zone}
    if user.is_patient:
        initial |= {
            "nickname": user.patient_profile.nickname,
            "country": user.patient_profile.country.code or "",
        }
    form = form_class(request.POST or None, initial=initial)
    template = "accounts/profile.html"
    if request.method == "GET":
        return render(request, template, {"form": form})
    if not form.is_valid():
        if is_htmx(request):
            template += "#profile-form"
        return render(request, template, {"form": form}, status=422)

    language_changed = form.cleaned_data["language"] != user.language
    if user.is_patient:
        services.patient_profile_update(user=user, **form.cleaned_data)
    else:
        services.user_preferences_update(user=user, **form.cleaned_data)
    timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
    if is_htmx(request) and not language_changed:
        context = {"form": form, "saved": True}
        return render(request, template + "#profile-form", context)
    translation.activate(user.language)
    messages.success(request, _("Your profile is saved."))
    response = redirect("profile")
    if is_htmx(request):
        # A new language changes every word of the page: load it whole.
        response = HttpResponse(headers={"HX-Redirect": response.url})
    return response


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a logged-in user keeps the choice on every device."""
    response = set_language(request)
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response
