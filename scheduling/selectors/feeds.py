"""Reads of the private calendar feeds: who may have one, the live one, whose feed a token opens.

A feed is found by the SHA-256 of the token presented (an index lookup: nothing compares the
secret itself byte by byte).
"""

import hashlib

from accounts.models import User
from accounts.selectors import approved_therapist_profile
from scheduling.models import CalendarFeed

# secrets.token_urlsafe(32) gives 43 characters; anything much longer is not a token.
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
