from datetime import UTC, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from accounts.choices import Modality


class SlotField(forms.CharField):
    """A session start as the page offers it: an ISO 8601 instant (the service decides whether
    it is free)."""

    default_error_messages = {
        "required": gettext_lazy("Choose a time first."),
        "invalid": gettext_lazy("Choose one of the times shown."),
    }

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if moment.tzinfo is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return moment.astimezone(UTC)


class BookingForm(forms.Form):
    starts_at = SlotField(label=gettext_lazy("Time"))
    modality = forms.ChoiceField(
        label=gettext_lazy("How you will meet"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose how you will meet.")},
    )

    def __init__(self, *args, modalities: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["modality"].choices = [
            (value, label) for value, label in Modality.choices if value in modalities
        ]
        if len(modalities) == 1:
            self.fields["modality"].initial = modalities[0]


class MoveForm(forms.Form):
    starts_at = SlotField(label=gettext_lazy("New time"))


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
