"""Accounts: patients, therapists (approved, with an authenticator app, by default), staff,
each having accepted the legal documents in effect; new versions of those documents, and what a
sign-up form needs to accept them."""

from datetime import UTC, date, datetime
from typing import cast

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from dateutil.relativedelta import relativedelta
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts import selectors, services
from accounts.choices import DegreeLevel, LanguageLevel, Speciality
from accounts.models import (
    LegalDocument,
    PatientProfile,
    TherapistDocument,
    TherapistLanguage,
    TherapistProfile,
    User,
    VettingDecision,
)
from core import crypto

PASSWORD = "correct-horse-battery-staple"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    role = User.Role.PATIENT
    language = "en"
    time_zone = "Europe/Paris"

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or PASSWORD)
        if create:
            user.save(update_fields=["password"])

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        """A verified primary address, unless ``verified=False``."""
        if create:
            EmailAddress.objects.create(
                user=user, email=user.email, primary=True, verified=extracted is not False
            )

    @factory.post_generation
    def totp(user, create, extracted, **kwargs):
        """An authenticator app (with recovery codes): by default for those who need one."""
        if extracted is None:
            extracted = user.requires_mfa
        if create and extracted:
            TOTP.activate(user, TOTP_SECRET)
            RecoveryCodes.activate(user)

    @factory.post_generation
    def legal(user, create, extracted, **kwargs):
        """The legal documents in effect accepted, as at sign-up, unless ``legal=False``."""
        if create and extracted is not False:
            services.legal_accept_current(user=user)


class PatientFactory(UserFactory):
    role = User.Role.PATIENT
    patient_profile = factory.RelatedFactory(
        "tests.factories.accounts.PatientProfileFactory", factory_related_name="user"
    )


class PatientProfileFactory(DjangoModelFactory):
    class Meta:
        model = PatientProfile

    user = factory.SubFactory(UserFactory)
    nickname = factory.Sequence(lambda n: f"Nick{n}")
    country = "FR"


class TherapistFactory(UserFactory):
    """An approved therapist who speaks French and English, with an authenticator app."""

    role = User.Role.THERAPIST
    therapist_profile = factory.RelatedFactory(
        "tests.factories.accounts.TherapistProfileFactory", factory_related_name="user"
    )


class TherapistProfileFactory(DjangoModelFactory):
    class Meta:
        model = TherapistProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=User.Role.THERAPIST)
    display_name = factory.Sequence(lambda n: f"Therapist {n}")
    specialities = [Speciality.ANXIETY.value, Speciality.BURNOUT.value]
    vetting_status = TherapistProfile.VettingStatus.APPROVED
    accepting_new_patients = True

    @factory.post_generation
    def languages(profile, create, extracted, **kwargs):
        if create:
            for code in extracted or ["fr", "en"]:
                TherapistLanguage.objects.create(
                    therapist=profile, language=code, level=LanguageLevel.FLUENT
                )

    @factory.post_generation
    def credentials(profile, create, extracted, **overrides):
        """With ``credentials=True``: credentials that meet every approval criterion, and a
        degree and a license document.

        Only empty fields are filled, so ``clinical_hours=1999`` given to the factory stays;
        ``credentials__<field>=value`` overrides a filled-in value too.
        """
        if not (create and extracted):
            return
        today = timezone.localdate()
        complete = {
            "degree_level": DegreeLevel.MASTER,
            "degree_field": "Clinical psychology",
            "degree_institution": "Université Paris Cité",
            "degree_year": today.year - 8,
            "license_number": "ADELI-759312345",
            "license_issuer": "Agence régionale de santé Île-de-France",
            "license_country": "FR",
            "license_expiry": today + relativedelta(years=1),
            "licensed_countries": ["FR"],
            "practising_since": today - relativedelta(years=5),
            "clinical_hours": 2500,
        }
        for name, value in complete.items():
            if getattr(profile, name) in (None, "", []):
                setattr(profile, name, value)
        for name, value in overrides.items():
            setattr(profile, name, value)
        profile.save()
        for kind in (TherapistDocument.Kind.DEGREE, TherapistDocument.Kind.LICENSE):
            TherapistDocumentFactory(therapist=profile, kind=kind)


class TherapistDocumentFactory(DjangoModelFactory):
    """A small real PDF in private storage, encrypted as the service stores it."""

    class Meta:
        model = TherapistDocument

    therapist = factory.SubFactory(TherapistProfileFactory)
    kind = TherapistDocument.Kind.DEGREE
    original_name = factory.LazyAttribute(lambda document: f"{document.kind}.pdf")
    content_type = "application/pdf"
    size = len(PDF)
    file = factory.LazyFunction(lambda: ContentFile(crypto.encrypt_bytes(PDF), name="document"))


class VettingDecisionFactory(DjangoModelFactory):
    """One step of a therapist's vetting, recorded as the services record it (by default the
    system suspending an approved therapist)."""

    class Meta:
        model = VettingDecision

    therapist = factory.SubFactory(TherapistProfileFactory)
    actor = None
    from_status = TherapistProfile.VettingStatus.APPROVED
    to_status = TherapistProfile.VettingStatus.SUSPENDED
    reason = "License expired."
    created_at = factory.LazyFunction(timezone.now)


class StaffFactory(UserFactory):
    role = User.Role.STAFF
    is_staff = True
    is_superuser = True


# --- Applications in every vetting state, and decisions on them ---------------------------------

# The vetting tests run at this moment (the ``vetting_clock`` fixture of tests/accounts).
VETTING_NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
VETTING_TODAY = VETTING_NOW.date()
# Credential values the tests look for (never in an email, say); the factory fills in the rest.
KNOWN_CREDENTIALS = {
    "license_number": "ADELI-759312345",
    "degree_institution": "Université Paris Cité",
    "degree_field": "Clinical psychology",
    "clinical_hours": 2400,
}
# Other credentials, all valid, for a therapist who changes theirs.
OTHER_CREDENTIALS = {
    "degree_level": DegreeLevel.DOCTORATE,
    "degree_field": "Psychology",
    "degree_institution": "KU Leuven",
    "degree_year": 2010,
    "license_number": "BE-12345",
    "license_issuer": "Psychologencommissie",
    "license_country": "BE",
    "license_expiry": date(2029, 1, 1),
    "licensed_countries": ["BE"],
    "practising_since": date(2011, 1, 1),
    "clinical_hours": 5000,
}
DECISION_REASON = "Checked the diploma with the university registrar."
BOTH_DOCUMENTS = (TherapistDocument.Kind.DEGREE, TherapistDocument.Kind.LICENSE)


def make_therapist(
    status: str = TherapistProfile.VettingStatus.SUBMITTED,
    *,
    complete: bool = True,
    credentials: dict | None = None,
    documents: tuple[str, ...] | list[str] = BOTH_DOCUMENTS,
    language: str = "en",
    **fields,
) -> TherapistProfile:
    """A therapist in ``status`` whose application is complete (the factory's credentials that
    meet every criterion on the day, a degree and a license document), unless
    ``complete=False``.

    ``credentials`` replaces some of those values (None and "" included); ``documents`` lists
    the kinds of document to attach instead of one of each.
    """
    fields = {"vetting_status": status, "modalities": ["video", "chat"]} | fields
    if complete:
        fields["credentials"] = True
        values = KNOWN_CREDENTIALS | (credentials or {})
        fields |= {f"credentials__{name}": value for name, value in values.items()}
    user = cast(
        User,
        TherapistFactory(
            language=language, **{f"therapist_profile__{name}": v for name, v in fields.items()}
        ),
    )
    profile = TherapistProfile.objects.get(user=user)
    if complete and tuple(documents) != BOTH_DOCUMENTS:
        profile.documents.all().delete()
        for kind in documents:
            TherapistDocumentFactory(therapist=profile, kind=kind)
    return profile


def decide(
    profile: TherapistProfile,
    action: str = "approve",
    *,
    actor: User,
    reason: str = DECISION_REASON,
    today: date = VETTING_TODAY,
) -> VettingDecision:
    """A staff decision through the service, judged on ``today``."""
    return services.therapist_vetting_decide(
        profile=profile, action=action, actor=actor, reason=reason, today=today
    )


def about_update(profile: TherapistProfile, **changes) -> TherapistProfile:
    """The "about you" step saved through the service, with these ``changes``."""
    values = {
        "display_name": "Ana Lopes",
        "gender": "woman",
        "time_zone": "Europe/Lisbon",
        "languages": [("pt", "native"), ("en", "fluent")],
        "bios": {"pt": "Olá.", "en": "Hello."},
    } | changes
    return services.therapist_about_update(profile=profile, **values)


def practice_update(profile: TherapistProfile) -> TherapistProfile:
    """The "your practice" step saved through the service."""
    return services.therapist_practice_update(
        profile=profile,
        specialities=["grief"],
        approaches=["cbt"],
        modalities=["video", "phone"],
        faith="",
        caseload_limit=12,
        accepting_new_patients=False,
    )


# --- Legal documents -----------------------------------------------------------------------------


class LegalDocumentFactory(DjangoModelFactory):
    """A new version of a legal document (the terms by default), in effect from now."""

    class Meta:
        model = LegalDocument

    kind = LegalDocument.Kind.TERMS
    version = factory.LazyAttribute(
        lambda document: selectors.legal_document_next_version(kind=document.kind)
    )
    title_en = factory.LazyAttribute(lambda document: f"{document.kind.title()} (English)")
    title_fr = factory.LazyAttribute(lambda document: f"{document.kind.title()} (français)")
    body_en = "## What this is\nThe English text.\n\n- One thing\n- Another thing"
    body_fr = "## Ce que c’est\nLe texte en français."
    changes_en = "We changed one thing."
    changes_fr = "Nous avons changé une chose."
    published_at = factory.LazyFunction(timezone.now)


def legal_documents_publish(*, now: datetime | None = None) -> dict[str, LegalDocument]:
    """A new version of every document, in effect from ``now`` (by default, the present)."""
    moment = now or timezone.now()
    return {
        kind: cast(LegalDocument, LegalDocumentFactory(kind=kind, published_at=moment))
        for kind in LegalDocument.Kind.values
    }


def signup_consents(role: str = User.Role.PATIENT) -> dict[str, str]:
    """What a sign-up form needs besides the account itself: the age (patients) and a tick for
    each legal document in effect (its version)."""
    data = {"age": "adult"} if role == User.Role.PATIENT else {}
    for document in selectors.legal_documents_for_role(role=role):
        data[f"accept_{document.kind}"] = str(document.pk)
    return data
