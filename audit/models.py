"""The access log: one row each time someone other than a patient read that patient's data
(and each export, erasure and password set by staff), never what was read.

Append-only. PostgreSQL refuses UPDATE and DELETE on the table (a trigger, migration 0002);
here, on any database, ``save`` refuses a change, and ``delete`` and ``QuerySet.update`` /
``delete`` refuse outright. Each patient's rows form a hash chain (``seq`` 1, 2, 3 …, each
row's ``hash`` covering its fields and the previous row's hash: ``audit.chain``), so a row
removed behind the trigger's back shows (``audit.selectors.access_log_verify``).

Patient and reader are plain ids, not foreign keys: the log outlives the accounts it speaks of
(an erased patient's entries stay, as ids that no longer name anyone), and deleting a user
never tries to delete log rows.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An attempt to change or delete an access log entry."""


class AccessEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("the access log is append-only: no update")

    def delete(self):
        raise AppendOnlyError("the access log is append-only: no delete")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("the access log is append-only: no update")

    def _raw_delete(self, using):
        raise AppendOnlyError("the access log is append-only: no delete")


class AccessEntry(models.Model):
    class Kind(models.TextChoices):
        """What kind of record was read (or done). The patient's page words them
        (``audit.presenters``)."""

        PATIENT_PAGE = "patient_page", _("Patient page")
        THREAD = "thread", _("Messages")
        ATTACHMENT = "attachment", _("File in the messages")
        CHECKIN = "checkin", _("Check-in")
        PROGRESS = "progress", _("Progress")
        JOURNAL = "journal", _("Shared journal entries")
        GOALS = "goals", _("Goals")
        WORKSHEET = "worksheet", _("Worksheet answers")
        SESSION_NOTE = "session_note", _("Session notes")
        OFFER = "offer", _("Offer")
        CASELOAD = "caseload", _("Caseload summary")
        INTAKE = "intake", _("Intake")
        SAFETY_FLAG = "safety_flag", _("Safety flag")
        MATCH_REQUEST = "match_request", _("Match request")
        MATCH = "match", _("Match")
        PASSWORD_SET = "password_set", _("Password set by staff")
        EXPORT = "export", _("Export")
        ERASURE = "erasure", _("Erasure")

    class Role(models.TextChoices):
        """Who read, in the words of the moment: a staff member's role is the group that let
        them in."""

        PATIENT = "patient", _("The patient")
        THERAPIST = "therapist", _("Therapist")
        VETTING = "vetting", _("Vetting")
        MATCHING_SUPPORT = "matching_support", _("Matching support")
        CLINICAL_SAFETY = "clinical_safety", _("Clinical safety")
        ADMINISTRATOR = "administrator", _("Administrator")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("The platform")

    patient_id = models.BigIntegerField(_("patient"))
    seq = models.PositiveIntegerField(_("number in the patient's chain"))
    accessor_id = models.BigIntegerField(_("reader"), null=True, blank=True)
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    kind = models.CharField(_("kind of record"), max_length=24, choices=Kind.choices)
    record_id = models.BigIntegerField(_("record"), null=True, blank=True)
    session_digest = models.CharField(_("session (digest)"), max_length=64, blank=True)
    at = models.DateTimeField(_("at"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AccessEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-pk"]
        constraints = [
            # Two writers of one patient's chain can never both append the same link: the
            # chain cannot fork, whatever happens to the lock (audit.services).
            models.UniqueConstraint(fields=["patient_id", "seq"], name="audit_chain_link_unique"),
        ]
        indexes = [
            # "Was this read already logged a moment ago?" (audit.services, repeats).
            models.Index(fields=["patient_id", "accessor_id", "kind", "at"], name="audit_repeat"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.patient_id}.{self.seq}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("the access log is append-only: no update")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the access log is append-only: no delete")


# The staff groups of least privilege (migration 0003 creates them) and the role each stands
# for in the log; a superuser is an administrator whatever their groups.
STAFF_GROUPS = {
    AccessEntry.Role.VETTING: "Vetting",
    AccessEntry.Role.MATCHING_SUPPORT: "Matching support",
    AccessEntry.Role.CLINICAL_SAFETY: "Clinical safety",
}

# Logged whoever acts, the patient included, and never merged with an earlier entry.
ALWAYS_LOGGED = frozenset(
    {AccessEntry.Kind.EXPORT, AccessEntry.Kind.ERASURE, AccessEntry.Kind.PASSWORD_SET}
)
