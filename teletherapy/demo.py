"""Demo data for the embedded default: known logins, so a newcomer can click through at once.

Never for production: the passwords and the two-factor secret below are public.
"""

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction

from accounts.choices import Gender, LanguageLevel, Speciality
from accounts.models import PatientProfile, TherapistLanguage, TherapistProfile, User

# Base32; add it to any authenticator app, or run `make totp` for the current code.
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"
PATIENT_PASSWORD = "demo-patient-pass"
THERAPIST_PASSWORD = "demo-therapist-pass"
STAFF_PASSWORD = "demo-admin-pass"

Approved = TherapistProfile.VettingStatus.APPROVED
S = Speciality
NATIVE, FLUENT, PRO = LanguageLevel.NATIVE, LanguageLevel.FLUENT, LanguageLevel.PROFESSIONAL


@dataclass(frozen=True)
class DemoTherapist:
    email: str
    display_name: str
    gender: str
    time_zone: str
    languages: list[tuple[str, str]]
    specialities: list[str]
    status: str = Approved
    ui_language: str = "en"


@dataclass(frozen=True)
class DemoPatient:
    email: str
    nickname: str
    country: str
    time_zone: str
    ui_language: str


@dataclass
class DemoLogins:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, role: str, email: str, password: str, note: str = "") -> None:
        self.rows.append((role, email, password, note))


THERAPISTS = [
    DemoTherapist(
        "camille.laurent@example.org",
        "Camille Laurent",
        Gender.WOMAN,
        "Europe/Paris",
        [("fr", NATIVE), ("en", FLUENT)],
        [S.DEPRESSION, S.ANXIETY, S.BURNOUT],
        ui_language="fr",
    ),
    DemoTherapist(
        "daniel.weber@example.org",
        "Daniel Weber",
        Gender.MAN,
        "Europe/Berlin",
        [("de", NATIVE), ("en", FLUENT)],
        [S.STRESS, S.BURNOUT, S.ADDICTION],
    ),
    DemoTherapist(
        "lucia.fernandez@example.org",
        "Lucía Fernández",
        Gender.WOMAN,
        "Europe/Madrid",
        [("es", NATIVE), ("en", FLUENT), ("fr", PRO)],
        [S.RELATIONSHIPS, S.TRAUMA, S.GRIEF],
    ),
    DemoTherapist(
        "joao.almeida@example.org",
        "João Almeida",
        Gender.MAN,
        "Europe/Lisbon",
        [("pt", NATIVE), ("es", FLUENT), ("en", PRO)],
        [S.ANXIETY, S.SLEEP, S.STRESS],
    ),
    DemoTherapist(
        "giulia.rossi@example.org",
        "Giulia Rossi",
        Gender.WOMAN,
        "Europe/Rome",
        [("it", NATIVE), ("fr", FLUENT), ("en", FLUENT)],
        [S.EATING, S.DEPRESSION],
    ),
    DemoTherapist(
        "karim.haddad@example.org",
        "Karim Haddad",
        Gender.MAN,
        "Europe/Paris",
        [("ar", NATIVE), ("fr", NATIVE), ("en", PRO)],
        [S.TRAUMA, S.GRIEF, S.STRESS],
        ui_language="fr",
    ),
    DemoTherapist(
        "agnieszka.nowak@example.org",
        "Agnieszka Nowak",
        Gender.WOMAN,
        "Europe/Warsaw",
        [("pl", NATIVE), ("de", FLUENT), ("en", FLUENT)],
        [S.PARENTING, S.ANXIETY],
    ),
    DemoTherapist(
        "alex.martin@example.org",
        "Alex Martin",
        Gender.NON_BINARY,
        "Europe/London",
        [("en", NATIVE), ("fr", FLUENT)],
        [S.LGBT, S.RELATIONSHIPS, S.DEPRESSION],
    ),
    DemoTherapist(
        "sam.dubois@example.org",
        "Sam Dubois",
        Gender.UNSPECIFIED,
        "Europe/Brussels",
        [("fr", NATIVE), ("nl", FLUENT)],
        [S.ANXIETY, S.STRESS],
        status=TherapistProfile.VettingStatus.SUBMITTED,
        ui_language="fr",
    ),
]

PATIENTS = [
    DemoPatient("patient@example.org", "Léa", "FR", "Europe/Paris", "fr"),
    DemoPatient("patient2@example.org", "Tomás", "DE", "Europe/Berlin", "en"),
]

STAFF_EMAIL = "admin@example.org"


def _user(*, email: str, role: str, password: str, language: str, time_zone: str) -> User:
    user, _ = User.objects.update_or_create(
        email=email,
        defaults={
            "role": role,
            "language": language,
            "time_zone": time_zone,
            "is_active": True,
            "is_staff": role == User.Role.STAFF,
            "is_superuser": role == User.Role.STAFF,
        },
    )
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _ensure_totp(user: User) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)


@transaction.atomic
def demo_data_load() -> DemoLogins:
    """Create or refresh every demo account; running it again changes nothing more."""
    logins = DemoLogins()
    staff = _user(
        email=STAFF_EMAIL,
        role=User.Role.STAFF,
        password=STAFF_PASSWORD,
        language="en",
        time_zone="Europe/Paris",
    )
    _ensure_totp(staff)
    logins.add("staff", STAFF_EMAIL, STAFF_PASSWORD, "two-factor")

    for demo in THERAPISTS:
        user = _user(
            email=demo.email,
            role=User.Role.THERAPIST,
            password=THERAPIST_PASSWORD,
            language=demo.ui_language,
            time_zone=demo.time_zone,
        )
        _ensure_totp(user)
        profile, _ = TherapistProfile.objects.update_or_create(
            user=user,
            defaults={
                "display_name": demo.display_name,
                "gender": demo.gender,
                "specialities": [str(s) for s in demo.specialities],
                "vetting_status": demo.status,
                "accepting_new_patients": demo.status == Approved,
            },
        )
        profile.languages.exclude(language__in=[code for code, _ in demo.languages]).delete()
        for code, level in demo.languages:
            TherapistLanguage.objects.update_or_create(
                therapist=profile, language=code, defaults={"level": level}
            )
        languages = "/".join(code for code, _ in demo.languages)
        note = f"{demo.display_name} · {languages}"
        if demo.status != Approved:
            note += " · pending vetting"
        elif S.LGBT in demo.specialities:
            note += " · LGBT+ specialised"
        logins.add("therapist", demo.email, THERAPIST_PASSWORD, note + " · two-factor")

    for demo in PATIENTS:
        user = _user(
            email=demo.email,
            role=User.Role.PATIENT,
            password=PATIENT_PASSWORD,
            language=demo.ui_language,
            time_zone=demo.time_zone,
        )
        PatientProfile.objects.update_or_create(
            user=user, defaults={"nickname": demo.nickname, "country": demo.country}
        )
        logins.add("patient", demo.email, PATIENT_PASSWORD, f"nickname {demo.nickname}")
    return logins
