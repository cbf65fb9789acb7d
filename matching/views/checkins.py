"""The patient's check-in (PHQ-9 and GAD-7 again) and their progress over time."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.decorators import UserRequest, patient_required
from matching import forms, screening, selectors, services
from matching.presenters.intake import STEP_TITLES


def _questionnaires(data=None) -> list[dict]:
    """Both questionnaires of the intake, on one page; prefixed, as their items share names."""
    return [
        {
            "form": form_class(data, prefix=form_class.instrument),
            "title": STEP_TITLES[form_class.instrument],
            "stem": screening.questionnaire(form_class.instrument).stem,
        }
        for form_class in (forms.Phq9Form, forms.Gad7Form)
    ]


@patient_required
@require_http_methods(["GET", "POST"])
def checkin(request: UserRequest) -> HttpResponse:
    """Retake PHQ-9 and GAD-7, whenever the patient likes; due or not, the page says when the
    next one is."""
    questionnaires = _questionnaires(request.POST if request.method == "POST" else None)
    context: dict[str, object] = {
        "questionnaires": questionnaires,
        "status": selectors.checkin_status(patient=request.user),
    }
    if request.method == "GET":
        return render(request, "matching/checkin.html", context)
    phq9, gad7 = (item["form"] for item in questionnaires)
    if not all([phq9.is_valid(), gad7.is_valid()]):  # a list: both validate, both show errors
        context["unanswered"] = sum(len(form.errors) for form in (phq9, gad7))
        form = phq9 if phq9.errors else gad7
        context["first_unanswered"] = f"{form[next(iter(form.errors))].auto_id}_0"  # its 1st radio
        return render(request, "matching/checkin.html", context, status=422)
    result = services.checkin_record(
        patient=request.user, phq9_answers=phq9.answers(), gad7_answers=gad7.answers()
    )
    if result.needs_help:
        return redirect("checkin_help")
    if context["status"] is None:  # no therapist at the moment
        messages.success(request, _("Thank you. Your check-in is saved."))
    else:
        messages.success(
            request, _("Thank you. Your check-in is saved, and your therapist sees it.")
        )
    return redirect("my_progress")


@patient_required
@require_safe
def checkin_help(request: UserRequest) -> HttpResponse:
    """Shown at once after a check-in that shows a risk: calm words and the numbers to call,
    for where the patient lives and for their home country."""
    countries = selectors.patient_countries(patient=request.user)
    context = {
        "resources": selectors.emergency_numbers_for(
            countries=countries, language=translation.get_language()
        ),
    }
    return render(request, "matching/checkin_help.html", context)


@patient_required
@require_safe
def my_progress(request: UserRequest) -> HttpResponse:
    context = {
        "history": selectors.screening_history(patient=request.user),
        "status": selectors.checkin_status(patient=request.user),
    }
    return render(request, "matching/progress.html", context)
