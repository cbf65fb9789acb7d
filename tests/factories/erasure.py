"""Erasure: the moment a patient asks to delete their account in the erasure tests, and the
moments after their grace period."""

from datetime import UTC, datetime, timedelta

from django.conf import settings

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def after_grace(days: float = 0.0) -> datetime:
    """A moment after the grace period of a request made at NOW."""
    return NOW + timedelta(days=settings.ERASURE_GRACE_DAYS + days, minutes=1)
