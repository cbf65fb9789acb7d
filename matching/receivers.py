import logging

from allauth.account.signals import user_signed_up
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.dispatch import receiver

from accounts.models import TherapistProfile
from accounts.signals import therapist_vetting_changed
from matching import services
from matching.views import intake_answers, intake_forget

logger = logging.getLogger(__name__)


@receiver(user_signed_up)
@receiver(user_logged_in)
def attach_intake(sender, request, user, **kwargs):
    """Answers given before having an account become the patient's at sign-up or log-in."""
    if request is None or not user.is_patient:
        return
    answers = intake_answers(request)
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
    intake_forget(request)


@receiver(therapist_vetting_changed)
def withdraw_offers_of_unapproved_therapist(sender, therapist_id, to_status, **kwargs):
    """A suspended (or otherwise no longer approved) therapist is never offered a patient."""
    if to_status != TherapistProfile.VettingStatus.APPROVED:
        services.therapist_offers_withdraw(therapist_id=therapist_id)
