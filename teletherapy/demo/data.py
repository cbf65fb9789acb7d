"""The demo's people and their words: therapists with their credentials and biographies, the
patients and what they answer and write, the staff member, and when each thing happened
(relative to the moment the demo is loaded). ``load.py`` makes them exist through the apps'
services; ``files.py`` draws their photos and documents.

Never for production: the passwords and the two-factor secret below are public.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from accounts.choices import (
    Approach,
    DegreeLevel,
    Faith,
    Gender,
    LanguageLevel,
    Modality,
    Speciality,
)
from accounts.models import TherapistProfile

# Base32; add it to any authenticator app, or run `make totp` for the current code.
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"  # noqa: S105 (public by design)
PATIENT_PASSWORD = "demo-patient-pass"  # noqa: S105 (public by design, DEBUG only)
THERAPIST_PASSWORD = "demo-therapist-pass"  # noqa: S105
STAFF_PASSWORD = "demo-admin-pass"  # noqa: S105

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
    # When they signed up; the rest of their application follows (``APPLICATION_STEPS``).
    joined_days_ago: int = 180
    # Sees people from their licence countries who live abroad (matching's jurisdiction rule).
    serves_citizens_abroad: bool = False


@dataclass(frozen=True)
class DemoPatient:
    email: str
    nickname: str
    country: str
    time_zone: str
    ui_language: str
    answers: dict  # the intake questionnaire's answers, as ``matching`` collects them


@dataclass
class DemoLogins:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, role: str, email: str, password: str, note: str = "") -> None:
        self.rows.append((role, email, password, note))


STAFF_EMAIL = "admin@example.org"
STAFF_JOINED_DAYS_AGO = 400

# A therapist's application, after they joined: (step, how long after joining).
APPLICATION_STEPS = {
    "documents": timedelta(days=1),  # profile, practice, credentials and both scans
    "submitted": timedelta(days=2),
    "approved": timedelta(days=4),  # by the demo admin
}
APPROVAL_REASON = "Demo data: degree, license and experience checked against the documents."

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
        serves_citizens_abroad=True,
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
        joined_days_ago=6,
    ),
]


def intake_answers(
    *,
    nickname: str,
    concerns: list[str],
    languages: list[str],
    country: str,
    time_zone: str,
    phq9: list[int],
    gad7: list[int],
    home_country: str = "",
) -> dict:
    """Intake answers as the questionnaire collects them (``matching.services.INTAKE_STEPS``)."""
    return {
        "concerns": {"concerns": concerns, "concerns_text": "", "in_danger": "no"},
        "goals": {"goals": "", "previous_therapy": "never"},
        "phq9": {"answers": phq9},
        "gad7": {"answers": gad7},
        "preferences": {"therapist_gender": "", "wants_lgbt_specialist": False, "faith": ""},
        "place": {
            "languages": languages,
            "country": country,
            "home_country": home_country,
            "time_zone": time_zone,
        },
        "practical": {
            "modality": "video",
            "modality_required": False,
            "preferred_days": [1, 3],
            "preferred_times": ["evening"],
        },
        "nickname": {"nickname": nickname},
    }


LEA = DemoPatient(
    "patient@example.org",
    "Léa",
    "FR",
    "Europe/Paris",
    "fr",
    intake_answers(
        nickname="Léa",
        concerns=["burnout", "anxiety"],
        languages=["fr"],
        country="FR",
        time_zone="Europe/Paris",
        phq9=[1, 1, 2, 1, 0, 1, 1, 0, 0],
        gad7=[2, 1, 2, 1, 1, 1, 0],
    ),
)
TOMAS = DemoPatient(
    "patient2@example.org",
    "Tomás",
    "DE",
    "Europe/Berlin",
    "en",
    intake_answers(
        nickname="Tomás",
        concerns=["stress"],
        languages=["de", "en"],
        country="DE",
        time_zone="Europe/Berlin",
        phq9=[1, 1, 2, 1, 0, 1, 1, 0, 0],
        gad7=[2, 1, 2, 1, 1, 1, 0],
    ),
)
# A French expatriate in Tokyo: no therapist is licensed in Japan, but Camille sees French people
# living abroad (she opted in, and MATCHING_SERVE_CITIZENS_ABROAD allows it).
HUGO = DemoPatient(
    "patient3@example.org",
    "Hugo",
    "JP",
    "Asia/Tokyo",
    "fr",
    intake_answers(
        nickname="Hugo",
        concerns=["anxiety", "stress"],
        languages=["fr", "en"],
        country="JP",
        home_country="FR",
        time_zone="Asia/Tokyo",
        phq9=[1, 0, 1, 1, 0, 1, 0, 0, 0],
        gad7=[2, 2, 1, 1, 0, 1, 1],
    ),
)
PATIENTS = [LEA, TOMAS, HUGO]


# --- Léa's story: she works with a therapist since five weeks ago -------------------------------

# Every moment of it, counted from when she signed up (``LEA_JOINED_DAYS_AGO`` days before the
# demo is loaded), in the order it happened.
LEA_JOINED_DAYS_AGO = 35
LEA_STORY = {
    "intake": timedelta(minutes=12),  # her questionnaire, kept at sign-up
    "offer": timedelta(minutes=13),  # the first offer goes out at once
    "accepted": timedelta(hours=2),
    "booked": timedelta(days=1),  # her first session, booked for the first free time...
    "first_session_from": timedelta(days=4),  # ...from four days on
}
# Messages after the match: (who writes, how long after the match began, what).
LEA_FIRST_MESSAGES = [
    (
        "patient",
        timedelta(hours=1),
        "Bonjour, je viens de recevoir votre réponse. Merci d’avoir accepté.",
    ),
    (
        "therapist",
        timedelta(hours=4),
        "Bonjour Léa, je suis contente de travailler avec vous. Quand vous voulez, "
        "dites-moi ce qui vous amène ; nous pourrons en parler lors de notre première séance.",
    ),
]
# Her latest message, this long before the demo is loaded, waits unread for her therapist.
LEA_LATEST_MESSAGE = (
    timedelta(hours=3),
    "Je n’arrive plus à décrocher du travail le soir.\n\n"
    "Est-ce qu’on pourra en parler à notre prochaine séance ?",
)
# The therapist's private note of the first session, written just after it.
LEA_FIRST_SESSION_NOTE = (
    "Première séance. Épuisement professionnel depuis un an, sommeil haché, "
    "ruminations le soir. Objectif convenu : des soirées sans travail. "
    "À revoir : la routine du coucher."
)
# Her check-in four days ago: a little better than at her intake.
LEA_CHECKIN = (
    timedelta(days=4),
    [1, 1, 1, 0, 0, 1, 0, 0, 0],  # PHQ-9: 4
    [1, 1, 1, 1, 0, 1, 0],  # GAD-7: 5
)
# Her next session: the first free time from this long after the demo is loaded.
LEA_NEXT_SESSION_FROM = timedelta(days=2)
# The goal her therapist set after the first session (how long before the demo is loaded), its
# steps, and how many of them she has done.
LEA_GOAL = (
    timedelta(days=28),
    "Des soirées sans travail",
    "Pour retrouver un sommeil qui repose.",
    timedelta(days=30),  # the target date, from when the demo is loaded
    [
        "Couper les notifications du travail à 19 h",
        "Une marche après le dîner",
        "Lire avant de dormir",
    ],
    1,
)
# The sleep diary given with it, due in five days, two nights filled in.
LEA_SLEEP_DIARY = (
    timedelta(days=3),
    timedelta(days=5),
    "Notez vos nuits cette semaine, même approximativement.",
    {
        "a-0-to_bed": "23 h 30",
        "a-0-fell_asleep": "0 h 45",
        "a-0-woke_up": "6 h 30",
        "a-1-to_bed": "22 h 45",
        "a-1-fell_asleep": "23 h 30",
        "a-1-woke_up": "7 h",
    },
)
# A page of her journal, shared with her therapist (how long before the demo is loaded).
LEA_JOURNAL = (
    timedelta(days=2),
    "J’ai laissé l’ordinateur au bureau ce soir. Un peu d’angoisse au début, puis j’ai lu "
    "une heure. Première nuit complète depuis longtemps.",
    6,
    ["work", "sleep"],
)

# --- Hugo's story: in Tokyo, matched with a French therapist ten days ago ----------------------

HUGO_JOINED_DAYS_AGO = 10
HUGO_STORY = {
    "intake": timedelta(minutes=8),
    "offer": timedelta(minutes=9),
    "accepted": timedelta(hours=3, minutes=30),  # within the offer's four hours
}
HUGO_MESSAGES = [
    (
        "patient",
        timedelta(hours=6),
        "Bonjour, merci. Je vis à Tokyo depuis deux ans : le décalage horaire ne vous gêne pas ?",
    ),
    (
        "therapist",
        timedelta(hours=20),
        "Bonjour Hugo, pas du tout : mes séances du matin à Paris tombent en fin de journée "
        "à Tokyo. Réservez le créneau qui vous convient, il s’affiche à votre heure.",
    ),
]

# --- Tomás' story: he has just filled in the questionnaire; an offer is out ---------------------

TOMAS_JOINED_MINUTES_AGO = 30
TOMAS_STORY = {
    "intake": timedelta(minutes=5),
    "offer": timedelta(minutes=6),
}
