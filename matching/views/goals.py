"""Goals: the patient's page of goals and exercises (ticking steps off), and the therapist's
pages to set, change and put away a goal, and to read the goals and worksheets of one of their
matches (their record, after the patient changed therapist too).

Outsiders get 404 on every page: another patient, another therapist, an unvetted or suspended
one, staff; a former therapist reaches only what was set in their own match, read-only.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import UserRequest, approved_therapist_required, patient_required
from accounts.models import TherapistProfile
from core.htmx import is_htmx
from matching import care_forms, selectors
from matching.models import Goal, Match
from matching.presenters import worksheets as worksheet_words
from matching.services import goals as goal_services


def _refused(form, error: ValidationError) -> None:
    form.add_error(None, error)  # beside its field, or above the form


@never_cache
@patient_required
@require_safe
def exercises(request: UserRequest) -> HttpResponse:
    """Goals and exercises: the goals their therapists set, steps to tick, the worksheets
    given, with their status."""
    context = {
        "goals": selectors.goals_for_patient(patient=request.user),
        "worksheets": selectors.assignments_for_patient(patient=request.user),
        "today": timezone.localdate(),
    }
    return render(request, "matching/goals.html", context)


@patient_required
@require_POST
def goal_step_mark(request: UserRequest, pk: int) -> HttpResponse:
    """``done=yes`` ticks a step off; anything else unticks it. From htmx: the goal's card."""
    step = selectors.goal_step_get_for_patient(patient=request.user, pk=pk)
    if step is None:
        raise Http404
    try:
        goal_services.goal_step_mark(
            step=step, done=request.POST.get("done") == "yes", now=timezone.now()
        )
    except ValidationError as error:
        if is_htmx(request):
            return HttpResponse(error.messages[0], status=409)
        messages.error(request, error.messages[0])
        return redirect("exercises")
    if is_htmx(request):
        goal = selectors.goal_get_for_patient(patient=request.user, pk=step.goal_id)
        return render(request, "matching/goals.html#goal-card", {"goal": goal})
    return redirect("exercises")


def _therapist_goal(request: UserRequest, pk: int) -> Goal:
    goal = selectors.goal_get_for_therapist(therapist=request.user, pk=pk)
    if goal is None:
        raise Http404
    return goal


@never_cache
@approved_therapist_required
@require_http_methods(["GET", "POST"])
def goal_new(request: UserRequest, profile: TherapistProfile, patient_id: int) -> HttpResponse:
    """Set a goal for one of the therapist's current patients."""
    match = selectors.care_active_match_for_therapist(therapist=request.user, patient_id=patient_id)
    if match is None:
        raise Http404
    form = care_forms.GoalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            goal_services.goal_set(
                match=match, **form.cleaned_data, today=timezone.localdate(), now=timezone.now()
            )
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The goal is set. They see it on their page."))
            return redirect("therapist_patient", patient_id=patient_id)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "match": match, "goal": None}
    return render(request, "matching/goals_form.html", context, status=status)


@never_cache
@approved_therapist_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: UserRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    """Change a goal of a current patient (a former patient's is read on the record page)."""
    goal = _therapist_goal(request, pk)
    if not goal.is_open:
        return redirect("care_record", match_id=goal.match_id)
    initial = {
        "title": goal.title,
        "why": goal.why,
        "target_date": goal.target_date,
        "steps": "\n".join(step.text for step in goal.step_list),
    }
    form = care_forms.GoalForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            goal_services.goal_change(
                goal=goal, **form.cleaned_data, today=timezone.localdate(), now=timezone.now()
            )
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The goal is changed."))
            return redirect("therapist_patient", patient_id=goal.patient_id)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "match": goal.match, "goal": goal}
    return render(request, "matching/goals_form.html", context, status=status)


@approved_therapist_required
@require_POST
def goal_archive(request: UserRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    goal = _therapist_goal(request, pk)
    try:
        goal_services.goal_archive(goal=goal, now=timezone.now())
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("care_record", match_id=goal.match_id)
    messages.success(request, _("The goal is put away: they no longer see it."))
    return redirect("therapist_patient", patient_id=goal.patient_id)


@never_cache
@approved_therapist_required
@require_safe
def care_record(request: UserRequest, profile: TherapistProfile, match_id: int) -> HttpResponse:
    """The goals and worksheets set in one of the therapist's matches, with the answers: the
    current patient's, or a former patient's as they were when the match ended."""
    match = selectors.care_match_get_for_therapist(therapist=request.user, match_id=match_id)
    if match is None:
        raise Http404
    context = {
        **worksheet_words.care_for_therapist(
            match=match, reader=request.user, today=timezone.localdate()
        ),
        "active": match.status == Match.Status.ACTIVE,
    }
    return render(request, "matching/goals_record.html", context)
