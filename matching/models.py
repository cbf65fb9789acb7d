from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.choices import Faith, Modality
from accounts.models import TherapistProfile, validate_time_zone
from matching.choices import Concern, GenderPreference, Instrument, PreviousTherapy


class Intake(models.Model):
    """A patient's answers to the intake questionnaire. Clinical: never in emails or logs."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intakes"
    )
    concerns = models.JSONField(_("what brings you"), default=list)
    concerns_text = models.TextField(_("in your own words"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    previous_therapy = models.CharField(
        _("previous therapy"), max_length=16, choices=PreviousTherapy.choices, blank=True
    )
    therapist_gender = models.CharField(
        _("therapist's gender"), max_length=16, choices=GenderPreference.choices, blank=True
    )
    wants_lgbt_specialist = models.BooleanField(_("LGBT+-specialised therapist"), default=False)
    faith = models.CharField(
        _("faith-based therapist"), max_length=16, choices=Faith.choices, blank=True
    )
    languages = models.JSONField(_("languages, in order of preference"), default=list)
    country = CountryField(_("country of residence"))
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    modality = models.CharField(_("preferred modality"), max_length=16, choices=Modality.choices)
    modality_required = models.BooleanField(_("only this modality"), default=False)
    preferred_days = models.JSONField(_("preferred days"), default=list, blank=True)  # 0 = Monday
    preferred_times = models.JSONField(_("preferred times of day"), default=list, blank=True)
    in_danger = models.BooleanField(_("said they are in danger"), default=False)
    created_at = models.DateTimeField(_("filled in at"), default=timezone.now)

    class Meta:
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"intake {self.pk}"

    @property
    def concern_labels(self) -> list[str]:
        return [str(Concern(code).label) for code in self.concerns if code in Concern.values]


class ScreeningResult(models.Model):
    """One PHQ-9 or GAD-7, scored; a patient's results over time form their history."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="screening_results"
    )
    intake = models.ForeignKey(
        Intake, on_delete=models.SET_NULL, null=True, blank=True, related_name="screenings"
    )
    instrument = models.CharField(_("questionnaire"), max_length=8, choices=Instrument.choices)
    answers = models.JSONField(_("answers"))  # one 0..3 per item, in order
    score = models.PositiveSmallIntegerField(_("score"))
    band = models.CharField(_("severity"), max_length=24)
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)

    class Meta:
        verbose_name = _("screening result")
        verbose_name_plural = _("screening results")
        ordering = ["-taken_at", "-pk"]
        indexes = [models.Index(fields=["patient", "instrument", "-taken_at"])]

    def __str__(self):
        return f"{self.get_instrument_display()} {self.score}"

    @property
    def band_label(self) -> str:
        from matching.screening import questionnaire

        bands = questionnaire(self.instrument).bands
        return next((str(band.label) for band in bands if band.code == self.band), self.band)


class SafetyFlag(models.Model):
    """A sign of risk in a patient's answers, for staff to follow up."""

    class Reason(models.TextChoices):
        PHQ9_ITEM9 = "phq9_item9", _("PHQ-9 item 9 above 0 (thoughts of self-harm)")
        IN_DANGER = "in_danger", _("Said they are in danger")

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_flags"
    )
    intake = models.ForeignKey(Intake, on_delete=models.SET_NULL, null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    staff_note = models.TextField(_("staff note"), blank=True)

    class Meta:
        verbose_name = _("safety flag")
        verbose_name_plural = _("safety flags")
        ordering = ["reviewed_at", "-created_at"]

    def __str__(self):
        return self.get_reason_display()


class EmergencyResource(models.Model):
    """A number to call in a crisis, for the countries where it works. Edited by staff."""

    name = models.CharField(_("name"), max_length=120)
    phone = models.CharField(_("phone number"), max_length=32)
    # One per language of the interface; a missing one falls back to English.
    description_en = models.CharField(_("description in English"), max_length=240, blank=True)
    description_fr = models.CharField(_("description in French"), max_length=240, blank=True)
    countries = CountryField(_("countries"), multiple=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("emergency resource")
        verbose_name_plural = _("emergency resources")
        ordering = ["order", "name"]

    def __str__(self):
        return f"{self.name} ({self.phone})"

    def description_for(self, language: str) -> str:
        return getattr(self, f"description_{language}", "") or self.description_en


class MatchRequest(models.Model):
    """One search for a therapist for a patient, under the 24-hour promise."""

    class Status(models.TextChoices):
        OPEN = "open", _("Looking for a therapist")
        MATCHED = "matched", _("Matched")
        CANCELLED = "cancelled", _("Cancelled")

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="match_requests"
    )
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="match_requests")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)
    deadline = models.DateTimeField(_("promised by"))
    escalated_at = models.DateTimeField(_("escalated to staff at"), null=True, blank=True)
    # Set when the patient changes therapist: whom they chose among the proposed ones (offered
    # first), and whether the next therapist may read their earlier conversations.
    preferred_therapist = models.ForeignKey(
        TherapistProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chosen by the patient"),
    )
    share_earlier_history = models.BooleanField(_("earlier messages shared"), default=False)

    class Meta:
        verbose_name = _("match request")
        verbose_name_plural = _("match requests")
        ordering = ["deadline"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="open"), name="one_open_request_per_patient"
            ),
        ]

    def __str__(self):
        return f"request {self.pk}"


class Offer(models.Model):
    """A patient proposed to one therapist, who accepts or declines before ``expires_at``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    request = models.ForeignKey(MatchRequest, on_delete=models.CASCADE, related_name="offers")
    therapist = models.ForeignKey(TherapistProfile, on_delete=models.CASCADE, related_name="offers")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    score = models.FloatField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)  # [{"code": ..., "value": ...}]
    created_at = models.DateTimeField(_("offered at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # However many sweeps run at once, a request has at most one offer out.
            models.UniqueConstraint(
                fields=["request"], condition=Q(status="pending"), name="one_pending_offer"
            ),
            models.UniqueConstraint(fields=["request", "therapist"], name="offer_once"),
        ]

    def __str__(self):
        return f"offer {self.pk}"


class Match(models.Model):
    """A patient and their therapist. At most one active match per patient."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="matches"
    )
    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.PROTECT, related_name="matches"
    )
    request = models.OneToOneField(
        MatchRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="match"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    reasons = models.JSONField(_("reasons"), default=list)
    # The patient's choice when switching: may this therapist read the earlier conversations?
    earlier_history_shared = models.BooleanField(_("earlier messages shared"), default=False)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.TextField(_("reason for changing (staff only)"), blank=True)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="active"), name="one_active_match"
            ),
        ]

    def __str__(self):
        return f"match {self.pk}"


class CheckinInvitation(models.Model):
    """The email inviting a patient to retake their check-in (PHQ-9 and GAD-7): one per period.

    A period starts with the patient's last check-in (the older of their latest PHQ-9 and
    GAD-7); a new check-in starts the next one. The unique constraint is what keeps two sweeps
    running at once from inviting anyone twice.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkin_invitations"
    )
    period_start = models.DateTimeField(_("last check-in taken at"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("check-in invitation")
        verbose_name_plural = _("check-in invitations")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "period_start"], name="one_checkin_invitation_per_period"
            ),
        ]

    def __str__(self):
        return f"check-in invitation {self.pk}"
