from django.dispatch import receiver

from accounts.models import TherapistProfile
from accounts.signals import therapist_vetting_changed
from matching.signals import match_ended
from scheduling import services, tasks
from scheduling.signals import appointment_changed


@receiver(match_ended)
def cancel_appointments_of_ended_match(sender, match_id, **kwargs):
    """A patient who changed therapist keeps no session booked with the former one."""
    services.appointments_cancel_for_ended_match(match_id=match_id)


@receiver(appointment_changed)
def email_both_sides_of_changed_appointment(sender, appointment_id, change, **kwargs):
    """Both sides hear of every booking, move and cancellation, with a calendar file."""
    tasks.send_appointment_notices.delay(appointment_id, change)


@receiver(therapist_vetting_changed)
def cancel_sessions_of_unavailable_therapist(sender, therapist_id, to_status, **kwargs):
    """A therapist who is no longer approved (suspended, say) holds no more sessions."""
    if to_status != TherapistProfile.VettingStatus.APPROVED:
        services.appointments_cancel_for_unavailable_therapist(therapist_id=therapist_id)
