from django.dispatch import receiver

from matching.signals import match_ended
from scheduling import services


@receiver(match_ended)
def cancel_appointments_of_ended_match(sender, match_id, **kwargs):
    """A patient who changed therapist keeps no session booked with the former one."""
    services.appointments_cancel_for_ended_match(match_id=match_id)
