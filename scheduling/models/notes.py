"""The therapist's private session notes, the addenda added once a note is locked, and the notes
kept after their patient deleted their account."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TherapistProfile
from scheduling.models.appointments import Appointment


class SessionNote(models.Model):
    """The therapist's private notes on one appointment, encrypted at rest with the message keys
    (``core.crypto``). Only the appointment's own therapist reads them: not the patient,
    not another therapist (a patient's new one included), not staff (not in the admin).

    Editable from when the session's room opens until SESSION_NOTES_EDITABLE_HOURS after its
    planned end (at the cancellation, for a cancelled one), then locked; later words are
    addenda. ``version`` counts saves: a save made from an older version is refused, so two
    open windows never silently overwrite each other.
    """

    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.PROTECT,
        related_name="session_note",
        verbose_name=_("appointment"),
    )
    # The appointment's therapist when the note was written: the owner, whoever the patient
    # works with later.
    therapist = models.ForeignKey(
        TherapistProfile,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("therapist"),
    )
    body_encrypted = models.TextField(_("note (encrypted)"), editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last saved at"), default=timezone.now)

    class Meta:
        verbose_name = _("session note")
        verbose_name_plural = _("session notes")
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gte=1), name="session_note_version_positive"
            ),
        ]

    def __str__(self):
        return f"session note {self.pk}"


class SessionNoteAddendum(models.Model):
    """Words added to a locked note, dated; never changed once written."""

    note = models.ForeignKey(
        SessionNote,
        on_delete=models.CASCADE,
        related_name="addenda",
        verbose_name=_("session note"),
    )
    body_encrypted = models.TextField(_("addendum (encrypted)"), editable=False)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"addendum {self.pk} to session note {self.note_id}"


class RetainedNoteSet(models.Model):
    """The session notes a therapist wrote about a patient who has since deleted their account,
    kept because the law obliges the therapist to keep their records (docs/features.md,
    *Privacy and security*), until ``keep_until``; then the retention sweep deletes them.

    Pseudonymised: the patient's account is gone (only its number is left, a row with no
    name, address or profile), and the notes and their addenda are no longer under the
    patient's data key, destroyed with the account, but under a key of this set's own
    (``core.crypto``, kind ``notes``, subject this row), destroyed when the set is."""

    therapist = models.ForeignKey(
        TherapistProfile, on_delete=models.PROTECT, related_name="+", verbose_name=_("therapist")
    )
    # The erased account's remaining row: nothing in it says who they were.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("former patient"),
    )
    # The country whose law set the period, and the last session the notes are about.
    country = models.CharField(_("country"), max_length=2, blank=True)
    last_session_at = models.DateTimeField(_("last session"))
    keep_until = models.DateField(_("kept until"))
    created_at = models.DateTimeField(_("kept since"), default=timezone.now)

    class Meta:
        verbose_name = _("retained notes")
        verbose_name_plural = _("retained notes")
        constraints = [
            models.UniqueConstraint(fields=["therapist", "patient"], name="retained_notes_once"),
        ]

    def __str__(self):
        return f"retained notes {self.pk}"
