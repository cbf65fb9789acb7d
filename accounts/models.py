from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.choices import THERAPY_LANGUAGES, Gender, LanguageLevel
from accounts.timezones import valid_time_zone


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


class TherapistProfile(models.Model):
    """The public side of a therapist. Vetting fills in credentials and the review workflow."""

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
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    gender = models.CharField(
        _("gender"), max_length=16, choices=Gender.choices, default=Gender.UNSPECIFIED
    )
    specialities = models.JSONField(_("specialities"), default=list, blank=True)
    vetting_status = models.CharField(
        _("vetting status"),
        max_length=20,
        choices=VettingStatus.choices,
        default=VettingStatus.DRAFT,
        db_index=True,
    )
    accepting_new_patients = models.BooleanField(_("accepting new patients"), default=False)
    caseload_limit = models.PositiveSmallIntegerField(_("caseload limit"), default=25)

    class Meta:
        verbose_name = _("therapist profile")
        verbose_name_plural = _("therapist profiles")

    def __str__(self):
        return self.display_name or str(self.user_id)

    @property
    def is_approved(self) -> bool:
        return self.vetting_status == self.VettingStatus.APPROVED


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
