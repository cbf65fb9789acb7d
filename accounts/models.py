import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.choices import THERAPY_LANGUAGES, DegreeLevel, Faith, Gender, LanguageLevel
from accounts.timezones import valid_time_zone
from teletherapy.storage import private_storage


def validate_time_zone(value: str) -> None:
    if not valid_time_zone(value):
        raise ValidationError(_("Unknown time zone."), code="time_zone")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields |= {"role": User.Role.STAFF, "is_staff": True, "is_superuser": True}
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in. The email address is the login; there is no username."""

    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        THERAPIST = "therapist", _("Therapist")
        STAFF = "staff", _("Staff")

    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(role="staff"),
                name="user_only_staff_role_is_staff",
            ),
        ]

    def __str__(self):
        return self.email

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def is_therapist(self) -> bool:
        return self.role == self.Role.THERAPIST

    @property
    def requires_mfa(self) -> bool:
        """Therapists and staff reach patient data: they must use two-factor authentication."""
        return self.role in {self.Role.THERAPIST, self.Role.STAFF} or self.is_staff


class PatientProfile(models.Model):
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="patient_profile"
    )
    nickname = models.CharField(
        _("nickname"),
        max_length=40,
        help_text=_("The only name your therapist will see. It need not be your real name."),
    )
    country = CountryField(_("country of residence"), blank=True)

    class Meta:
        verbose_name = _("patient profile")
        verbose_name_plural = _("patient profiles")

    def __str__(self):
        return self.nickname


def _therapist_photo_path(instance, filename: str) -> str:
    return f"therapist-photos/{uuid.uuid4().hex}.jpg"


def _therapist_document_path(instance, filename: str) -> str:
    # The name says nothing about the therapist or the file's original name.
    return f"therapist-documents/{uuid.uuid4().hex}{instance.extension}"


class TherapistProfile(models.Model):
    """A therapist's application and, once approved, their profile as patients see it.

    Staff move it through the vetting states only with ``accounts.services`` (a state
    machine); nothing else writes ``vetting_status``.
    """

    class VettingStatus(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="therapist_profile"
    )
    # About: what patients see.
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    gender = models.CharField(
        _("gender"), max_length=16, choices=Gender.choices, default=Gender.UNSPECIFIED
    )
    photo = models.ImageField(
        _("photo"), upload_to=_therapist_photo_path, storage=private_storage, blank=True
    )
    bios = models.JSONField(_("biographies"), default=dict, blank=True)  # language code -> text
    # Practice.
    specialities = models.JSONField(_("specialities"), default=list, blank=True)
    approaches = models.JSONField(_("approaches"), default=list, blank=True)
    modalities = models.JSONField(_("modalities"), default=list, blank=True)
    faith = models.CharField(
        _("faith-based practice"), max_length=16, choices=Faith.choices, blank=True
    )
    accepting_new_patients = models.BooleanField(_("accepting new patients"), default=False)
    caseload_limit = models.PositiveSmallIntegerField(_("caseload limit"), default=25)
    # Credentials.
    degree_level = models.CharField(
        _("highest degree"), max_length=16, choices=DegreeLevel.choices, blank=True
    )
    degree_field = models.CharField(_("field of study"), max_length=120, blank=True)
    degree_institution = models.CharField(_("institution"), max_length=160, blank=True)
    degree_year = models.PositiveSmallIntegerField(_("year obtained"), null=True, blank=True)
    license_number = models.CharField(
        _("license or registration number"), max_length=60, blank=True
    )
    license_issuer = models.CharField(_("issuing body"), max_length=160, blank=True)
    license_country = CountryField(_("country of the license"), blank=True)
    license_expiry = models.DateField(_("license valid until"), null=True, blank=True)
    licensed_countries = CountryField(
        _("countries where licensed to practise"), multiple=True, blank=True
    )
    practising_since = models.DateField(_("in clinical practice since"), null=True, blank=True)
    clinical_hours = models.PositiveIntegerField(_("clinical hours"), null=True, blank=True)
    # Vetting.
    vetting_status = models.CharField(
        _("vetting status"),
        max_length=20,
        choices=VettingStatus.choices,
        default=VettingStatus.DRAFT,
        db_index=True,
    )
    vetting_status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)

    # What staff vet; locked once the application is submitted.
    CREDENTIAL_FIELDS = (
        "degree_level",
        "degree_field",
        "degree_institution",
        "degree_year",
        "license_number",
        "license_issuer",
        "license_country",
        "license_expiry",
        "licensed_countries",
        "practising_since",
        "clinical_hours",
    )

    class Meta:
        verbose_name = _("therapist")
        verbose_name_plural = _("therapists")

    def __str__(self):
        return self.display_name or str(self.user_id)

    @property
    def is_approved(self) -> bool:
        return self.vetting_status == self.VettingStatus.APPROVED

    def bio_for(self, language: str) -> str:
        """The biography in this language, else in any language the therapist wrote one."""
        if self.bios.get(language):
            return self.bios[language]
        return next((text for text in self.bios.values() if text), "")


class TherapistDocument(models.Model):
    """A scan of a degree or license, for staff to check. Never public."""

    class Kind(models.TextChoices):
        DEGREE = "degree", _("Degree")
        LICENSE = "license", _("License or registration")

    EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.FileField(
        _("file"), upload_to=_therapist_document_path, storage=private_storage, max_length=200
    )
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("credential document")
        verbose_name_plural = _("credential documents")
        ordering = ["kind", "uploaded_at"]

    def __str__(self):
        return self.original_name

    @property
    def extension(self) -> str:
        return self.EXTENSIONS[self.content_type]


class VettingDecision(models.Model):
    """One step of a therapist's vetting: who moved it, when, from what, to what, and why."""

    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="vetting_decisions"
    )
    # Empty for the system (the license expiry sweep); kept when the staff account goes.
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=TherapistProfile.VettingStatus.choices
    )
    to_status = models.CharField(
        _("to"), max_length=20, choices=TherapistProfile.VettingStatus.choices
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("vetting decision")
        verbose_name_plural = _("vetting decisions")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"


class TherapistLanguage(models.Model):
    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="languages"
    )
    language = models.CharField(_("language"), max_length=8, choices=THERAPY_LANGUAGES)
    level = models.CharField(_("level"), max_length=16, choices=LanguageLevel.choices)

    class Meta:
        verbose_name = _("language spoken")
        verbose_name_plural = _("languages spoken")
        constraints = [
            models.UniqueConstraint(
                fields=["therapist", "language"], name="therapist_language_once"
            ),
        ]
        indexes = [models.Index(fields=["language", "therapist"], name="therapist_language_idx")]

    def __str__(self):
        return f"{self.language} ({self.level})"
