import zoneinfo
from functools import wraps

from allauth.account import views as allauth_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.i18n import set_language

from accounts import selectors, services
from accounts.choices import Approach, Modality, Speciality
from accounts.forms import (
    PatientProfileForm,
    PatientSignupForm,
    PreferencesForm,
    TherapistAboutForm,
    TherapistCredentialsForm,
    TherapistDocumentForm,
    TherapistLanguageFormSet,
    TherapistPracticeForm,
    TherapistSignupForm,
)
from accounts.models import TherapistDocument, TherapistProfile
from teletherapy.htmx import is_htmx

Status = TherapistProfile.VettingStatus


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


# Answers another page already collected (the intake's nickname), offered as sign-up defaults.
SIGNUP_INITIAL_SESSION_KEY = "signup_initial"


class PatientSignupView(InvalidFormStatusMixin, allauth_views.SignupView):
    form_class = PatientSignupForm
    extra_context = {"signup_role": "patient"}

    def get_initial(self):
        return super().get_initial() | self.request.session.get(SIGNUP_INITIAL_SESSION_KEY, {})


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


# --- Therapist application ---------------------------------------------------------------------

STEPS = ["about", "practice", "credentials", "documents"]
STEP_TITLES = {
    "about": gettext_lazy("About you"),
    "practice": gettext_lazy("Your practice"),
    "credentials": gettext_lazy("Credentials"),
    "documents": gettext_lazy("Documents"),
}


def therapist_required(view):
    """Logged in as a therapist (two-factor set up: the middleware sees to that)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_therapist:
            raise PermissionDenied
        return view(request, request.user.therapist_profile, *args, **kwargs)

    return wrapper


def _step_context(profile: TherapistProfile, step: str) -> dict:
    index = STEPS.index(step)
    return {
        "profile": profile,
        "step": step,
        "steps": [(name, STEP_TITLES[name]) for name in STEPS],
        "step_title": STEP_TITLES[step],
        "step_number": index + 1,
        "next_step": STEPS[index + 1] if index + 1 < len(STEPS) else None,
        "previous_step": STEPS[index - 1] if index else None,
    }


def _after_save(request: HttpRequest, step: str) -> HttpResponse:
    messages.success(request, _("Saved. You can come back to it at any time."))
    index = STEPS.index(step)
    if "continue" in request.POST and index + 1 < len(STEPS):
        return redirect("therapist_application_step", step=STEPS[index + 1])
    if "continue" in request.POST:
        return redirect("therapist_application")
    return redirect("therapist_application_step", step=step)


@therapist_required
@require_safe
def therapist_application(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    """The application's status page: where it stands, what is missing, what staff said."""
    incomplete = selectors.therapist_application_incomplete_steps(profile=profile)
    context = {
        "profile": profile,
        "steps": [(name, STEP_TITLES[name], incomplete.get(name, [])) for name in STEPS],
        "incomplete": incomplete,
        "can_submit": profile.vetting_status in {Status.DRAFT, Status.CHANGES_REQUESTED},
        "staff_message": selectors.therapist_latest_staff_message(profile=profile),
        "history": selectors.therapist_vetting_history(profile=profile),
    }
    return render(request, "accounts/application/status.html", context)


@therapist_required
@require_POST
def therapist_application_submit(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    try:
        services.therapist_application_submit(profile=profile)
    except services.VettingError as error:
        messages.error(request, str(error))
        return redirect("therapist_application")
    messages.success(request, _("Thank you. Your application is with our team; we will email you."))
    return redirect("therapist_application")


@therapist_required
@require_http_methods(["GET", "POST"])
def therapist_application_step(
    request: HttpRequest, profile: TherapistProfile, step: str
) -> HttpResponse:
    handlers = {
        "about": _step_about,
        "practice": _step_practice,
        "credentials": _step_credentials,
        "documents": _step_documents,
    }
    if step not in handlers:
        raise Http404
    return handlers[step](request, profile)


def _render_step(request, profile, step, context, *, status=200) -> HttpResponse:
    context = _step_context(profile, step) | context
    return render(request, f"accounts/application/{step}.html", context, status=status)


def _locked(request, profile, step, context) -> HttpResponse:
    for form in [context.get("form"), *(context.get("formset") or [])]:
        if form is not None:
            for field in form.fields.values():
                field.disabled = True
    return _render_step(request, profile, step, context | {"locked": True}, status=409)


def _step_about(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    editable = services.therapist_can_edit_profile(profile=profile)
    initial = {
        "display_name": profile.display_name,
        "gender": profile.gender,
        "time_zone": profile.user.time_zone,
    }
    rows = [
        {"language": lang.language, "level": lang.level, "bio": profile.bios.get(lang.language, "")}
        for lang in profile.languages.order_by("pk")
    ]
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = TherapistAboutForm(data, files, initial=initial, time_zone=profile.user.time_zone)
    formset = TherapistLanguageFormSet(data, initial=rows, prefix="languages")
    context = {"form": form, "formset": formset}
    if request.method == "GET":
        return _render_step(request, profile, "about", context | {"locked": not editable})
    if not editable:
        return _locked(request, profile, "about", context)
    if not (form.is_valid() and formset.is_valid()):
        return _render_step(request, profile, "about", context, status=422)
    languages = formset.rows()
    try:
        services.therapist_about_update(
            profile=profile,
            display_name=form.cleaned_data["display_name"],
            gender=form.cleaned_data["gender"],
            time_zone=form.cleaned_data["time_zone"],
            languages=[(code, level) for code, level, _bio in languages],
            bios={code: bio for code, _level, bio in languages},
            photo=form.cleaned_data["photo"],
            remove_photo=form.cleaned_data["remove_photo"],
        )
    except ValidationError as error:
        form.add_error("photo" if form.cleaned_data["photo"] else None, error)
        return _render_step(request, profile, "about", context, status=422)
    return _after_save(request, "about")


def _step_practice(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    editable = services.therapist_can_edit_profile(profile=profile)
    initial = {name: getattr(profile, name) for name in TherapistPracticeForm.base_fields}
    form = TherapistPracticeForm(request.POST or None, initial=initial)
    context = {"form": form}
    if request.method == "GET":
        return _render_step(request, profile, "practice", context | {"locked": not editable})
    if not editable:
        return _locked(request, profile, "practice", context)
    if not form.is_valid():
        return _render_step(request, profile, "practice", context, status=422)
    services.therapist_practice_update(profile=profile, **form.cleaned_data)
    return _after_save(request, "practice")


def _step_credentials(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    editable = services.therapist_can_edit_credentials(profile=profile)
    initial = {name: getattr(profile, name) for name in services.CREDENTIAL_FIELDS}
    initial["license_country"] = profile.license_country.code or ""
    initial["licensed_countries"] = [country.code for country in profile.licensed_countries]
    form = TherapistCredentialsForm(request.POST or None, initial=initial)
    context = {
        "form": form,
        "min_years": settings.VETTING_MIN_EXPERIENCE_YEARS,
        "min_hours": settings.VETTING_MIN_CLINICAL_HOURS,
    }
    if request.method == "GET":
        return _render_step(request, profile, "credentials", context | {"locked": not editable})
    if not editable:
        return _locked(request, profile, "credentials", context)
    if not form.is_valid():
        return _render_step(request, profile, "credentials", context, status=422)
    services.therapist_credentials_update(profile=profile, **form.credentials())
    return _after_save(request, "credentials")


def _step_documents(request: HttpRequest, profile: TherapistProfile) -> HttpResponse:
    editable = services.therapist_can_edit_credentials(profile=profile)
    data = request.POST if request.method == "POST" else None
    form = TherapistDocumentForm(data, request.FILES or None)
    context = {"form": form, "documents": profile.documents.all(), "locked": not editable}
    if request.method == "GET":
        return _render_step(request, profile, "documents", context)
    if not editable:
        return _locked(request, profile, "documents", context)
    if "continue" in request.POST and not request.FILES:
        return redirect("therapist_application")
    if not form.is_valid():
        return _render_step(request, profile, "documents", context, status=422)
    try:
        services.therapist_document_add(
            profile=profile, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
        )
    except ValidationError as error:
        form.add_error("file", error)
        return _render_step(request, profile, "documents", context, status=422)
    messages.success(request, _("Document added."))
    return redirect("therapist_application_step", step="documents")


@therapist_required
@require_POST
def therapist_document_delete(
    request: HttpRequest, profile: TherapistProfile, pk: int
) -> HttpResponse:
    try:
        services.therapist_document_delete(profile=profile, document_id=pk)
    except TherapistDocument.DoesNotExist:
        raise Http404 from None
    except services.ApplicationLocked as error:
        messages.error(request, str(error))
        return redirect("therapist_application_step", step="documents")
    messages.success(request, _("Document removed."))
    return redirect("therapist_application_step", step="documents")


@login_required
@require_safe
def therapist_document(request: HttpRequest, pk: int) -> FileResponse:
    """A credential scan, for its therapist and for staff only, always as a download."""
    document = selectors.therapist_document_get_for_user(user=request.user, pk=pk)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Public therapist profiles -----------------------------------------------------------------


@require_safe
def therapist_public(request: HttpRequest, pk: int) -> HttpResponse:
    profile = selectors.therapist_public_get(pk=pk)
    context = {
        "profile": profile,
        "bio": profile.bio_for(translation.get_language()),
        "specialities": [Speciality(code).label for code in profile.specialities],
        "approaches": [Approach(code).label for code in profile.approaches],
        "modalities": [Modality(code).label for code in profile.modalities],
    }
    return render(request, "accounts/therapist_public.html", context)


@require_safe
def therapist_photo(request: HttpRequest, pk: int) -> FileResponse:
    profile = selectors.therapist_photo_get_for_user(user=request.user, pk=pk)
    response = FileResponse(profile.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    return response
