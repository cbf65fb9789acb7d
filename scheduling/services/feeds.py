"""The private calendar feed: an address a calendar app subscribes to without logging in.

The token in the address is the only key, so only its SHA-256 is stored (reads in
``scheduling.selectors.feeds``). Renewing gives a new token and revokes the old one at once;
revoking leaves none.
"""

import secrets
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from scheduling.models import CalendarFeed
from scheduling.selectors.feeds import calendar_feed_allowed, token_digest

TOKEN_BYTES = 32


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
