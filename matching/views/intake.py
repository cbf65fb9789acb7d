"""The intake questionnaire, before or after sign-up: its steps, the safety page, the last page
(which says honestly whether a therapist can see the person), sending the answers."""

from django.conf import settings
from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import UserRequest, patient_required, visitor_or_patient_required
from accounts.ratelimits import rate_limited
from matching import forms, screening, selectors, services
from matching.presenters.intake import STEP_TITLES, error_summary, outlook_words
from matching.selectors import INTAKE_STEPS

STEP_FORMS: dict[str, type[Form]] = {
    "concerns": forms.ConcernsForm,
    "goals": forms.GoalsForm,
    "phq9": forms.Phq9Form,
    "gad7": forms.Gad7Form,
    "preferences": forms.PreferencesForm,
    "place": forms.PlaceForm,
    "practical": forms.PracticalForm,
    "nickname": forms.NicknameForm,
}


def _patient(request: HttpRequest):
    """The logged-in patient, or None for a visitor."""
    user = request.user
    return user if user.is_authenticated and user.is_patient else None


@visitor_or_patient_required
@require_safe
def intake_start(request: HttpRequest) -> HttpResponse:
    answers = selectors.intake_draft(session=request.session)
    context = {
        "resume": selectors.intake_draft_next_step(answers) if answers else None,
        "resources": selectors.emergency_numbers_for(
            countries=selectors.intake_draft_countries(
                answers=answers, patient=_patient(request), time_zone=_browser_zone()
            ),
            language=translation.get_language(),
        ),
    }
    return render(request, "matching/intake_start.html", context)


def _browser_zone() -> str:
    """The zone the browser reported (its cookie, activated by the middleware), else ''."""
    name = timezone.get_current_timezone_name()
    return "" if name == timezone.get_default_timezone_name() else name


@visitor_or_patient_required
@require_http_methods(["GET", "POST"])
@rate_limited("intake")
def intake_step(request: HttpRequest, step: str) -> HttpResponse:
    if step not in STEP_FORMS:
        raise Http404
    answers = selectors.intake_draft(session=request.session)
    position = INTAKE_STEPS.index(step)
    first_unanswered = selectors.intake_draft_next_step(answers)
    if first_unanswered and position > INTAKE_STEPS.index(first_unanswered):
        return redirect("intake_step", step=first_unanswered)  # no skipping ahead
    initial = selectors.intake_step_initial(
        step=step,
        answers=answers,
        user=_patient(request),
        time_zone=timezone.get_current_timezone_name(),
    )
    data = request.POST if request.method == "POST" else None
    if step == "place":
        form: Form = forms.PlaceForm(data, initial=initial, time_zone=initial.get("time_zone", ""))
    else:
        form = STEP_FORMS[step](data, initial=initial)
    context = {
        "form": form,
        "step": step,
        "step_title": STEP_TITLES[step],
        "step_number": position + 1,
        "step_count": len(INTAKE_STEPS),
        "previous_step": INTAKE_STEPS[position - 1] if position else None,
        "stem": screening.questionnaire(step).stem if step in ("phq9", "gad7") else "",
    }
    if request.method == "GET":
        return render(request, "matching/intake_step.html", context)
    if not form.is_valid():
        context["errors"] = error_summary(form)
        return render(request, "matching/intake_step.html", context, status=422)
    answers = services.intake_step_record(
        session=request.session, step=step, data=form.cleaned_data
    )
    if step in ("concerns", "phq9") and services.intake_in_danger({step: answers[step]}):
        return redirect("intake_safety")
    following = selectors.intake_draft_next_step(answers)
    if following is None:
        return redirect("intake_done")
    return redirect("intake_step", step=following)


@require_safe
def intake_safety(request: HttpRequest) -> HttpResponse:
    """Shown at once when answers show a risk: calm words and the numbers to call."""
    answers = selectors.intake_draft(session=request.session)
    countries = selectors.intake_draft_countries(
        answers=answers, patient=_patient(request), time_zone=_browser_zone()
    )
    context = {
        "resources": selectors.emergency_numbers_for(
            countries=countries, language=translation.get_language()
        ),
        "next_step": selectors.intake_draft_next_step(answers),
    }
    return render(request, "matching/intake_safety.html", context)


@visitor_or_patient_required
@require_safe
def intake_done(request: HttpRequest) -> HttpResponse:
    """The last page: what happens next, and, before anyone signs up, whether a therapist here
    can see them at all (else the waiting list and the numbers of their countries)."""
    answers = selectors.intake_draft(session=request.session)
    missing = selectors.intake_draft_next_step(answers)
    if missing:
        return redirect("intake_step", step=missing)
    outlook = selectors.intake_draft_outlook(answers=answers)
    context = {
        "outlook": outlook,
        "words": outlook_words(outlook),
        "abroad_allowed": settings.MATCHING_SERVE_CITIZENS_ABROAD,
        "promise_hours": settings.MATCHING_PROMISE_HOURS,
        "resources": (
            []
            if outlook.can_be_served
            else selectors.emergency_numbers_for(
                countries=outlook.countries, language=translation.get_language()
            )
        ),
    }
    return render(request, "matching/intake_done.html", context)


@patient_required
@require_POST
@rate_limited("intake")
def intake_submit(request: UserRequest) -> HttpResponse:
    """A logged-in patient sends the answers; a visitor's are sent at sign-up or log-in."""
    answers = selectors.intake_draft(session=request.session)
    try:
        services.intake_record(patient=request.user, answers=answers)
    except services.IncompleteIntake:
        return redirect("intake_start")
    services.intake_draft_forget(session=request.session)
    search = selectors.patient_matching_state(patient=request.user)["request"]
    if search is not None and search.waiting_since is not None:
        messages.success(
            request,
            _(
                "Thank you. Your answers are saved and you are on the waiting list: we will "
                "email you as soon as a therapist who can see you joins."
            ),
        )
    else:
        messages.success(request, _("Thank you. Your answers are saved."))
    return redirect("home")
