from allauth.account.forms import SignupForm
from django import forms
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import User
from accounts.timezones import time_zone_choices, valid_time_zone


class NicknameField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Nickname"))
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text",
            _("The only name your therapist will see. It need not be your real name."),
        )
        super().__init__(**kwargs)


class _RoleSignupForm(SignupForm):
    """Sign-up for one role; the browser fills the time zone in (timezone.js)."""

    role: str
    time_zone = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"data-detect-time-zone": ""})
    )

    def clean_time_zone(self) -> str:
        return valid_time_zone(self.cleaned_data.get("time_zone", "")) or settings.TIME_ZONE

    def save(self, request):
        # The user, the profile of its role and the email address are saved together or not
        # at all; the verification email leaves only after the commit.
        with transaction.atomic():
            return super().save(request)


class PatientSignupForm(_RoleSignupForm):
    role = User.Role.PATIENT
    nickname = NicknameField(widget=forms.TextInput(attrs={"autocomplete": "nickname"}))
    field_order = ["nickname", "email", "password1", "password2", "time_zone"]


class TherapistSignupForm(_RoleSignupForm):
    role = User.Role.THERAPIST


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Every date and time on the site is shown in this zone."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = time_zone_choices()
        current = valid_time_zone(self.initial.get("time_zone", ""))
        if current and current not in dict(choices):
            choices.append((current, current))  # a zone the browser reported, kept as it is
        self.fields["time_zone"].choices = choices


class PatientProfileForm(PreferencesForm):
    nickname = NicknameField()
    country = forms.ChoiceField(
        label=_("Country of residence"),
        required=False,
        help_text=_("Used to show the emergency numbers that apply where you live."),
    )
    field_order = ["nickname", "country", "language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *countries]
