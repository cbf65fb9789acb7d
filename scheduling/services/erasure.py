"""What scheduling does when a patient deletes their account (``teletherapy.erasure`` calls it;
docs/features.md, *Privacy and security*).

- When they ask: their sessions to come are cancelled (their therapist is told, with the usual
  email; they are not, they asked to hear nothing more).
- When the grace period is over: the notes each therapist wrote about them are **kept**, the
  law obliging the therapist to keep their records, but moved from the patient's data key
  (destroyed next) to a key of their own per therapist (``RetainedNoteSet``), until the
  retention period of the therapist's country is over; the sessions those notes are about stay,
  as times, without reasons; every other session, the calendar feeds and their addresses go.
- When a set's retention is over (``retained_notes_sweep``): its notes, addenda and sessions
  go, and its key is destroyed.
"""

from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction

from accounts.models import User
from core import crypto
from core.models import DataKey
from scheduling.models import (
    Appointment,
    CalendarFeed,
    RetainedNoteSet,
    SessionNote,
    SessionNoteAddendum,
)
from scheduling.services.booking import appointments_cancel_for_leaving_patient


def patient_sessions_cancel(*, patient: User, now: datetime) -> int:
    """The patient asked to delete their account: their sessions to come are cancelled."""
    return appointments_cancel_for_leaving_patient(patient_id=patient.pk, now=now)


def retention_years(*, country: str) -> int:
    """How many years notes are kept after the last session, by the country whose law binds
    the therapist (RETENTION_YEARS_BY_COUNTRY, else RETENTION_YEARS_DEFAULT)."""
    return settings.RETENTION_YEARS_BY_COUNTRY.get(
        country.upper(), settings.RETENTION_YEARS_DEFAULT
    )


@transaction.atomic
def patient_notes_retain(*, patient: User, now: datetime) -> list[RetainedNoteSet]:
    """Move the notes about ``patient`` (and their addenda) to a key of their own per
    therapist, dated for the retention sweep. Call it while the patient's data key still
    exists, in the erasure's transaction. Idempotent: a set made already is reused."""
    notes = SessionNote.objects.filter(appointment__patient=patient).select_related(
        "therapist", "appointment"
    )
    by_therapist: dict[int, list[SessionNote]] = {}
    for note in notes:
        by_therapist.setdefault(note.therapist_id, []).append(note)
    country_of_patient = str(getattr(patient.patient_profile, "country", "") or "")
    sets = []
    for therapist_notes in by_therapist.values():
        therapist = therapist_notes[0].therapist
        country = str(therapist.license_country or "") or country_of_patient
        last = max(note.appointment.starts_at for note in therapist_notes)
        kept, _created = RetainedNoteSet.objects.get_or_create(
            therapist=therapist,
            patient=patient,
            defaults={
                "country": country,
                "last_session_at": last,
                "keep_until": (last + relativedelta(years=retention_years(country=country))).date(),
                "created_at": now,
            },
        )
        for note in therapist_notes:
            _rekey(SessionNote, note.pk, note.body_encrypted, kept)
        for pk, token in SessionNoteAddendum.objects.filter(
            note__in=[note.pk for note in therapist_notes]
        ).values_list("pk", "body_encrypted"):
            _rekey(SessionNoteAddendum, pk, token, kept)
        sets.append(kept)
    return sets


def _rekey(model, pk: int, token: str, kept: RetainedNoteSet) -> None:
    model.objects.filter(pk=pk).update(
        body_encrypted=crypto.reencrypt_text_under(DataKey.Kind.NOTES, kept.pk, token)
    )


@transaction.atomic
def patient_sessions_erase(*, patient: User) -> int:
    """Delete the patient's sessions no note is about (their rooms and reminders with them),
    their calendar feeds, and the reasons given for cancelling those that stay. Returns how
    many sessions were deleted."""
    CalendarFeed.objects.filter(user=patient).delete()
    appointments = Appointment.objects.filter(patient=patient)
    appointments.filter(session_note__isnull=False).update(cancel_reason_encrypted="")
    deleted, _by_model = appointments.filter(session_note__isnull=True).delete()
    return deleted


def retained_notes_sweep(*, now: datetime) -> list[int]:
    """Delete the sets of retained notes whose time is up: their notes, addenda and sessions,
    and destroy their keys. Returns the former patients' ids whose sets went (for the roof to
    delete what is left of them). Safe when run twice at once (row locks, skipped)."""
    freed = []
    due = RetainedNoteSet.objects.filter(keep_until__lte=now.date()).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            kept = RetainedNoteSet.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if kept is None:
                continue
            appointments = Appointment.objects.filter(
                patient_id=kept.patient_id, therapist_id=kept.therapist_id
            )
            SessionNoteAddendum.objects.filter(note__appointment__in=appointments).delete()
            SessionNote.objects.filter(appointment__in=appointments).delete()
            appointments.delete()
            crypto.data_key_destroy(kind=DataKey.Kind.NOTES, subject_id=kept.pk, now=now)
            kept.delete()
            freed.append(kept.patient_id)
    return freed
