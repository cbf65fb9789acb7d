from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import PatientProfile, TherapistProfile, User


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
