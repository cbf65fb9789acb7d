"""``{% load replies %}``: how soon a therapist usually answers, in words.

Pure: the reply time itself is computed by the view or composer of the page
(``messaging.selectors.therapist_reply_time``), never queried from a template.
"""

from datetime import timedelta

from django import template

from messaging.presenters import reply_time_words

register = template.Library()


@register.filter
def replies_within(reply_time: timedelta | None) -> str:
    """ "Usually replies within 3 hours" (rounded up), or "" when there is too little to say."""
    return reply_time_words(reply_time)
