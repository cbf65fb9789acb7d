"""How matching reacts to accounts (sign-up, log-in, vetting) and to its own events."""

import logging

from allauth.account.signals import user_signed_up
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from kombu.exceptions import OperationalError

from accounts.models import TherapistProfile
from accounts.signals import therapist_vetting_changed
from matching import selectors, services, tasks
from matching.signals import match_requested

logger = logging.getLogger(__name__)


@receiver(user_signed_up)
@receiver(user_logged_in)
def attach_intake(sender, request, user, **kwargs):
    """Answers given before having an account become the patient's at sign-up or log-in."""
    if request is None or not user.is_patient:
        return
    answers = selectors.intake_draft(session=request.session)
    if not answers:
        return
    try:
        services.intake_record(patient=user, answers=answers)
    except services.IncompleteIntake:
        return  # kept in the session: the questionnaire resumes where it stopped
    except ValidationError:
        # Never let answers that no longer validate stop someone from signing up or in.
        logger.warning("intake answers of user %s could not be kept", user.pk)
        return
    services.intake_draft_forget(session=request.session)


@receiver(therapist_vetting_changed)
def withdraw_offers_of_unapproved_therapist(sender, therapist_id, to_status, **kwargs):
    """A suspended (or otherwise no longer approved) therapist is never offered a patient."""
    if to_status != TherapistProfile.VettingStatus.APPROVED:
        services.therapist_offers_withdraw(therapist_id=therapist_id)


@receiver(therapist_vetting_changed)
def release_waiting_list_for_approved_therapist(sender, therapist_id, to_status, **kwargs):
    """A newly approved therapist may be the first who can see someone on the waiting list:
    they hear at once, not at the next sweep."""
    if to_status != TherapistProfile.VettingStatus.APPROVED:
        return
    try:
        tasks.release_waiting_list.delay()
    except OperationalError:
        # Never let a broker outage spoil the approval: the sweep releases within a minute.
        logger.warning("waiting list release after approving therapist %s not queued", therapist_id)


@receiver(match_requested)
def offer_at_once(sender, request_id, **kwargs):
    """The first offer of a new search goes out now, not at the next sweep."""
    tasks.offer_next_for_request.delay(request_id)
