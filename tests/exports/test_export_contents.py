"""What a patient's export holds, field by field against the record the factories made: the
account, answers and scores, searches and matches with their reasons, messages with who wrote
them and when, the file decrypted as it was sent, sessions, the notes their therapists wrote
about them; a readable summary in their language; nothing that opens the account."""

import pytest

from tests.factories.exports import (
    ADDENDUM_WORDS,
    EARLIER_NOTE_WORDS,
    FILE_BYTES,
    NOTE_WORDS,
    PATIENT_WORDS,
    THERAPIST_WORDS,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(record, build_export):
    return build_export(record.patient)


def test_the_zip_holds_the_data_the_summary_and_the_files(built, record):
    names = built.archive.namelist()

    assert names[0] == "data.json"
    assert "summary.html" in names
    assert f"files/messages/{record.attachment.pk}-sleep_diary_week_1.pdf" in names
    assert built.archive.testzip() is None
    assert built.export.size == len(built.raw)


def test_account_and_profile(built, record):
    data = built.data

    assert data["export"]["format"] == "havre-data-export"
    assert data["export"]["version"] == 1
    assert data["export"]["email"] == "patient@example.test"
    assert data["export"]["times"] == "ISO 8601, in UTC"
    assert data["account"] == {
        "email": "patient@example.test",
        "role": "patient",
        "language": "fr",
        "time_zone": "America/Montreal",
        "date_joined": data["account"]["date_joined"],
        "last_login": None,
        "active": True,
        "two_factor_authentication": False,
        "email_addresses": [{"email": "patient@example.test", "verified": True, "primary": True}],
    }
    assert data["account"]["date_joined"].endswith("Z")
    assert data["profile"] == {"nickname": "Robin", "country": "FR"}


def test_nothing_that_opens_the_account(built, record):
    raw = built.archive.read("data.json").decode()

    assert record.patient.password not in raw
    assert "password" not in raw


def test_intake_answers_and_scores(built):
    data = built.data

    [intake] = data["intakes"]
    assert intake["filled_in_at"] == "2026-03-02T09:00:00Z"
    assert intake["concerns"] == ["burnout", "anxiety"]
    assert intake["concerns_text"] == "Since the layoff I lie awake every night."
    assert intake["goals"] == "Sleep again and stop dreading Mondays."
    assert intake["previous_therapy"] == "never"
    assert intake["languages"] == ["fr", "en"]
    assert intake["country"] == "FR"
    assert intake["home_country"] == ""
    assert intake["time_zone"] == "Europe/Paris"
    assert intake["modality"] == "video"
    assert intake["preferred_days"] == [0, 2]
    assert intake["preferred_times"] == ["evening"]
    assert intake["in_danger"] is False
    assert [
        (q["questionnaire"], q["during"], q["score"], q["severity"], q["answers"])
        for q in data["questionnaires"]
    ] == [
        ("phq9", "intake", 8, "mild", [1] * 8 + [0]),
        ("gad7", "intake", 14, "moderate", [2] * 7),
        ("gad7", "check-in", 7, "mild", [1] * 7),
    ]
    assert data["questionnaires"][0]["intake"] == intake["id"]
    assert data["questionnaires"][2]["intake"] is None
    assert data["questionnaires"][2]["taken_at"] == "2026-04-01T09:00:00Z"
    assert data["safety_flags"] == [
        {
            "reason": "phq9_item9",
            "created_at": "2026-03-02T09:00:00Z",
            "reviewed_at": "2026-03-02T11:00:00Z",
            "staff_note": "Called back; safe for now.",
        }
    ]


def test_searches_and_matches_with_their_reasons(built, record):
    data = built.data
    earlier = record.earlier_therapist.therapist_profile.display_name
    current = record.therapist.therapist_profile.display_name

    [search] = data["searches"]
    assert search["opened_at"] == "2026-03-22T09:00:00Z"
    assert search["status"] == "matched"
    assert search["offers"] == [
        {
            "therapist": earlier,
            "offered_at": "2026-03-22T09:00:00Z",
            "status": "declined",
            "answered_at": "2026-03-22T10:00:00Z",
            "reasons": [{"code": "speciality", "value": "burnout"}],
            "reason_for_declining": "My caseload is full this month.",
        }
    ]
    assert data["matches"] == [
        {
            "therapist": earlier,
            "status": "ended",
            "started_at": "2026-03-02T12:00:00Z",
            "ended_at": "2026-03-22T09:00:00Z",
            "reasons": [{"code": "language", "value": "fr"}],
            "earlier_messages_shared": False,
            "your_reason_for_changing": "We did not click.",
        },
        {
            "therapist": current,
            "status": "active",
            "started_at": "2026-03-23T09:00:00Z",
            "ended_at": None,
            "reasons": [
                {"code": "language", "value": "fr"},
                {"code": "speciality", "value": "burnout"},
            ],
            "earlier_messages_shared": False,
            "your_reason_for_changing": "",
        },
    ]


def test_messages_with_sender_and_time(built, record):
    [conversation] = built.data["conversations"]
    attachment = record.attachment

    assert conversation["therapist"] == record.therapist.therapist_profile.display_name
    assert conversation["opened_at"] == "2026-03-23T09:00:00Z"
    assert conversation["closed_at"] is None
    assert conversation["messages"] == [
        {
            "id": record.patient_message.pk,
            "from": "you",
            "sent_at": "2026-03-24T09:00:00Z",
            "read_at": None,
            "during_a_live_session": False,
            "text": PATIENT_WORDS,
            "files": [],
        },
        {
            "id": record.therapist_message.pk,
            "from": "therapist",
            "sent_at": "2026-03-24T14:00:00Z",
            "read_at": "2026-03-25T09:00:00Z",
            "during_a_live_session": False,
            "text": THERAPIST_WORDS,
            "files": [
                {
                    "name": "sleep diary (week 1).pdf",
                    "type": "application/pdf",
                    "size": len(FILE_BYTES),
                    "file": f"files/messages/{attachment.pk}-sleep_diary_week_1.pdf",
                }
            ],
        },
    ]


def test_the_file_is_the_upload_decrypted(built, record):
    [path] = [name for name in built.archive.namelist() if name.startswith("files/")]

    assert built.archive.read(path) == FILE_BYTES
    # Stored encrypted: the upload's bytes are nowhere in what private storage holds.
    with record.attachment.file.open("rb") as stored:
        assert FILE_BYTES not in stored.read()


def test_sessions_and_the_notes_written_about_the_patient(built, record):
    data = built.data
    current = record.therapist.therapist_profile.display_name
    earlier = record.earlier_therapist.therapist_profile.display_name

    assert [
        (a["therapist"], a["starts_at"], a["status"], a["cancelled_by"])
        for a in data["appointments"]
    ] == [
        (earlier, "2026-03-07T09:00:00Z", "booked", None),
        (current, "2026-03-27T09:00:00Z", "booked", None),
        (current, "2026-04-03T09:00:00Z", "cancelled", "you"),
    ]
    cancelled = data["appointments"][2]
    assert cancelled["ends_at"] == "2026-04-03T09:50:00Z"
    assert cancelled["modality"] == "video"
    assert cancelled["cancelled_at"] == "2026-04-02T09:00:00Z"
    assert cancelled["reason_for_cancelling"] == "A work trip."
    # Every note about the patient, whoever wrote it: their earlier therapist's too.
    assert [(n["therapist"], n["text"]) for n in data["session_notes"]] == [
        (earlier, EARLIER_NOTE_WORDS),
        (current, NOTE_WORDS),
    ]
    assert data["session_notes"][1]["appointment"] == record.session.pk
    assert data["session_notes"][1]["addenda"] == [
        {"written_at": "2026-03-29T09:00:00Z", "text": ADDENDUM_WORDS}
    ]


def test_the_summary_is_readable_in_the_patients_language_and_zone(built, record):
    summary = built.summary

    assert summary.startswith("<!doctype html>")
    assert '<html lang="fr">' in summary
    assert "Vos données sur Havre" in summary
    # Times in the patient's zone (Montreal, UTC-5 in March before the change): 09:00Z is 04:00.
    assert "2 mars 2026, 04:00" in summary
    for words in (PATIENT_WORDS, THERAPIST_WORDS, NOTE_WORDS, ADDENDUM_WORDS, "Robin"):
        assert words in summary
    assert f'href="files/messages/{record.attachment.pk}-sleep_diary_week_1.pdf"' in summary
    # Codes in words: the concern and the severity band.
    assert "Épuisement professionnel" in summary
    assert "Légère" in summary
    assert "<script" not in summary


def test_the_summary_in_english_for_someone_who_reads_english(record, build_export):
    record.patient.language = "en"
    record.patient.save(update_fields=["language"])

    summary = build_export(record.patient).summary

    assert '<html lang="en">' in summary
    assert "Your data at Havre" in summary
    assert "Burnout, exhaustion at work" in summary


def test_a_patient_without_anything_yet_gets_their_account(patient, build_export):
    data = build_export(patient).data

    assert data["account"]["email"] == patient.email
    assert data["intakes"] == []
    assert data["conversations"] == []
    assert data["appointments"] == []
    assert data["session_notes"] == []
