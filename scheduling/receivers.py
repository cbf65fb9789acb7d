"""How scheduling reacts to the other apps' domain events and to its own."""

from django.dispatch import receiver
from django.utils import timezone

from accounts.models import TherapistProfile
from accounts.signals import therapist_vetting_changed
from matching.signals import match_end_previewed, match_ended
from scheduling import presenters, selectors, services


@receiver(match_ended)
def cancel_appointments_of_ended_match(sender, match_id, **kwargs):
    """A patient who changed therapist keeps no session to come with the former one (one
    under way is left be)."""
    services.appointments_cancel_for_ended_match(match_id=match_id)


@receiver(match_end_previewed)
def sessions_a_change_of_therapist_cancels(sender, match_id, **kwargs) -> list[str]:
    """Before a patient confirms a change of therapist: the sessions with the therapist they
    leave that it will cancel, and the one under way that it will not, in words."""
    now = timezone.now()
    return presenters.match_end_lines(
        cancelled=list(
            selectors.appointments_to_cancel_for_ended_match(match_id=match_id, now=now).order_by(
                "starts_at"
            )
        ),
        in_progress=selectors.appointments_in_progress_for_match(match_id=match_id, now=now),
    )


@receiver(therapist_vetting_changed)
def cancel_sessions_of_unavailable_therapist(sender, therapist_id, to_status, **kwargs):
    """A therapist who is no longer approved (suspended, say) holds no more sessions."""
    if to_status != TherapistProfile.VettingStatus.APPROVED:
        services.appointments_cancel_for_unavailable_therapist(therapist_id=therapist_id)
