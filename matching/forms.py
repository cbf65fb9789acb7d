"""The intake questionnaire, one form per step. Answers stay in the session until sign-up."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.choices import THERAPY_LANGUAGES, Faith, Modality
from accounts.forms import NicknameField, TimeZoneChoiceField
from matching import screening
from matching.choices import Concern, GenderPreference, PreviousTherapy, TimeOfDay, Weekday
from matching.models import JournalEntry

YES_NO = [("no", _("No")), ("yes", _("Yes"))]


class ConcernsForm(forms.Form):
    concerns = forms.MultipleChoiceField(
        label=_("What brings you here?"),
        help_text=_("Choose as many as you like. There is no wrong answer."),
        choices=Concern.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one, or “Something else”.")},
    )
    concerns_text = forms.CharField(
        label=_("In your own words (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only the therapist who takes you on will read this."),
    )
    in_danger = forms.ChoiceField(
        label=_("Are you in danger right now, or thinking about ending your life?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )


class GoalsForm(forms.Form):
    goals = forms.CharField(
        label=_("What would you like to change, or feel, after some time in therapy?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    previous_therapy = forms.ChoiceField(
        label=_("Have you seen a therapist before?"),
        choices=PreviousTherapy.choices,
        widget=forms.RadioSelect,
    )


class ScreeningForm(forms.Form):
    """One question per item of a standard questionnaire, on its 0–3 scale."""

    instrument: str

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, item in enumerate(screening.questionnaire(self.instrument).items, start=1):
            self.fields[f"q{number}"] = forms.TypedChoiceField(
                label=item,
                choices=screening.ANSWER_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Please choose an answer.")},
            )

    def answers(self) -> list[int]:
        return [self.cleaned_data[name] for name in self.fields]


class Phq9Form(ScreeningForm):
    instrument = "phq9"


class Gad7Form(ScreeningForm):
    instrument = "gad7"


class PreferencesForm(forms.Form):
    therapist_gender = forms.ChoiceField(
        label=_("Would you rather see…"),
        choices=GenderPreference.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    wants_lgbt_specialist = forms.BooleanField(
        label=_("I would like a therapist specialised in LGBT+ questions"),
        required=False,
    )
    faith = forms.ChoiceField(
        label=_("A therapist whose practice is faith-based"),
        choices=[("", _("No, not important to me")), *Faith.choices],
        required=False,
    )


def _languages() -> list[tuple[str, object]]:
    return [("", "—"), *THERAPY_LANGUAGES]


def _countries() -> list[tuple[str, object]]:
    return [("", "—"), *countries]


def _home_countries() -> list[tuple[str, object]]:
    return [("", _("None, or the same")), *countries]


class PlaceForm(forms.Form):
    language_1 = forms.ChoiceField(
        label=_("The language you would most like to speak"), choices=_languages
    )
    language_2 = forms.ChoiceField(
        label=_("Another language you could speak"), choices=_languages, required=False
    )
    language_3 = forms.ChoiceField(label=_("A third language"), choices=_languages, required=False)
    country = forms.ChoiceField(
        label=_("Country where you live"),
        choices=_countries,
        help_text=_("Therapists must be licensed there. We also show its emergency numbers."),
    )
    home_country = forms.ChoiceField(
        label=_("If you live abroad: the country you come from (optional)"),
        choices=_home_countries,
        required=False,
        help_text=_(
            "Your nationality, or a country where you used to live. Some therapists licensed "
            "there may see you wherever you live now, in your language."
        ),
    )

    def __init__(self, *args, time_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = TimeZoneChoiceField(
            label=_("Your time zone"),
            current=time_zone,
            help_text=_("Session times will be shown in this zone."),
        )

    def clean(self):
        data = super().clean()
        chosen = [data.get(f"language_{n}") for n in (1, 2, 3)]
        chosen = [code for code in chosen if code]
        if len(set(chosen)) != len(chosen):
            raise ValidationError(_("Choose each language once."), code="duplicate_language")
        data["languages"] = chosen
        if data.get("home_country") and data.get("home_country") == data.get("country"):
            data["home_country"] = ""  # the same country says nothing more
        return data


class PracticalForm(forms.Form):
    modality = forms.ChoiceField(
        label=_("How would you rather meet?"),
        choices=Modality.choices,
        widget=forms.RadioSelect,
    )
    modality_required = forms.BooleanField(
        label=_("Only this way: don't propose a therapist who doesn't offer it"),
        required=False,
    )
    preferred_days = forms.TypedMultipleChoiceField(
        label=_("Which days suit you?"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    preferred_times = forms.MultipleChoiceField(
        label=_("Which times of day?"),
        choices=TimeOfDay.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class NicknameForm(forms.Form):
    nickname = NicknameField(widget=forms.TextInput(attrs={"autocomplete": "nickname"}))


class SwitchForm(forms.Form):
    """Changing therapist: nothing required but a choice, and a kind default for each."""

    CHOOSE_FOR_ME = "auto"

    reason = forms.CharField(
        label=_("Why are you changing? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only our team reads this, to improve matching. Your therapist never sees it."),
    )
    share_earlier_history = forms.TypedChoiceField(
        label=_("May your next therapist read your earlier messages?"),
        choices=[
            ("no", _("No, start afresh")),
            ("yes", _("Yes, they may read them")),
        ],
        coerce=lambda value: value == "yes",
        initial="no",
        widget=forms.RadioSelect,
    )
    therapist = forms.ChoiceField(label=_("Your next therapist"), widget=forms.RadioSelect)

    def __init__(self, *args, candidates: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        therapist = self.fields["therapist"]
        assert isinstance(therapist, forms.ChoiceField)
        therapist.choices = [
            (self.CHOOSE_FOR_ME, _("Choose for me: we propose the best fit within 24 hours")),
            *[(str(pk), label) for pk, label in candidates],
        ]
        therapist.initial = self.CHOOSE_FOR_ME

    def chosen_therapist_id(self) -> int | None:
        value = self.cleaned_data["therapist"]
        return None if value == self.CHOOSE_FOR_ME else int(value)


class OfferDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you declining?"),
        help_text=_("Only our team reads it; the person is never told. A few words are enough."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give a reason for declining; only our team reads it.")},
    )


class AbroadPracticeForm(forms.Form):
    serves_citizens_abroad = forms.BooleanField(
        label=_("See people from the countries where I am licensed who now live abroad"),
        required=False,
        help_text=_(
            "Only if the rules of your licence allow it: some licensing bodies let you see "
            "their country's citizens and former residents wherever they live, others do not. "
            "You can change this at any time; it does not affect the patients you already see."
        ),
    )


class JournalEntryForm(forms.Form):
    """A journal entry: the words (required), a mood from 1 to 10 and tags (both optional).
    The service checks the same again (``matching.services.journal``)."""

    body = forms.CharField(
        label=_("What is on your mind"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10_000,
        strip=True,
        error_messages={"required": _("Write something first: an empty entry is not kept.")},
    )
    mood = forms.TypedChoiceField(
        label=_("Your mood, from 1 (very low) to 10 (very good)"),
        choices=[("", _("Not now"))] + [(n, n) for n in range(1, 11)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    tags = forms.MultipleChoiceField(
        label=_("Tags"),
        choices=JournalEntry.Tag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
