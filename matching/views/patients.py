"""A therapist's page on one of their patients: intake, latest scores, progress."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.decorators import UserRequest, approved_therapist_required
from accounts.models import TherapistProfile
from matching import screening, selectors


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
    }
    return render(request, "matching/therapist_patient.html", context)
