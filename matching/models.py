"""The matching app's records: intakes and screenings, safety flags, emergency numbers, the search
for a therapist (requests, offers), matches and check-in invitations."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country, CountryField

from accounts.choices import Faith, Modality
from accounts.models import TherapistProfile, validate_time_zone
from core import crypto
from matching import screening
from matching.choices import Concern, GenderPreference, Instrument, PreviousTherapy


class Intake(models.Model):
    """A patient's answers to the intake questionnaire. Clinical: never in emails or logs."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intakes"
    )
    concerns = models.JSONField(_("what brings you"), default=list)
    # What the patient wrote in their own words: under their data key (core.crypto).
    concerns_text_encrypted = models.TextField(blank=True, editable=False)
    goals_encrypted = models.TextField(blank=True, editable=False)
    concerns_text = crypto.patient_encrypted_text(
        "concerns_text_encrypted", patient="patient_id", description=_("in your own words")
    )
    goals = crypto.patient_encrypted_text(
        "goals_encrypted", patient="patient_id", description=_("goals")
    )
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
    country: "CountryField[str | Country, Country]" = CountryField(_("country of residence"))
    # Nationality or a former residence: a therapist licensed there who opted in may see them
    # while they live abroad (MATCHING_SERVE_CITIZENS_ABROAD). Empty: none given.
    home_country: "CountryField[str | Country, Country]" = CountryField(
        _("country whose practitioners may see them"), blank=True
    )
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
    """One PHQ-9 or GAD-7, scored; a patient's results over time form their history.

    The answers (item by item, PHQ-9 item 9 on thoughts of self-harm among them) are under the
    patient's data key, so erasing the patient makes them unreadable in every backup too. The
    score and band stay in clear: progress charts and the risk shown to therapists and staff
    read them for many rows at once, and they tell much less than the items."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="screening_results"
    )
    intake = models.ForeignKey(
        Intake, on_delete=models.SET_NULL, null=True, blank=True, related_name="screenings"
    )
    instrument = models.CharField(_("questionnaire"), max_length=8, choices=Instrument.choices)
    answers_encrypted = models.TextField(editable=False)
    # One 0..3 per item, in order (a list); None only on a row never given any.
    answers = crypto.patient_encrypted_json(
        "answers_encrypted", patient="patient_id", description=_("answers")
    )
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
        bands = screening.questionnaire(self.instrument).bands
        return next((str(band.label) for band in bands if band.code == self.band), self.band)

    @property
    def self_harm_answer(self) -> str | None:
        """For a PHQ-9 whose item 9 (thoughts of self-harm) is above "not at all": that answer
        in words, for the therapist; None otherwise."""
        if self.instrument != Instrument.PHQ9:
            return None
        answers = self.answers  # decrypted once
        if not answers or not screening.phq9_self_harm_positive(answers):
            return None
        return str(dict(screening.ANSWER_CHOICES)[answers[screening.PHQ9_SELF_HARM_ITEM]])


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
    # Written about the patient: under their data key (core.crypto).
    staff_note_encrypted = models.TextField(blank=True, editable=False)
    staff_note = crypto.patient_encrypted_text(
        "staff_note_encrypted", patient="patient_id", description=_("staff note")
    )

    class Meta:
        verbose_name = _("safety flag")
        verbose_name_plural = _("safety flags")
        ordering = ["reviewed_at", "-created_at"]

    def __str__(self):
        return self.get_reason_display()


class EmergencyNumber(models.Model):
    """The numbers for emergency services in one country: a row for every country the country
    field offers (a test checks), filled in by a data migration; staff correct them in the
    admin and say when they checked."""

    country: "CountryField[str | Country, Country]" = CountryField(_("country"), unique=True)
    emergency = models.CharField(
        _("emergency services"),
        max_length=32,
        blank=True,
        help_text=_(
            "The number for an ambulance; in many countries the one number for every "
            "emergency. Empty only where there is no public service (uninhabited places)."
        ),
    )
    police = models.CharField(
        _("police"), max_length=32, blank=True, help_text=_("Only when it is another number.")
    )
    source = models.CharField(_("source"), max_length=240)
    checked_at = models.DateField(_("checked by staff on"), null=True, blank=True)

    class Meta:
        verbose_name = _("emergency number")
        verbose_name_plural = _("emergency numbers")
        ordering = ["country"]

    def __str__(self):
        return f"{self.country.name}: {self.emergency or '—'}"


class EmergencyResource(models.Model):
    """A crisis line (or another number to call) beside the emergency services, for the
    countries where it works. Edited by staff."""

    name = models.CharField(_("name"), max_length=120)
    phone = models.CharField(_("phone number"), max_length=32)
    # One per language of the interface; a missing one falls back to English.
    description_en = models.CharField(_("description in English"), max_length=240, blank=True)
    description_fr = models.CharField(_("description in French"), max_length=240, blank=True)
    countries: "CountryField[str | list[str], list[Country]]" = CountryField(
        _("countries"), multiple=True
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    source = models.CharField(
        _("source"), max_length=240, blank=True, help_text=_("Where the number was confirmed.")
    )

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
    # Set when no approved therapist could see the patient at all (their country and languages):
    # they were told so, and the 24-hour promise waits until one joins (then it is cleared, the
    # deadline starts again and the patient is emailed once).
    waiting_since = models.DateTimeField(_("on the waiting list since"), null=True, blank=True)

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


class WaitingPatient(MatchRequest):
    """The waiting list: searches for which no approved therapist can see the patient yet (their
    country and languages), for staff to look at by country and language."""

    class Meta:
        proxy = True
        verbose_name = _("waiting patient")
        verbose_name_plural = _("waiting list")


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
    # The therapist's words about the patient: under the patient's data key (core.crypto).
    decline_reason_encrypted = models.TextField(blank=True, editable=False)
    decline_reason = crypto.patient_encrypted_text(
        "decline_reason_encrypted",
        patient="request.patient_id",
        description=_("reason for declining"),
    )

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

    def state_at(self, now: datetime) -> str:
        """The offer's status, "expired" as soon as its time is up (before the sweep says so)."""
        if self.status == self.Status.PENDING and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.status


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
    # The patient's words: under their data key (core.crypto).
    end_reason_encrypted = models.TextField(blank=True, editable=False)
    end_reason = crypto.patient_encrypted_text(
        "end_reason_encrypted",
        patient="patient_id",
        description=_("reason for changing (staff only)"),
    )

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


class AbroadPractice(models.Model):
    """A therapist's choice to see, wherever they now live, people who come from a country where
    the therapist is licensed (its citizens or former residents), when the platform allows it
    (MATCHING_SERVE_CITIZENS_ABROAD). Without a row, they do not: the therapist opts in."""

    therapist = models.OneToOneField(
        TherapistProfile,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="abroad_practice",
        verbose_name=_("therapist"),
    )
    serves_citizens_abroad = models.BooleanField(
        _("sees people from their licence countries who live abroad"), default=False
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("practice abroad")
        verbose_name_plural = _("practice abroad")

    def __str__(self):
        return str(self.therapist)


class JournalEntry(models.Model):
    """What a patient writes for themselves between sessions, private unless they share it,
    entry by entry (``JournalShare``). The text, the mood and the tags are kept under the
    patient's data key (``core.crypto``): staff never read them, erasure shreds them."""

    class Tag(models.TextChoices):
        SLEEP = "sleep", _("Sleep")
        WORK = "work", _("Work or studies")
        RELATIONSHIPS = "relationships", _("Relationships")
        FAMILY = "family", _("Family")
        BODY = "body", _("Body and health")
        WORRY = "worry", _("Worry")
        LOW = "low", _("Feeling low")
        GRATITUDE = "gratitude", _("Something good")

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_entries"
    )
    written_at = models.DateTimeField(_("written at"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    body_encrypted = models.TextField(editable=False)
    # {"mood": 1-10 or null, "tags": [codes]}, as JSON under the same key.
    details_encrypted = models.TextField(blank=True, editable=False)
    body = crypto.patient_encrypted_text(
        "body_encrypted", patient="patient_id", description=_("entry")
    )
    details = crypto.patient_encrypted_json(
        "details_encrypted", patient="patient_id", description=_("mood and tags")
    )

    # Set by the selectors for a page: when it was shared with the therapist reading it (or
    # the patient's current one), None when it is not.
    shared_at: datetime | None
    # Set by ``selectors.journal_entries_for_patient``: the former therapists whose record
    # keeps it.
    kept_by: list[str]

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-written_at", "-pk"]

    def __str__(self):
        return f"journal entry {self.pk}"

    @property
    def mood(self) -> int | None:
        return (self.details or {}).get("mood")

    @property
    def tags(self) -> list[str]:
        return list((self.details or {}).get("tags", []))

    @property
    def tag_labels(self) -> list[str]:
        return [str(self.Tag(code).label) for code in self.tags if code in self.Tag.values]


class JournalShare(models.Model):
    """An entry shared with the therapist of a match: readable by them while ``unshared_at``
    is empty. Un-sharing takes it back at once; sharing again opens a new row. What was shared
    stays tied to that match (the therapist's record) when the patient changes therapist:
    the next therapist sees only what is shared with them."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="shares")
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="journal_shares")
    shared_at = models.DateTimeField(_("shared at"), default=timezone.now)
    unshared_at = models.DateTimeField(_("taken back at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shared journal entry")
        verbose_name_plural = _("shared journal entries")
        ordering = ["-shared_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "match"],
                condition=Q(unshared_at__isnull=True),
                name="journal_share_one_open_per_match",
            ),
        ]

    def __str__(self):
        return f"journal share {self.pk}"


# --- Goals and worksheets (issue 18, item 3) -------------------------------------------------


class Goal(models.Model):
    """What a therapist and their patient set out to reach, in steps the patient ticks off.

    Tied to the match it was set in, like ``JournalShare``: the therapist of that match keeps
    it (their record) after the patient changes therapist, read-only, and the next therapist
    never sees it. The words (title, why, steps) are under the patient's data key; the dates
    and the progress are not (the dashboard counts them for many patients at once)."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="goals")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals"
    )
    title_encrypted = models.TextField(editable=False)
    why_encrypted = models.TextField(blank=True, editable=False)
    title = crypto.patient_encrypted_text(
        "title_encrypted", patient="patient_id", description=_("goal")
    )
    why = crypto.patient_encrypted_text(
        "why_encrypted", patient="patient_id", description=_("why it matters")
    )
    target_date = models.DateField(_("target date"), null=True, blank=True)
    created_at = models.DateTimeField(_("set at"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    # Set by the selectors for a page: the steps in order, and how many are done.
    step_list: list["GoalStep"]

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["match", "archived_at"])]

    def __str__(self):
        return f"goal {self.pk}"

    @property
    def steps_done(self) -> int:
        return sum(1 for step in self.step_list if step.done_at is not None)

    @property
    def is_open(self) -> bool:
        """Whether it can still change: not put away, and its match not over."""
        return self.archived_at is None and self.match.status == Match.Status.ACTIVE


class GoalStep(models.Model):
    """One step towards a goal, in its place; ``done_at`` set while the patient says it is
    done."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    text_encrypted = models.TextField(editable=False)
    text = crypto.patient_encrypted_text(
        "text_encrypted", patient="goal.patient_id", description=_("step")
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("goal step")
        verbose_name_plural = _("goal steps")
        ordering = ["goal", "position"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "position"], name="goal_step_position_once"),
        ]

    def __str__(self):
        return f"goal step {self.pk}"


class Worksheet(models.Model):
    """An exercise of the library staff keep in the admin, in English and French: its fields
    (``fields``: a list of ``{"key", "label_en", "label_fr", "kind"}``, kinds in
    ``FieldKind``), repeated ``rows`` times for a diary (seven days of a sleep diary). Staff
    write the library; they never read a patient's answers (``WorksheetAssignment``)."""

    class FieldKind(models.TextChoices):
        TEXT = "text", _("A line of text")
        LONGTEXT = "longtext", _("A paragraph")
        SCALE = "scale", _("A number from 0 to 10")
        DATE = "date", _("A date")

    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    title_en = models.CharField(_("title in English"), max_length=120)
    title_fr = models.CharField(_("title in French"), max_length=120)
    instructions_en = models.TextField(_("instructions in English"), max_length=4000)
    instructions_fr = models.TextField(_("instructions in French"), max_length=4000)
    fields = models.JSONField(
        _("fields"),
        default=list,
        help_text=_(
            'A list of fields: {"key": "situation", "label_en": "…", "label_fr": "…", '
            '"kind": "text"}; kinds: text, longtext, scale (0 to 10), date.'
        ),
    )
    rows = models.PositiveSmallIntegerField(
        _("rows"),
        default=1,
        help_text=_("How many times the fields repeat: 7 for a week's diary, 1 otherwise."),
    )
    row_label_en = models.CharField(_("name of a row in English"), max_length=40, blank=True)
    row_label_fr = models.CharField(_("name of a row in French"), max_length=40, blank=True)
    active = models.BooleanField(
        _("offered to therapists"),
        default=True,
        help_text=_("Retire an exercise instead of deleting it: given ones stay readable."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("worksheet")
        verbose_name_plural = _("worksheets")
        ordering = ["order", "slug"]

    def __str__(self):
        return self.title_en

    def clean(self):
        # Here, not at the top: this block of the module is appended to the others' imports.
        from django.core.exceptions import ValidationError

        from matching.worksheet_fields import fields_problems

        problems = fields_problems(self.fields)
        if problems:
            raise ValidationError({"fields": problems})

    def title_for(self, language: str) -> str:
        return self.title_fr if language == "fr" and self.title_fr else self.title_en

    def instructions_for(self, language: str) -> str:
        if language == "fr" and self.instructions_fr:
            return self.instructions_fr
        return self.instructions_en

    def row_label_for(self, language: str) -> str:
        return self.row_label_fr if language == "fr" and self.row_label_fr else self.row_label_en


class WorksheetAssignment(models.Model):
    """A worksheet a therapist gave their patient in a match: the patient's answers (under
    their data key, saved as they type), whether they are done, and the one reminder email
    before the due date (``reminded_at``, set by a conditional update so two sweeps send
    one). Tied to the match like ``Goal``."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        OVERDUE = "overdue", _("Overdue")

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="worksheet_assignments")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worksheet_assignments"
    )
    worksheet = models.ForeignKey(Worksheet, on_delete=models.PROTECT, related_name="assignments")
    note_encrypted = models.TextField(blank=True, editable=False)
    note = crypto.patient_encrypted_text(
        "note_encrypted", patient="patient_id", description=_("note from the therapist")
    )
    # {"<row>:<key>": value}, as JSON under the patient's key; empty: nothing written yet.
    answers_encrypted = models.TextField(blank=True, editable=False)
    answers = crypto.patient_encrypted_json(
        "answers_encrypted", patient="patient_id", description=_("answers")
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("given at"), default=timezone.now)
    changed_at = models.DateTimeField(_("last answered at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("worksheet given")
        verbose_name_plural = _("worksheets given")
        ordering = ["-assigned_at", "-pk"]
        indexes = [
            models.Index(
                fields=["due_date"],
                condition=Q(done_at__isnull=True, reminded_at__isnull=True),
                name="worksheet_reminder_due",
            ),
        ]

    def __str__(self):
        return f"worksheet assignment {self.pk}"

    @property
    def is_open(self) -> bool:
        """Whether the patient can still write in it: its match is not over."""
        return self.match.status == Match.Status.ACTIVE

    def status_on(self, today) -> str:
        """Where it stands on ``today`` (the reader's date)."""
        if self.done_at is not None:
            return self.Status.DONE
        if self.due_date is not None and self.due_date < today:
            return self.Status.OVERDUE
        if self.changed_at is not None:
            return self.Status.IN_PROGRESS
        return self.Status.NOT_STARTED
