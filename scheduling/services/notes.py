"""A therapist's private session notes: write and edit the note while it is editable, add dated
addenda once it is locked, re-encrypt everything with the newest key.

What may be written when is decided by ``selectors.notes.notes_state``: from the opening of the
session's room until SESSION_NOTES_EDITABLE_HOURS after its planned end (or its cancellation)
the note is editable; after that it is locked and only addenda, each dated, are added.

Errors:

- ``PermissionDenied``: the therapist is not the appointment's (views 404 before that).
- ``ValidationError`` keyed by ``body`` (codes ``empty``, ``too_long``): the words themselves.
- ``ValidationError`` with codes ``not_open``, ``cancelled``, ``not_locked``: not now.
- ``NoteLocked``: the note locked while it was being edited (the edit came too late).
- ``NoteChanged``: the note was saved elsewhere (another window) since this edit began.

Nothing is written when any of them is raised: the caller still holds the words typed, to show
them back. Bodies never reach a log or an error message.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from accounts.models import TherapistProfile
from core import crypto
from scheduling.models import Appointment, SessionNote, SessionNoteAddendum
from scheduling.selectors.notes import NotesState, notes_state

BODY_MAX_CHARS = 20_000


class NoteLocked(ValidationError):
    """The note is locked: it can no longer be edited, only added to."""

    def __init__(self):
        super().__init__(
            _(
                "This note is locked: the time to edit it has passed, so your changes were not "
                "saved. Your text is kept below: add it as a dated addendum, or copy it."
            ),
            code="locked",
        )


class NoteChanged(ValidationError):
    """The note was saved from somewhere else since this edit began; ``note`` is the saved one."""

    def __init__(self, note: SessionNote):
        super().__init__(
            _(
                "This note was saved from another window since you opened it, so your changes "
                "were not saved. Your text is kept in the editor and the saved note is shown "
                "above it: save again to replace the saved note with your text."
            ),
            code="changed",
        )
        self.note = note


def _clean_body(body: str) -> str:
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError(
            {"body": ValidationError(_("Write something before saving."), code="empty")}
        )
    if len(body) > BODY_MAX_CHARS:
        raise ValidationError(
            {
                "body": ValidationError(
                    _(
                        "This is %(length)s characters long: the most is %(limit)s. Nothing "
                        "was saved; shorten it, or save part of it now and add the rest later."
                    ),
                    code="too_long",
                    params={
                        "length": number_format(len(body), force_grouping=True),
                        "limit": number_format(BODY_MAX_CHARS, force_grouping=True),
                    },
                )
            }
        )
    return body


def _locked_appointment(*, therapist: TherapistProfile, appointment: Appointment) -> Appointment:
    """The appointment's row, locked (a cancellation or a first note waits for us), checked to
    be the therapist's."""
    if appointment.therapist_id != therapist.pk:
        raise PermissionDenied
    return Appointment.objects.select_for_update().get(pk=appointment.pk)


@transaction.atomic
def session_note_save(
    *,
    therapist: TherapistProfile,
    appointment: Appointment,
    body: str,
    version: int,
    now: datetime | None = None,
) -> SessionNote:
    """Write the therapist's note on the appointment, or replace it. ``version`` is the note's
    version the edit began from (0 for no note yet): the save is refused with ``NoteChanged``
    if the note was saved since."""
    now = now or timezone.now()
    body = _clean_body(body)
    appointment = _locked_appointment(therapist=therapist, appointment=appointment)
    note = SessionNote.objects.select_for_update().filter(appointment=appointment).first()
    state = notes_state(appointment=appointment, has_note=note is not None, now=now)
    _refuse_retained(state)
    if state == NotesState.CANCELLED:
        raise ValidationError(_("This session was cancelled: it has no notes."), code="cancelled")
    if state == NotesState.NOT_OPEN:
        raise ValidationError(
            _("Notes can be written from when the session's room opens."), code="not_open"
        )
    if state == NotesState.LOCKED:
        raise NoteLocked
    if note is None:
        if version != 0:  # a note written, then gone: cannot happen (notes are kept)
            raise ValidationError(_("This note cannot be found."), code="missing")
        return SessionNote.objects.create(
            appointment=appointment,
            therapist=therapist,
            body_encrypted=_seal(appointment, body),
            created_at=now,
            updated_at=now,
        )
    if note.version != version:
        raise NoteChanged(note)
    note.body_encrypted = _seal(appointment, body)
    note.version += 1
    note.updated_at = now
    note.save(update_fields=["body_encrypted", "version", "updated_at"])
    return note


@transaction.atomic
def session_note_addendum_add(
    *,
    therapist: TherapistProfile,
    appointment: Appointment,
    body: str,
    now: datetime | None = None,
) -> SessionNoteAddendum:
    """Add dated words to the locked note of the appointment. A session whose note was never
    written gets its first words this way, dated, once the time to edit has passed."""
    now = now or timezone.now()
    body = _clean_body(body)
    appointment = _locked_appointment(therapist=therapist, appointment=appointment)
    note = SessionNote.objects.filter(appointment=appointment).first()
    state = notes_state(appointment=appointment, has_note=note is not None, now=now)
    _refuse_retained(state)
    if state == NotesState.CANCELLED:
        raise ValidationError(_("This session was cancelled: it has no notes."), code="cancelled")
    if state != NotesState.LOCKED:
        raise ValidationError(
            _(
                "The note can still be edited: change the note itself. Addenda come once it is "
                "locked."
            ),
            code="not_locked",
        )
    if note is None:
        note = SessionNote.objects.create(
            appointment=appointment,
            therapist=therapist,
            body_encrypted=_seal(appointment, ""),
            created_at=now,
            updated_at=now,
        )
    return SessionNoteAddendum.objects.create(
        note=note, body_encrypted=_seal(appointment, body), created_at=now
    )


def _refuse_retained(state: NotesState) -> None:
    if state == NotesState.RETAINED:
        raise ValidationError(
            _("This patient deleted their account: your notes are kept as they are, read-only."),
            code="retained",
        )


def _seal(appointment: Appointment, body: str) -> str:
    """Notes are about the patient: under the patient's data key."""
    return crypto.encrypt_text_for(appointment.patient_id, body)


def session_notes_reencrypt(*, batch_size: int = 500) -> tuple[int, int]:
    """Move every session note and addendum still under the platform keys (written before
    patients had data keys) to their patient's data key; those already there need nothing
    when the platform keys rotate (their data keys are re-wrapped). So an older platform key
    can then be removed. Safe while therapists write (a row is rewritten only if unchanged
    since it was read) and to run again. Returns (notes, addenda) rewritten."""
    return (
        crypto.reencrypt_column_for(
            SessionNote,
            "body_encrypted",
            patient="appointment__patient_id",
            batch_size=batch_size,
        ),
        crypto.reencrypt_column_for(
            SessionNoteAddendum,
            "body_encrypted",
            patient="note__appointment__patient_id",
            batch_size=batch_size,
        ),
    )
