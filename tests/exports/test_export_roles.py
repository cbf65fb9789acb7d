"""Whose data is whose (docs/features.md, *Download my data*): a therapist's copy holds their
account, profile, credentials and documents, availability and their sessions as times, and
nothing of their patients (no message, no note, no answer, no name); the patient's copy holds
the notes every therapist wrote about them. Staff's copy is their account."""

import zipfile
from datetime import time, timedelta

import pytest
from django.urls import reverse

from tests.factories.accounts import PDF, TherapistDocumentFactory, VettingDecisionFactory
from tests.factories.exports import (
    ADDENDUM_WORDS,
    EARLIER_NOTE_WORDS,
    FILE_BYTES,
    NOTE_WORDS,
    PATIENT_WORDS,
    T0,
    THERAPIST_WORDS,
)
from tests.factories.matching import AbroadPracticeFactory
from tests.factories.scheduling import (
    AvailabilitySettingsFactory,
    AvailabilityWindowFactory,
    TimeOffFactory,
    weekly,
)
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def everything_in(archive: zipfile.ZipFile) -> bytes:
    """Every member of the zip, uncompressed: what a search of the copy would find."""
    return b"\n".join(archive.read(name) for name in archive.namelist())


@pytest.fixture
def practice(record):
    """``record``'s therapist with a whole practice: languages, a biography, credentials and a
    document, a vetting decision with staff's reason, weekly hours, time off, session settings,
    patients abroad."""
    profile = record.therapist.therapist_profile
    profile.bios = {"fr": "Je travaille avec les adultes.", "en": "I work with adults."}
    profile.approaches = ["cbt"]
    profile.license_number = "ADELI-759312345"
    profile.licensed_countries = ["FR", "BE"]
    profile.save()
    TherapistDocumentFactory(therapist=profile, kind="license", original_name="../licence.pdf")
    VettingDecisionFactory(
        therapist=profile,
        from_status="submitted",
        to_status="approved",
        reason="Diploma checked with the university.",
        created_at=T0,
    )
    AvailabilityWindowFactory(therapist=profile, rule=weekly(0, 3), start_time=time(9))
    TimeOffFactory(therapist=profile, first_day=T0.date(), last_day=T0.date() + timedelta(days=2))
    AvailabilitySettingsFactory(therapist=profile, session_minutes=45, buffer_minutes=15)
    AbroadPracticeFactory(therapist=profile)
    return record


def test_a_therapists_copy_holds_their_own_practice(practice, build_export):
    built = build_export(practice.therapist)
    data = built.data

    assert data["account"]["role"] == "therapist"
    assert data["account"]["two_factor_authentication"] is True
    profile = data["profile"]
    assert profile["display_name"] == practice.therapist.therapist_profile.display_name
    assert profile["biographies"] == {
        "fr": "Je travaille avec les adultes.",
        "en": "I work with adults.",
    }
    assert profile["languages"] == [
        {"language": "en", "level": "fluent"},
        {"language": "fr", "level": "fluent"},
    ]
    assert profile["approaches"] == ["cbt"]
    credentials = data["credentials"]
    assert credentials["license_number"] == "ADELI-759312345"
    assert credentials["licensed_countries"] == ["BE", "FR"]  # as the field keeps them
    assert credentials["vetting_status"] == "approved"
    assert credentials["vetting_history"] == [
        {
            "from": "submitted",
            "to": "approved",
            "reason": "Diploma checked with the university.",
            "at": "2026-03-02T09:00:00Z",
        }
    ]
    [document] = credentials["documents"]
    assert document["name"] == "../licence.pdf"
    # The name a person chose never becomes a path out of the folder it is unzipped in.
    assert document["file"].startswith("files/credentials/")
    assert ".." not in document["file"].split("/")
    assert built.archive.read(document["file"]) == PDF
    availability = data["availability"]
    assert availability["session_minutes"] == 45
    assert availability["break_minutes"] == 15
    assert availability["weekly_hours"] == [
        {"repeats": "RRULE:FREQ=WEEKLY;BYDAY=MO,TH", "from": "09:00:00", "until": "12:00:00"}
    ]
    assert availability["time_off"] == [{"first_day": "2026-03-02", "last_day": "2026-03-04"}]
    assert data["practice_abroad"]["serves_citizens_abroad"] is True


def test_a_therapists_sessions_are_times_and_nothing_of_the_patient(practice, build_export):
    data = build_export(practice.therapist).data

    assert data["sessions"] == [
        {
            "id": practice.session.pk,
            "starts_at": "2026-03-27T09:00:00Z",
            "ends_at": "2026-03-27T09:50:00Z",
            "modality": "video",
            "status": "booked",
            "cancelled_at": None,
        },
        {
            "id": practice.cancelled.pk,
            "starts_at": "2026-04-03T09:00:00Z",
            "ends_at": "2026-04-03T09:50:00Z",
            "modality": "video",
            "status": "cancelled",
            "cancelled_at": "2026-04-02T09:00:00Z",
        },
    ]
    for part in ("conversations", "session_notes", "appointments", "intakes", "matches"):
        assert part not in data


def test_nothing_of_the_patients_is_anywhere_in_a_therapists_copy(practice, build_export):
    built = build_export(practice.therapist)
    everything = everything_in(built.archive)

    # Not the patient's words, nor their own words to the patient, nor their notes about them.
    for words in (
        PATIENT_WORDS,
        THERAPIST_WORDS,
        NOTE_WORDS,
        ADDENDUM_WORDS,
        "Robin",
        practice.patient.email,
        "A work trip.",
        "Since the layoff",
    ):
        assert words.encode() not in everything, words
    assert FILE_BYTES not in everything
    assert not [name for name in built.archive.namelist() if name.startswith("files/messages/")]
    assert "It does not hold" not in built.summary  # the page's words, not the summary's
    assert "Not in this copy: your patients" in built.summary


def test_the_patients_copy_holds_every_note_about_them(practice, build_export):
    everything = everything_in(build_export(practice.patient).archive)

    for words in (NOTE_WORDS, ADDENDUM_WORDS, EARLIER_NOTE_WORDS, THERAPIST_WORDS):
        assert words.encode() in everything
    # And nothing of the therapist's own practice beyond their name.
    for words in ("ADELI-759312345", "Diploma checked", "I work with adults."):
        assert words.encode() not in everything


def test_the_earlier_therapist_keeps_nothing_of_the_patient_either(record, build_export):
    everything = everything_in(build_export(record.earlier_therapist).archive)

    for words in (EARLIER_NOTE_WORDS, "We did not click.", "My caseload is full", "Robin"):
        assert words.encode() not in everything


def test_staffs_copy_is_their_account(staff, record, build_export):
    built = build_export(staff)
    everything = everything_in(built.archive)

    assert built.data["account"]["role"] == "staff"
    assert "profile" not in built.data
    for words in (PATIENT_WORDS, NOTE_WORDS, "Called back; safe for now.", "Robin"):
        assert words.encode() not in everything


def test_the_notes_page_tells_the_therapist_their_patient_gets_them(record):
    url = reverse("session_notes", kwargs={"pk": record.session.pk})

    page = client_for(record.therapist).get(url).content.decode()

    assert "Only you can read these notes here" in page
    assert "your patient finds them in the copy of their data" in page
    assert "not your patient" not in page
