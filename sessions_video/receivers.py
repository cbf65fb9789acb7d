"""How the session rooms follow scheduling's domain events: a session cancelled or moved, or a
couples session's partner removed, makes its room's sockets ask again whether they may stay (a
cancelled session's room is nobody's, a moved one's window is elsewhere, a withdrawn partner's
invitation no longer counts); they close with the answer's code."""

from django.dispatch import receiver

from core import realtime
from scheduling.signals import CANCELLED, PARTNER_REMOVED, RESCHEDULED, appointment_changed
from sessions_video import selectors
from sessions_video.services import room_group


@receiver(appointment_changed)
def revoke_room_sockets(sender, appointment_id, change, **kwargs):
    if change not in (CANCELLED, RESCHEDULED, PARTNER_REMOVED):
        return
    token = selectors.room_token_of(appointment_id=appointment_id)
    if token is not None:
        realtime.revoke([room_group(token)])
