"""Exports: a person's copy of their data, in any state, its file stored as the build stores it
(a zip, encrypted a chunk at a time); a patient with something in every part of their record,
and the words planted in it; opening an export's zip as its owner would."""

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import User
from core import crypto
from matching.models import Match, Offer
from messaging.models import Attachment, Message
from scheduling.models import Appointment, SessionNote
from teletherapy.exports import selectors
from teletherapy.exports.models import DataExport
from tests.factories.accounts import PatientFactory
from tests.factories.matching import (
    CheckinFactory,
    IntakeFactory,
    MatchFactory,
    MatchRequestFactory,
    OfferFactory,
    SafetyFlagFactory,
)
from tests.factories.messaging import AttachmentFactory, ConversationFactory, MessageFactory
from tests.factories.scheduling import (
    AppointmentFactory,
    SessionNoteAddendumFactory,
    SessionNoteFactory,
)


def sealed_zip(members: dict[str, bytes]) -> bytes:
    """A zip of ``members``, encrypted as an export's file is (one token per line)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    data = buffer.getvalue()
    size = DataExport.CHUNK_BYTES
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(crypto.encrypt_bytes(chunk) + b"\n" for chunk in chunks)


class DataExportFactory(DjangoModelFactory[DataExport]):
    """An export asked for now and waiting for a worker; ``ready=True``: built a moment ago,
    kept EXPORT_KEEP_DAYS (7) days, its file a small zip holding ``data.json``."""

    class Meta:
        model = DataExport

    class Params:
        ready = factory.Trait(
            status=DataExport.Status.READY,
            progress=100,
            attempts=1,
            ready_at=factory.LazyFunction(timezone.now),
            expires_at=factory.LazyAttribute(lambda e: e.ready_at + timedelta(days=7)),
            size=100,
            file=factory.LazyFunction(
                lambda: ContentFile(sealed_zip({"data.json": b"{}"}), name="export.bin")
            ),
        )

    user = factory.SubFactory(PatientFactory)
    requested_at = factory.LazyFunction(timezone.now)


# --- A patient's whole record, to check an export against ------------------------------------

# When the record was made: every time in it is fixed, so the JSON can be checked exactly.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Words planted in the record: found in the patient's export, never in a therapist's.
PATIENT_WORDS = "I have not slept properly since March."
THERAPIST_WORDS = "Here is the sleep diary we spoke about."
NOTE_WORDS = "Robin described early waking; agreed on a sleep diary."
ADDENDUM_WORDS = "Supervision: consider a referral for insomnia."
EARLIER_NOTE_WORDS = "First session: low mood since the layoff."
FILE_BYTES = b"%PDF-1.4\n1 0 obj<</Title (Sleep diary)>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Record:
    """What the ``record`` fixture made, to check the export against."""

    patient: User
    therapist: User
    earlier_therapist: User
    match: Match
    earlier_match: Match
    declined: Offer
    patient_message: Message
    therapist_message: Message
    attachment: Attachment
    session: Appointment
    cancelled: Appointment
    note: SessionNote
    earlier_note: SessionNote


def make_record(patient: User, therapist: User, other_therapist: User) -> Record:
    """The patient (French, in Montreal), in Montreal: an intake (PHQ-9 and GAD-7) and a
    check-in, a safety flag staff reviewed, a first therapist (``other_therapist``) they left
    with a reason, a search in which a therapist declined, then ``therapist``; a conversation
    with a message each way and a file from the therapist; a session held with its note and an
    addendum, a cancelled one, and the earlier therapist's note of their session."""
    patient.language = "fr"
    patient.time_zone = "America/Montreal"
    patient.save(update_fields=["language", "time_zone"])
    intake = IntakeFactory.create(patient=patient, created_at=T0)
    CheckinFactory(patient=patient, instrument="gad7", answers=[1] * 7, taken_at=T0 + _days(30))
    SafetyFlagFactory(
        patient=patient,
        intake=intake,
        created_at=T0,
        reviewed_at=T0 + timedelta(hours=2),
        staff_note="Called back; safe for now.",
    )
    earlier_match = MatchFactory.create(
        patient=patient,
        therapist=other_therapist.therapist_profile,
        started_at=T0 + timedelta(hours=3),
        status="ended",
        ended_at=T0 + _days(20),
        reasons=[{"code": "language", "value": "fr"}],
        end_reason="We did not click.",
    )
    search = MatchRequestFactory.create(
        patient=patient, intake=intake, created_at=T0 + _days(20), status="matched"
    )
    declined = OfferFactory.create(
        request=search,
        therapist=other_therapist.therapist_profile,
        created_at=T0 + _days(20),
        status="declined",
        responded_at=T0 + _days(20) + timedelta(hours=1),
        decline_reason="My caseload is full this month.",
        reasons=[{"code": "speciality", "value": "burnout"}],
    )
    match = MatchFactory.create(
        patient=patient,
        therapist=therapist.therapist_profile,
        request=search,
        started_at=T0 + _days(21),
        reasons=[{"code": "language", "value": "fr"}, {"code": "speciality", "value": "burnout"}],
    )
    conversation = ConversationFactory.create(match=match, opened_at=T0 + _days(21))
    patient_message = MessageFactory.create(
        conversation=conversation, body=PATIENT_WORDS, created_at=T0 + _days(22)
    )
    therapist_message = MessageFactory.create(
        conversation=conversation,
        sender=therapist,
        body=THERAPIST_WORDS,
        created_at=T0 + _days(22) + timedelta(hours=5),
        read_at=T0 + _days(23),
    )
    attachment = AttachmentFactory.create(
        message=therapist_message, name="sleep diary (week 1).pdf", content=FILE_BYTES
    )
    session = AppointmentFactory.create(match=match, starts_at=T0 + _days(25))
    cancelled = AppointmentFactory.create(
        match=match,
        starts_at=T0 + _days(32),
        status="cancelled",
        cancelled_by=patient,
        cancel_reason="A work trip.",
    )
    note = SessionNoteFactory.create(appointment=session, body=NOTE_WORDS)
    SessionNoteAddendumFactory(note=note, body=ADDENDUM_WORDS, created_at=T0 + _days(27))
    earlier_session = AppointmentFactory.create(match=earlier_match, starts_at=T0 + _days(5))
    earlier_note = SessionNoteFactory.create(appointment=earlier_session, body=EARLIER_NOTE_WORDS)
    return Record(
        patient=patient,
        therapist=therapist,
        earlier_therapist=other_therapist,
        match=match,
        earlier_match=earlier_match,
        declined=declined,
        patient_message=patient_message,
        therapist_message=therapist_message,
        attachment=attachment,
        session=session,
        cancelled=cancelled,
        note=note,
        earlier_note=earlier_note,
    )


def _days(n: int) -> timedelta:
    return timedelta(days=n)


@dataclass
class Built:
    export: DataExport
    archive: zipfile.ZipFile
    raw: bytes  # the zip's bytes, decrypted

    @property
    def data(self) -> dict:
        return json.loads(self.archive.read("data.json"))

    @property
    def summary(self) -> str:
        return self.archive.read("summary.html").decode()


def open_export(export: DataExport) -> Built:
    """The export's zip, decrypted as its download streams it."""
    raw = b"".join(selectors.export_chunks(export))
    return Built(export=export, archive=zipfile.ZipFile(io.BytesIO(raw)), raw=raw)
