from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts import selectors
from accounts.models import (
    PatientProfile,
    TherapistDocument,
    TherapistLanguage,
    TherapistProfile,
    User,
    VettingDecision,
)
from accounts.signals import therapist_vetting_changed
from teletherapy import crypto, uploads
from teletherapy.mail import send_templated_mail, site_link, staff_emails

Status = TherapistProfile.VettingStatus


@transaction.atomic
def user_register(
    *, user: User, role: str, language: str, time_zone: str, nickname: str = ""
) -> User:
    """Save a new sign-up with its role, preferences and the profile of its role.

    ``user`` comes unsaved from the sign-up form, email and password already set.
    """
    if role not in {User.Role.PATIENT, User.Role.THERAPIST}:
        raise ValueError(f"Nobody signs up as {role!r}.")
    if role == User.Role.PATIENT and not nickname.strip():
        raise ValueError("A patient needs a nickname.")
    user.role = role
    user.language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save()
    if role == User.Role.PATIENT:
        PatientProfile.objects.create(user=user, nickname=nickname.strip())
    else:
        TherapistProfile.objects.create(user=user)
    return user


def user_preferences_update(*, user: User, language: str, time_zone: str) -> User:
    user.language = language
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["language", "time_zone"])
    return user


def user_language_set(*, user: User, language: str) -> None:
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


@transaction.atomic
def patient_profile_update(
    *, user: User, nickname: str, country: str, language: str, time_zone: str
) -> PatientProfile:
    user_preferences_update(user=user, language=language, time_zone=time_zone)
    profile = user.patient_profile
    profile.nickname = nickname.strip()
    profile.country = country
    profile.full_clean()
    profile.save()
    return profile


def unverified_accounts_delete(*, now=None) -> int:
    """Delete sign-ups whose email was never verified within the retention period.

    Idempotent: running it twice, or twice at once, deletes each account at most once.
    Staff accounts are never touched.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ACCOUNT_UNVERIFIED_RETENTION_DAYS)
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
    stale = User.objects.filter(date_joined__lt=cutoff, is_staff=False, is_superuser=False).exclude(
        Exists(verified)
    )
    _deleted, per_model = stale.delete()
    return per_model.get(User._meta.label, 0)


# --- Therapist application ---------------------------------------------------------------------


class ApplicationLocked(Exception):
    """The therapist may not change this part of the application in its current state."""


# What the therapist may edit in each state. Credentials and documents are what staff vetted:
# once submitted they change only when staff ask for changes.
_EDITABLE_PROFILE = {Status.DRAFT, Status.CHANGES_REQUESTED, Status.APPROVED, Status.SUSPENDED}
_EDITABLE_CREDENTIALS = {Status.DRAFT, Status.CHANGES_REQUESTED}


def therapist_can_edit_profile(*, profile: TherapistProfile) -> bool:
    return profile.vetting_status in _EDITABLE_PROFILE


def therapist_can_edit_credentials(*, profile: TherapistProfile) -> bool:
    return profile.vetting_status in _EDITABLE_CREDENTIALS


def _require(allowed: bool) -> None:
    if not allowed:
        raise ApplicationLocked(_("This part of your application cannot be changed now."))


@transaction.atomic
def therapist_about_update(
    *,
    profile: TherapistProfile,
    display_name: str,
    gender: str,
    time_zone: str,
    languages: list[tuple[str, str]],
    bios: dict[str, str],
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
) -> TherapistProfile:
    """Save the "about you" step. ``languages`` are (ISO code, level) pairs, codes unique."""
    profile = TherapistProfile.objects.select_for_update().get(pk=profile.pk)
    _require(therapist_can_edit_profile(profile=profile))
    codes = [code for code, _level in languages]
    if len(set(codes)) != len(codes):
        raise ValidationError(_("Each language can be listed once."), code="duplicate_language")
    old_photo = profile.photo.name if profile.photo else ""
    normalised = uploads.photo_normalise(photo) if photo is not None else None
    profile.display_name = display_name.strip()
    profile.gender = gender
    profile.bios = {code: text.strip() for code, text in bios.items() if code in codes and text}
    if remove_photo and normalised is None:
        profile.photo = ""
    profile.full_clean(exclude=["user"])
    profile.user.time_zone = time_zone
    profile.user.full_clean(exclude=["password"])
    # Everything is checked before the new photo is written, so a refused step leaves no file.
    if normalised is not None:
        profile.photo.save("photo.jpg", normalised, save=False)
    try:
        profile.save()
        profile.languages.exclude(language__in=codes).delete()
        for code, level in languages:
            TherapistLanguage.objects.update_or_create(
                therapist=profile, language=code, defaults={"level": level}
            )
        profile.user.save(update_fields=["time_zone"])
    except Exception:
        if normalised is not None:
            profile.photo.storage.delete(profile.photo.name)
        raise
    new_photo = profile.photo.name if profile.photo else ""
    if old_photo and old_photo != new_photo:
        _delete_file_on_commit(profile.photo.storage, old_photo)
    return profile


@transaction.atomic
def therapist_practice_update(
    *,
    profile: TherapistProfile,
    specialities: list[str],
    approaches: list[str],
    modalities: list[str],
    faith: str,
    caseload_limit: int,
    accepting_new_patients: bool,
) -> TherapistProfile:
    profile = TherapistProfile.objects.select_for_update().get(pk=profile.pk)
    _require(therapist_can_edit_profile(profile=profile))
    profile.specialities = sorted(set(specialities))
    profile.approaches = sorted(set(approaches))
    profile.modalities = sorted(set(modalities))
    profile.faith = faith
    profile.caseload_limit = caseload_limit
    profile.accepting_new_patients = accepting_new_patients
    profile.full_clean(exclude=["user"])
    profile.save()
    return profile


CREDENTIAL_FIELDS = TherapistProfile.CREDENTIAL_FIELDS


@transaction.atomic
def therapist_credentials_update(*, profile: TherapistProfile, **credentials) -> TherapistProfile:
    """Save the credentials step; the keyword arguments are ``CREDENTIAL_FIELDS``."""
    if set(credentials) != set(CREDENTIAL_FIELDS):
        raise TypeError(f"Expected exactly {CREDENTIAL_FIELDS}.")
    profile = TherapistProfile.objects.select_for_update().get(pk=profile.pk)
    _require(therapist_can_edit_credentials(profile=profile))
    for name, value in credentials.items():
        setattr(profile, name, value.strip() if isinstance(value, str) else value)
    profile.full_clean(exclude=["user"])
    profile.save()
    return profile


@transaction.atomic
def therapist_document_add(
    *, profile: TherapistProfile, kind: str, upload: UploadedFile
) -> TherapistDocument:
    """Keep a credential scan after checking its real type and size (ValidationError if not)."""
    profile = TherapistProfile.objects.select_for_update().get(pk=profile.pk)
    _require(therapist_can_edit_credentials(profile=profile))
    if kind not in TherapistDocument.Kind.values:
        raise ValidationError(_("Choose what this document is."), code="kind")
    content_type = uploads.validate_upload(upload, allowed=uploads.DOCUMENT_TYPES)
    document = TherapistDocument(
        therapist=profile,
        kind=kind,
        original_name=(upload.name or "document")[-200:],
        content_type=content_type,
        size=upload.size,
    )
    document.file.save("document", upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def therapist_document_delete(*, profile: TherapistProfile, document_id: int) -> None:
    profile = TherapistProfile.objects.select_for_update().get(pk=profile.pk)
    document = profile.documents.get(pk=document_id)  # someone else's: DoesNotExist
    _require(therapist_can_edit_credentials(profile=profile))
    name, storage = document.file.name, document.file.storage
    document.delete()
    _delete_file_on_commit(storage, name)


def _delete_file_on_commit(storage, name: str) -> None:
    transaction.on_commit(lambda: storage.delete(name))


# --- Vetting: a state machine ------------------------------------------------------------------


class VettingError(Exception):
    """A vetting step that may not happen; the message says why, for the person who tried."""


@dataclass(frozen=True)
class VettingAction:
    sources: frozenset[str]
    target: str
    needs_criteria: bool = False


# Staff actions. Each needs a reason; approving (or reinstating) also needs the criteria met.
VETTING_ACTIONS = {
    "approve": VettingAction(frozenset({Status.SUBMITTED}), Status.APPROVED, needs_criteria=True),
    "request_changes": VettingAction(
        frozenset({Status.SUBMITTED, Status.SUSPENDED}), Status.CHANGES_REQUESTED
    ),
    "reject": VettingAction(
        frozenset({Status.SUBMITTED, Status.CHANGES_REQUESTED}), Status.REJECTED
    ),
    "suspend": VettingAction(frozenset({Status.APPROVED}), Status.SUSPENDED),
    "reinstate": VettingAction(frozenset({Status.SUSPENDED}), Status.APPROVED, needs_criteria=True),
}
_SUBMIT = VettingAction(frozenset({Status.DRAFT, Status.CHANGES_REQUESTED}), Status.SUBMITTED)


def vetting_actions_allowed(*, profile: TherapistProfile) -> list[str]:
    return [
        name for name, action in VETTING_ACTIONS.items() if profile.vetting_status in action.sources
    ]


def _transition(
    *, profile: TherapistProfile, action: VettingAction, actor: User | None, reason: str
) -> VettingDecision:
    """Move the (row-locked) profile along ``action``, record it, announce it after commit."""
    from_status = profile.vetting_status
    if from_status not in action.sources:
        raise VettingError(
            _("%(name)s: an application that is “%(from)s” cannot become “%(to)s”.")
            % {
                "name": profile.display_name or profile.user.email,
                "from": Status(from_status).label,
                "to": Status(action.target).label,
            }
        )
    now = timezone.now()
    profile.vetting_status = action.target
    profile.vetting_status_changed_at = now
    profile.save(update_fields=["vetting_status", "vetting_status_changed_at"])
    decision = VettingDecision.objects.create(
        therapist=profile,
        actor=actor,
        from_status=from_status,
        to_status=action.target,
        reason=reason,
        created_at=now,
    )
    transaction.on_commit(
        lambda: therapist_vetting_changed.send(
            sender=TherapistProfile,
            therapist_id=profile.pk,
            from_status=from_status,
            to_status=action.target,
        )
    )
    return decision


@transaction.atomic
def therapist_application_submit(*, profile: TherapistProfile) -> VettingDecision:
    """The therapist sends a complete application for review; staff are told."""
    profile = TherapistProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
    if profile.vetting_status not in _SUBMIT.sources:
        raise VettingError(_("This application has already been sent."))
    incomplete = selectors.therapist_application_incomplete_steps(profile=profile)
    if incomplete:
        missing = [label for labels in incomplete.values() for label in labels]
        raise VettingError(_("Still missing: %(missing)s.") % {"missing": ", ".join(missing)})
    decision = _transition(profile=profile, action=_SUBMIT, actor=profile.user, reason="")
    transaction.on_commit(lambda: _email_staff_application(profile=profile, decision=decision))
    return decision


@transaction.atomic
def therapist_vetting_decide(
    *,
    profile: TherapistProfile,
    action: str,
    actor: User,
    reason: str,
    today: date | None = None,
) -> VettingDecision:
    """A staff decision on a therapist: refused (VettingError) unless legal and justified.

    The therapist is emailed the decision and what to do next, never the reason: that is on
    their application page, behind their login.
    """
    if action not in VETTING_ACTIONS:
        raise VettingError(_("Unknown decision."))
    if not actor.is_staff:
        raise VettingError(_("Only staff decide on applications."))
    reason = reason.strip()
    if not reason:
        raise VettingError(_("Give a reason: the therapist and the audit trail need one."))
    profile = TherapistProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
    step = VETTING_ACTIONS[action]
    if step.needs_criteria and profile.vetting_status in step.sources:
        shortfalls = selectors.therapist_approval_shortfalls(
            profile=profile, today=today or selectors.vetting_today()
        )
        if shortfalls:
            raise VettingError(
                _("%(name)s cannot be approved. Missing: %(missing)s.")
                % {
                    "name": profile.display_name or profile.user.email,
                    "missing": "; ".join(shortfalls),
                }
            )
    decision = _transition(profile=profile, action=step, actor=actor, reason=reason)
    transaction.on_commit(lambda: _email_therapist_decision(profile=profile, decision=decision))
    return decision


def licenses_expired_suspend(*, today: date | None = None) -> int:
    """Suspend every approved therapist whose license expired before ``today``.

    Idempotent and safe when two sweeps run at once: each therapist is locked, re-checked and
    suspended at most once; the therapist and staff are told.
    """
    today = today or selectors.vetting_today()
    expired = TherapistProfile.objects.filter(
        vetting_status=Status.APPROVED, license_expiry__lt=today
    ).values_list("pk", flat=True)
    suspended = 0
    for pk in list(expired):
        with transaction.atomic():
            profile = (
                TherapistProfile.objects.select_for_update(skip_locked=True)
                .select_related("user")
                .filter(pk=pk, vetting_status=Status.APPROVED, license_expiry__lt=today)
                .first()
            )
            if profile is None:
                continue
            with translation.override(profile.user.language):
                reason = _("License expired on %(date)s.") % {
                    "date": formats.date_format(profile.license_expiry)
                }
            decision = _transition(
                profile=profile, action=VETTING_ACTIONS["suspend"], actor=None, reason=reason
            )
            transaction.on_commit(partial(_email_suspension, profile=profile, decision=decision))
            suspended += 1
    return suspended


def _email_therapist_decision(*, profile: TherapistProfile, decision: VettingDecision) -> None:
    send_templated_mail(
        template="emails/vetting_decision.txt",
        to=[profile.user.email],
        language=profile.user.language,
        context={"decision": decision, "link": site_link("therapist_application")},
    )


def _email_suspension(*, profile: TherapistProfile, decision: VettingDecision) -> None:
    _email_therapist_decision(profile=profile, decision=decision)
    _email_staff_application(profile=profile, decision=decision)


def _email_staff_application(*, profile: TherapistProfile, decision: VettingDecision) -> None:
    send_templated_mail(
        template="emails/staff_vetting.txt",
        to=staff_emails(),
        language=settings.LANGUAGE_CODE,
        context={
            "decision": decision,
            "link": site_link("admin:accounts_therapistprofile_change", profile.pk),
        },
    )


def authenticator_secrets_reencrypt() -> int:
    """Encrypt every two-factor secret again with the newest MESSAGE_ENCRYPTION_KEYS key, so an
    older key can then be removed; returns how many authenticators were rewritten."""
    rewritten = 0
    for pk in Authenticator.objects.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            authenticator = Authenticator.objects.select_for_update().get(pk=pk)
            data = dict(authenticator.data)
            for key in ("secret", "seed"):
                if key in data:
                    data[key] = crypto.rotate(data[key].encode()).decode()
            if "migrated_codes" in data:
                data["migrated_codes"] = [
                    crypto.rotate(code.encode()).decode() for code in data["migrated_codes"]
                ]
            if data != authenticator.data:
                authenticator.data = data
                authenticator.save(update_fields=["data"])
                rewritten += 1
    return rewritten
