"""The pages of accounts: signing up and logging in (allauth's views with the platform's forms
and status codes), the profile and language, a therapist's application step by step (each
step saved as a draft, locked once sent), its documents, and public therapist profiles.
Thin: selectors decide who may see what, services write."""

import io
import zoneinfo

from allauth.account import views as allauth_views
from allauth.mfa.base import views as mfa_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.i18n import set_language

from accounts import presenters, selectors, services
from accounts.choices import Approach, Modality, Speciality
from accounts.decorators import UserRequest, therapist_required
from accounts.forms import (
    AGE_MINOR,
    LegalConsentForm,
    LoginForm,
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
from accounts.ratelimits import rate_limited, sends_files
from core.htmx import is_htmx


def signup_choice(request: HttpRequest) -> HttpResponse:
    return render(request, "account/signup_choice.html")


def _rate_limited(form) -> bool:
    return any(
        form.has_error(field, "too_many_login_attempts")
        for field in [NON_FIELD_ERRORS, *form.fields]
    )


class InvalidFormStatusMixin:
    """A form sent back with errors answers 422 (429 once attempts are rate limited)."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 429 if _rate_limited(form) else 422
        return response


class LoginView(InvalidFormStatusMixin, allauth_views.LoginView):
    form_class = LoginForm


class TwoFactorAuthenticateView(InvalidFormStatusMixin, mfa_views.AuthenticateView):
    """The code after the password: a wrong one answers 422, and past the limit 429 (allauth
    answered 200 either way)."""


class TwoFactorReauthenticateView(InvalidFormStatusMixin, mfa_views.ReauthenticateView):
    """The code asked again before a sensitive change: 422 when wrong, 429 past the limit."""


class PatientSignupView(InvalidFormStatusMixin, allauth_views.SignupView):
    form_class = PatientSignupForm
    extra_context = {"signup_role": "patient"}

    def post(self, request, *args, **kwargs):
        # The age gate: a minor is told where to find help, and nothing they typed is checked,
        # kept or sent anywhere.
        if request.POST.get("age") == AGE_MINOR:
            return render(request, "account/signup_minor.html", {"signup_role": "patient"})
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        return super().get_initial() | selectors.signup_defaults(session=self.request.session)


class TherapistSignupView(InvalidFormStatusMixin, allauth_views.SignupView):
    form_class = TherapistSignupForm
    extra_context = {"signup_role": "therapist"}


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: UserRequest) -> HttpResponse:
    user = request.user
    form_class = PatientProfileForm if user.is_patient else PreferencesForm
    initial = {"language": user.language, "time_zone": user.time_zone}
    if user.is_patient:
        initial |= {
            "nickname": user.patient_profile.nickname,
            "country": str(user.patient_profile.country or ""),
        }
    form = form_class(request.POST or None, initial=initial)
    template = "accounts/profile.html"
    if request.method == "GET":
        language = translation.get_language() or settings.LANGUAGE_CODE
        accepted = presenters.accepted_rows(
            selectors.legal_acceptances_for_user(user=user), language=language
        )
        return render(request, template, {"form": form, "accepted": accepted})
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
    if is_htmx(request):
        # A new language changes every word of the page: load it whole.
        return HttpResponse(headers={"HX-Redirect": reverse("profile")})
    return redirect("profile")


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
        "can_submit": selectors.therapist_application_can_submit(profile=profile),
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
@rate_limited("upload", when=sends_files)
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
    editable = selectors.therapist_can_edit_profile(profile=profile)
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
    editable = selectors.therapist_can_edit_profile(profile=profile)
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
    editable = selectors.therapist_can_edit_credentials(profile=profile)
    initial = {name: getattr(profile, name) for name in services.CREDENTIAL_FIELDS}
    initial["license_country"] = str(profile.license_country or "")
    initial["licensed_countries"] = [str(country) for country in profile.licensed_countries]
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
    editable = selectors.therapist_can_edit_credentials(profile=profile)
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
    if document is None:
        raise Http404
    response = FileResponse(
        io.BytesIO(selectors.therapist_document_content(document)),
        as_attachment=True,
        filename=document.download_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Public therapist profiles -----------------------------------------------------------------


@require_safe
def therapist_public(request: HttpRequest, pk: int) -> HttpResponse:
    profile = selectors.therapist_public_get(pk=pk)
    if profile is None:
        raise Http404
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
    if profile is None:
        raise Http404
    response = FileResponse(
        io.BytesIO(selectors.therapist_photo_content(profile)), content_type="image/jpeg"
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- Legal documents and consent ----------------------------------------------------------------


@require_safe
def legal_document(request: HttpRequest, kind: str, version: int | None = None) -> HttpResponse:
    """A legal document for anyone to read, in the reader's language: the version in effect,
    or an earlier one (what someone accepted then), with the list of every version."""
    document = selectors.legal_document_public(kind=kind, version=version)
    if document is None:
        raise Http404
    language = translation.get_language() or settings.LANGUAGE_CODE
    versions = selectors.legal_document_versions(kind=kind)
    current = versions[0] if versions else document
    context = {
        "document": document,
        "title": document.title_for(language),
        "blocks": presenters.legal_text_blocks(document.body_for(language)),
        "current": current,
        "is_current": document.pk == current.pk,
        "current_url": presenters.legal_url(current, current=True),
        "versions": [(item, presenters.legal_url(item)) for item in versions],
        "contact_email": settings.PRIVACY_CONTACT_EMAIL,
    }
    return render(request, "accounts/legal/document.html", context)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only ("0" or "home" would be read as a view's name by redirect()).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
@require_http_methods(["GET", "POST"])
def legal_consent(request: UserRequest) -> HttpResponse:
    """New versions of the legal documents, asked before anything else after a login
    (``LegalConsentMiddleware``): what changed, the whole text, a tick each."""
    user = request.user
    documents = selectors.legal_documents_pending(user=user)
    if not documents:
        services.legal_pending_remember(session=request.session, documents=[])
        return HttpResponseRedirect(_safe_next(request))
    form = LegalConsentForm(request.POST or None, documents=documents)
    if request.method == "POST" and form.is_valid():
        services.legal_accept(user=user, documents=form.accepted_documents())
        services.legal_pending_remember(
            session=request.session, documents=selectors.legal_documents_pending(user=user)
        )
        messages.success(
            request, _("Thank you. You can read these texts at any time below every page.")
        )
        return HttpResponseRedirect(_safe_next(request))
    language = translation.get_language() or settings.LANGUAGE_CODE
    accepted_kinds = {
        acceptance.document.kind for acceptance in selectors.legal_acceptances_for_user(user=user)
    }
    sections = [
        {
            "document": document,
            "field": form[f"accept_{document.kind}"],
            "title": document.title_for(language),
            "blocks": presenters.legal_text_blocks(document.body_for(language)),
            "changes": document.changes_for(language) if document.kind in accepted_kinds else "",
            "new": document.kind not in accepted_kinds,
        }
        for document in documents
    ]
    context = {"form": form, "sections": sections, "next": _safe_next(request)}
    status = 422 if request.method == "POST" else 200
    return render(request, "accounts/legal/consent.html", context, status=status)


# --- Where you are signed in, and idle log-out --------------------------------------------------


def _sessions_context(request: UserRequest) -> dict:
    sessions = selectors.login_sessions_for_user(
        user=request.user, current_key=request.session.session_key
    )
    rows = presenters.login_session_rows(sessions)
    return {"rows": rows, "others": sum(not session.current for session in sessions)}


@login_required
@require_safe
def login_sessions(request: UserRequest) -> HttpResponse:
    """*Privacy → Where you are signed in*: this person's sessions, this one first."""
    return render(request, "accounts/sessions.html", _sessions_context(request))


def _sessions_answer(request: UserRequest, message: str) -> HttpResponse:
    if is_htmx(request):
        context = _sessions_context(request) | {"done": message}
        return render(request, "accounts/sessions.html#sessions-list", context)
    messages.success(request, message)
    return redirect("login_sessions")


@login_required
@require_POST
def login_session_end(request: UserRequest, pk: int) -> HttpResponse:
    """Sign out one other session: that browser is logged out, its pages' sockets close."""
    row = selectors.login_session_row_get_for_user(user=request.user, pk=pk)
    if row is None:
        raise Http404
    try:
        services.login_session_end(
            user=request.user, row=row, current_key=request.session.session_key
        )
    except ValueError:
        raise Http404 from None  # this browser's own: the log-out button ends it
    return _sessions_answer(request, _("That session is signed out."))


@login_required
@require_POST
def login_sessions_end_others(request: UserRequest) -> HttpResponse:
    """*Sign out everywhere else*."""
    count = services.login_sessions_end_others(
        user=request.user, current_key=request.session.session_key or ""
    )
    message = (
        ngettext(
            "%(count)d other session is signed out.",
            "%(count)d other sessions are signed out.",
            count,
        )
        % {"count": count}
        if count
        else _("You were signed in nowhere else.")
    )
    return _sessions_answer(request, message)


def _idle_state(request: HttpRequest) -> dict:
    user = request.user
    if not user.is_authenticated:
        return {"signed_in": False}
    remaining = selectors.session_idle_remaining(data=request.session, user=user)
    return {
        "signed_in": True,
        "remaining": max(0, int(remaining)),
        "warning": settings.IDLE_LOGOUT_WARNING_SECONDS,
    }


@require_safe
def session_status(request: HttpRequest) -> JsonResponse:
    """How long this session may stay idle, for the page's warning (asking is no activity;
    once the time is over, the middleware has just logged the session out)."""
    return JsonResponse(_idle_state(request))


@require_POST
def session_stay(request: HttpRequest) -> JsonResponse:
    """*Stay logged in*: activity now (the middleware writes it when due; this writes it at
    once)."""
    if request.user.is_authenticated:
        services.session_activity_record(user=request.user, session=request.session)  # type: ignore[arg-type]
        return JsonResponse(_idle_state(request))
    return JsonResponse({"signed_in": False}, status=401)
