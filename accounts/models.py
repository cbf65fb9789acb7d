"""People: the user (the email address is the login), a patient's profile (a nickname and a
country), a therapist's profile (their application, then what patients see), credential
documents, the vetting decisions that form the audit trail, the languages a therapist
speaks."""

import uuid
from typing import ClassVar

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
from core import crypto
from core.prepared import Prepared
from core.storage import private_storage


def validate_time_zone(value: str) -> None:
    if not valid_time_zone(value):
        raise ValidationError(_("Unknown time zone."), code="time_zone")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get(self, *args, **kwargs):
        """``get(pk=<int>)`` and nothing else, which is how the logged-in user is loaded at
        every request (``ModelBackend.get_user``), is a prepared read (core.prepared): the same
        user, or ``DoesNotExist``, without building and compiling the query each time.
        Anything else, a historical model's manager in a migration included, is the ORM's."""
        if args or kwargs.keys() != {"pk"} or self.model is not User or self._db is not None:
            return super().get(*args, **kwargs)
        pk = kwargs["pk"]
        if type(pk) is not int:
            return super().get(pk=pk)
        user = _USER_BY_KEY.first(pk=pk)
        if user is None:
            raise User.DoesNotExist("User matching query does not exist.")
        return user

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
        # Invited by a patient to their couples sessions (``scheduling.models.PartnerInvitation``):
        # reaches only those sessions' page and room, through no role guard of the others.
        PARTNER = "partner", _("Partner")

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
    REQUIRED_FIELDS: ClassVar[list[str]] = []

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
    def is_partner(self) -> bool:
        return self.role == self.Role.PARTNER

    @property
    def requires_mfa(self) -> bool:
        """Therapists and staff reach patient data: they must use two-factor authentication."""
        return self.role in {self.Role.THERAPIST, self.Role.STAFF} or self.is_staff


# The logged-in user of every request (``UserManager.get``).
_USER_BY_KEY = Prepared(lambda pk: User._base_manager.filter(pk=pk), "pk")


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
    # Delete my account (teletherapy.erasure): asked at, to be erased at (the grace period's
    # end; both emptied if they change their mind), erased at. From the asking, the therapist
    # sees a former patient, not a nickname.
    erasure_requested_at = models.DateTimeField(_("deletion asked at"), null=True, blank=True)
    erasure_due_at = models.DateTimeField(_("to be erased at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("patient profile")
        verbose_name_plural = _("patient profiles")
        indexes = [
            models.Index(
                fields=["erasure_due_at"],
                condition=models.Q(erasure_due_at__isnull=False, erased_at__isnull=True),
                name="patient_erasure_due_idx",
            )
        ]

    def __str__(self):
        return self.display_name

    @property
    def has_left(self) -> bool:
        """The patient asked to delete their account (and may still change their mind), or it
        was erased."""
        return self.erasure_requested_at is not None or self.erased_at is not None

    @property
    def display_name(self) -> str:
        """Their name for others (their therapist, staff): the nickname, or "former patient
        (deleted account)" once they asked to leave."""
        if self.has_left:
            return str(_("former patient (deleted account)"))
        return self.nickname


def _therapist_photo_path(instance, filename: str) -> str:
    return f"therapist-photos/{uuid.uuid4().hex}.bin"


def _therapist_document_path(instance, filename: str) -> str:
    # The name says nothing about the therapist, the file's original name or its type.
    return f"therapist-documents/{uuid.uuid4().hex}.bin"


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
    # A JPEG, encrypted with the platform keys (core.crypto) like every private file.
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
    """A scan of a degree or license, for staff to check. Never public. The file and its name
    are encrypted with the platform keys (core.crypto); it is downloaded under a name the
    server chooses, with the extension of what it really is (``download_name``)."""

    class Kind(models.TextChoices):
        DEGREE = "degree", _("Degree")
        LICENSE = "license", _("License or registration")

    EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.FileField(
        _("file (encrypted)"),
        upload_to=_therapist_document_path,
        storage=private_storage,
        max_length=200,
    )
    original_name_encrypted = models.TextField(blank=True, editable=False)
    original_name = crypto.platform_encrypted_text(
        "original_name_encrypted", description=_("file name")
    )
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

    @property
    def download_name(self) -> str:
        """The name it is downloaded under: its kind, its number and its real extension (never
        the name it was uploaded under: "report.html" for a PDF would open as a page)."""
        return f"{self.kind}-{self.pk}{self.extension}"


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


# --- Legal documents and consent ----------------------------------------------------------------


class LegalDocument(models.Model):
    """One version of a text every user accepts: the privacy policy, the terms of use, the
    telehealth consent. Staff write a new version as a new row (French and English), which takes
    effect at ``published_at``; once that moment has passed the row is never changed again
    (``accounts.services.legal_document_save``, the admin), so an acceptance always points at
    the words that were accepted."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("Privacy policy")
        TERMS = "terms", _("Terms of use")
        TELEHEALTH = "telehealth", _("Telehealth consent")

    kind = models.CharField(_("document"), max_length=16, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    title_en = models.CharField(_("title (English)"), max_length=120)
    title_fr = models.CharField(_("title (French)"), max_length=120)
    body_en = models.TextField(
        _("text (English)"),
        help_text=_(
            "Paragraphs separated by an empty line; a line starting with “## ” is a heading, "
            "lines starting with “- ” a list."
        ),
    )
    body_fr = models.TextField(_("text (French)"))
    changes_en = models.TextField(
        _("what changed (English)"),
        blank=True,
        help_text=_("Shown to people asked to accept this version after an earlier one."),
    )
    changes_fr = models.TextField(_("what changed (French)"), blank=True)
    published_at = models.DateTimeField(
        _("takes effect at"),
        help_text=_("From this moment the version is public, asked for, and can no longer change."),
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("legal document")
        verbose_name_plural = _("legal documents")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="legal_document_version_once"),
        ]
        indexes = [models.Index(fields=["kind", "published_at"], name="legal_document_current_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.version}"

    def is_published(self, now=None) -> bool:
        return self.published_at <= (now or timezone.now())

    def _in(self, prefix: str, language: str) -> str:
        field = "fr" if language.startswith("fr") else "en"
        return getattr(self, f"{prefix}_{field}") or getattr(self, f"{prefix}_en")

    def title_for(self, language: str) -> str:
        return self._in("title", language)

    def body_for(self, language: str) -> str:
        return self._in("body", language)

    def changes_for(self, language: str) -> str:
        return self._in("changes", language)


class LegalAcceptance(models.Model):
    """A user accepted this version of a document, at this moment (at sign-up, or when asked
    again at a login after a new version)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="legal_acceptances")
    # An accepted version can never be deleted: what someone agreed to stays readable.
    document = models.ForeignKey(
        LegalDocument,
        on_delete=models.PROTECT,
        related_name="acceptances",
        verbose_name=_("document"),
    )
    accepted_at = models.DateTimeField(_("accepted at"))

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        ordering = ["-accepted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "document"], name="legal_acceptance_once"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.document}"


# --- Login sessions ------------------------------------------------------------------------------


class UserSession(models.Model):
    """A browser logged in to an account, for *Where you are signed in* and for ending it from
    another device. Found by a digest of the session key; the key itself is kept only encrypted
    (to end that session), and the device is described by what its user agent said at login
    (browser, system), never by its network address."""

    class DeviceType(models.TextChoices):
        COMPUTER = "computer", _("Computer")
        PHONE = "phone", _("Phone")
        TABLET = "tablet", _("Tablet")
        UNKNOWN = "unknown", _("Device")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    key_digest = models.CharField(max_length=64, unique=True)
    key_encrypted = models.TextField()
    browser = models.CharField(_("browser"), max_length=40, blank=True)
    system = models.CharField(_("system"), max_length=40, blank=True)
    device_type = models.CharField(
        _("device"), max_length=16, choices=DeviceType.choices, default=DeviceType.UNKNOWN
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    shared_device = models.BooleanField(_("shared device"), default=False)
    created_at = models.DateTimeField(_("signed in at"))
    last_seen_at = models.DateTimeField(_("last seen at"))

    class Meta:
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")
        ordering = ["-last_seen_at", "-pk"]
        indexes = [models.Index(fields=["last_seen_at"], name="user_session_last_seen_idx")]

    def __str__(self):
        return f"{self.user_id}: {self.browser} / {self.system}"
