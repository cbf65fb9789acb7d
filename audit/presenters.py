"""The access log in the patient's words: who (their therapist by name, staff as "Havre staff
(role)"), what kind of record, and when (the page shows it in the patient's zone)."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AccessEntry

Kind = AccessEntry.Kind
Role = AccessEntry.Role

# What was read, said to the person it is about.
WHAT = {
    Kind.PATIENT_PAGE: gettext_lazy("Your file: intake answers, scores and progress"),
    Kind.THREAD: gettext_lazy("Your messages"),
    Kind.ATTACHMENT: gettext_lazy("A file in your messages"),
    Kind.CHECKIN: gettext_lazy("Your check-in answers"),
    Kind.PROGRESS: gettext_lazy("Your progress"),
    Kind.JOURNAL: gettext_lazy("The journal entries you shared with them"),
    Kind.GOALS: gettext_lazy("The goals they set with you, and your progress"),
    Kind.WORKSHEET: gettext_lazy("Your answers to the exercises they gave you"),
    Kind.SESSION_NOTE: gettext_lazy("Their notes on a session with you"),
    Kind.OFFER: gettext_lazy("Your answers, in a proposal to take you on"),
    Kind.CASELOAD: gettext_lazy("Your line in their list of patients: latest scores, last message"),
    Kind.INTAKE: gettext_lazy("Your intake answers"),
    Kind.SAFETY_FLAG: gettext_lazy("An alert raised by your answers, to follow up"),
    Kind.MATCH_REQUEST: gettext_lazy("Your search for a therapist"),
    Kind.MATCH: gettext_lazy("Your match with a therapist"),
    Kind.PASSWORD_SET: gettext_lazy("A new password set on your account"),
    Kind.EXPORT: gettext_lazy("A download of your data"),
    Kind.ERASURE: gettext_lazy("The deletion of your account"),
}

# A staff member's role, in the words of "Havre staff (role)".
STAFF_ROLES = {
    Role.VETTING: gettext_lazy("vetting of therapists"),
    Role.MATCHING_SUPPORT: gettext_lazy("matching support"),
    Role.CLINICAL_SAFETY: gettext_lazy("clinical safety"),
    Role.ADMINISTRATOR: gettext_lazy("administrator"),
    Role.STAFF: gettext_lazy("staff"),
}


@dataclass(frozen=True)
class AccessRow:
    who: str
    what: str
    at: datetime
    by_you: bool  # the patient themselves (a download, their account's deletion)


def who_read(entry: AccessEntry, therapist_names: dict[int, str]) -> str:
    if entry.role == Role.THERAPIST:
        name = therapist_names.get(entry.accessor_id or 0)
        return name or _("A therapist (account closed)")
    if entry.role == Role.PATIENT:
        return _("You")
    if entry.role == Role.SYSTEM:
        return _("%(site)s, automatically") % {"site": settings.SITE_NAME}
    role = STAFF_ROLES.get(Role(entry.role), STAFF_ROLES[Role.STAFF])
    return _("%(site)s staff (%(role)s)") % {"site": settings.SITE_NAME, "role": role}


def access_rows(entries: list[AccessEntry], therapist_names: dict[int, str]) -> list[AccessRow]:
    return [
        AccessRow(
            who=who_read(entry, therapist_names),
            what=str(WHAT[Kind(entry.kind)]),
            at=entry.at,
            by_you=entry.role == Role.PATIENT,
        )
        for entry in entries
    ]
