"""Private calendar feeds: the addresses calendar apps subscribe to, kept as digests."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarFeed(models.Model):
    """A private address where a calendar app reads its user's sessions (``/calendar/<token>.ics``).

    Calendar apps send no cookie, so whoever holds the token reads the feed: only its SHA-256
    is stored, the token itself is shown once. Renewing revokes the previous feed; at most one
    feed per user is live (not revoked).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        verbose_name=_("user"),
    )
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_live_per_user",
            ),
        ]

    def __str__(self):
        return f"calendar feed {self.pk}"
