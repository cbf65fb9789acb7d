"""The parts that landed after the export: what the person accepted (legal documents, version
and time), where they signed in (devices, never a session key), and a patient's access log as
their Privacy page shows it (a therapist by name, staff by role only, their own downloads as
"You")."""

from datetime import UTC, datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore

from accounts import services as accounts_services
from accounts.models import LegalAcceptance, UserSession
from audit.models import AccessEntry
from audit.services import access_record
from messaging import selectors as messaging_selectors
from tests.factories.audit import staff_in

pytestmark = pytest.mark.django_db

SIGNED_IN = datetime(2026, 4, 1, 8, 30, tzinfo=UTC)
FIREFOX_ON_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0"
)


def test_what_the_person_accepted_and_when(patient, build_export):
    accepted = LegalAcceptance.objects.filter(user=patient).select_related("document")

    data = build_export(patient).data

    assert accepted.exists()
    assert sorted(
        (c["document"], c["version"], c["accepted_at"]) for c in data["consents"]
    ) == sorted(
        (
            a.document.kind,
            a.document.version,
            a.accepted_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
        for a in accepted
    )
    assert {c["title"] for c in data["consents"]} == {a.document.title_en for a in accepted}


def test_where_the_person_signed_in_never_the_session_key(patient, build_export):
    session = SessionStore()
    row = accounts_services.login_session_start(
        user=patient,
        session=session,
        user_agent=FIREFOX_ON_MAC,
        time_zone="Europe/Paris",
        now=SIGNED_IN,
    )

    built = build_export(patient)

    [device] = built.data["signed_in"]
    assert device == {
        "browser": row.browser,
        "system": row.system,
        "device": row.device_type,
        "time_zone": "Europe/Paris",
        "shared_device": False,
        "signed_in_at": "2026-04-01T08:30:00Z",
        "last_seen_at": "2026-04-01T08:30:00Z",
    }
    assert row.browser  # the user agent was read
    raw = built.archive.read("data.json").decode()
    assert session.session_key not in raw
    assert UserSession.objects.get().key_digest not in raw


def test_a_patients_access_log_as_their_page_shows_it(record, build_export):
    conversation = record.match.conversation
    # Their therapist opens the thread; staff of the clinical group open a safety flag.
    assert messaging_selectors.conversation_get_for_user(user=record.therapist, pk=conversation.pk)
    safety = staff_in(AccessEntry.Role.CLINICAL_SAFETY, email="safety@example.test")
    access_record(reader=safety, patient_id=record.patient.pk, kind="safety_flag", record_id=7)
    record.patient.language = "en"
    record.patient.save(update_fields=["language"])

    built = build_export(record.patient)

    log = built.data["access_log"]
    assert [(e["kind"], e["role"], e["therapist"]) for e in log] == [
        ("thread", "therapist", record.therapist.therapist_profile.display_name),
        ("safety_flag", "clinical_safety", None),
    ]
    assert log[0]["record"] == conversation.pk
    summary = built.summary
    assert record.therapist.therapist_profile.display_name in summary
    assert "Havre staff (clinical safety)" in summary
    assert "Your messages" in summary
    # Staff are their role, never their name or address.
    assert "safety@example.test" not in built.archive.read("data.json").decode()
    assert "safety@example.test" not in summary


def test_the_next_copy_holds_the_download_of_the_last(patient, patient_client, build_export):
    first = build_export(patient).export
    patient_client.get(f"/privacy/export/{first.pk}/download/")

    log = build_export(patient).data["access_log"]

    assert [(e["kind"], e["role"], e["record"]) for e in log] == [("export", "patient", first.pk)]


def test_a_therapists_copy_has_no_access_log(record, build_export):
    assert "access_log" not in build_export(record.therapist).data
