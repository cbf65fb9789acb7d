"""Couples sessions: a patient invites a partner to one booked session."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scheduling.models.appointments import Appointment


class PartnerInvitation(models.Model):
    """The patient's invitation of a partner to one booked video or phone session, which makes
    it a couples session (``services.partners``).

    The emailed link carries a token of which only the SHA-256 is kept; it works once (it is
    spent when accepted) and until ``expires_at``. Accepted, the invitation names the partner's
    account and the nickname they chose: the partner then reaches this session's page and room,
    nothing else of the patient's. Withdrawn (by the patient, before the session), it no longer
    counts: the partner's sockets in the room are closed, and the patient may invite again. At
    most one invitation per session is live (not withdrawn).
    """

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="partner_invitations",
        verbose_name=_("appointment"),
    )
    email = models.EmailField(_("partner's email address"))
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    expires_at = models.DateTimeField(_("link expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="partner_invitations",
        verbose_name=_("partner"),
    )
    nickname = models.CharField(_("partner's nickname"), max_length=40, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner invitation")
        verbose_name_plural = _("partner invitations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(withdrawn_at__isnull=True),
                name="partner_invitation_one_live_per_appointment",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True, partner__isnull=True)
                | Q(accepted_at__isnull=False, partner__isnull=False),
                name="partner_invitation_accepted_iff_partner",
            ),
        ]
        indexes = [models.Index(fields=["partner", "appointment"], name="partner_invitation_idx")]

    def __str__(self):
        return f"partner invitation {self.pk} to appointment {self.appointment_id}"

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None
