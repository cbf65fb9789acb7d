"""The patient's booking forms: a time and a way to meet, a new time, a reason to cancel."""

from datetime import UTC, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext_lazy

from accounts.choices import Modality
from scheduling.forms.partners import PartnerEmailField
from scheduling.services.availability import HORIZON_WEEKS_MAX


class SlotField(forms.CharField):
    """A session start as the page offers it: an ISO 8601 instant with its offset, within the
    longest booking horizon any therapist may set (the service then decides whether this
    therapist offers it and whether it is free).

    The bound is what keeps every instant the pages and services compute from a start (its
    end, the week around it, the nearest free times) inside what a datetime can hold: an aware
    start at either edge of that range (``0001-01-01T00:00:00+01:00``,
    ``9999-12-31T23:00:00+00:00``) was an OverflowError, a 500."""

    default_error_messages = {
        "required": gettext_lazy("Choose a time first."),
        "invalid": gettext_lazy("Choose one of the times shown."),
        "past": gettext_lazy("This time has passed: choose one of the times shown."),
        "too_far": ngettext_lazy(
            "Sessions are booked at most %(weeks)s week ahead: choose one of the times shown.",
            "Sessions are booked at most %(weeks)s weeks ahead: choose one of the times shown.",
            "weeks",
        ),
    }

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError("no offset")
            moment = moment.astimezone(UTC)
        except (ValueError, OverflowError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        now = timezone.now()
        if moment < now - timedelta(days=1):
            raise ValidationError(self.error_messages["past"], code="past")
        if moment > now + timedelta(weeks=HORIZON_WEEKS_MAX, days=1):
            raise ValidationError(
                self.error_messages["too_far"], code="too_far", params={"weeks": HORIZON_WEEKS_MAX}
            )
        return moment


class BookingForm(forms.Form):
    starts_at = SlotField(label=gettext_lazy("Time"))
    modality = forms.ChoiceField(
        label=gettext_lazy("How you will meet"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose how you will meet.")},
    )
    # A couples session: the partner invited with the booking (``services.partner_invite``).
    partner_email = PartnerEmailField(
        label=gettext_lazy("Couples session (optional): your partner’s email address"),
        required=False,
    )

    def __init__(self, *args, modalities: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        modality = self.fields["modality"]
        assert isinstance(modality, forms.ChoiceField)
        modality.choices = [
            (value, label) for value, label in Modality.choices if value in modalities
        ]
        if len(modalities) == 1:
            modality.initial = modalities[0]


class MoveForm(forms.Form):
    starts_at = SlotField(label=gettext_lazy("New time"))


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
