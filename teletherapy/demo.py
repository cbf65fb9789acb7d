"""Demo data for the embedded default: known logins, so a newcomer can click through at once.

Never for production: the passwords and the two-factor secret below are public.
"""

import io
import uuid
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import recurrence
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from accounts.choices import (
    Approach,
    DegreeLevel,
    Faith,
    Gender,
    LanguageLevel,
    Modality,
    Speciality,
)
from accounts.models import (
    PatientProfile,
    TherapistDocument,
    TherapistLanguage,
    TherapistProfile,
    User,
    VettingDecision,
)
from matching import selectors as matching_selectors
from matching import services as matching_services
from messaging import services as messaging_services
from scheduling import selectors as scheduling_selectors
from scheduling import services as scheduling_services
from scheduling.models import AvailabilityWindow
from teletherapy import uploads

# Base32; add it to any authenticator app, or run `make totp` for the current code.
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"
PATIENT_PASSWORD = "demo-patient-pass"
THERAPIST_PASSWORD = "demo-therapist-pass"
STAFF_PASSWORD = "demo-admin-pass"

Status = TherapistProfile.VettingStatus
Approved = Status.APPROVED
S, A, M = Speciality, Approach, Modality
NATIVE, FLUENT, PRO = LanguageLevel.NATIVE, LanguageLevel.FLUENT, LanguageLevel.PROFESSIONAL
MASTER, DOCTORATE = DegreeLevel.MASTER, DegreeLevel.DOCTORATE


@dataclass(frozen=True)
class DemoCredentials:
    """What staff vetted; every demo license is valid for a few years from the day of loading."""

    country: str
    degree_level: str
    degree_field: str
    degree_institution: str
    degree_year: int
    license_number: str
    license_issuer: str
    licensed_countries: tuple[str, ...]
    practising_since: date
    clinical_hours: int


@dataclass(frozen=True)
class DemoTherapist:
    email: str
    display_name: str
    gender: str
    time_zone: str
    languages: list[tuple[str, str]]
    specialities: list[str]
    approaches: list[str]
    modalities: list[str]
    credentials: DemoCredentials
    bios: dict[str, str]
    faith: str = ""
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
        [A.CBT, A.ACT],
        [M.VIDEO, M.PHONE, M.CHAT],
        DemoCredentials(
            "FR",
            MASTER,
            "Psychologie clinique et psychopathologie",
            "Université Paris Cité",
            2011,
            "DEMO-ADELI-759300001",
            "Agence régionale de santé Île-de-France (ADELI)",
            ("FR", "BE"),
            date(2012, 9, 1),
            9200,
        ),
        {
            "fr": "Psychologue clinicienne depuis plus de dix ans, j’accompagne les personnes "
            "qui traversent une dépression, de l’anxiété ou un épuisement professionnel. "
            "Nous avançons à votre rythme, dans un cadre bienveillant et sans jugement.",
            "en": "I have been a clinical psychologist for more than ten years, working with "
            "people going through depression, anxiety or burnout. We move at your pace, in a "
            "kind space free of judgement.",
        },
        ui_language="fr",
    ),
    DemoTherapist(
        "daniel.weber@example.org",
        "Daniel Weber",
        Gender.MAN,
        "Europe/Berlin",
        [("de", NATIVE), ("en", FLUENT)],
        [S.STRESS, S.BURNOUT, S.ADDICTION],
        [A.CBT, A.MINDFULNESS],
        [M.VIDEO, M.PHONE],
        DemoCredentials(
            "DE",
            MASTER,
            "Psychologie (M.Sc.)",
            "Humboldt-Universität zu Berlin",
            2013,
            "DEMO-PTK-BE-20140001",
            "Psychotherapeutenkammer Berlin",
            ("DE", "AT"),
            date(2014, 4, 1),
            6800,
        ),
        {
            "de": "Ich begleite Menschen, die unter Stress, Burnout oder einer Sucht leiden. "
            "Gemeinsam finden wir Schritt für Schritt Wege zu mehr Ruhe und Selbstbestimmung.",
            "en": "I work with people struggling with stress, burnout or addiction. Together we "
            "look, step by step, for ways back to calm and a sense of control.",
        },
    ),
    DemoTherapist(
        "lucia.fernandez@example.org",
        "Lucía Fernández",
        Gender.WOMAN,
        "Europe/Madrid",
        [("es", NATIVE), ("en", FLUENT), ("fr", PRO)],
        [S.RELATIONSHIPS, S.TRAUMA, S.GRIEF],
        [A.EMDR, A.SYSTEMIC],
        [M.VIDEO, M.CHAT],
        DemoCredentials(
            "ES",
            DOCTORATE,
            "Psicología Clínica",
            "Universidad Complutense de Madrid",
            2010,
            "DEMO-M-28001",
            "Colegio Oficial de la Psicología de Madrid",
            ("ES",),
            date(2009, 10, 1),
            11500,
        ),
        {
            "es": "Acompaño a personas en momentos de duelo, trauma o dificultades en sus "
            "relaciones. Mi consulta es un espacio seguro donde puedes hablar con calma y a "
            "tu ritmo.",
            "en": "I support people through grief, trauma and difficulties in their "
            "relationships. My practice is a safe place where you can speak calmly and at your "
            "own pace.",
            "fr": "J’accompagne les personnes qui traversent un deuil, un traumatisme ou des "
            "difficultés relationnelles. Ma consultation est un lieu sûr où vous pouvez parler "
            "calmement, à votre rythme.",
        },
    ),
    DemoTherapist(
        "joao.almeida@example.org",
        "João Almeida",
        Gender.MAN,
        "Europe/Lisbon",
        [("pt", NATIVE), ("es", FLUENT), ("en", PRO)],
        [S.ANXIETY, S.SLEEP, S.STRESS],
        [A.CBT],
        [M.VIDEO],
        DemoCredentials(
            "PT",
            MASTER,
            "Psicologia Clínica e da Saúde",
            "Universidade de Lisboa",
            2016,
            "DEMO-OPP-021001",
            "Ordem dos Psicólogos Portugueses",
            ("PT",),
            date(2017, 1, 9),
            4300,
        ),
        {
            "pt": "Ajudo pessoas a lidar com a ansiedade, o stress e as dificuldades de sono. "
            "Trabalhamos juntos com ferramentas práticas, num ambiente calmo e acolhedor.",
            "es": "Ayudo a personas a afrontar la ansiedad, el estrés y los problemas de sueño. "
            "Trabajamos juntos con herramientas prácticas, en un ambiente tranquilo y acogedor.",
            "en": "I help people cope with anxiety, stress and sleep problems. We work together "
            "with practical tools, in a calm and welcoming setting.",
        },
    ),
    DemoTherapist(
        "giulia.rossi@example.org",
        "Giulia Rossi",
        Gender.WOMAN,
        "Europe/Rome",
        [("it", NATIVE), ("fr", FLUENT), ("en", FLUENT)],
        [S.EATING, S.DEPRESSION],
        [A.SCHEMA, A.INTEGRATIVE],
        [M.VIDEO, M.CHAT],
        DemoCredentials(
            "IT",
            MASTER,
            "Psicologia clinica",
            "Sapienza Università di Roma",
            2014,
            "DEMO-LAZ-24001",
            "Ordine degli Psicologi del Lazio",
            ("IT", "FR"),
            date(2015, 3, 2),
            5600,
        ),
        {
            "it": "Mi occupo di disturbi alimentari e di depressione, con attenzione e rispetto "
            "per la storia di ciascuno. Insieme cerchiamo un rapporto più sereno con il cibo e "
            "con sé stessi.",
            "fr": "J’accompagne les troubles alimentaires et la dépression, avec attention et "
            "respect pour l’histoire de chacun. Ensemble, nous cherchons un rapport plus apaisé "
            "à la nourriture et à soi-même.",
            "en": "I work with eating difficulties and depression, with care and respect for "
            "each person’s story. Together we look for a calmer relationship with food and "
            "with yourself.",
        },
    ),
    DemoTherapist(
        "karim.haddad@example.org",
        "Karim Haddad",
        Gender.MAN,
        "Europe/Paris",
        [("ar", NATIVE), ("fr", NATIVE), ("en", PRO)],
        [S.TRAUMA, S.GRIEF, S.STRESS],
        [A.EMDR, A.HUMANISTIC],
        [M.VIDEO, M.PHONE],
        DemoCredentials(
            "FR",
            DOCTORATE,
            "Psychologie",
            "Université Lumière Lyon 2",
            2012,
            "DEMO-ADELI-699300002",
            "Agence régionale de santé Auvergne-Rhône-Alpes (ADELI)",
            ("FR",),
            date(2011, 9, 1),
            8700,
        ),
        {
            "ar": "أرافق الأشخاص الذين يمرّون بصدمة أو بفقدان عزيز أو بضغوط الحياة اليومية. "
            "وإن رغبتم، أراعي قيمكم وإيمانكم الإسلامي في مسار العلاج.",
            "fr": "J’accompagne les personnes confrontées à un traumatisme, à un deuil ou au "
            "stress du quotidien. Si vous le souhaitez, je peux intégrer vos valeurs et votre "
            "foi musulmane dans notre travail.",
            "en": "I support people facing trauma, grief or everyday stress. If you wish, I can "
            "bring your values and your Muslim faith into our work together.",
        },
        faith=Faith.MUSLIM,
        ui_language="fr",
    ),
    DemoTherapist(
        "agnieszka.nowak@example.org",
        "Agnieszka Nowak",
        Gender.WOMAN,
        "Europe/Warsaw",
        [("pl", NATIVE), ("de", FLUENT), ("en", FLUENT)],
        [S.PARENTING, S.ANXIETY],
        [A.CBT, A.SYSTEMIC],
        [M.VIDEO, M.PHONE, M.CHAT],
        DemoCredentials(
            "PL",
            MASTER,
            "Psychologia",
            "Uniwersytet Warszawski",
            2015,
            "DEMO-KIP-000123",
            "Krajowa Izba Psychologów",
            ("PL", "DE"),
            date(2016, 10, 3),
            3900,
        ),
        {
            "pl": "Pomagam rodzicom i osobom zmagającym się z lękiem odnaleźć spokój i pewność "
            "siebie. Pracuję łagodnie, w tempie dopasowanym do Ciebie.",
            "de": "Ich unterstütze Eltern und Menschen mit Ängsten dabei, Ruhe und "
            "Selbstvertrauen wiederzufinden. Ich arbeite behutsam und in Ihrem Tempo.",
            "en": "I help parents and people living with anxiety find calm and confidence "
            "again. I work gently, at a pace that suits you.",
        },
    ),
    DemoTherapist(
        "alex.martin@example.org",
        "Alex Martin",
        Gender.NON_BINARY,
        "Europe/London",
        [("en", NATIVE), ("fr", FLUENT)],
        [S.LGBT, S.RELATIONSHIPS, S.DEPRESSION],
        [A.HUMANISTIC, A.INTEGRATIVE],
        [M.VIDEO, M.CHAT],
        DemoCredentials(
            "GB",
            DOCTORATE,
            "Clinical Psychology (DClinPsy)",
            "University College London",
            2016,
            "DEMO-PYL-040001",
            "Health and Care Professions Council (HCPC)",
            ("GB",),
            date(2016, 11, 1),
            5200,
        ),
        {
            "en": "I am an LGBT+ affirming therapist working with identity, relationships and "
            "depression. Whoever you are and whoever you love, you are welcome here.",
            "fr": "Thérapeute LGBT+ affirmatif·ve, j’accompagne les questions d’identité, les "
            "relations et la dépression. Qui que vous soyez et qui que vous aimiez, vous "
            "trouverez ici un accueil sans jugement.",
        },
    ),
    DemoTherapist(
        "sam.dubois@example.org",
        "Sam Dubois",
        Gender.UNSPECIFIED,
        "Europe/Brussels",
        [("fr", NATIVE), ("nl", FLUENT)],
        [S.ANXIETY, S.STRESS],
        [A.CBT, A.MINDFULNESS],
        [M.VIDEO, M.PHONE],
        DemoCredentials(
            "BE",
            MASTER,
            "Sciences psychologiques",
            "Université libre de Bruxelles",
            2017,
            "DEMO-COM-PSY-820001",
            "Commission des Psychologues / Psychologencommissie",
            ("BE", "FR"),
            date(2018, 2, 1),
            3100,
        ),
        {
            "fr": "J’aide les personnes anxieuses ou stressées à reprendre leur souffle au "
            "quotidien. Nous construisons ensemble des outils simples, adaptés à votre vie.",
            "nl": "Ik help mensen met angst of stress om in het dagelijks leven weer op adem te "
            "komen. Samen bouwen we eenvoudige hulpmiddelen die bij jouw leven passen.",
        },
        status=Status.SUBMITTED,
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


# Calm colours with enough contrast for white initials, one per demo therapist.
PHOTO_COLOURS = [
    "#2f6f73",
    "#5b4b8a",
    "#8a4b5b",
    "#3d6b45",
    "#7a5a2f",
    "#2f4f7a",
    "#6b3d6b",
    "#45607a",
    "#7a3d3d",
]
APPROVAL_REASON = "Demo data: degree, license and experience checked against the documents."


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split()[:2]).upper()


def _demo_photo(*, name: str, colour: str) -> bytes:
    """A plain square with the therapist's initials: clearly a placeholder, not a portrait."""
    size = uploads.PHOTO_SIZE
    image = Image.new("RGB", (size, size), colour)
    font = ImageFont.load_default(size=size // 3)
    ImageDraw.Draw(image).text(
        (size / 2, size / 2), _initials(name), fill="white", font=font, anchor="mm"
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _demo_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing these lines, small but valid for any viewer."""
    text = b"".join(_pdf_string(line) + b" Tj T* " for line in lines)
    content = b"BT /F1 14 Tf 20 TL 72 770 Td " + text + b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _demo_document(demo: DemoTherapist, kind: str) -> bytes:
    c = demo.credentials
    if kind == TherapistDocument.Kind.DEGREE:
        title = "Degree certificate"
        details = [
            f"{DegreeLevel(c.degree_level).label}: {c.degree_field}",
            f"{c.degree_institution}, {c.degree_year}",
        ]
    else:
        title = "License / registration"
        details = [c.license_issuer, f"Number {c.license_number}"]
    return _demo_pdf(
        [
            "DEMO - NOT A REAL DOCUMENT",
            f"Made up for the {settings.SITE_NAME} demo data.",
            "",
            title,
            demo.display_name,
            *details,
            "",
            "DEMO",
        ]
    )


def _ensure_documents(profile: TherapistProfile, demo: DemoTherapist) -> None:
    """One degree and one license scan; kept as they are once stored."""
    for kind in TherapistDocument.Kind.values:
        document = profile.documents.filter(kind=kind).first()
        if document and document.file and document.file.storage.exists(document.file.name):
            continue
        content = _demo_document(demo, kind)
        document = document or TherapistDocument(
            therapist=profile,
            kind=kind,
            original_name=f"DEMO-{kind}-{demo.email.partition('@')[0]}.pdf",
            content_type=uploads.PDF,
        )
        document.size = len(content)
        document.file.save("document", ContentFile(content), save=False)
        document.save()


def _ensure_photo(profile: TherapistProfile, demo: DemoTherapist, colour: str) -> None:
    if profile.photo and profile.photo.storage.exists(profile.photo.name):
        return
    photo = _demo_photo(name=demo.display_name, colour=colour)
    profile.photo.save("photo.jpg", ContentFile(photo), save=False)
    profile.save(update_fields=["photo"])


def _ensure_vetting(profile: TherapistProfile, demo: DemoTherapist, staff: User) -> None:
    """The status and the audit trail that led to it: sent by the therapist, then approved
    by the demo admin. Anything clicked through in the demo since (Sam approved, say) is
    undone, so the logins printed stay true."""
    trail = [(Status.DRAFT, Status.SUBMITTED)]
    if demo.status == Approved:
        trail.append((Status.SUBMITTED, Approved))
    recorded = list(
        profile.vetting_decisions.order_by("created_at", "pk").values_list(
            "from_status", "to_status"
        )
    )
    if profile.vetting_status == demo.status and recorded == trail:
        return
    profile.vetting_decisions.all().delete()
    now = timezone.now()
    for days_ago, (from_status, to_status) in zip(range(len(trail), 0, -1), trail, strict=True):
        by_staff = to_status != Status.SUBMITTED
        when = now - timedelta(days=days_ago)
        VettingDecision.objects.create(
            therapist=profile,
            actor=staff if by_staff else profile.user,
            from_status=from_status,
            to_status=to_status,
            reason=APPROVAL_REASON if by_staff else "",
            created_at=when,
        )
    profile.vetting_status = demo.status
    profile.vetting_status_changed_at = when
    profile.save(update_fields=["vetting_status", "vetting_status_changed_at"])


def _therapist(demo: DemoTherapist, *, staff: User, colour: str, today: date) -> TherapistProfile:
    user = _user(
        email=demo.email,
        role=User.Role.THERAPIST,
        password=THERAPIST_PASSWORD,
        language=demo.ui_language,
        time_zone=demo.time_zone,
    )
    _ensure_totp(user)
    c = demo.credentials
    profile, _ = TherapistProfile.objects.update_or_create(
        user=user,
        defaults={
            "display_name": demo.display_name,
            "gender": demo.gender,
            "bios": demo.bios,
            "specialities": [str(s) for s in demo.specialities],
            "approaches": [str(a) for a in demo.approaches],
            "modalities": [str(m) for m in demo.modalities],
            "faith": demo.faith,
            "accepting_new_patients": demo.status == Approved,
            "degree_level": c.degree_level,
            "degree_field": c.degree_field,
            "degree_institution": c.degree_institution,
            "degree_year": c.degree_year,
            "license_number": c.license_number,
            "license_issuer": c.license_issuer,
            "license_country": c.country,
            # Valid for a few years from whenever the demo is loaded, so the expiry sweep
            # never suspends a demo therapist.
            "license_expiry": date(today.year + 3, 12, 31),
            "licensed_countries": list(c.licensed_countries),
            "practising_since": c.practising_since,
            "clinical_hours": c.clinical_hours,
        },
    )
    profile.languages.exclude(language__in=[code for code, _ in demo.languages]).delete()
    for code, level in demo.languages:
        TherapistLanguage.objects.update_or_create(
            therapist=profile, language=code, defaults={"level": level}
        )
    _ensure_photo(profile, demo, colour)
    _ensure_documents(profile, demo)
    _ensure_vetting(profile, demo, staff)
    _ensure_availability(profile)
    return profile


def _ensure_availability(profile: TherapistProfile) -> None:
    """Weekday mornings and afternoons in the therapist's own zone, set once (a therapist who
    changed them in the demo keeps their changes)."""
    if profile.availability_windows.exists():
        return
    weekdays = recurrence.Recurrence(
        rrules=[
            recurrence.Rule(
                recurrence.WEEKLY,
                byday=[recurrence.MO, recurrence.TU, recurrence.WE, recurrence.TH, recurrence.FR],
            )
        ]
    )
    for start, end in ((time(9), time(12)), (time(14), time(18))):
        AvailabilityWindow.objects.create(
            therapist=profile, rule=weekdays, start_time=start, end_time=end
        )


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

    today = timezone.localdate()
    for demo, colour in zip(THERAPISTS, PHOTO_COLOURS, strict=True):
        _therapist(demo, staff=staff, colour=colour, today=today)
        languages = "/".join(code for code, _ in demo.languages)
        note = f"{demo.display_name} · {languages}"
        if demo.status != Approved:
            note += " · pending vetting"
        elif S.LGBT in demo.specialities:
            note += " · LGBT+ specialised"
        elif demo.faith:
            note += f" · faith-based ({Faith(demo.faith).label})"
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
    _ensure_matching()
    for demo in PATIENTS:
        logins.add("patient", demo.email, PATIENT_PASSWORD, _patient_note(demo))
    return logins


def _patient_note(demo: DemoPatient) -> str:
    state = matching_selectors.patient_matching_state(patient=User.objects.get(email=demo.email))
    if state["match"] is not None:
        return f"nickname {demo.nickname} · matched with {state['match'].therapist.display_name}"
    offer = state["request"].offers.filter(status="pending").first() if state["request"] else None
    if offer is not None:
        return f"nickname {demo.nickname} · waiting: offer out to {offer.therapist.display_name}"
    return f"nickname {demo.nickname}"


def _demo_answers(
    *, nickname: str, concerns: list[str], languages: list[str], country: str, time_zone: str
) -> dict:
    """Intake answers as the questionnaire collects them (matching.services.INTAKE_STEPS)."""
    return {
        "concerns": {"concerns": concerns, "concerns_text": "", "in_danger": "no"},
        "goals": {"goals": "", "previous_therapy": "never"},
        "phq9": {"answers": [1, 1, 2, 1, 0, 1, 1, 0, 0]},
        "gad7": {"answers": [2, 1, 2, 1, 1, 1, 0]},
        "preferences": {"therapist_gender": "", "wants_lgbt_specialist": False, "faith": ""},
        "place": {"languages": languages, "country": country, "time_zone": time_zone},
        "practical": {
            "modality": "video",
            "modality_required": False,
            "preferred_days": [1, 3],
            "preferred_times": ["evening"],
        },
        "nickname": {"nickname": nickname},
    }


def _ensure_matching() -> None:
    """Léa already works with a therapist; Tomás waits while a therapist considers an offer.

    Done once: a patient who has an intake is left as they are (and as the demo left them).
    """
    lea, tomas = (User.objects.get(email=demo.email) for demo in PATIENTS)
    if not lea.intakes.exists():
        answers = _demo_answers(
            nickname="Léa",
            concerns=["burnout", "anxiety"],
            languages=["fr"],
            country="FR",
            time_zone="Europe/Paris",
        )
        matching_services.intake_record(patient=lea, answers=answers)
        offer = matching_services.offer_next(request=lea.match_requests.get())
        match = matching_services.offer_accept(offer_id=offer.pk, therapist=offer.therapist.user)
        _demo_messages(match)
        _demo_session(match)
    if not tomas.intakes.exists():
        answers = _demo_answers(
            nickname="Tomás",
            concerns=["stress"],
            languages=["de", "en"],
            country="DE",
            time_zone="Europe/Berlin",
        )
        matching_services.intake_record(patient=tomas, answers=answers)
        matching_services.offer_next(request=tomas.match_requests.get())


DEMO_MESSAGES = [
    # (who writes, hours ago, what): the last one waits unread for the therapist.
    ("patient", 50, "Bonjour, je viens de recevoir votre réponse. Merci d'avoir accepté."),
    (
        "therapist",
        47,
        "Bonjour Léa, je suis contente de travailler avec vous. Quand vous voulez, "
        "dites-moi ce qui vous amène ; nous pourrons en parler lors de notre première séance.",
    ),
    (
        "patient",
        3,
        "Je n'arrive plus à décrocher du travail le soir.\n\nEst-ce qu'on pourra en parler mardi ?",
    ),
]


def _demo_messages(match) -> None:
    """A few messages between Léa and her therapist, the last one not yet read."""
    conversation = messaging_services.conversation_open(match_id=match.pk)
    now = timezone.now()
    senders = {"patient": match.patient, "therapist": match.therapist.user}
    for n, (who, hours_ago, body) in enumerate(DEMO_MESSAGES):
        sent_at = now - timedelta(hours=hours_ago)
        messaging_services.message_send(
            conversation=conversation,
            sender=senders[who],
            body=body,
            client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-message-{match.pk}-{n}"),
            now=sent_at,
        )
        if n < len(DEMO_MESSAGES) - 1:
            reader = senders["therapist" if who == "patient" else "patient"]
            messaging_services.messages_mark_read(
                conversation=conversation, reader=reader, now=sent_at + timedelta(minutes=20)
            )


def _demo_session(match) -> None:
    """Léa's first session, booked in her therapist's first free time two days from now."""
    now = timezone.now()
    free = scheduling_selectors.free_slots_between(
        therapist=match.therapist,
        now=now,
        start=now + timedelta(days=2),
        end=now + timedelta(days=9),
    )
    if free:
        scheduling_services.appointment_book(
            patient=match.patient, starts_at=free[0], modality=match.therapist.modalities[0]
        )
