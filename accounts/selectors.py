from datetime import date

from allauth.mfa.models import Authenticator
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.choices import DegreeLevel
from accounts.models import (
    TherapistDocument,
    TherapistLanguage,
    TherapistProfile,
    User,
    VettingDecision,
)


def user_has_totp(*, user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def user_needs_mfa_setup(*, user: User) -> bool:
    """True for a therapist or staff member who has not set up an authenticator app yet."""
    return user.requires_mfa and not user_has_totp(user=user)


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


def therapist_public_get(*, pk: int) -> TherapistProfile:
    """An approved therapist's public profile, or 404 for anyone else."""
    return get_object_or_404(
        therapists_visible_to_patients()
        .select_related("user")
        .prefetch_related(Prefetch("languages", TherapistLanguage.objects.order_by("language"))),
        pk=pk,
    )


def therapist_photo_get_for_user(*, user: User, pk: int) -> TherapistProfile:
    """Whose photo this user may see: any approved therapist's, and their own, and staff all."""
    profiles = TherapistProfile.objects.exclude(photo="")
    if not (user.is_authenticated and user.is_staff):
        visible = Q(pk__in=therapists_visible_to_patients().values("pk"))
        if user.is_authenticated:
            visible |= Q(pk=user.pk)
        profiles = profiles.filter(visible)
    return get_object_or_404(profiles, pk=pk)


def therapist_document_get_for_user(*, user: User, pk: int) -> TherapistDocument:
    """A credential document, for the therapist who uploaded it and for staff; 404 otherwise."""
    documents = TherapistDocument.objects.select_related("therapist")
    if not user.is_authenticated:
        documents = documents.none()
    elif not user.is_staff:
        documents = documents.filter(therapist__user=user)
    return get_object_or_404(documents, pk=pk)


def vetting_today() -> date:
    """The date credentials are judged on: the site's (TIME_ZONE), not the viewer's, so the
    expiry sweep, a staff decision and the admin agree whoever looks from wherever."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


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


def therapist_application_incomplete_steps(*, profile: TherapistProfile) -> dict[str, list[str]]:
    """Per step, the labels of what is still empty; steps with nothing missing are left out."""
    incomplete: dict[str, list[str]] = {}
    for step, names in APPLICATION_STEPS.items():
        missing = [
            str(TherapistProfile._meta.get_field(name).verbose_name)
            for name in names
            if getattr(profile, name) in (None, "", [], {})
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
