"""What the therapist's private session notes page reads (``views.notes``).

Only the appointment's own therapist reads its notes, through ``appointment_get_for_notes``:
None for anyone else (the view answers 404, the same as for an appointment that never was). A
therapist keeps the notes of the sessions they held after the patient moved to another
therapist (their professional record); the new therapist never sees them, as the appointment
was not theirs. Granting it writes the read to the patient's access log (``audit.services``):
the one write of these selectors, on purpose (docs/architecture.md, *Access log*).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings

from accounts.models import TherapistProfile
from audit.models import AccessEntry
from audit.services import access_record
from core import crypto
from scheduling.models import Appointment, RetainedNoteSet, SessionNote


class NotesState(StrEnum):
    NOT_OPEN = "not_open"  # before the session's room opens
    EDITABLE = "editable"
    LOCKED = "locked"  # addenda only
    CANCELLED = "cancelled"  # cancelled before any note was written: nothing to write
    RETAINED = "retained"  # the patient deleted their account: kept as they are, read-only


def notes_open_at(appointment: Appointment) -> datetime:
    """When notes can first be written: when the session's room opens."""
    return appointment.room_opens_at


def notes_lock_at(appointment: Appointment) -> datetime:
    """When the note stops being editable: SESSION_NOTES_EDITABLE_HOURS after the session's
    planned end, or at its cancellation if it was cancelled."""
    lock_at = appointment.ends_at + timedelta(hours=settings.SESSION_NOTES_EDITABLE_HOURS)
    if appointment.cancelled_at is not None:
        lock_at = min(lock_at, appointment.cancelled_at)
    return lock_at


def notes_state(*, appointment: Appointment, has_note: bool, now: datetime) -> NotesState:
    """What the therapist can do with the notes of ``appointment`` at ``now``. The lock takes
    effect at ``notes_lock_at`` exactly."""
    if appointment.patient.patient_profile.erased_at is not None:
        return NotesState.RETAINED
    if not appointment.is_booked and not has_note:
        return NotesState.CANCELLED
    if now >= notes_lock_at(appointment):
        return NotesState.LOCKED
    if now < notes_open_at(appointment):
        return NotesState.NOT_OPEN
    return NotesState.EDITABLE


def appointment_get_for_notes(*, therapist: TherapistProfile, pk: int) -> Appointment | None:
    """One appointment of this (approved) therapist, with the patient's nickname, or None.
    Found, the notes page shows its notes: a read logged for the patient (repeats within
    minutes merge, so saving as one writes adds nothing)."""
    appointment = (
        Appointment.objects.select_related("patient__patient_profile", "therapist__user")
        .filter(pk=pk, therapist=therapist)
        .first()
    )
    if appointment is not None:
        access_record(
            reader=appointment.therapist.user,
            patient_id=appointment.patient_id,
            kind=AccessEntry.Kind.SESSION_NOTE,
            record_id=appointment.pk,
        )
    return appointment


def session_note_for(
    *, therapist: TherapistProfile, appointment: Appointment
) -> SessionNote | None:
    """The note of this therapist on the appointment, if they wrote one."""
    return SessionNote.objects.filter(appointment=appointment, therapist=therapist).first()


@dataclass(frozen=True, slots=True)
class Addendum:
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionNotes:
    """Everything the notes page shows, decrypted for the therapist who owns it."""

    appointment: Appointment
    state: NotesState
    open_at: datetime
    lock_at: datetime
    body: str  # "" when no note was written
    version: int  # 0 when no note was written
    updated_at: datetime | None
    addenda: tuple[Addendum, ...]  # oldest first

    @property
    def has_note(self) -> bool:
        return self.version > 0

    @property
    def is_editable(self) -> bool:
        return self.state == NotesState.EDITABLE

    @property
    def is_locked(self) -> bool:
        return self.state == NotesState.LOCKED

    @property
    def is_retained(self) -> bool:
        return self.state == NotesState.RETAINED


def session_notes_for(
    *, therapist: TherapistProfile, appointment: Appointment, now: datetime
) -> SessionNotes:
    """The notes of ``appointment`` (fetched with ``appointment_get_for_notes``) as its
    therapist sees them at ``now``: two queries."""
    note = session_note_for(therapist=therapist, appointment=appointment)
    addenda: tuple[Addendum, ...] = ()
    if note is not None:
        addenda = tuple(
            Addendum(body=crypto.decrypt_text(token), created_at=created_at)
            for token, created_at in note.addenda.order_by("created_at", "pk").values_list(
                "body_encrypted", "created_at"
            )
        )
    return SessionNotes(
        appointment=appointment,
        state=notes_state(appointment=appointment, has_note=note is not None, now=now),
        open_at=notes_open_at(appointment),
        lock_at=notes_lock_at(appointment),
        body=crypto.decrypt_text(note.body_encrypted) if note else "",
        version=note.version if note else 0,
        updated_at=note.updated_at if note else None,
        addenda=addenda,
    )


def retained_note_sets_exist(*, patient_id: int) -> bool:
    """Whether notes about this erased patient are still kept (by any therapist)."""
    return RetainedNoteSet.objects.filter(patient_id=patient_id).exists()
