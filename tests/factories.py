import factory
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.choices import DegreeLevel, LanguageLevel, Speciality
from accounts.models import (
    PatientProfile,
    TherapistDocument,
    TherapistLanguage,
    TherapistProfile,
    User,
)

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


class PatientFactory(UserFactory):
    role = User.Role.PATIENT
    patient_profile = factory.RelatedFactory(
        "tests.factories.PatientProfileFactory", factory_related_name="user"
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
        "tests.factories.TherapistProfileFactory", factory_related_name="user"
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
    """A small real PDF in private storage."""

    class Meta:
        model = TherapistDocument

    therapist = factory.SubFactory(TherapistProfileFactory)
    kind = TherapistDocument.Kind.DEGREE
    original_name = factory.LazyAttribute(lambda document: f"{document.kind}.pdf")
    content_type = "application/pdf"
    size = len(PDF)
    file = factory.django.FileField(data=PDF, filename="document.pdf")


class StaffFactory(UserFactory):
    role = User.Role.STAFF
    is_staff = True
    is_superuser = True
