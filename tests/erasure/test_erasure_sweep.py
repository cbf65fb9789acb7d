"""The erasure sweep (issue 17, item 3), under a controlled clock: nothing happens during the
grace period; once it is over the patient's data key is destroyed and shredded, their rows and
files are deleted, their account is left as a row with a number, the notes their therapists
must keep move under a key of their own per therapist (read-only, "former patient"), the
erasure is in their access log and a last content-free email leaves no trace; the retention
sweep later deletes the notes and what is left. Idempotent, and never for someone who kept
their account."""

from datetime import UTC, datetime, time

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import PatientProfile, User
from audit.models import AccessEntry
from core import crypto
from core.models import DataKey, OutboxEmail
from matching.models import Intake, Match, MatchRequest, Offer, SafetyFlag, ScreeningResult
from messaging.models import Attachment, Conversation, Message
from scheduling.models import Appointment, RetainedNoteSet, SessionNote, SessionNoteAddendum
from scheduling.services import notes as notes_services
from scheduling.services.erasure import retention_years
from teletherapy.erasure import services
from teletherapy.exports.models import DataExport
from tests.factories import PASSWORD
from tests.factories.erasure import NOW, after_grace
from tests.factories.exports import ADDENDUM_WORDS, EARLIER_NOTE_WORDS, NOTE_WORDS
from tests.helpers import client_for, outbox_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(record, patient):
    services.erasure_request(patient=patient, now=NOW)
    return record


def _stored_files(settings) -> list[str]:
    root = settings.PRIVATE_MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_nothing_is_erased_during_the_grace_period(asked, patient):
    assert services.erasures_sweep(now=after_grace(-0.5)) == 0
    assert Message.objects.filter(conversation__patient=patient).exists()
    assert PatientProfile.objects.get(user=patient).erased_at is None


def test_after_the_grace_period_everything_goes_but_the_notes(
    asked, patient, settings, django_capture_on_commit_callbacks
):
    message_token = asked.patient_message.body_encrypted
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):  # files go once it commits
        assert services.erasures_sweep(now=after_grace()) == 1

    # Deleted: everything they wrote or that was about them, and every file.
    assert not Message.objects.filter(pk=asked.patient_message.pk).exists()
    assert not Conversation.objects.filter(patient=patient).exists()
    assert not Attachment.objects.exists()
    for model in (Intake, ScreeningResult, SafetyFlag, MatchRequest, Offer):
        assert not model.objects.filter(pk__isnull=False).exists(), model
    assert not DataExport.objects.filter(user=patient).exists()
    assert _stored_files(settings) == []
    assert not Appointment.objects.filter(pk=asked.future.pk).exists()  # no note about it
    assert not Appointment.objects.filter(pk=asked.cancelled.pk).exists()
    # The account: a row with a number, nothing else.
    user = User.objects.get(pk=patient.pk)
    assert user.email == f"erased-{patient.pk}@erased.invalid"
    assert not user.is_active
    assert not user.has_usable_password()
    assert authenticate(email="patient@example.test", password=PASSWORD) is None
    profile = PatientProfile.objects.get(user=patient)
    assert (profile.nickname, str(profile.country), profile.erased_at) == ("", "", after_grace())
    # Their key: destroyed, shredded; what it encrypted can no longer be read.
    key = DataKey.objects.get(kind="patient", subject_id=patient.pk)
    assert key.wrapped == ""
    assert key.shredded_at is not None
    crypto.data_keys_forget()
    with pytest.raises(crypto.KeyDestroyed):
        crypto.decrypt_text(message_token)
    # Logged in their access log, by the platform.
    entry = AccessEntry.objects.get(patient_id=patient.pk, kind="erasure")
    assert entry.accessor_id is None


def test_the_notes_are_kept_under_a_key_of_their_own(asked, patient, therapist, other_therapist):
    services.erasures_sweep(now=after_grace())

    sets = {kept.therapist_id: kept for kept in RetainedNoteSet.objects.filter(patient=patient)}
    assert set(sets) == {therapist.pk, other_therapist.pk}
    note = SessionNote.objects.get(pk=asked.note.pk)
    addendum = SessionNoteAddendum.objects.get(note=note)
    earlier = SessionNote.objects.get(pk=asked.earlier_note.pk)
    slots = {
        token.split(".")[1]
        for token in (note.body_encrypted, addendum.body_encrypted, earlier.body_encrypted)
    }
    notes_keys = DataKey.objects.filter(kind="notes", subject_id__in=[s.pk for s in sets.values()])
    assert slots == {str(key.pk) for key in notes_keys}  # one per therapist, not the patient's
    crypto.data_keys_forget()
    assert crypto.decrypt_text(note.body_encrypted) == NOTE_WORDS
    assert crypto.decrypt_text(addendum.body_encrypted) == ADDENDUM_WORDS
    assert crypto.decrypt_text(earlier.body_encrypted) == EARLIER_NOTE_WORDS
    # The session they are about stays, as a time, and so does its match (emptied).
    session = Appointment.objects.get(pk=asked.session.pk)
    assert session.cancel_reason_encrypted == ""
    match = Match.objects.get(pk=session.match_id)
    assert (match.reasons, match.status) == ([], "ended")
    # Kept 20 years after the last session in France (the therapist's licence).
    kept = sets[therapist.pk]
    assert kept.country == "FR"
    assert kept.keep_until == session.starts_at.date().replace(year=session.starts_at.year + 20)


def test_the_therapist_reads_them_as_a_former_patients_read_only(asked, patient, therapist):
    services.erasures_sweep(now=after_grace())
    url = reverse("session_notes", kwargs={"pk": asked.session.pk})

    page = client_for(therapist).get(url).text

    assert "former patient (deleted account)" in page
    assert NOTE_WORDS in page
    assert ADDENDUM_WORDS in page
    assert "kept, read-only" in page
    assert "Save the note" not in page
    appointment = Appointment.objects.get(pk=asked.session.pk)
    with pytest.raises(ValidationError) as refused:
        notes_services.session_note_addendum_add(
            therapist=therapist.therapist_profile, appointment=appointment, body="More words."
        )
    assert refused.value.code == "retained"
    # Another therapist reads nothing of it.
    assert client_for(asked.earlier_therapist).get(url).status_code == 404


def test_a_last_email_says_it_is_done_and_leaves_no_trace(asked, patient):
    mail.outbox.clear()

    services.erasures_sweep(now=after_grace())

    (email,) = outbox_to("patient@example.test")
    assert "your account and your data have been deleted" in email.body
    assert "Robin" not in email.body
    assert not OutboxEmail.objects.filter(to__iexact="patient@example.test").exists()


def test_the_sweep_is_idempotent_and_cancelling_after_it_does_nothing(asked, patient):
    services.erasures_sweep(now=after_grace())
    mail.outbox.clear()

    assert services.erasures_sweep(now=after_grace(1)) == 0
    assert services.erasure_cancel(patient=User.objects.get(pk=patient.pk)) is False
    assert mail.outbox == []
    assert AccessEntry.objects.filter(patient_id=patient.pk, kind="erasure").count() == 1


def test_a_patient_who_kept_their_account_is_never_erased(asked, patient):
    services.erasure_cancel(patient=patient)

    assert services.erasures_sweep(now=after_grace(30)) == 0
    assert Message.objects.filter(conversation__patient=patient).exists()


def test_another_patient_is_untouched(asked, patient, other_patient):
    token = crypto.encrypt_text_for(other_patient.pk, "mine")

    services.erasures_sweep(now=after_grace())

    crypto.data_keys_forget()
    assert crypto.decrypt_text(token) == "mine"
    assert User.objects.get(pk=other_patient.pk).is_active


def test_the_retention_sweep_deletes_the_notes_and_what_is_left(asked, patient, therapist):
    services.erasures_sweep(now=after_grace())
    kept = list(RetainedNoteSet.objects.filter(patient=patient))
    note_token = SessionNote.objects.get(pk=asked.note.pk).body_encrypted
    last = max(k.keep_until for k in kept)
    first = min(k.keep_until for k in kept)

    services.retention_sweep(now=datetime.combine(first, time(12), UTC))
    assert RetainedNoteSet.objects.filter(patient=patient).count() == len(kept) - 1
    assert User.objects.filter(pk=patient.pk).exists()  # the other set still points at it

    assert services.retention_sweep(now=datetime.combine(last, time(12), UTC)) >= 1

    assert not RetainedNoteSet.objects.exists()
    assert not SessionNote.objects.exists()
    assert not Appointment.objects.filter(patient_id=patient.pk).exists()
    assert not Match.objects.filter(patient_id=patient.pk).exists()
    assert not User.objects.filter(pk=patient.pk).exists()
    assert DataKey.objects.filter(kind="notes", shredded_at__isnull=True).count() == 0
    crypto.data_keys_forget()
    with pytest.raises(crypto.KeyDestroyed):
        crypto.decrypt_text(note_token)
    # The access log keeps its entries: ids only, append-only.
    assert AccessEntry.objects.filter(patient_id=patient.pk, kind="erasure").exists()


def test_retention_years_by_country(settings):
    settings.RETENTION_YEARS_BY_COUNTRY = {"FR": 20, "BE": 30}
    settings.RETENTION_YEARS_DEFAULT = 10

    assert retention_years(country="FR") == 20
    assert retention_years(country="be") == 30
    assert retention_years(country="PT") == 10
    assert retention_years(country="") == 10
