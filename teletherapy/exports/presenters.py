"""The words of a readable export (``summary.html``): the codes of ``data.json`` as labels in
the person's language (the build renders it under their language and time zone)."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django_countries import countries

from accounts.choices import (
    THERAPY_LANGUAGES,
    Approach,
    DegreeLevel,
    Faith,
    Gender,
    LanguageLevel,
    Modality,
    Speciality,
)
from accounts.models import TherapistDocument, TherapistProfile, User, UserSession
from audit import presenters as audit_presenters
from matching import screening
from matching.choices import Concern, GenderPreference, PreviousTherapy, TimeOfDay, Weekday
from matching.models import Match, MatchRequest, Offer, SafetyFlag
from matching.presenters.reasons import reason_texts
from scheduling.models import Appointment

# The vocabularies a summary names its codes with, by the name its template uses.
VOCABULARIES: dict[str, Mapping[Any, Any]] = {
    "role": dict(User.Role.choices),
    "interface_language": dict(settings.LANGUAGES),
    "language": dict(THERAPY_LANGUAGES),
    "language_level": dict(LanguageLevel.choices),
    "concern": dict(Concern.choices),
    "previous_therapy": dict(PreviousTherapy.choices),
    "gender_preference": dict(GenderPreference.choices),
    "gender": dict(Gender.choices),
    "faith": dict(Faith.choices),
    "modality": dict(Modality.choices),
    "time_of_day": dict(TimeOfDay.choices),
    "weekday": dict(Weekday.choices),
    "speciality": dict(Speciality.choices),
    "approach": dict(Approach.choices),
    "degree": dict(DegreeLevel.choices),
    "vetting_status": dict(TherapistProfile.VettingStatus.choices),
    "document_kind": dict(TherapistDocument.Kind.choices),
    "search_status": dict(MatchRequest.Status.choices),
    "offer_status": dict(Offer.Status.choices),
    "match_status": dict(Match.Status.choices),
    "safety_reason": dict(SafetyFlag.Reason.choices),
    "appointment_status": dict(Appointment.Status.choices),
    "device": dict(UserSession.DeviceType.choices),
    "access_kind": audit_presenters.WHAT,
}


def label(vocabulary: str, value: Any) -> str:
    """The label of ``value`` in one of ``VOCABULARIES``; the value itself when unknown (a code
    an older version stored)."""
    found = VOCABULARIES[vocabulary].get(value)
    return str(value) if found is None else str(found)


def labels(vocabulary: str, values: Iterable[Any]) -> str:
    return ", ".join(label(vocabulary, value) for value in values)


def severity(questionnaire: str, band: str) -> str:
    """A PHQ-9 or GAD-7 severity band in words."""
    try:
        bands = screening.questionnaire(questionnaire).bands
    except (KeyError, ValueError):
        return band
    return next((str(b.label) for b in bands if b.code == band), band)


def reasons(stored: Iterable[Mapping[str, str]]) -> str:
    """A match's reasons, as the patient read them."""
    return " · ".join(reason_texts(stored))


def access_reader(entry: Mapping[str, Any]) -> str:
    """Who read, as the Privacy page says it: the therapist by name, "You", the platform, or
    staff by role only."""
    role = entry.get("role", "")
    if role == "therapist":
        return entry.get("therapist") or _("A therapist (account closed)")
    if role == "patient":
        return _("You")
    if role == "system":
        return _("%(site)s, automatically") % {"site": settings.SITE_NAME}
    roles = {str(key): words for key, words in audit_presenters.STAFF_ROLES.items()}
    staff_role = roles.get(role, roles["staff"])
    return _("%(site)s staff (%(role)s)") % {"site": settings.SITE_NAME, "role": staff_role}


def country(code: str) -> str:
    return str(countries.name(code)) if code else ""


# The parts of data.json that summary.html shows in a section of its own; any other is shown
# as it is (templatetags.export_words.other_parts).
SUMMARY_PARTS = frozenset(
    {
        "export",
        "account",
        "profile",
        "credentials",
        "practice_abroad",
        "intakes",
        "questionnaires",
        "safety_flags",
        "searches",
        "matches",
        "checkin_invitations",
        "conversations",
        "appointments",
        "session_notes",
        "availability",
        "sessions",
        "session_rooms",
        "calendar_feeds",
        "consents",
        "signed_in",
        "access_log",
    }
)
