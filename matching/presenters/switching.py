"""What the patient reads once they have changed therapist."""

from django.conf import settings
from django.utils.translation import gettext as _


def switch_done_message(*, chosen_name: str | None, waiting: bool = False) -> str:
    """Honest about what happens next: whom we asked when the patient chose someone, and what
    follows if that therapist declines or does not answer in time; the waiting list when nobody
    else can see them."""
    ended = _("Done. Your former therapist no longer sees anything new from you.")
    if waiting:
        return " ".join(
            [
                ended,
                _(
                    "No other therapist here can see you yet: you are on our waiting list, and "
                    "we will email you as soon as one joins."
                ),
            ]
        )
    if chosen_name is None:
        return " ".join(
            [
                ended,
                _("We will propose your new therapist within %(hours)d hours.")
                % {"hours": settings.MATCHING_PROMISE_HOURS},
            ]
        )
    return " ".join(
        [
            ended,
            _(
                "We have asked %(name)s, as you chose; they have %(offer_hours)d hours to "
                "answer, and we email you as soon as they accept."
            )
            % {"name": chosen_name, "offer_hours": settings.MATCHING_OFFER_HOURS},
            _(
                "If they cannot take you on, we propose the next therapist who suits you, "
                "within %(hours)d hours."
            )
            % {"hours": settings.MATCHING_PROMISE_HOURS},
        ]
    )
