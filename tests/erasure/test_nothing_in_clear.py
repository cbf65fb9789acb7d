"""Nothing a patient writes, or that is written about them, is kept in clear (issue 17, item 7):
a marker planted in every free-text field, through the services the app writes it with, is read
back decrypted (so the test cannot pass on words never written), then looked for in a
``pg_dump`` of the database and in every file of the private storage: none is there.

The fields: a message each way, an attached file's name and bytes, an intake's own words and
goals, a visitor's unfinished intake (own words, goals, nickname: kept in their session), a
session note and its addendum, the reasons for changing therapist, declining an offer and
cancelling a session (by each party), a safety flag's staff note, check-in answers (numbers, in
an order found nowhere else), a therapist's credential document (name and bytes), and the
copies of their data a patient and a therapist download (zips; the patient's holds their
markers decrypted, and a zip found in clear would be searched inside). The patient's nickname
and email address are not among them: they are kept in clear on purpose (the name therapists
and staff know them by, the login) and erased with the account."""

import io
import json
import os
import subprocess
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import TherapistDocument, TherapistProfile, User
from core import crypto
from matching import selectors as matching_selectors
from matching.admin import SafetyFlagForm
from matching.models import Intake, Match, Offer, SafetyFlag, ScreeningResult
from matching.services import checkins as checkin_services
from matching.services import intake as intake_services
from matching.services import offers as offer_services
from matching.services import switching as switching_services
from messaging import selectors as messaging_selectors
from messaging import services as messaging_services
from scheduling.models import Appointment, SessionNote, SessionNoteAddendum
from scheduling.services import booking as booking_services
from scheduling.services import notes as notes_services
from teletherapy.exports import services as export_services
from teletherapy.exports.models import DataExport
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.accounts import make_therapist
from tests.factories.exports import open_export
from tests.factories.scheduling import AppointmentFactory
from tests.files import upload

pytestmark = pytest.mark.django_db(transaction=True)

# One marker per field, each found nowhere else (none is part of another).
MARKERS = {
    name: f"Planted{index:02d}-{name}-in-clear?"
    for index, name in enumerate(
        [
            "patient-message",
            "therapist-message",
            "attachment-name",
            "attachment-bytes",
            "intake-own-words",
            "intake-goals",
            "draft-own-words",
            "draft-goals",
            "session-note",
            "note-addendum",
            "switch-reason",
            "decline-reason",
            "therapist-cancel-reason",
            "patient-cancel-reason",
            "staff-note",
            "document-name",
            "document-bytes",
        ]
    )
}
# A visitor's nickname: letters and digits only (the form's rule), 40 at most.
DRAFT_NICKNAME = "PlantedDraftNickname7x"
# Check-in answers are numbers: an order no other column holds, written both ways JSON is.
PHQ9 = [3, 0, 2, 1, 3, 0, 2, 1, 0]
GAD7 = [2, 3, 0, 1, 2, 3, 0]


def _json_forms(answers: list[int]) -> list[str]:
    return [str(answers), str(answers).replace(" ", "")]


def _pdf(words: str) -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Title ("
        + words.encode()
        + b") >> endobj\n%%EOF\n"
    )


def _intake_answers(*, own_words: str, goals: str) -> dict:
    """What the questionnaire hands ``intake_record``; PHQ-9 item 9 answered (a safety flag)."""
    return {
        "concerns": {"concerns": ["burnout"], "concerns_text": own_words, "in_danger": "no"},
        "goals": {"goals": goals, "previous_therapy": "never"},
        "phq9": {"answers": [1] * 8 + [1]},
        "gad7": {"answers": [2] * 7},
        "preferences": {"therapist_gender": "", "faith": ""},
        "place": {"languages": ["fr"], "country": "FR", "time_zone": "Europe/Paris"},
        "practical": {"modality": "video", "preferred_days": [0], "preferred_times": ["evening"]},
        "nickname": {"nickname": "Sam"},
    }


def _visitor_answers(client: Client) -> str:
    """A visitor answers the intake up to its end and goes away before signing up (their
    answers stay in their session): returns their session's key."""
    steps = {
        "concerns": {
            "concerns": ["grief"],
            "concerns_text": MARKERS["draft-own-words"],
            "in_danger": "no",
        },
        "goals": {"goals": MARKERS["draft-goals"], "previous_therapy": "never"},
        "phq9": {f"q{n}": "1" for n in range(1, 10)},
        "gad7": {f"q{n}": "2" for n in range(1, 8)},
        "preferences": {"therapist_gender": "", "faith": ""},
        "place": {"language_1": "en", "country": "FR", "time_zone": "Europe/Paris"},
        "practical": {"modality": "video", "preferred_times": ["evening"]},
        "nickname": {"nickname": DRAFT_NICKNAME},
    }
    for step, data in steps.items():
        response = client.post(reverse("intake_step", kwargs={"step": step}), data)
        assert response.status_code in (200, 302), (step, response.status_code)
    key = client.session.session_key
    assert key is not None
    return key


def _pending_offer(patient) -> Offer:
    return Offer.objects.get(request__patient=patient, status=Offer.Status.PENDING)


def _plant_everything() -> dict:
    """Write every marker through the app's services; returns what was written, to read back."""
    now = timezone.now()
    patient = cast(User, PatientFactory(email="sam@example.test", patient_profile__nickname="Sam"))
    for _n in range(3):  # one declines, one takes Sam on, one is next after the switch
        TherapistFactory(
            therapist_profile__licensed_countries=["FR"],
            therapist_profile__modalities=["video"],
        )

    intake = intake_services.intake_record(
        patient=patient,
        answers=_intake_answers(
            own_words=MARKERS["intake-own-words"], goals=MARKERS["intake-goals"]
        ),
        now=now,
    )
    declined = _pending_offer(patient)
    offer_services.offer_decline(
        offer_id=declined.pk,
        therapist=declined.therapist.user,
        reason=MARKERS["decline-reason"],
        now=now,
    )
    offer = _pending_offer(patient)
    therapist = offer.therapist.user
    match = offer_services.offer_accept(offer_id=offer.pk, therapist=therapist, now=now)

    conversation = messaging_services.conversation_open(match_id=match.pk)
    patient_message = messaging_services.message_send(
        conversation=conversation,
        sender=patient,
        body=MARKERS["patient-message"],
        client_id=uuid.uuid4(),
    )
    therapist_message = messaging_services.message_send(
        conversation=conversation,
        sender=therapist,
        body=MARKERS["therapist-message"],
        client_id=uuid.uuid4(),
        upload=upload(f"{MARKERS['attachment-name']}.pdf", _pdf(MARKERS["attachment-bytes"])),
    )

    held = AppointmentFactory.create(match=match, starts_at=now - timedelta(hours=2))
    note = notes_services.session_note_save(
        therapist=therapist.therapist_profile,
        appointment=held,
        body=MARKERS["session-note"],
        version=0,
        now=now,
    )
    addendum = notes_services.session_note_addendum_add(
        therapist=therapist.therapist_profile,
        appointment=held,
        body=MARKERS["note-addendum"],
        now=now + timedelta(days=3),
    )
    by_therapist = AppointmentFactory.create(match=match, starts_at=now + timedelta(days=3))
    booking_services.appointment_cancel(
        appointment=by_therapist, by=therapist, reason=MARKERS["therapist-cancel-reason"]
    )
    by_patient = AppointmentFactory.create(match=match, starts_at=now + timedelta(days=4))
    booking_services.appointment_cancel(
        appointment=by_patient, by=patient, reason=MARKERS["patient-cancel-reason"]
    )

    # Staff write their note on the safety flag in the admin, through its form.
    flag = SafetyFlag.objects.get(patient=patient)
    form = SafetyFlagForm(data={"staff_note": MARKERS["staff-note"]}, instance=flag)
    assert form.is_valid(), form.errors
    form.save()

    checkin_services.checkin_record(patient=patient, phq9_answers=PHQ9, gad7_answers=GAD7)
    switching_services.match_switch(
        patient=patient, reason=MARKERS["switch-reason"], share_earlier_history=False
    )

    visitor_session = _visitor_answers(Client())

    applicant = make_therapist(TherapistProfile.VettingStatus.DRAFT, complete=False)
    document = accounts_services.therapist_document_add(
        profile=applicant,
        kind=TherapistDocument.Kind.DEGREE,
        upload=upload(f"{MARKERS['document-name']}.pdf", _pdf(MARKERS["document-bytes"])),
    )

    exports = []
    for person in (patient, therapist):
        export, _created = export_services.export_request(user=person)
        export_services.export_build(export_id=export.pk)  # (the worker, inline, built it)
        export.refresh_from_db()
        assert export.status == DataExport.Status.READY
        exports.append(export)

    return {
        "patient": patient,
        "intake": intake,
        "declined": declined,
        "match": match,
        "patient_message": patient_message,
        "therapist_message": therapist_message,
        "note": note,
        "addendum": addendum,
        "by_therapist": by_therapist,
        "by_patient": by_patient,
        "flag": flag,
        "visitor_session": visitor_session,
        "document": document,
        "exports": exports,
    }


def _read_back(planted: dict) -> dict[str, str]:
    """Every marker as the app reads it, decrypted from what was stored."""
    crypto.data_keys_forget()  # from the rows, not from anything the writes left in memory
    intake = Intake.objects.get(pk=planted["intake"].pk)
    patient_message = planted["patient_message"]
    therapist_message = planted["therapist_message"]
    patient_message.refresh_from_db()
    therapist_message.refresh_from_db()
    [attachment] = therapist_message.attachments.all()
    _name, attachment_bytes = messaging_selectors.attachment_content(attachment)
    draft = matching_selectors.intake_draft(session=SessionStore(planted["visitor_session"]))
    document = TherapistDocument.objects.get(pk=planted["document"].pk)
    with document.file.open("rb") as stored:
        document_bytes = crypto.decrypt_bytes(stored.read())
    return {
        "patient-message": messaging_selectors.message_body(patient_message),
        "therapist-message": messaging_selectors.message_body(therapist_message),
        "attachment-name": messaging_selectors.attachment_name(attachment),
        "attachment-bytes": attachment_bytes.decode("latin-1"),
        "intake-own-words": intake.concerns_text,
        "intake-goals": intake.goals,
        "draft-own-words": draft["concerns"]["concerns_text"],
        "draft-goals": draft["goals"]["goals"],
        "session-note": crypto.decrypt_text(
            SessionNote.objects.get(pk=planted["note"].pk).body_encrypted
        ),
        "note-addendum": crypto.decrypt_text(
            SessionNoteAddendum.objects.get(pk=planted["addendum"].pk).body_encrypted
        ),
        "switch-reason": Match.objects.get(pk=planted["match"].pk).end_reason,
        "decline-reason": Offer.objects.get(pk=planted["declined"].pk).decline_reason,
        "therapist-cancel-reason": Appointment.objects.get(
            pk=planted["by_therapist"].pk
        ).cancel_reason_text,
        "patient-cancel-reason": Appointment.objects.get(
            pk=planted["by_patient"].pk
        ).cancel_reason_text,
        "staff-note": SafetyFlag.objects.get(pk=planted["flag"].pk).staff_note,
        "document-name": document.original_name,
        "document-bytes": document_bytes.decode("latin-1"),
        "draft-nickname": draft["nickname"]["nickname"],
    }


def _pg_dump() -> str:
    db = connection.settings_dict
    command = ["pg_dump", "--no-owner", "--no-password", "--dbname", db["NAME"]]
    for option, value in (
        ("--host", db["HOST"]),
        ("--port", db["PORT"]),
        ("--username", db["USER"]),
    ):
        if value:
            command += [option, str(value)]
    env = {"PGPASSWORD": db["PASSWORD"]} if db["PASSWORD"] else {}
    done = subprocess.run(
        command,
        capture_output=True,
        check=True,
        env={**os.environ, **env},
        timeout=120,
    )
    return done.stdout.decode()


def _contents(data: bytes) -> list[bytes]:
    """A stored file's bytes and, were it a zip in clear (an export), each member's too: a
    compressed member would hide the words from a plain search."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return [data]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [archive.read(name) for name in archive.namelist()]
    return [data, *(part for member in members for part in _contents(member))]


def _where(text: str, marker: str) -> str:
    """The dump's line holding ``marker``, cut short: which table keeps it."""
    start = text.rfind("\nCOPY ", 0, text.index(marker))
    table = text[start + 1 : text.index("(", start)] if start >= 0 else "?"
    return f"{table}: …{text[max(0, text.index(marker) - 80) : text.index(marker) + 80]!r}…"


def test_no_planted_marker_is_in_a_database_dump_or_a_stored_file(settings):
    planted = _plant_everything()

    # Sanity: each marker was written, and reads back through the app's own decryption.
    read = _read_back(planted)
    for name, marker in MARKERS.items():
        assert marker in read[name], f"{name} was not written: {read[name]!r}"
    assert read["draft-nickname"] == DRAFT_NICKNAME
    answers = {
        result.instrument: result.answers
        for result in ScreeningResult.objects.filter(
            patient=planted["patient"], intake__isnull=True
        )
    }
    assert answers == {"phq9": PHQ9, "gad7": GAD7}
    # The patient's copy of their data holds their markers, decrypted (their therapist's copy,
    # under the platform keys, holds nothing of the patient's: tests/exports).
    patient_export, therapist_export = planted["exports"]
    patient_copy = b"".join(_contents(open_export(patient_export).raw)).decode("latin-1")
    for name in (
        "patient-message",
        "therapist-message",
        "attachment-name",
        "attachment-bytes",
        "intake-own-words",
        "session-note",
    ):
        assert MARKERS[name] in patient_copy, name
    assert "data.json" in open_export(therapist_export).archive.namelist()

    # The dump: everything committed (a transactional test), the rows really in it.
    dump = _pg_dump()
    assert planted["patient_message"].body_encrypted in dump
    assert Session.objects.filter(session_key=planted["visitor_session"]).exists()
    assert planted["visitor_session"] in dump

    # The files: attachments, credential documents and exports, each there.
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    files = {path: path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}
    [attachment] = planted["therapist_message"].attachments.all()
    kept = [attachment.file, planted["document"].file, *(e.file for e in planted["exports"])]
    assert {Path(root, file.name) for file in kept} <= set(files), sorted(files)

    words = [*MARKERS.values(), DRAFT_NICKNAME, *_json_forms(PHQ9), *_json_forms(GAD7)]
    in_dump = [_where(dump, word) for word in words if word in dump]
    # A session's data is only signed, not encrypted: its base64 hides nothing from whoever
    # holds the dump, so the sessions are read decoded as well.
    in_sessions = [
        f"django_session {session.session_key}: {word}"
        for session in Session.objects.all()
        for word in words
        if word in json.dumps(session.get_decoded(), ensure_ascii=False)
    ]
    in_files = [
        f"{path.relative_to(root)}: {word}"
        for path, content in files.items()
        for word in words
        if any(word.encode() in part for part in _contents(content))
    ]
    assert in_dump == [], "kept in clear in the database"
    assert in_sessions == [], "kept in clear in a session"
    assert in_files == [], "kept in clear in the private storage"
