import factory
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from factory.django import DjangoModelFactory

from accounts.choices import LanguageLevel, Speciality
from accounts.models import PatientProfile, TherapistLanguage, TherapistProfile, User

PASSWORD = "correct-horse-battery-staple"
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


class StaffFactory(UserFactory):
    role = User.Role.STAFF
    is_staff = True
    is_superuser = True
