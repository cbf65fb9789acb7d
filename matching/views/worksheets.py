"""Worksheets: the therapist gives one from the library and reads the answers; the patient fills
it in, saved as they type (``worksheet_save``, called by static/matching/worksheet.js; the
page's own Save button does the same without JavaScript), and marks it done.

Outsiders get 404 on every page: another patient, another therapist, an unvetted or suspended
one, staff; a therapist giving a worksheet to someone who is not their patient now, too.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import UserRequest, approved_therapist_required, patient_required
from accounts.models import TherapistProfile
from matching import care_forms, selectors
from matching.models import WorksheetAssignment
from matching.presenters import worksheets as worksheet_words
from matching.services import worksheets as worksheet_services


def _own(request: UserRequest, pk: int) -> WorksheetAssignment:
    assignment = selectors.assignment_get_for_patient(patient=request.user, pk=pk)
    if assignment is None:
        raise Http404
    return assignment


def _answers_posted(request: UserRequest) -> dict[str, str]:
    """The answers in a request, by form name (``a-<row>-<key>``); other names are ignored."""
    return {name: request.POST.get(name, "") for name in request.POST if name.startswith("a-")}


def _errors_by_name(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {name: " ".join(words) for name, words in error.message_dict.items()}
    return {"__all__": " ".join(error.messages)}


@never_cache
@patient_required
@require_http_methods(["GET", "POST"])
def worksheet_fill(request: UserRequest, pk: int) -> HttpResponse:
    """The worksheet to fill in. POST (the Save button, without JavaScript) keeps every answer
    of the form at once, or none of them, saying why beside each refused one."""
    assignment = _own(request, pk)
    values = worksheet_words.stored_values(assignment)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        posted = _answers_posted(request)
        try:
            worksheet_services.worksheet_answers_save(
                assignment=assignment, answers=posted, now=timezone.now()
            )
        except ValidationError as error:
            errors = _errors_by_name(error)
            values |= posted
            status = 422
        else:
            messages.success(request, _("Saved."))
            return redirect("worksheet_fill", pk=pk)
    context = {
        "assignment": assignment,
        "sheet": assignment.worksheet,
        "language": worksheet_words.language(),
        "rows": worksheet_words.sheet_rows(assignment, values, errors),
        "general_error": errors.get("__all__"),
        "today": timezone.localdate(),
    }
    return render(request, "matching/worksheet_fill.html", context, status=status)


@patient_required
@require_POST
def worksheet_save(request: UserRequest, pk: int) -> JsonResponse:
    """Autosave: the answers the page sends as the patient types. 200 ``{"saved": [names]}``,
    or 422 ``{"errors": {name: why}}`` with nothing kept."""
    assignment = _own(request, pk)
    posted = _answers_posted(request)
    try:
        worksheet_services.worksheet_answers_save(
            assignment=assignment, answers=posted, now=timezone.now()
        )
    except ValidationError as error:
        return JsonResponse({"errors": _errors_by_name(error)}, status=422)
    return JsonResponse({"saved": sorted(posted)})


@patient_required
@require_POST
def worksheet_done(request: UserRequest, pk: int) -> HttpResponse:
    """``done=yes`` marks the worksheet done; anything else opens it again."""
    assignment = _own(request, pk)
    done = request.POST.get("done") == "yes"
    try:
        worksheet_services.worksheet_mark_done(assignment=assignment, done=done, now=timezone.now())
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("worksheet_fill", pk=pk)
    if done:
        messages.success(request, _("Well done. Your therapist can see it now."))
        return redirect("exercises")
    return redirect("worksheet_fill", pk=pk)


@never_cache
@approved_therapist_required
@require_http_methods(["GET", "POST"])
def worksheet_assign(
    request: UserRequest, profile: TherapistProfile, patient_id: int
) -> HttpResponse:
    """Give one of the therapist's current patients a worksheet of the library."""
    match = selectors.care_active_match_for_therapist(therapist=request.user, patient_id=patient_id)
    if match is None:
        raise Http404
    form = care_forms.AssignForm(
        request.POST if request.method == "POST" else None,
        worksheets=selectors.worksheets_offered(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            worksheet_services.worksheet_assign(
                match=match, **form.cleaned_data, today=timezone.localdate(), now=timezone.now()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The exercise is given. They see it on their page."))
            return redirect("therapist_patient", patient_id=patient_id)
    status = 422 if request.method == "POST" else 200
    sheets = {sheet.pk: sheet for sheet in selectors.worksheets_offered()}
    context = {
        "form": form,
        "match": match,
        "sheets": sheets,
        "language": worksheet_words.language(),
    }
    return render(request, "matching/worksheet_assign.html", context, status=status)


@never_cache
@approved_therapist_required
@require_safe
def worksheet_answers(request: UserRequest, profile: TherapistProfile, pk: int) -> HttpResponse:
    """One worksheet given in one of the therapist's matches, with the answers (read-only)."""
    assignment = selectors.assignment_get_for_therapist(therapist=request.user, pk=pk)
    if assignment is None:
        raise Http404
    context = {
        "assignment": assignment,
        "rows": worksheet_words.sheet_rows(
            assignment, worksheet_words.stored_values(assignment), {}
        ),
        "language": worksheet_words.language(),
        "today": timezone.localdate(),
    }
    return render(request, "matching/worksheet_answers.html", context)
