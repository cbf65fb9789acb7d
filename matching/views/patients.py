"""A therapist's page on one of their patients (intake, latest scores, progress, shared journal
entries), and their record of former patients."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.decorators import UserRequest, approved_therapist_required
from accounts.models import TherapistProfile
from matching import screening, selectors
from matching.presenters import worksheets as worksheet_words


@approved_therapist_required
@require_safe
def therapist_patient(
    request: UserRequest, profile: TherapistProfile, patient_id: int
) -> HttpResponse:
    """What a therapist knows of one of their patients; 404 for anyone else's."""
    match = selectors.patient_get_for_therapist(therapist=request.user, patient_id=patient_id)
    if match is None:
        raise Http404
    record = selectors.patient_record(patient=match.patient)
    context = {
        "match": match,
        "patient_profile": match.patient.patient_profile,
        "intake": record.intake,
        "concerns": record.intake.concern_labels if record.intake else [],
        "screenings": record.latest,
        "history": record.history,
        "self_harm": record.self_harm,
        "self_harm_item": screening.PHQ9_ITEMS[screening.PHQ9_SELF_HARM_ITEM],
        "checkin": selectors.checkin_status(patient=match.patient),
        "journal": selectors.journal_shared_with(match=match, reader=request.user),
        "care": worksheet_words.care_for_therapist(
            match=match, reader=request.user, today=timezone.localdate()
        ),
    }
    return render(request, "matching/therapist_patient.html", context)


@approved_therapist_required
@require_safe
def former_patients(request: UserRequest, profile: TherapistProfile) -> HttpResponse:
    """The therapist's patients of before, whose record they keep."""
    matches = selectors.former_patients_for_therapist(therapist=request.user)
    return render(request, "matching/former_patients.html", {"matches": matches})


@approved_therapist_required
@require_safe
def former_patient(request: UserRequest, profile: TherapistProfile, match_id: int) -> HttpResponse:
    """What the therapist keeps of a former patient: the dates, the journal entries shared with
    them and the goals and worksheets set while they were the therapist; nothing after. 404 for
    anyone else's."""
    match = selectors.former_patient_get_for_therapist(therapist=request.user, match_id=match_id)
    if match is None:
        raise Http404
    context = {
        "match": match,
        "patient_profile": match.patient.patient_profile,
        "journal": selectors.journal_shared_with(match=match, reader=request.user),
        "care": worksheet_words.care_for_therapist(
            match=match, reader=request.user, today=timezone.localdate()
        ),
    }
    return render(request, "matching/former_patient.html", context)
