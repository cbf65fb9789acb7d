"""Couples sessions: the partner's address (the patient invites), and the partner's answer to
the invitation (a nickname; with a password and the legal versions when they have no
account)."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import LegalAcceptanceFields
from accounts.models import LegalDocument
from accounts.timezones import valid_time_zone


class PartnerEmailField(forms.EmailField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Your partner’s email address"))
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault(
            "help_text",
            _(
                "They get an email with a link to join this session only. They will see "
                "nothing of your messages, notes or questionnaires."
            ),
        )
        kwargs.setdefault("error_messages", {"invalid": _("Enter a valid email address.")})
        kwargs.setdefault("widget", forms.EmailInput(attrs={"autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if "\x00" in value:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value.strip().lower()


class PartnerInviteForm(forms.Form):
    email = PartnerEmailField()


class PartnerNicknameField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Nickname"))
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text",
            _("How the therapist and the person who invited you will see you in the session."),
        )
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "nickname"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if "\x00" in value:
            raise ValidationError(_("Choose a nickname of 1 to 40 characters."), code="nickname")
        return value


class PartnerAcceptForm(forms.Form):
    """Someone logged in with the invited address accepts."""

    nickname = PartnerNicknameField()


class PartnerSignupForm(LegalAcceptanceFields, forms.Form):
    """Someone without an account accepts: a nickname, a password (twice) and their own
    consent; the address is the invitation's, verified by it."""

    nickname = PartnerNicknameField()
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    time_zone = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"data-detect-time-zone": ""})
    )

    def __init__(self, *args, email: str, documents: list[LegalDocument], **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        self.add_acceptance_fields(documents)

    def clean_time_zone(self) -> str:
        return valid_time_zone(self.cleaned_data.get("time_zone", "")) or settings.TIME_ZONE

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned
