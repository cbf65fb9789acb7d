"""What matching does when a patient deletes their account (``teletherapy.erasure`` calls it;
docs/features.md, *Privacy and security*).

- When they ask: their search for a therapist stops (pending offers withdrawn: no therapist is
  asked to take on someone who is leaving); if they change their mind and have no therapist,
  a new search starts from their latest answers.
- When the grace period is over: their intakes, questionnaires (check-ins included), safety
  flags, searches, offers, check-in invitations, journal entries, goals and the worksheets
  given them (with their answers) are deleted. Their matches go too, but those the sessions
  kept with retained notes still point at (scheduling), which stay, emptied of their
  reasons, until the retention sweep (``matches_of_erased_patient_delete``).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import ProtectedError

from accounts.models import User
from matching import selectors
from matching.models import (
    CheckinInvitation,
    Goal,
    Intake,
    JournalEntry,
    Match,
    MatchRequest,
    Offer,
    SafetyFlag,
    ScreeningResult,
    WorksheetAssignment,
)
from matching.services.intake import match_request_open


@transaction.atomic
def patient_search_stop(*, patient: User, now: datetime) -> int:
    """Cancel the patient's open search and withdraw its pending offer. Returns how many
    searches were cancelled."""
    requests = list(
        MatchRequest.objects.select_for_update().filter(
            patient=patient, status=MatchRequest.Status.OPEN
        )
    )
    Offer.objects.filter(request__in=requests, status=Offer.Status.PENDING).update(
        status=Offer.Status.WITHDRAWN, responded_at=now
    )
    return MatchRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
        status=MatchRequest.Status.CANCELLED
    )


def patient_search_resume(*, patient: User, now: datetime) -> MatchRequest | None:
    """The patient kept their account: without a therapist, their search starts again from
    their latest answers (the 24-hour promise with it)."""
    intake = selectors.latest_intake(patient=patient)
    if intake is None or patient.matches.filter(status=Match.Status.ACTIVE).exists():
        return None
    return match_request_open(patient=patient, intake=intake, now=now)


@transaction.atomic
def patient_matching_erase(*, patient: User, now: datetime) -> int:
    """Delete everything matching holds about the patient (see the module's docstring).
    Returns how many matches had to stay (for retained notes' sessions)."""
    CheckinInvitation.objects.filter(patient=patient).delete()
    JournalEntry.objects.filter(patient=patient).delete()  # their shares with them
    Goal.objects.filter(patient=patient).delete()  # their steps with them
    WorksheetAssignment.objects.filter(patient=patient).delete()
    SafetyFlag.objects.filter(patient=patient).delete()
    ScreeningResult.objects.filter(patient=patient).delete()
    MatchRequest.objects.filter(patient=patient).delete()  # their offers with them
    Intake.objects.filter(patient=patient).delete()
    Match.objects.filter(patient=patient, status=Match.Status.ACTIVE).update(
        status=Match.Status.ENDED, ended_at=now
    )
    Match.objects.filter(patient=patient).update(reasons=[], end_reason_encrypted="")
    return matches_of_erased_patient_delete(patient_id=patient.pk)


def matches_of_erased_patient_delete(*, patient_id: int) -> int:
    """Delete the erased patient's matches that nothing points at any more; returns how many
    stay (sessions with retained notes still point at them)."""
    kept = 0
    for match in Match.objects.filter(patient_id=patient_id):
        try:
            with transaction.atomic():
                match.delete()
        except ProtectedError:
            kept += 1
    return kept
