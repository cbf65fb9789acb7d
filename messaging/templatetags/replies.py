"""``{% load replies %}``: how soon a therapist usually answers, in words."""

import math
from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.translation import ngettext

from messaging.selectors import therapist_reply_time

register = template.Library()


@register.filter
def replies_within(reply_time: timedelta | None) -> str:
    """ "Usually replies within 3 hours" (rounded up), or "" when there is too little to say."""
    if reply_time is None:
        return ""
    hours = max(1, math.ceil(reply_time.total_seconds() / 3600))
    if hours < 24:
        return ngettext(
            "Usually replies within an hour", "Usually replies within %(count)d hours", hours
        ) % {"count": hours}
    days = math.ceil(hours / 24)
    return ngettext(
        "Usually replies within a day", "Usually replies within %(count)d days", days
    ) % {"count": days}


@register.simple_tag
def usual_reply_time(therapist_user_id: int) -> str:
    """``{% usual_reply_time user_id %}``: the words above for this therapist, now."""
    return replies_within(therapist_reply_time(therapist_id=therapist_user_id, now=timezone.now()))
