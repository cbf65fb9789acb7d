"""What a therapist sends about a session's room from outside it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sessions_video.services import LATE_MINUTES


class LateForm(forms.Form):
    """ "I'll be N minutes late": one of the delays the dashboard offers."""

    minutes = forms.TypedChoiceField(
        label=_("How late"),
        choices=[(minutes, minutes) for minutes in LATE_MINUTES],
        coerce=int,
        error_messages={
            "invalid_choice": _("Choose one of the delays offered."),
            "required": _("Choose one of the delays offered."),
        },
    )
