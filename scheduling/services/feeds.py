"""The private calendar feed: an address a calendar app subscribes to without logging in.

The token in the address is the only key, so only its SHA-256 is stored; a feed is found by
the digest of the token presented (an index lookup: nothing compares the secret itself byte by
byte). Renewing gives a new token and revokes the old one at once; revoking leaves none.
"""

import hashlib
import secrets
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import approved_therapist_profile
from scheduling.models import CalendarFeed

# secrets.token_urlsafe(32) gives 43 characters; anything much longer is not a token.
TOKEN_BYTES = 32
TOKEN_MAX_LENGTH = 64


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_allowed(*, user: User) -> bool:
    """Patients and approved therapists have sessions to subscribe to; nobody else."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_patient or approved_therapist_profile(user=user) is not None


def calendar_feed_live(*, user: User) -> CalendarFeed | None:
    """The user's feed that still works, if any."""
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


@transaction.atomic
def calendar_feed_renew(*, user: User, now: datetime | None = None) -> str:
    """Give the user a new feed and return its token, the only time it is known: any previous
    feed stops working."""
    if not calendar_feed_allowed(user=user):
        raise PermissionDenied("no sessions to subscribe to")
    now = now or timezone.now()
    # One renewal per user at a time: two at once would both revoke, then both insert.
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).exists()
    _revoke(user=user, now=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    CalendarFeed.objects.create(user=user, token_hash=token_digest(token), created_at=now)
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User, now: datetime | None = None) -> int:
    """Stop the user's feed; returns how many were live (0 or 1). Idempotent."""
    return _revoke(user=user, now=now or timezone.now())


def _revoke(*, user: User, now: datetime) -> int:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)


def calendar_feed_user(*, token: str) -> User | None:
    """Whose live feed this token opens, or None (unknown, revoked, or an inactive user)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=token_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return feed.user if feed else None
