"""The forms of goals and worksheets (a module of their own beside ``matching.forms``): what a
therapist writes when setting a goal or giving a worksheet. The services check the same again
(``matching.services.goals``, ``matching.services.worksheets``); the patient's answers are
checked field by field by ``matching.worksheet_fields``."""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from matching.models import Worksheet
from matching.services.goals import STEP_MAX, STEPS_MAX, TITLE_MAX, WHY_MAX
from matching.services.worksheets import NOTE_MAX


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__({"class": "form-control"} | (attrs or {}), format="%Y-%m-%d")


class GoalForm(forms.Form):
    title = forms.CharField(
        label=_("Goal"),
        max_length=TITLE_MAX,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={"required": _("Give the goal a title.")},
    )
    why = forms.CharField(
        label=_("Why it matters (optional)"),
        max_length=WHY_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    target_date = forms.DateField(
        label=_("Target date (optional)"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Give a date, such as 2026-12-31.")},
    )
    steps = forms.CharField(
        label=_("Steps, one per line, in order"),
        required=False,
        max_length=STEPS_MAX * (STEP_MAX + 1),
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
    )

    def clean_steps(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["steps"].splitlines() if line.strip()]


class WorksheetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Worksheet) -> str:
        return obj.title_for((get_language() or "en")[:2])


class AssignForm(forms.Form):
    worksheet = WorksheetChoiceField(
        label=_("Exercise"),
        queryset=Worksheet.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={
            "required": _("Choose an exercise of the library."),
            "invalid_choice": _("Choose an exercise of the library."),
        },
    )
    due_date = forms.DateField(
        label=_("Due date (optional)"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Give a date, such as 2026-12-31.")},
    )
    note = forms.CharField(
        label=_("A note for them (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args, worksheets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worksheet"].queryset = worksheets  # type: ignore[attr-defined]
