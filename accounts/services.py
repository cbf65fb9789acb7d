"""Every write of accounts: sign-up and preferences, the therapist's application (each step, its
documents), the vetting state machine with its audit trail and emails, the sweeps (unverified
sign-ups, expired licenses) and the re-encryption of two-factor secrets."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, ProtectedError
from django.utils import formats, timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts import selectors
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
from accounts.selectors import staff_emails
from accounts.signals import therapist_vetting_changed
from accounts.timezones import valid_time_zone
from accounts.useragents import device_from_user_agent
from core import crypto, outbox, realtime, uploads
from core.mail import send_templated_mail, site_link

Status = TherapistProfile.VettingStatus


def signup_defaults_set(*, session: SessionBase, nickname: str) -> None:
    """Offer ``nickname`` as the sign-up form's default in this browser session (sealed, as
    the intake's answers it comes from)."""
    session[selectors.SIGNUP_DEFAULTS_SESSION_KEY] = crypto.seal_json({"nickname": nickname})


@transaction.atomic
def user_register(
    *,
    user: User,
    role: str,
    language: str,
    time_zone: str,
    nickname: str = "",
    now: datetime | None = None,
) -> User:
    """Save a new sign-up with its role, preferences and the profile of its role.

    ``user`` comes unsaved from the sign-up form, email and password already set; ``now`` is
    when they joined (the demo data tells a story that began earlier).
    """
    if role not in {User.Role.PATIENT, User.Role.THERAPIST}:
        raise ValueError(f"Nobody signs up as {role!r}.")
    if role == User.Role.PATIENT and not nickname.strip():
        raise ValueError("A patient needs a nickname.")
    user.role = role
    user.language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    user.time_zone = time_zone
    user.date_joined = now or timezone.now()
    user.full_clean(exclude=["password"])
    user.save()
    if role == User.Role.PATIENT:
        PatientProfile.objects.create(user=user, nickname=nickname.strip())
    else:
        TherapistProfile.objects.create(user=user)
    return user


@transaction.atomic
def partner_register(
    *,
    email: str,
    password: str,
    language: str,
    time_zone: str,
    documents: list[LegalDocument],
    now: datetime | None = None,
) -> User:
    """A partner's minimal account, made from an invitation to a couples session: their email
    (verified by the invitation, which reached it), a password, their preferences, and the
    legal versions they ticked. No profile: a partner has no intake and no record; what they
    are called in a session is kept on the invitation. The caller checks that no account has
    this address (the invitation's page offers to log in instead)."""
    now = now or timezone.now()
    user = User(
        email=User.objects.normalize_email(email).lower(),
        role=User.Role.PARTNER,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        time_zone=valid_time_zone(time_zone) or settings.TIME_ZONE,
        date_joined=now,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    legal_accept(user=user, documents=documents, now=now)
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
    _require(selectors.therapist_can_edit_profile(profile=profile))
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
        sealed = ContentFile(crypto.encrypt_bytes(normalised.read()), name="photo")
        profile.photo.save("photo", sealed, save=False)
    try:
        profile.save()
        profile.languages.exclude(language__in=codes).delete()
        for code, level in languages:
            TherapistLanguage.objects.update_or_create(
                therapist=profile, language=code, defaults={"level": level}
            )
        profile.user.save(update_fields=["time_zone"])
    except Exception:
        if normalised is not None and profile.photo.name:
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
    _require(selectors.therapist_can_edit_profile(profile=profile))
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
    _require(selectors.therapist_can_edit_credentials(profile=profile))
    for name, value in credentials.items():
        setattr(profile, name, value.strip() if isinstance(value, str) else value)
    profile.full_clean(exclude=["user"])
    profile.save()
    return profile


@transaction.atomic
def therapist_document_add(
    *, profile: TherapistProfile, kind: str, upload: UploadedFile, now: datetime | None = None
) -> TherapistDocument:
    """Keep a credential scan after checking its real type and size (ValidationError if not)."""
    profile = TherapistProfile.objects.select_for_update().get(pk=profile.pk)
    _require(selectors.therapist_can_edit_credentials(profile=profile))
    if kind not in TherapistDocument.Kind.values:
        raise ValidationError(_("Choose what this document is."), code="kind")
    content_type = uploads.validate_upload(upload, allowed=uploads.DOCUMENT_TYPES)
    upload.seek(0)
    data = upload.read()
    document = TherapistDocument(
        therapist=profile,
        kind=kind,
        content_type=content_type,
        size=len(data),
        uploaded_at=now or timezone.now(),
    )
    document.original_name = (upload.name or "document")[-200:]  # encrypts
    # Encrypted like every private file: a copy of the storage shows nothing.
    document.file.save("document", ContentFile(crypto.encrypt_bytes(data)), save=False)
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
    _require(selectors.therapist_can_edit_credentials(profile=profile))
    name, storage = document.file.name, document.file.storage
    document.delete()
    _delete_file_on_commit(storage, name)


def _delete_file_on_commit(storage, name: str | None) -> None:
    if name:
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
_SUBMIT = VettingAction(selectors.SUBMITTABLE, Status.SUBMITTED)


def vetting_actions_allowed(*, profile: TherapistProfile) -> list[str]:
    return [
        name for name, action in VETTING_ACTIONS.items() if profile.vetting_status in action.sources
    ]


def _transition(
    *,
    profile: TherapistProfile,
    action: VettingAction,
    actor: User | None,
    reason: str,
    now: datetime | None = None,
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
    now = now or timezone.now()
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
def therapist_application_submit(
    *, profile: TherapistProfile, now: datetime | None = None
) -> VettingDecision:
    """The therapist sends a complete application for review; staff are told."""
    profile = TherapistProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
    if not selectors.therapist_application_can_submit(profile=profile):
        raise VettingError(_("This application has already been sent."))
    incomplete = selectors.therapist_application_incomplete_steps(profile=profile)
    if incomplete:
        missing = [label for labels in incomplete.values() for label in labels]
        raise VettingError(_("Still missing: %(missing)s.") % {"missing": ", ".join(missing)})
    decision = _transition(profile=profile, action=_SUBMIT, actor=profile.user, reason="", now=now)
    _email_staff_application(profile=profile, decision=decision)
    return decision


@transaction.atomic
def therapist_vetting_decide(
    *,
    profile: TherapistProfile,
    action: str,
    actor: User,
    reason: str,
    today: date | None = None,
    now: datetime | None = None,
) -> VettingDecision:
    """A staff decision on a therapist: refused (VettingError) unless legal and justified.
    ``today`` is the day the criteria are judged on (by default the site's day of ``now``).

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
            profile=profile, today=today or selectors.vetting_today(now=now)
        )
        if shortfalls:
            raise VettingError(
                _("%(name)s cannot be approved. Missing: %(missing)s.")
                % {
                    "name": profile.display_name or profile.user.email,
                    "missing": "; ".join(shortfalls),
                }
            )
    decision = _transition(profile=profile, action=step, actor=actor, reason=reason, now=now)
    _email_therapist_decision(profile=profile, decision=decision)
    return decision


def licenses_expired_suspend(*, today: date | None = None) -> int:
    """Suspend every approved therapist whose license expired before ``today``.

    Idempotent and safe when two sweeps run at once: each therapist is locked, re-checked and
    suspended at most once; the therapist and staff are told.
    """
    today = today or selectors.vetting_today()
    suspended = 0
    for pk in selectors.therapists_with_expired_license(today=today):
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
                expired_on = formats.date_format(profile.license_expiry or today)
                reason = _("License expired on %(date)s.") % {"date": expired_on}
            decision = _transition(
                profile=profile, action=VETTING_ACTIONS["suspend"], actor=None, reason=reason
            )
            _email_suspension(profile=profile, decision=decision)
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


# --- Legal documents and consent ----------------------------------------------------------------


class LegalDocumentLocked(ValidationError):
    """A published version never changes: staff write a new version instead."""


def legal_document_save(*, document: LegalDocument, now: datetime | None = None) -> LegalDocument:
    """Save a version staff wrote or changed before it takes effect.

    A new row gets the next version number of its kind. A version takes effect now or later:
    a moment already past means now (it never takes effect in the past, where people would
    seem to have been asked about it). Once in effect, it is never changed again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if document.pk is not None:
            stored = LegalDocument.objects.select_for_update().get(pk=document.pk)
            if stored.is_published(now):
                raise LegalDocumentLocked(
                    _("This version is in effect and can no longer change. Write a new version."),
                    code="published",
                )
            document.kind = stored.kind
            document.version = stored.version
        else:
            # One writer per kind at a time, so two new versions never take the same number.
            list(LegalDocument.objects.select_for_update().filter(kind=document.kind).values("pk"))
            document.version = selectors.legal_document_next_version(kind=document.kind)
        if document.published_at is None or document.published_at < now:
            document.published_at = now
        document.full_clean()
        document.save()
    return document


def legal_document_delete(*, document: LegalDocument, now: datetime | None = None) -> None:
    """Delete a version that has not taken effect yet (a draft); a published one stays."""
    if document.is_published(now):
        raise LegalDocumentLocked(
            _("This version is in effect and can no longer be deleted."), code="published"
        )
    document.delete()


def legal_accept(
    *, user: User, documents: list[LegalDocument], now: datetime | None = None
) -> list[LegalAcceptance]:
    """Record that ``user`` accepted these versions, now (a version accepted before stays
    accepted at its first moment)."""
    now = now or timezone.now()
    unpublished = [document for document in documents if not document.is_published(now)]
    if unpublished:
        raise ValueError(f"Not in effect yet: {unpublished}")
    rows = [
        LegalAcceptance(user=user, document=document, accepted_at=now) for document in documents
    ]
    LegalAcceptance.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


def legal_accept_current(*, user: User, now: datetime | None = None) -> None:
    """Accept every version ``user``'s role is asked for now (the demo's people, who signed up
    through no form)."""
    legal_accept(user=user, documents=selectors.legal_documents_for_role(role=user.role, now=now))


def legal_pending_remember(*, session: SessionBase, documents: list[LegalDocument]) -> None:
    """Keep in the login session which versions it still has to accept (none: nothing to ask)."""
    session[selectors.LEGAL_PENDING_SESSION_KEY] = [document.pk for document in documents]


def two_factor_remember(*, session: SessionBase, user: User) -> None:
    """Keep in the login session that this therapist's or staff member's authenticator app is
    set up (found now, one query), so that no page asks again; nothing for anyone else."""
    if user.requires_mfa and selectors.user_has_totp(user=user):
        session[selectors.MFA_SET_UP_SESSION_KEY] = user.pk


# --- Login sessions and idle log-out -----------------------------------------------------------


def _device_fields(user_agent: str) -> dict:
    device = device_from_user_agent(user_agent)
    return {"browser": device.browser, "system": device.system, "device_type": device.kind}


def login_session_start(
    *,
    user: User,
    session: SessionBase,
    user_agent: str,
    time_zone: str,
    now: datetime | None = None,
) -> UserSession:
    """A login: its session starts counting activity from now, and gets its row in *Where you
    are signed in* (the device from the user agent, the zone the browser reported)."""
    now = now or timezone.now()
    if not session.session_key:
        session.save()
    key = session.session_key or ""
    digest = selectors.session_key_digest(key)
    row, _created = UserSession.objects.update_or_create(
        key_digest=digest,
        defaults={
            "user": user,
            "key_encrypted": crypto.encrypt_text(key),
            "time_zone": valid_time_zone(time_zone) or "",
            "shared_device": bool(session.get(selectors.SHARED_DEVICE_SESSION_KEY)),
            "created_at": now,
            "last_seen_at": now,
            **_device_fields(user_agent),
        },
    )
    session[selectors.IDLE_SESSION_KEY] = now.timestamp()
    session[selectors.SESSION_ROW_SESSION_KEY] = [digest, now.timestamp()]
    return row


def session_shared_device_set(*, session: SessionBase, shared: bool) -> None:
    """Whether the person said at login that the device is shared: the session then ends with
    the browser and has the shorter idle time."""
    session[selectors.SHARED_DEVICE_SESSION_KEY] = shared
    session.set_expiry(0 if shared else settings.SESSION_COOKIE_AGE)
    if session.session_key:
        UserSession.objects.filter(
            key_digest=selectors.session_key_digest(session.session_key)
        ).update(shared_device=shared)


def session_activity_record(
    *,
    user: User,
    session: SessionBase,
    user_agent: str = "",
    time_zone: str = "",
    now: datetime | None = None,
) -> None:
    """The person did something in this session now: its idle time starts again, and its row
    says when it was last used (at most once a minute). A session whose key changed (a
    password change gives the browser a new one) moves its row to the new key; a session
    without a row (logged in before rows existed) gets one."""
    now = now or timezone.now()
    moment = now.timestamp()
    session[selectors.IDLE_SESSION_KEY] = moment
    key = session.session_key
    if not key:
        return
    digest = selectors.session_key_digest(key)
    stored = session.get(selectors.SESSION_ROW_SESSION_KEY)
    stored_digest, seen = stored if isinstance(stored, list) and len(stored) == 2 else (None, 0)
    if stored_digest == digest and moment - seen < selectors.SESSION_ROW_EVERY_SECONDS:
        return
    updated = UserSession.objects.filter(key_digest=digest, user=user).update(last_seen_at=now)
    if not updated:
        previous = UserSession.objects.filter(key_digest=stored_digest or "", user=user).first()
        UserSession.objects.filter(key_digest=digest).exclude(user=user).delete()  # left over
        fields = dict(
            user=user,
            key_digest=digest,
            key_encrypted=crypto.encrypt_text(key),
            time_zone=previous.time_zone if previous else valid_time_zone(time_zone) or "",
            shared_device=bool(session.get(selectors.SHARED_DEVICE_SESSION_KEY)),
            created_at=previous.created_at if previous else now,
            last_seen_at=now,
            **(
                {
                    "browser": previous.browser,
                    "system": previous.system,
                    "device_type": previous.device_type,
                }
                if previous
                else _device_fields(user_agent)
            ),
        )
        try:
            with transaction.atomic():
                UserSession.objects.create(**fields)
        except IntegrityError:
            pass  # another request of this browser, at the same moment, made it
        if previous is not None:
            previous.delete()  # the same browser, under its old key
    session[selectors.SESSION_ROW_SESSION_KEY] = [digest, moment]


def login_session_forget(*, session_key: str) -> None:
    """A session logged out: its row goes (its sockets are closed by ``accounts.receivers``)."""
    UserSession.objects.filter(key_digest=selectors.session_key_digest(session_key)).delete()


def _session_end(row: UserSession) -> None:
    key = selectors.login_session_key(row=row)
    if key is not None:
        engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
        engine(key).delete()
        realtime.end_session_sockets(key)  # its pages' sockets close at once (4401)
    row.delete()


@transaction.atomic
def login_session_end(*, user: User, row: UserSession, current_key: str | None) -> None:
    """End one of ``user``'s sessions from another (*Sign out* in *Where you are signed in*):
    that browser is logged out and its sockets close at once. This browser's own session ends
    by logging out, not here."""
    if row.user_id != user.pk:
        raise ValueError("Not this user's session.")
    if current_key and row.key_digest == selectors.session_key_digest(current_key):
        raise ValueError("This browser's own session ends by logging out.")
    _session_end(row)


@transaction.atomic
def login_sessions_end_others(*, user: User, current_key: str) -> int:
    """*Sign out everywhere else*: every other session of ``user`` ends, its sockets close."""
    rows = list(selectors.login_session_rows_of_user(user=user, exclude_key=current_key))
    for row in rows:
        _session_end(row)
    return len(rows)


def two_factor_removed(*, user_id: int) -> int:
    """A therapist's or staff member's authenticator app was removed (staff, in the admin; they
    cannot remove it themselves): every session of theirs ends, since each took the app as
    settled when it first checked (``MFARequiredMiddleware``); the next log-in asks them to set
    one up. A patient's choice to switch it off ends nothing. Returns how many ended."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.requires_mfa or selectors.user_has_totp(user=user):
        return 0
    rows = list(selectors.login_session_rows_of_user(user=user))
    for row in rows:
        _session_end(row)
    return len(rows)


def idle_sessions_end(*, now: datetime | None = None) -> int:
    """The sweep: end every session left idle too long (its pages' sockets close at once,
    even where no page asks the server anything) and forget the rows of sessions that ended
    otherwise (expired, password changed). Safe to run twice at once: ending a session twice
    deletes nothing more."""
    ended = 0
    for row in selectors.login_session_rows_to_check(now=now or timezone.now()):
        if selectors.login_session_is_live(row=row):
            continue
        with transaction.atomic():
            _session_end(row)
        ended += 1
    return ended


def login_sessions_reencrypt(*, batch_size: int = 500) -> int:
    """Encrypt the session keys kept to end sessions from elsewhere again with the newest
    MESSAGE_ENCRYPTION_KEYS key (``manage.py reencrypt``); returns how many were rewritten."""
    return crypto.reencrypt_column(UserSession, "key_encrypted", batch_size=batch_size)


# --- Delete my account (teletherapy.erasure orchestrates it) -------------------------------------


@transaction.atomic
def patient_erasure_request(*, user: User, now: datetime, due_at: datetime) -> PatientProfile:
    """The patient asked to delete their account: from now on their therapist sees a former
    patient, nothing is emailed to them but what the erasure itself sends
    (``core.outbox.mail_suppress``), and every session of theirs ends (their sockets close).
    Their data stays, untouched, until ``due_at``, so that they may change their mind."""
    if not user.is_patient:
        raise ValueError("Only a patient's account is deleted this way.")
    profile = PatientProfile.objects.select_for_update().get(user=user)
    if profile.erased_at is not None:
        raise ValueError("This account was erased already.")
    if profile.erasure_requested_at is None:
        profile.erasure_requested_at, profile.erasure_due_at = now, due_at
        profile.save(update_fields=["erasure_requested_at", "erasure_due_at"])
    outbox.mail_suppress(address=user.email)
    for row in selectors.login_session_rows_of_user(user=user):
        _session_end(row)
    return profile


@transaction.atomic
def patient_erasure_cancel(*, user: User) -> bool:
    """They changed their mind before the grace period ended: everything is as it was (but
    the sessions and search the request stopped). False when nothing was pending."""
    profile = PatientProfile.objects.select_for_update().filter(user=user).first()
    if profile is None or profile.erasure_requested_at is None or profile.erased_at is not None:
        return False
    profile.erasure_requested_at = profile.erasure_due_at = None
    profile.save(update_fields=["erasure_requested_at", "erasure_due_at"])
    outbox.mail_unsuppress(address=user.email)
    return True


@transaction.atomic
def patient_account_erase(*, user: User, now: datetime) -> str:
    """Erase the account itself: the address, password, profile, verified addresses,
    two-factor devices, sessions and acceptances go. What is left is a row with a number and
    nothing else, which retained notes and their sessions point at until the retention sweep
    deletes it (``erased_account_delete``). Returns the address it had (for the last
    email, and to forget the outbox's copies)."""
    address = user.email
    for row in selectors.login_session_rows_of_user(user=user):
        _session_end(row)
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    LegalAcceptance.objects.filter(user=user).delete()
    PatientProfile.objects.filter(user=user).update(nickname="", country="", erased_at=now)
    user.email = f"erased-{user.pk}@erased.invalid"
    user.set_unusable_password()
    user.is_active = False
    user.language = settings.LANGUAGE_CODE
    user.time_zone = "UTC"
    user.date_joined = now
    user.save()  # every socket of the user closes (accounts.receivers)
    outbox.outbox_forget(address=address)
    outbox.mail_unsuppress(address=address)
    return address


@transaction.atomic
def partner_account_delete(*, user: User) -> str:
    """A partner deletes their account (``teletherapy.erasure.partner_erasure``): it goes at
    once with what hangs on it (the invitations they accepted, their presence in rooms), every
    session of theirs ended first (their sockets close). Nothing of theirs is care the law
    keeps. Returns the address it had."""
    if not user.is_partner:
        raise ValueError("Only a partner's account is deleted this way.")
    address = user.email
    for row in selectors.login_session_rows_of_user(user=user):
        _session_end(row)
    user.delete()
    outbox.outbox_forget(address=address)
    return address


def erased_account_delete(*, user_id: int) -> bool:
    """Delete what is left of an erased account once nothing points at it any more (no
    retained notes, no sessions); False while something does."""
    try:
        with transaction.atomic():
            deleted, _by_model = User.objects.filter(
                pk=user_id, patient_profile__erased_at__isnull=False
            ).delete()
    except ProtectedError:
        return False
    return deleted > 0


def patient_erasure_claim(*, user_id: int, now: datetime) -> User | None:
    """The patient whose grace period is over, their profile row locked until the caller's
    transaction ends (another sweep skips it), or None when they are not due (they changed
    their mind, were erased already, or another sweep has them)."""
    profile = (
        PatientProfile.objects.select_for_update(skip_locked=True)
        .select_related("user")
        .filter(
            user_id=user_id,
            erasure_requested_at__isnull=False,
            erased_at__isnull=True,
            erasure_due_at__lte=now,
        )
        .first()
    )
    return profile.user if profile is not None else None
