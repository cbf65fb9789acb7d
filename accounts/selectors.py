"""Every read of accounts: who is logged in under a session, which therapists patients may see,
who may see a photo or a credential document, what an application still lacks and what staff
need before approving. Nothing here writes or raises Http404: a missing or forbidden object is
None, and the view decides."""

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from cryptography.fernet import InvalidToken
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Field, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from accounts.choices import DegreeLevel
from accounts.models import (
    LegalAcceptance,
    LegalDocument,
    PatientProfile,
    TherapistDocument,
    TherapistLanguage,
    TherapistProfile,
    User,
    UserSession,
    VettingDecision,
)
from core import crypto

# Answers another page already collected (the intake's nickname), offered as sign-up defaults.
SIGNUP_DEFAULTS_SESSION_KEY = "signup_initial"


def signup_defaults(*, session: SessionBase) -> dict:
    """What the sign-up form starts filled with in this browser session (kept sealed)."""
    defaults = crypto.open_json(session.get(SIGNUP_DEFAULTS_SESSION_KEY), {})
    return dict(defaults) if isinstance(defaults, dict) else {}


def staff_emails() -> list[str]:
    """Where emails for staff go: every active staff member's address."""
    return list(User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))


def user_id_for_email(*, email: str) -> int | None:
    """The id of the account this address logs in to, if any."""
    if "\x00" in email:  # no address holds one, and PostgreSQL refuses it in text
        return None
    return User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()


def user_has_totp(*, user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# The account whose authenticator app a login session has found (its id), written at login
# (``accounts.receivers``) or at the first page after setting the app up; the two-factor rule
# (``MFARequiredMiddleware``) then costs no query. Therapists and staff cannot remove their app
# (``accounts.adapter``); when staff do, every session of theirs ends
# (``services.two_factor_removed``).
MFA_SET_UP_SESSION_KEY = "mfa_set_up_for"


def user_needs_mfa_setup(*, user: User) -> bool:
    """True for a therapist or staff member who has not set up an authenticator app yet."""
    return user.requires_mfa and not user_has_totp(user=user)


async def auser_needs_mfa_setup(*, user: User) -> bool:
    """``user_needs_mfa_setup`` for async code (a middleware under ASGI)."""
    if not user.requires_mfa:
        return False
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
    return not await totp.aexists()


def _session_store(session_key: str) -> SessionBase:
    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    return engine(session_key)


def user_get_for_session(*, session_key: str) -> User | None:
    """The active user still logged in under this session, read afresh from the store.

    None once the session was logged out, expired, or invalidated by a password change.
    """
    session = _session_store(session_key)
    user_id = session.get(SESSION_KEY)
    if user_id is None or session.get(BACKEND_SESSION_KEY) is None:
        return None
    user = User.objects.filter(pk=User._meta.pk.to_python(user_id), is_active=True).first()
    if user is None:
        return None
    stored_hash = session.get(HASH_SESSION_KEY)
    if not stored_hash or not constant_time_compare(stored_hash, user.get_session_auth_hash()):
        return None
    if session_is_idle(data=session, user=user):
        return None  # left idle too long: logged out at its next request, or by the sweep
    return user


# --- Therapists --------------------------------------------------------------------------------


def therapists_visible_to_patients() -> QuerySet[TherapistProfile]:
    """The only therapists a patient may ever see or be offered: approved ones."""
    return TherapistProfile.objects.filter(
        vetting_status=TherapistProfile.VettingStatus.APPROVED, user__is_active=True
    )


def approved_therapist_profile(*, user: User) -> TherapistProfile | None:
    """The user's therapist profile if they may reach patients now (approved, active)."""
    if not (user.is_authenticated and user.is_therapist):
        return None
    return therapists_visible_to_patients().filter(user=user).first()


def therapist_public_get(*, pk: int) -> TherapistProfile | None:
    """An approved therapist's public profile; None for anyone else (the view answers 404)."""
    return (
        therapists_visible_to_patients()
        .select_related("user")
        .prefetch_related(Prefetch("languages", TherapistLanguage.objects.order_by("language")))
        .filter(pk=pk)
        .first()
    )


def therapist_photo_get_for_user(*, user: User | AnonymousUser, pk: int) -> TherapistProfile | None:
    """Whose photo this user may see: any approved therapist's, and their own, and staff all.
    None when there is no such photo or the user may not see it."""
    profiles = TherapistProfile.objects.exclude(photo="")
    if not (user.is_authenticated and user.is_staff):
        visible = Q(pk__in=therapists_visible_to_patients().values("pk"))
        if user.is_authenticated:
            visible |= Q(pk=user.pk)
        profiles = profiles.filter(visible)
    return profiles.filter(pk=pk).first()


def therapist_document_get_for_user(
    *, user: User | AnonymousUser, pk: int
) -> TherapistDocument | None:
    """A credential document, for the therapist who uploaded it and for staff who vet
    applications (the *Vetting* group, superusers); None otherwise."""
    if not user.is_authenticated:
        return None
    documents = TherapistDocument.objects.select_related("therapist")
    if not (user.is_staff and user.has_perm("accounts.view_therapistdocument")):
        documents = documents.filter(therapist__user=user)
    return documents.filter(pk=pk).first()


# --- The application: what the therapist may do in each state --------------------------------

Status = TherapistProfile.VettingStatus
# What the therapist may edit in each state. Credentials and documents are what staff vetted:
# once submitted they change only when staff ask for changes.
_EDITABLE_PROFILE = {Status.DRAFT, Status.CHANGES_REQUESTED, Status.APPROVED, Status.SUSPENDED}
_EDITABLE_CREDENTIALS = {Status.DRAFT, Status.CHANGES_REQUESTED}
# The states an application can be sent for review from.
SUBMITTABLE = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED})


def therapist_can_edit_profile(*, profile: TherapistProfile) -> bool:
    return profile.vetting_status in _EDITABLE_PROFILE


def therapist_can_edit_credentials(*, profile: TherapistProfile) -> bool:
    return profile.vetting_status in _EDITABLE_CREDENTIALS


def therapist_application_can_submit(*, profile: TherapistProfile) -> bool:
    """Whether the application is in a state it can be sent from (complete or not: the page
    lists what is missing, the service refuses an incomplete one)."""
    return profile.vetting_status in SUBMITTABLE


def therapists_with_expired_license(*, today: date) -> list[int]:
    """The approved therapists whose license expired before ``today`` (ids)."""
    return list(
        TherapistProfile.objects.filter(
            vetting_status=Status.APPROVED, license_expiry__lt=today
        ).values_list("pk", flat=True)
    )


def vetting_today(*, now: datetime | None = None) -> date:
    """The date credentials are judged on (at ``now``, by default the present): the site's
    (TIME_ZONE), not the viewer's, so the expiry sweep, a staff decision and the admin agree
    whoever looks from wherever."""
    return timezone.localdate(now, timezone=timezone.get_default_timezone())


def license_is_valid(*, profile: TherapistProfile, today: date) -> bool:
    """A license is valid up to and including its expiry date."""
    return profile.license_expiry is not None and profile.license_expiry >= today


def therapist_experience_years(*, profile: TherapistProfile, today: date) -> int | None:
    """Whole years of clinical practice by ``today``."""
    if profile.practising_since is None:
        return None
    return relativedelta(today, profile.practising_since).years


def therapist_approval_shortfalls(*, profile: TherapistProfile, today: date) -> list[str]:
    """What stops staff from approving this therapist; empty when nothing does."""
    missing = []
    minimum_level = settings.VETTING_MIN_DEGREE_LEVEL
    if DegreeLevel.rank(profile.degree_level) < DegreeLevel.rank(minimum_level):
        missing.append(
            _("a degree at the level of “%(level)s” or higher")
            % {"level": DegreeLevel(minimum_level).label}
        )
    years = therapist_experience_years(profile=profile, today=today)
    if years is None or years < settings.VETTING_MIN_EXPERIENCE_YEARS:
        missing.append(
            _("at least %(years)d years of clinical experience")
            % {"years": settings.VETTING_MIN_EXPERIENCE_YEARS}
        )
    if (profile.clinical_hours or 0) < settings.VETTING_MIN_CLINICAL_HOURS:
        missing.append(
            _("at least %(hours)s clinical hours")
            % {"hours": f"{settings.VETTING_MIN_CLINICAL_HOURS:,}"}
        )
    if not profile.license_number.strip():
        missing.append(_("a license or registration number"))
    if not license_is_valid(profile=profile, today=today):
        missing.append(_("a license that has not expired"))
    kinds = set(profile.documents.values_list("kind", flat=True))
    if TherapistDocument.Kind.DEGREE not in kinds:
        missing.append(_("a degree document"))
    if TherapistDocument.Kind.LICENSE not in kinds:
        missing.append(_("a license document"))
    return missing


# Each step of the application, with the fields it must fill before the therapist can submit.
APPLICATION_STEPS = {
    "about": ["display_name"],
    "practice": ["specialities", "modalities"],
    "credentials": list(TherapistProfile.CREDENTIAL_FIELDS),
    "documents": [],
}


def _field_label(name: str) -> str:
    field = TherapistProfile._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, Field) else name


def therapist_application_incomplete_steps(*, profile: TherapistProfile) -> dict[str, list[str]]:
    """Per step, the labels of what is still empty; steps with nothing missing are left out."""
    incomplete: dict[str, list[str]] = {}
    for step, names in APPLICATION_STEPS.items():
        missing = [
            _field_label(name) for name in names if getattr(profile, name) in (None, "", [], {})
        ]
        if step == "about" and not profile.languages.exists():
            missing.append(str(_("languages spoken")))
        if step == "documents":
            kinds = set(profile.documents.values_list("kind", flat=True))
            if TherapistDocument.Kind.DEGREE not in kinds:
                missing.append(str(_("a degree document")))
            if TherapistDocument.Kind.LICENSE not in kinds:
                missing.append(str(_("a license document")))
        if missing:
            incomplete[step] = missing
    return incomplete


def therapist_vetting_history(*, profile: TherapistProfile) -> QuerySet[VettingDecision]:
    return profile.vetting_decisions.select_related("actor")


def therapist_latest_staff_message(*, profile: TherapistProfile) -> VettingDecision | None:
    """The decision that put the application in its current state, with its reason."""
    return (
        profile.vetting_decisions.filter(to_status=profile.vetting_status)
        .exclude(reason="")
        .first()
    )


# --- A person's own data, for their export (teletherapy.exports) -------------------------------


def person_export(*, user: User) -> dict:
    """What accounts holds about ``user``, for their own export (GDPR art. 15 and 20): the
    account and its addresses, the legal documents they accepted (which version, when), the
    devices they signed in from (as *Where you are signed in* shows them; never a session key),
    the patient's or the therapist's profile, and a therapist's credentials with their
    documents (listed; the files come from ``person_export_files``) and the vetting history
    with staff's reasons, which are written about them (not who decided). Never a password
    hash, a two-factor secret or a recovery code. JSON-able with Django's ``DjangoJSONEncoder``
    (times are aware, in UTC)."""
    addresses = EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    data: dict = {
        "account": {
            "email": user.email,
            "role": user.role,
            "language": user.language,
            "time_zone": user.time_zone,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "active": user.is_active,
            "two_factor_authentication": user_has_totp(user=user),
            "email_addresses": [
                {"email": a.email, "verified": a.verified, "primary": a.primary} for a in addresses
            ],
        }
    }
    acceptances = LegalAcceptance.objects.filter(user=user).select_related("document")
    data["consents"] = [
        {
            "document": acceptance.document.kind,
            "version": acceptance.document.version,
            "title": acceptance.document.title_for(user.language),
            "accepted_at": acceptance.accepted_at,
        }
        for acceptance in acceptances.order_by("accepted_at", "pk")
    ]
    sessions = UserSession.objects.filter(user=user).order_by("created_at", "pk")
    data["signed_in"] = [
        {
            "browser": session.browser,
            "system": session.system,
            "device": session.device_type,
            "time_zone": session.time_zone,
            "shared_device": session.shared_device,
            "signed_in_at": session.created_at,
            "last_seen_at": session.last_seen_at,
        }
        for session in sessions
    ]
    if user.is_patient:
        patient = PatientProfile.objects.filter(user=user).first()
        if patient is not None:
            data["profile"] = {"nickname": patient.nickname, "country": str(patient.country)}
    if user.is_therapist:
        data |= _therapist_export(user)
    return data


def _therapist_export(user: User) -> dict:
    profile = TherapistProfile.objects.filter(user=user).first()
    if profile is None:
        return {}
    languages = profile.languages.order_by("language").values("language", "level")
    return {
        "profile": {
            "display_name": profile.display_name,
            "gender": profile.gender,
            "photo": _PHOTO_PATH if profile.photo else None,
            "biographies": profile.bios,
            "languages": list(languages),
            "specialities": profile.specialities,
            "approaches": profile.approaches,
            "modalities": profile.modalities,
            "faith_based_practice": profile.faith,
            "accepting_new_patients": profile.accepting_new_patients,
            "caseload_limit": profile.caseload_limit,
        },
        "credentials": {
            "degree_level": profile.degree_level,
            "degree_field": profile.degree_field,
            "degree_institution": profile.degree_institution,
            "degree_year": profile.degree_year,
            "license_number": profile.license_number,
            "license_issuer": profile.license_issuer,
            "license_country": str(profile.license_country),
            "license_expiry": profile.license_expiry,
            "licensed_countries": [str(country) for country in profile.licensed_countries],
            "practising_since": profile.practising_since,
            "clinical_hours": profile.clinical_hours,
            "vetting_status": profile.vetting_status,
            "vetting_status_changed_at": profile.vetting_status_changed_at,
            "documents": [
                {
                    "kind": document.kind,
                    "name": document.original_name,
                    "content_type": document.content_type,
                    "size": document.size,
                    "uploaded_at": document.uploaded_at,
                    "file": _document_path(document),
                }
                for document in profile.documents.order_by("uploaded_at", "pk")
            ],
            "vetting_history": [
                {
                    "from": decision.from_status,
                    "to": decision.to_status,
                    "reason": decision.reason,
                    "at": decision.created_at,
                }
                for decision in profile.vetting_decisions.order_by("created_at", "pk")
            ],
        },
    }


_PHOTO_PATH = "files/profile/photo.jpg"


def _document_path(document: TherapistDocument) -> str:
    # The id first: two documents may share a name. get_valid_filename keeps a name that no
    # archive tool can read as a path ("../x" becomes "..x").
    return "files/credentials/" + get_valid_filename(f"{document.pk}-{document.original_name}")


def therapist_document_content(document: TherapistDocument) -> bytes:
    """The bytes of a credential document, as uploaded (decrypted), for a reader the caller
    has checked."""
    with document.file.open("rb") as stored:
        return crypto.decrypt_bytes(stored.read())


def therapist_photo_content(profile: TherapistProfile) -> bytes:
    """The bytes of a therapist's photo (a JPEG, decrypted), for a reader the caller has
    checked."""
    with profile.photo.open("rb") as stored:
        return crypto.decrypt_bytes(stored.read())


def person_export_files(*, user: User) -> list[tuple[str, Callable[[], bytes]]]:
    """The files of ``person_export``, as (path in the archive, read its bytes): a therapist's
    photo and credential documents. Read only when written, one at a time."""
    profile = TherapistProfile.objects.filter(user=user).first() if user.is_therapist else None
    if profile is None:
        return []
    files: list[tuple[str, Callable[[], bytes]]] = []
    if profile.photo:
        files.append((_PHOTO_PATH, partial(therapist_photo_content, profile)))
    for document in profile.documents.order_by("uploaded_at", "pk"):
        files.append((_document_path(document), partial(therapist_document_content, document)))
    return files


# --- Legal documents and consent ----------------------------------------------------------------

Kind = LegalDocument.Kind
# What each role accepts: the telehealth consent is the patient's consent to care at a distance.
# Staff accept nothing here (their contract with the operator covers it).
LEGAL_KINDS_BY_ROLE: dict[str, tuple[str, ...]] = {
    User.Role.PATIENT: (Kind.PRIVACY, Kind.TERMS, Kind.TELEHEALTH),
    User.Role.THERAPIST: (Kind.PRIVACY, Kind.TERMS),
    User.Role.STAFF: (),
    # A partner takes part in couples sessions: the same consent to care at a distance.
    User.Role.PARTNER: (Kind.PRIVACY, Kind.TERMS, Kind.TELEHEALTH),
}
# The versions a logged-in session still has to accept (document ids), written at login
# (``accounts.receivers``) and emptied once accepted; ``LegalConsentMiddleware`` reads it, so
# no page costs a query for it.
LEGAL_PENDING_SESSION_KEY = "legal_pending"


def legal_documents_current(*, now: datetime | None = None) -> dict[str, LegalDocument]:
    """The version of each document in effect at ``now``, by kind (one query, texts left out)."""
    now = now or timezone.now()
    current: dict[str, LegalDocument] = {}
    published = LegalDocument.objects.filter(published_at__lte=now).defer(
        "body_en", "body_fr", "changes_en", "changes_fr"
    )
    for document in published.order_by("kind", "-version"):
        current.setdefault(document.kind, document)
    return current


def legal_documents_for_role(*, role: str, now: datetime | None = None) -> list[LegalDocument]:
    """The versions someone of ``role`` accepts to use the platform now, in a fixed order."""
    current = legal_documents_current(now=now)
    return [current[kind] for kind in LEGAL_KINDS_BY_ROLE.get(role, ()) if kind in current]


def legal_documents_pending(*, user: User, now: datetime | None = None) -> list[LegalDocument]:
    """The versions in effect that ``user`` has not accepted yet (two queries)."""
    documents = legal_documents_for_role(role=user.role, now=now)
    if not documents:
        return []
    accepted = set(
        LegalAcceptance.objects.filter(
            user=user, document__in=[document.pk for document in documents]
        ).values_list("document_id", flat=True)
    )
    return [document for document in documents if document.pk not in accepted]


def legal_documents_get(*, ids: list[int], now: datetime | None = None) -> list[LegalDocument]:
    """These versions, with their texts, if published (in the order of ``ids``)."""
    found = {
        document.pk: document
        for document in LegalDocument.objects.filter(
            pk__in=ids, published_at__lte=now or timezone.now()
        )
    }
    return [found[pk] for pk in ids if pk in found]


def legal_document_public(
    *, kind: str, version: int | None = None, now: datetime | None = None
) -> LegalDocument | None:
    """A published version of a document for anyone to read: ``version``, or the one in
    effect. None for a kind or version that does not exist or is not published yet."""
    documents = LegalDocument.objects.filter(kind=kind, published_at__lte=now or timezone.now())
    if version is not None:
        documents = documents.filter(version=version)
    return documents.order_by("-version").first()


def legal_document_versions(*, kind: str, now: datetime | None = None) -> list[LegalDocument]:
    """Every published version of a document, newest first (texts left out)."""
    return list(
        LegalDocument.objects.filter(kind=kind, published_at__lte=now or timezone.now())
        .defer("body_en", "body_fr", "changes_en", "changes_fr")
        .order_by("-version")
    )


def legal_acceptances_for_user(*, user: User) -> list[LegalAcceptance]:
    """What ``user`` accepted and when, newest first: their own, nobody else's."""
    return list(
        LegalAcceptance.objects.filter(user=user)
        .select_related("document")
        .defer("document__body_en", "document__body_fr")
    )


def legal_document_next_version(*, kind: str) -> int:
    latest = LegalDocument.objects.filter(kind=kind).order_by("-version").first()
    return latest.version + 1 if latest else 1


# --- Login sessions and idle log-out -----------------------------------------------------------

# The moment (POSIX seconds) of the last request a person made in this session, and whether
# they said at login that the device is shared; both live in the session itself, read with it.
SessionData = SessionBase | Mapping[str, Any]
IDLE_SESSION_KEY = "idle_last_activity"
SHARED_DEVICE_SESSION_KEY = "shared_device"
# The digest of the key the session's ``UserSession`` row was written for, and when that row
# was last told the session is in use ([digest, POSIX seconds]).
SESSION_ROW_SESSION_KEY = "login_session_row"


def session_key_digest(session_key: str) -> str:
    """How a session is found in ``UserSession`` (and named on the channel layer) without its
    key: SHA-256, as ``core.realtime.session_group`` does."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def idle_timeout_seconds(*, user: User, shared_device: bool = False) -> int:
    """How long ``user`` may stay without activity before being logged out: per role
    (``IDLE_LOGOUT_MINUTES``), and never more than the shared devices' time on one."""
    minutes = settings.IDLE_LOGOUT_MINUTES
    role = User.Role.STAFF if user.is_staff else user.role
    limit = minutes.get(role, minutes[User.Role.THERAPIST])
    if shared_device:
        limit = min(limit, minutes["shared_device"])
    return max(1, round(limit * 60))


def session_idle_remaining(*, data: SessionData, user: User, now: float | None = None) -> float:
    """Seconds left before this session (its ``data``) is logged out for lack of activity;
    0 or less once it is. A session without a moment of activity counts from now."""
    now = time.time() if now is None else now
    timeout = idle_timeout_seconds(
        user=user, shared_device=bool(data.get(SHARED_DEVICE_SESSION_KEY))
    )
    last = data.get(IDLE_SESSION_KEY)
    if not isinstance(last, (int, float)):
        return float(timeout)
    return timeout - (now - last)


def session_is_idle(*, data: SessionData, user: User, now: float | None = None) -> bool:
    """Whether this session has been left without activity for longer than allowed."""
    if not settings.IDLE_LOGOUT_ENABLED:
        return False
    return session_idle_remaining(data=data, user=user, now=now) <= 0


# A session's moment of activity is written at most this often (a write of the session; a tenth
# of a shorter idle time), its row in *Where you are signed in* at most once a minute.
IDLE_ACTIVITY_EVERY_SECONDS = 60
SESSION_ROW_EVERY_SECONDS = 60


def session_activity_due(
    *, user: User, data: SessionData, session_key: str | None, now: float
) -> bool:
    """Whether a request the person made now must be written down as activity: the last one
    written is older than a tenth of the idle time (at most a minute), the session's row was not
    told for a minute, or the session's key changed (reads the session's data only)."""
    timeout = idle_timeout_seconds(
        user=user, shared_device=bool(data.get(SHARED_DEVICE_SESSION_KEY))
    )
    last = data.get(IDLE_SESSION_KEY)
    if not isinstance(last, (int, float)) or now - last >= min(
        IDLE_ACTIVITY_EVERY_SECONDS, timeout / 10
    ):
        return True
    row = data.get(SESSION_ROW_SESSION_KEY)
    if not (isinstance(row, list) and len(row) == 2) or now - row[1] >= SESSION_ROW_EVERY_SECONDS:
        return True
    return bool(session_key) and row[0] != session_key_digest(session_key or "")


@dataclass(frozen=True)
class LoginSession:
    """A row of *Where you are signed in*."""

    pk: int
    browser: str
    system: str
    device_type: str
    time_zone: str
    shared_device: bool
    created_at: datetime
    last_seen_at: datetime
    current: bool


def _session_row_key(row: UserSession) -> str | None:
    try:
        return crypto.decrypt_text(row.key_encrypted)
    except InvalidToken:
        return None


def login_session_is_live(*, row: UserSession) -> bool:
    """Whether the login session behind ``row`` is still good: its key still logs its user in
    (not logged out, expired, or ended by a password change) and it is not idle."""
    key = _session_row_key(row)
    return key is not None and user_get_for_session(session_key=key) is not None


def login_sessions_for_user(*, user: User, current_key: str | None) -> list[LoginSession]:
    """Where ``user`` is logged in, the most recently used first, this browser's session
    (``current_key``) marked: their own sessions only, and only those still good."""
    current_digest = session_key_digest(current_key) if current_key else None
    sessions = []
    for row in UserSession.objects.filter(user=user):
        current = row.key_digest == current_digest
        if not (current or login_session_is_live(row=row)):
            continue  # ended meanwhile; the sweep removes its row
        sessions.append(
            LoginSession(
                pk=row.pk,
                browser=row.browser,
                system=row.system,
                device_type=row.device_type,
                time_zone=row.time_zone,
                shared_device=row.shared_device,
                created_at=row.created_at,
                last_seen_at=row.last_seen_at,
                current=current,
            )
        )
    sessions.sort(key=lambda session: not session.current)  # this one first
    return sessions


def login_session_key(*, row: UserSession) -> str | None:
    """The session key of ``row`` (for ending that session), or None if it cannot be read."""
    return _session_row_key(row)


def login_session_rows_of_user(*, user: User, exclude_key: str | None = None):
    """The rows of ``user``'s sessions, this one (``exclude_key``) left out."""
    rows = UserSession.objects.filter(user=user)
    if exclude_key:
        rows = rows.exclude(key_digest=session_key_digest(exclude_key))
    return rows


def login_session_row_get_for_user(*, user: User, pk: int) -> UserSession | None:
    """One of ``user``'s own session rows; None for anyone else's."""
    return UserSession.objects.filter(user=user, pk=pk).first()


def login_session_rows_to_check(*, now: datetime) -> list[UserSession]:
    """The rows of sessions that may have become idle (or ended) since the last sweep: none
    used for less than the shortest idle time (a row is touched at most every minute)."""
    shortest = min(settings.IDLE_LOGOUT_MINUTES.values())
    cutoff = now - timedelta(minutes=shortest)
    return list(UserSession.objects.filter(last_seen_at__lt=cutoff).select_related("user"))


def patients_due_for_erasure(*, now: datetime) -> list[int]:
    """The patients whose grace period after asking to delete their account is over."""
    return list(
        PatientProfile.objects.filter(
            erasure_requested_at__isnull=False, erased_at__isnull=True, erasure_due_at__lte=now
        )
        .order_by("erasure_due_at")
        .values_list("user_id", flat=True)
    )


def patient_erasure_pending(*, user: User) -> PatientProfile | None:
    """The patient's profile while their account is to be deleted (the grace period), else
    None."""
    if not user.is_authenticated or not user.is_patient:
        return None
    return PatientProfile.objects.filter(
        user=user, erasure_requested_at__isnull=False, erased_at__isnull=True
    ).first()
