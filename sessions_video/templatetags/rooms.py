from django import template
from django.utils import timezone

from sessions_video import selectors

register = template.Library()


@register.filter
def room_reachable(appointment) -> bool:
    return selectors.appointment_room_reachable(appointment, timezone.now())
