"""Forms of accounts: logging in and signing up (patient or therapist), the profile and
preferences, and each step of a therapist's application (about, practice, languages and
biographies, credentials, documents). Forms clean and check input; services write."""

from typing import cast

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts import devices, selectors, services
from accounts.choices import (
    THERAPY_LANGUAGES,
    Approach,
    DegreeLevel,
    Faith,
    Gender,
    LanguageLevel,
    Modality,
    Speciality,
)
from accounts.models import LegalDocument, TherapistDocument, User
from accounts.timezones import time_zone_choices, valid_time_zone


def _minutes(value: float) -> str:
    return f"{value:g}"


class LoginForm(AllauthLoginForm):
    """allauth's login, in the site's words ("Log in"), with "This is a shared device" in
    place of allauth's "Remember me": on a shared device the session ends with the browser and
    after the shorter idle time (``IDLE_LOGOUT_MINUTES``), and the device is not remembered for
    the login limits; elsewhere the session outlives the browser, and ends after the idle time
    of the person's role anyway."""

    shared_device = forms.BooleanField(label=_("This is a shared device"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("remember", None)
        self.fields["shared_device"].help_text = _(
            "A computer or phone that others use too: you will be logged out when the browser "
            "closes, and after %(minutes)s minutes without activity."
        ) % {"minutes": _minutes(settings.IDLE_LOGOUT_MINUTES["shared_device"])}

    def clean(self):
        data = super().clean()
        data["remember"] = not data.get("shared_device")  # allauth's expiry follows it
        return data

    def login(self, request, redirect_url=None):
        shared = bool(self.cleaned_data.get("shared_device"))
        # Before: the login itself reads it (the session's row, the known-device cookie).
        services.session_shared_device_set(session=request.session, shared=shared)
        response = super().login(request, redirect_url)
        # After: logging in over another person's session starts a new one.
        services.session_shared_device_set(session=request.session, shared=shared)
        return response


class _CodesCountedPerAccount:
    """Wrong two-factor codes count per account as wrong passwords do (``accounts.devices``):
    in the account's bucket, or in the known device's own; past the limit the code is not even
    tried. The network address's limit is allauth's, inside."""

    user: User

    def clean_code(self) -> str:
        request = context.request
        device = devices.known_device(request, self.user.pk)
        key = devices.bucket(f"code:{self.user.pk}", device)
        if devices.limit_reached(request, action=devices.CODE_LIMIT, key=key):
            raise get_account_adapter().validation_error("too_many_login_attempts")
        try:
            code = super().clean_code()  # type: ignore[misc]
        except ValidationError as error:
            if error.code != "too_many_login_attempts":
                devices.count_failure(request, action=devices.CODE_LIMIT, key=key)
            raise
        devices.forget_failures(request, action=devices.CODE_LIMIT, key=key)
        return code


class TwoFactorCodeForm(_CodesCountedPerAccount, AuthenticateForm):
    """The code after the password."""


class TwoFactorReauthenticateForm(_CodesCountedPerAccount, ReauthenticateForm):
    """The code asked again of someone logged in, before a sensitive change."""


class NicknameField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Nickname"))
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text",
            _("The only name your therapist will see. It need not be your real name."),
        )
        super().__init__(**kwargs)


# --- Accepting the legal documents --------------------------------------------------------------

AGE_ADULT, AGE_MINOR = "adult", "minor"


class CheckboxInput(forms.CheckboxInput):
    """A checkbox whose value is the version it accepts, so that a version published between
    showing the form and sending it is never taken as accepted. (Named as Django's, so that the
    form templates lay it out as a checkbox.)"""

    def __init__(self, version_id: int, attrs=None):
        self.version_id = str(version_id)
        super().__init__(attrs, check_test=lambda value: value == self.version_id)

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        return value if isinstance(value, str) else ""

    def format_value(self, value):
        return self.version_id


_ACCEPT_LABELS: dict[str, str | Promise] = {
    LegalDocument.Kind.PRIVACY: _(
        "I have read the %(link)s and agree that %(site)s processes my health data to provide "
        "this service."
    ),
    LegalDocument.Kind.TERMS: _("I accept the %(link)s."),
    LegalDocument.Kind.TELEHEALTH: _(
        "I agree to therapy at a distance as the %(link)s describes it, knowing its limits."
    ),
}
_REQUIRED_MESSAGES: dict[str, str | Promise] = {
    LegalDocument.Kind.PRIVACY: _("Read the privacy policy and tick this box to go on."),
    LegalDocument.Kind.TERMS: _("Read the terms of use and tick this box to go on."),
    LegalDocument.Kind.TELEHEALTH: _("Read the telehealth consent and tick this box to go on."),
}


class LegalAcceptanceField(forms.Field):
    """A required tick that accepts one version of a document; its cleaned value is that
    version."""

    def __init__(self, *, document: LegalDocument, **kwargs):
        self.document = document
        title = document.title_for(get_language() or settings.LANGUAGE_CODE)
        link = format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a> ({}<span class="visually-hidden">'
            ", {}</span>)",
            reverse(f"legal_{document.kind}_version", args=[document.version]),
            title[:1].lower() + title[1:],
            _("version %(version)d") % {"version": document.version},
            _("opens in a new tab"),
        )
        words = conditional_escape(str(_ACCEPT_LABELS[document.kind]))
        label = mark_safe(words % {"link": link, "site": conditional_escape(settings.SITE_NAME)})  # noqa: S308 (escaped above)
        super().__init__(label=label, widget=CheckboxInput(document.pk), **kwargs)

    def clean(self, value):
        if not value:
            raise ValidationError(_REQUIRED_MESSAGES[self.document.kind], code="required")
        if value != str(self.document.pk):
            raise ValidationError(
                _(
                    "We have just published a new version of this text. Read it, then tick the "
                    "box again."
                ),
                code="new_version",
            )
        return self.document


class LegalAcceptanceFields:
    """Adds a required tick per version to accept (``accept_<kind>``)."""

    fields: dict
    cleaned_data: dict

    def add_acceptance_fields(self, documents: list[LegalDocument]) -> None:
        for document in documents:
            self.fields[f"accept_{document.kind}"] = LegalAcceptanceField(document=document)

    def accepted_documents(self) -> list[LegalDocument]:
        return [value for value in self.cleaned_data.values() if isinstance(value, LegalDocument)]


class LegalConsentForm(LegalAcceptanceFields, forms.Form):
    """The versions a logged-in person is asked to accept before anything else."""

    def __init__(self, *args, documents: list[LegalDocument], **kwargs):
        super().__init__(*args, **kwargs)
        self.add_acceptance_fields(documents)


class _RoleSignupForm(LegalAcceptanceFields, SignupForm):
    """Sign-up for one role, accepting the versions that role is asked for; the browser fills
    the time zone in (timezone.js)."""

    role: str
    time_zone = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"data-detect-time-zone": ""})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_acceptance_fields(selectors.legal_documents_for_role(role=self.role))

    def clean_time_zone(self) -> str:
        return valid_time_zone(self.cleaned_data.get("time_zone", "")) or settings.TIME_ZONE

    def save(self, request):
        # The user, the profile of its role and the email address are saved together or not
        # at all; the verification email leaves only after the commit.
        with transaction.atomic():
            return super().save(request)


class PatientSignupForm(_RoleSignupForm):
    role = User.Role.PATIENT
    age = forms.ChoiceField(
        label=_("Your age"),
        choices=[(AGE_ADULT, _("I am 18 or older")), (AGE_MINOR, _("I am under 18"))],
        widget=forms.RadioSelect,
        help_text=_(
            "%(site)s is for adults. We do not ask for your date of birth and keep nothing of "
            "this answer."
        )
        % {"site": settings.SITE_NAME},
        error_messages={"required": _("Tell us whether you are 18 or older.")},
    )
    nickname = NicknameField(widget=forms.TextInput(attrs={"autocomplete": "nickname"}))
    field_order = ["age", "nickname", "email", "password1", "password2", "time_zone"]

    def clean_age(self) -> str:
        # The view answers a minor before the form is even checked; this is the form's own
        # guard, so that no path saves a minor's sign-up.
        if self.cleaned_data["age"] != AGE_ADULT:
            raise ValidationError(_("%(site)s is for adults only.") % {"site": settings.SITE_NAME})
        return AGE_ADULT


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


# --- Therapist application ---------------------------------------------------------------------
# Every step saves a draft: fields may stay empty until the therapist submits for review,
# when ``selectors.therapist_application_incomplete_steps`` says what is still missing.


class TimeZoneChoiceField(forms.ChoiceField):
    def __init__(self, *, current: str = "", **kwargs):
        super().__init__(**kwargs)
        choices = time_zone_choices()
        if valid_time_zone(current) and current not in dict(choices):
            choices.append((current, current))
        self.choices = choices


class TherapistAboutForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        help_text=_("Your name as patients will see it, e.g. “Dr Anna Novak” or “Anna N.”."),
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_(
            "Optional. A JPEG or PNG portrait. We resize it and remove its hidden data "
            "(location, camera, date)."
        ),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    remove_photo = forms.BooleanField(label=_("Remove my photo"), required=False)

    def __init__(self, *args, time_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = TimeZoneChoiceField(
            label=_("Time zone"),
            current=time_zone,
            help_text=_("Your calendar and availability are kept in this zone."),
        )


class TherapistLanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), required=False)
    level = forms.ChoiceField(
        label=_("Level"), choices=LanguageLevel.choices, initial=LanguageLevel.NATIVE
    )
    bio = forms.CharField(
        label=_("Biography in this language"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "A few sentences for patients who speak this language: how you work, whom you help."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", "—"), *THERAPY_LANGUAGES]


class _TherapistLanguageFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": ngettext_lazy(
            "You can list at most %(num)d language.",
            "You can list at most %(num)d languages.",
            "num",
        ),
    }

    def clean(self):
        if any(self.errors):
            return
        codes = [form.cleaned_data.get("language") for form in self.forms]
        codes = [code for code in codes if code]
        if len(set(codes)) != len(codes):
            raise ValidationError(_("Each language can be listed once."), code="duplicate_language")

    def rows(self) -> list[tuple[str, str, str]]:
        """(language, level, biography) of every filled-in row."""
        return [
            (form.cleaned_data["language"], form.cleaned_data["level"], form.cleaned_data["bio"])
            for form in self.forms
            if form.cleaned_data.get("language")
        ]


TherapistLanguageFormSet = cast(
    type[_TherapistLanguageFormSet],
    # absolute_max: a posted TOTAL_FORMS past twelve builds twelve forms and says so, where
    # Django's default (max_num + 1000) built and re-rendered a thousand (seconds of CPU).
    forms.formset_factory(
        TherapistLanguageForm,
        formset=_TherapistLanguageFormSet,
        extra=2,
        max_num=12,
        absolute_max=12,
    ),
)


class TherapistPracticeForm(forms.Form):
    specialities = forms.MultipleChoiceField(
        label=_("Specialities"),
        choices=Speciality.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What you are trained and experienced in. Matching relies on this."),
    )
    approaches = forms.MultipleChoiceField(
        label=_("Approaches"),
        choices=Approach.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    modalities = forms.MultipleChoiceField(
        label=_("How you meet patients"),
        choices=Modality.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    faith = forms.ChoiceField(
        label=_("Faith-based practice"),
        choices=[("", _("No, my practice is not faith-based")), *Faith.choices],
        required=False,
        help_text=_("Optional. Some patients look for a therapist who shares their faith."),
    )
    caseload_limit = forms.IntegerField(
        label=_("Caseload limit"),
        min_value=1,
        max_value=200,
        help_text=_("The most patients you want to follow at once."),
    )
    accepting_new_patients = forms.BooleanField(
        label=_("Accepting new patients"),
        required=False,
        help_text=_(
            "Once you are approved, new patients are offered to you only while this is on."
        ),
    )


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TherapistCredentialsForm(forms.Form):
    degree_level = forms.ChoiceField(
        label=_("Highest degree"), choices=[("", "—"), *DegreeLevel.choices], required=False
    )
    degree_field = forms.CharField(
        label=_("Field of study"),
        max_length=120,
        required=False,
        help_text=_("E.g. clinical psychology, psychiatry, psychotherapy."),
    )
    degree_institution = forms.CharField(label=_("Institution"), max_length=160, required=False)
    degree_year = forms.IntegerField(
        label=_("Year obtained"), min_value=1950, max_value=2100, required=False
    )
    license_number = forms.CharField(
        label=_("License or registration number"),
        max_length=60,
        required=False,
        help_text=_("E.g. your ADELI or RPPS number in France, HCPC number in the UK."),
    )
    license_issuer = forms.CharField(label=_("Issuing body"), max_length=160, required=False)
    license_country = forms.ChoiceField(label=_("Country of the license"), required=False)
    license_expiry = forms.DateField(
        label=_("License valid until"),
        required=False,
        widget=_DateInput(),
        help_text=_(
            "If your license does not expire, enter the date of its next renewal or review."
        ),
    )
    licensed_countries = forms.MultipleChoiceField(
        label=_("Countries where you are licensed to practise"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "Patients living in these countries can be matched with you. "
            "Hold Ctrl (⌘ on a Mac) to choose several."
        ),
    )
    practising_since = forms.DateField(
        label=_("In clinical practice since"),
        required=False,
        widget=_DateInput(),
        help_text=_("The date you started seeing patients after your degree."),
    )
    clinical_hours = forms.IntegerField(
        label=_("Clinical hours"),
        min_value=0,
        max_value=200_000,
        required=False,
        help_text=_("Supervised and independent hours with patients, in total."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["license_country"].choices = [("", "—"), *countries]
        self.fields["licensed_countries"].choices = list(countries)

    def clean(self):
        data = super().clean()
        year, since = data.get("degree_year"), data.get("practising_since")
        if year and year > timezone.localdate().year:
            self.add_error("degree_year", _("This year has not come yet."))
        if since and since > timezone.localdate():
            self.add_error("practising_since", _("This date has not come yet."))
        return data

    def credentials(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.fields}
        data["degree_level"] = data["degree_level"] or ""
        return data


class TherapistDocumentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("This document is"),
        choices=TherapistDocument.Kind.choices,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG, at most 10 MB. Only our vetting team and you can open it."),
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
