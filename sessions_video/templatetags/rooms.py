from django import template
from django.utils import timezone

from sessions_video import selectors

register = template.Library()


@register.filter
def room_state(appointment) -> str:
    """``open``, ``later`` or ``""``: see ``selectors.appointment_room_state``."""
    return selectors.appointment_room_state(appointment, timezone.now())


@register.filter
def room_opens_at(appointment):
    return selectors.appointment_room_opens_at(appointment)
