from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.views import SIGNUP_INITIAL_SESSION_KEY
from matching import forms, screening, selectors, services
from matching.reasons import reason_texts
from matching.services import INTAKE_STEPS

SESSION_KEY = "intake"

STEP_FORMS = {
    "concerns": forms.ConcernsForm,
    "goals": forms.GoalsForm,
    "phq9": forms.Phq9Form,
    "gad7": forms.Gad7Form,
    "preferences": forms.PreferencesForm,
    "place": forms.PlaceForm,
    "practical": forms.PracticalForm,
    "nickname": forms.NicknameForm,
}
STEP_TITLES = {
    "concerns": gettext_lazy("What brings you"),
    "goals": gettext_lazy("Your goals"),
    "phq9": gettext_lazy("How you have been feeling"),
    "gad7": gettext_lazy("Worry and nerves"),
    "preferences": gettext_lazy("Your therapist"),
    "place": gettext_lazy("Languages and place"),
    "practical": gettext_lazy("How and when"),
    "nickname": gettext_lazy("Your nickname"),
}


def intake_answers(request: HttpRequest) -> dict:
    """The answers given so far in this browser session."""
    return request.session.get(SESSION_KEY, {})


def intake_forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def _first_unanswered(answers: dict) -> str | None:
    return next((step for step in INTAKE_STEPS if step not in answers), None)


def _not_for_staff_or_therapists(request: HttpRequest) -> None:
    if request.user.is_authenticated and not request.user.is_patient:
        raise PermissionDenied


@require_safe
def intake_start(request: HttpRequest) -> HttpResponse:
    _not_for_staff_or_therapists(request)
    answers = intake_answers(request)
    context = {"resume": _first_unanswered(answers) if answers else None}
    return render(request, "matching/intake_start.html", context)


def _step_initial(request: HttpRequest, step: str, answers: dict) -> dict:
    if step == "phq9" or step == "gad7":
        saved = answers.get(step, {}).get("answers", [])
        return {f"q{number}": value for number, value in enumerate(saved, start=1)}
    initial = dict(answers.get(step, {}))
    if step == "place" and not initial:
        if request.user.is_authenticated:
            initial["country"] = request.user.patient_profile.country.code or ""
        initial["time_zone"] = timezone.get_current_timezone_name()
    if step == "place" and initial.get("languages"):
        for number, code in enumerate(initial["languages"], start=1):
            initial[f"language_{number}"] = code
    if step == "nickname" and not initial and request.user.is_authenticated:
        initial["nickname"] = request.user.patient_profile.nickname
    return initial


def _step_answers(step: str, form) -> dict:
    """What the session keeps of a valid step: plain JSON values."""
    if step in ("phq9", "gad7"):
        return {"answers": form.answers()}
    data = dict(form.cleaned_data)
    if step == "place":
        data = {
            "languages": data["languages"],
            "country": data["country"],
            "time_zone": data["time_zone"],
        }
    return data


@require_http_methods(["GET", "POST"])
def intake_step(request: HttpRequest, step: str) -> HttpResponse:
    _not_for_staff_or_therapists(request)
    if step not in STEP_FORMS:
        raise Http404
    answers = intake_answers(request)
    position = INTAKE_STEPS.index(step)
    first_unanswered = _first_unanswered(answers)
    if first_unanswered and position > INTAKE_STEPS.index(first_unanswered):
        return redirect("intake_step", step=first_unanswered)  # no skipping ahead
    form_class = STEP_FORMS[step]
    kwargs = {"initial": _step_initial(request, step, answers)}
    if step == "place":
        kwargs["time_zone"] = kwargs["initial"].get("time_zone", "")
    form = form_class(request.POST or None, **kwargs)
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
        return render(request, "matching/intake_step.html", context, status=422)
    answers[step] = _step_answers(step, form)
    request.session[SESSION_KEY] = answers
    if step == "nickname":
        request.session[SIGNUP_INITIAL_SESSION_KEY] = {"nickname": answers[step]["nickname"]}
    following = _first_unanswered(answers)
    if step in ("concerns", "phq9") and services.intake_in_danger({step: answers[step]}):
        return redirect("intake_safety")
    if following is None:
        return redirect("intake_done")
    return redirect("intake_step", step=following)


@require_safe
def intake_safety(request: HttpRequest) -> HttpResponse:
    """Shown at once when answers show a risk: calm words and the numbers to call."""
    answers = intake_answers(request)
    country = answers.get("place", {}).get("country", "")
    if not country and request.user.is_authenticated and request.user.is_patient:
        country = request.user.patient_profile.country.code or ""
    context = {
        "resources": emergency_numbers(country=country),
        "country": country,
        "next_step": _first_unanswered(answers),
    }
    return render(request, "matching/intake_safety.html", context)


def emergency_numbers(*, country: str) -> list[dict]:
    """The numbers to call where the patient lives, described in the current language."""
    language = translation.get_language()
    return [
        {"phone": resource.phone, "description": resource.description_for(language)}
        for resource in selectors.emergency_resources_for(country=country)
    ]


@require_safe
def intake_done(request: HttpRequest) -> HttpResponse:
    _not_for_staff_or_therapists(request)
    answers = intake_answers(request)
    missing = _first_unanswered(answers)
    if missing:
        return redirect("intake_step", step=missing)
    return render(request, "matching/intake_done.html")


@require_POST
def intake_submit(request: HttpRequest) -> HttpResponse:
    """A logged-in patient sends the answers; a visitor's are sent at sign-up or log-in."""
    if not (request.user.is_authenticated and request.user.is_patient):
        raise PermissionDenied
    answers = intake_answers(request)
    try:
        services.intake_record(patient=request.user, answers=answers)
    except services.IncompleteIntake:
        return redirect("intake_start")
    intake_forget(request)
    messages.success(request, _("Thank you. Your answers are saved."))
    return redirect("home")


# --- The patient's therapist ---------------------------------------------------------------------


def patient_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_patient:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@patient_required
@require_safe
def my_therapist(request: HttpRequest) -> HttpResponse:
    state = selectors.patient_matching_state(patient=request.user)
    match = state["match"]
    if match is None:
        return redirect("home")
    context = {
        "match": match,
        "profile": match.therapist,
        "reasons": reason_texts(match.reasons),
        "bio": match.therapist.bio_for(translation.get_language()),
    }
    return render(request, "matching/my_therapist.html", context)


@patient_required
@require_http_methods(["GET", "POST"])
def match_switch(request: HttpRequest) -> HttpResponse:
    patient = request.user
    match = selectors.patient_matching_state(patient=patient)["match"]
    if match is None:
        return redirect("home")
    proposed = services.switch_candidates(patient=patient)
    names = selectors.therapist_display_names([ranked.therapist_id for ranked in proposed])
    candidates = [
        (
            ranked.therapist_id,
            " · ".join([names[ranked.therapist_id], *reason_texts(ranked.reasons)]),
        )
        for ranked in proposed
    ]
    form = forms.SwitchForm(request.POST or None, candidates=candidates)
    context = {"form": form, "match": match, "proposed": proposed}
    if request.method == "GET":
        return render(request, "matching/switch.html", context)
    if not form.is_valid():
        return render(request, "matching/switch.html", context, status=422)
    try:
        services.match_switch(
            patient=patient,
            reason=form.cleaned_data["reason"],
            share_earlier_history=form.cleaned_data["share_earlier_history"],
            chosen_therapist_id=form.chosen_therapist_id(),
        )
    except services.SwitchError:
        messages.error(
            request, _("This therapist cannot be proposed any more. Please choose again.")
        )
        return redirect("match_switch")
    messages.success(
        request,
        _(
            "Done. Your former therapist no longer sees anything new from you. "
            "We will propose your new therapist within 24 hours."
        ),
    )
    return redirect("home")


# --- A therapist's patient ------------------------------------------------------------------------


@login_required
@require_safe
def therapist_patient(request: HttpRequest, patient_id: int) -> HttpResponse:
    """What a therapist knows of one of their patients; 404 for anyone else's."""
    if not request.user.is_therapist:
        raise Http404
    match = selectors.patient_get_for_therapist(therapist=request.user, patient_id=patient_id)
    intake = selectors.latest_intake(patient=match.patient)
    history = selectors.screening_history(patient=match.patient)
    latest = {result.instrument: result for result in history}  # oldest first: the last wins
    phq9 = latest.get(screening.PHQ9.instrument)
    self_harm = phq9.answers[screening.PHQ9_SELF_HARM_ITEM] if phq9 else 0
    context = {
        "match": match,
        "patient_profile": match.patient.patient_profile,
        "intake": intake,
        "concerns": intake.concern_labels if intake else [],
        "screenings": {key: latest[key] for key in screening.QUESTIONNAIRES if key in latest},
        "history": history,
        "self_harm_answer": dict(screening.ANSWER_CHOICES)[self_harm] if self_harm else None,
        "self_harm_item": screening.PHQ9_ITEMS[screening.PHQ9_SELF_HARM_ITEM],
        "checkin": selectors.checkin_status(patient=match.patient),
    }
    return render(request, "matching/therapist_patient.html", context)
