"""The demo data: what a newcomer needs to click through every journey, made through the apps'
services with a history in a plausible order, loaded twice without change, private files,
DEBUG only, no email sent."""

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from accounts import selectors, services
from accounts.models import (
    TherapistDocument,
    TherapistLanguage,
    TherapistProfile,
    User,
    VettingDecision,
)
from core import crypto, uploads
from matching.models import Intake, Match, Offer, ScreeningResult, WorksheetAssignment
from matching.selectors import goals_for_patient, journal_shared_with
from messaging.models import Message
from messaging.selectors import conversations_for_user, unread_count
from scheduling.models import Appointment, SessionNote
from sessions_video.models import Room
from teletherapy.demo import PATIENT_PASSWORD, STAFF_EMAIL, THERAPISTS, demo_data_load, load

pytestmark = pytest.mark.django_db

LANGUAGES = {"fr", "en", "de", "es", "pt", "it", "ar", "pl"}
CREDENTIALS = services.CREDENTIAL_FIELDS


def snapshot(settings):
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return (
        sorted(User.objects.values_list("email", "role", "password")),
        sorted(TherapistLanguage.objects.values_list("therapist__user__email", "language")),
        sorted(Authenticator.objects.values_list("user__email", "type", "data")),
        sorted(
            TherapistProfile.objects.values_list(
                "user__email",
                "vetting_status",
                "vetting_status_changed_at",
                "photo",
                "bios",
                *CREDENTIALS,
            )
        ),
        sorted(
            TherapistDocument.objects.values_list(
                "therapist__user__email",
                "kind",
                "file",
                "original_name_encrypted",
                "size",
                "uploaded_at",
            )
        ),
        sorted(
            VettingDecision.objects.values_list(
                "therapist__user__email",
                "actor__email",
                "from_status",
                "to_status",
                "reason",
                "created_at",
            )
        ),
        sorted(Match.objects.values_list("patient__email", "therapist__user__email", "status")),
        sorted(Offer.objects.values_list("request__patient__email", "therapist__user__email")),
        Intake.objects.count(),
        Message.objects.count(),
        Appointment.objects.count(),
        sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()),
    )


def test_demo_data_covers_what_a_newcomer_needs_to_click_through():
    demo_data_load()

    approved = TherapistProfile.objects.filter(vetting_status="approved")
    assert approved.count() >= 8
    spoken = set(
        TherapistLanguage.objects.filter(therapist__in=approved).values_list("language", flat=True)
    )
    assert spoken >= LANGUAGES
    assert approved.filter(specialities__contains=["lgbt"]).count() == 1
    assert TherapistProfile.objects.filter(vetting_status="submitted").count() == 1
    assert User.objects.filter(role="patient").count() == 3
    assert User.objects.get(email=STAFF_EMAIL).is_staff
    assert not EmailAddress.objects.filter(verified=False).exists()
    needs_mfa = User.objects.filter(role__in=["therapist", "staff"])
    assert all(Authenticator.objects.filter(user=u, type="totp").exists() for u in needs_mfa)
    patient = User.objects.get(email="patient@example.org")
    assert patient.check_password(PATIENT_PASSWORD)
    assert patient.patient_profile.nickname
    # Léa and her therapist have written to each other; her last message waits to be read.
    (conversation,) = conversations_for_user(user=patient)
    assert conversation.messages.count() == 3
    therapist = conversation.therapist.user
    assert unread_count(user=therapist) == 1
    assert unread_count(user=patient) == 0
    # Every approved therapist can be booked; Léa has held her first session and booked the
    # next one.
    assert all(t.availability_windows.exists() for t in approved)
    held, booked = Appointment.objects.filter(patient=patient).order_by("starts_at")
    assert held.ends_at < timezone.now() < booked.starts_at
    assert booked.is_booked
    assert {held.therapist, booked.therapist} == {conversation.therapist}
    room = Room.objects.get(appointment=held)
    assert room.started_at is not None
    assert room.closed_at is not None
    assert not room.patient_no_show
    assert not room.therapist_no_show
    note = SessionNote.objects.get(appointment=held)
    assert "Première séance" not in note.body_encrypted  # encrypted at rest, by the service
    # Her progress: the intake's scores and a check-in, so the charts have a line to draw.
    assert ScreeningResult.objects.filter(patient=patient, instrument="phq9").count() == 2
    assert ScreeningResult.objects.filter(patient=patient, intake=None).count() == 2
    # Between sessions: a goal with one step of three done, a sleep diary half filled in, a
    # journal page shared with her therapist.
    (goal,) = goals_for_patient(patient=patient)
    assert [bool(step.done_at) for step in goal.step_list] == [True, False, False]
    (diary,) = WorksheetAssignment.objects.filter(patient=patient)
    assert diary.worksheet.slug == "sleep-diary"
    assert diary.status_on(timezone.localdate()) == WorksheetAssignment.Status.IN_PROGRESS
    (shared,) = journal_shared_with(match=goal.match, reader=therapist)
    assert shared.mood == 6


def test_every_story_happens_in_order_and_before_the_demo_is_loaded():
    """A newcomer reads dates everywhere: an application sent before its documents were
    uploaded, or a session before the match, would look broken."""
    demo_data_load()
    now = timezone.now()

    admin_joined = User.objects.get(email=STAFF_EMAIL).date_joined
    for profile in TherapistProfile.objects.select_related("user"):
        joined = profile.user.date_joined
        uploaded = [document.uploaded_at for document in profile.documents.all()]
        decisions = [d.created_at for d in profile.vetting_decisions.order_by("created_at")]
        steps = [admin_joined, joined, *sorted(uploaded), *decisions, now]
        assert steps == sorted(steps), profile
        assert max(uploaded) < decisions[0]  # sent for review after the last document
        assert profile.vetting_status_changed_at == decisions[-1]

    for email in ("patient@example.org", "patient2@example.org", "patient3@example.org"):
        patient = User.objects.get(email=email)
        intake = patient.intakes.get()
        request = patient.match_requests.get()
        offer = request.offers.earliest("created_at")
        steps = [patient.date_joined, intake.created_at, request.created_at, offer.created_at]
        match = patient.matches.first()
        if match is not None:
            messages = list(match.conversation.messages.order_by("created_at"))
            steps += [match.started_at, messages[0].created_at]
            assert all(m.read_at is None or m.read_at > m.created_at for m in messages)
        if email == "patient@example.org":
            # Léa: her first session, its note, her check-in, her latest message, the next one.
            held, booked = Appointment.objects.filter(patient=patient).order_by("starts_at")
            checkin = ScreeningResult.objects.filter(patient=patient, intake=None).latest(
                "taken_at"
            )
            steps += [
                messages[1].created_at,
                held.created_at,
                held.starts_at,
                held.ends_at,
                SessionNote.objects.get(appointment=held).created_at,
                checkin.taken_at,
                messages[-1].created_at,
                booked.created_at,
            ]
        steps.append(now)
        assert steps == sorted(steps), email


def test_loading_twice_changes_nothing(settings):
    demo_data_load()
    first = snapshot(settings)

    demo_data_load()

    assert snapshot(settings) == first
    assert TherapistDocument.objects.count() == 2 * len(THERAPISTS)
    assert VettingDecision.objects.count() == 2 * len(THERAPISTS) - 1
    assert len(first[-1]) == 3 * len(THERAPISTS)  # a photo and two documents each


def test_approved_demo_therapists_meet_every_approval_criterion():
    demo_data_load()

    approved = TherapistProfile.objects.filter(vetting_status="approved")
    assert approved.count() == len(THERAPISTS) - 1
    today = timezone.localdate()
    for profile in approved:
        assert selectors.therapist_approval_shortfalls(profile=profile, today=today) == []
        assert selectors.therapist_application_incomplete_steps(profile=profile) == {}
        assert profile.license_country in profile.licensed_countries
        assert profile.degree_level in {"master", "doctorate"}
        assert profile.clinical_hours >= 2000
        assert profile.approaches
        assert "video" in profile.modalities
        assert profile.accepting_new_patients


def test_licenses_are_valid_for_years_from_whenever_the_demo_is_loaded():
    with time_machine.travel(datetime(2031, 5, 4, 12, tzinfo=UTC), tick=False):
        demo_data_load()
        assert services.licenses_expired_suspend() == 0

    for profile in TherapistProfile.objects.all():
        assert profile.license_expiry > date(2033, 5, 4)
        assert (
            selectors.therapist_approval_shortfalls(profile=profile, today=date(2031, 5, 4)) == []
        )


def test_each_approval_is_on_record_by_the_demo_admin():
    demo_data_load()
    staff = User.objects.get(email=STAFF_EMAIL)

    for profile in TherapistProfile.objects.filter(vetting_status="approved"):
        trail = list(profile.vetting_decisions.order_by("created_at"))
        assert [(d.from_status, d.to_status) for d in trail] == [
            ("draft", "submitted"),
            ("submitted", "approved"),
        ]
        assert trail[0].actor == profile.user
        assert trail[1].actor == staff
        assert trail[1].reason
        assert profile.vetting_status_changed_at == trail[1].created_at


def test_sam_awaits_review_with_a_complete_application():
    demo_data_load()

    sam = TherapistProfile.objects.get(user__email="sam.dubois@example.org")
    assert sam.vetting_status == "submitted"
    assert selectors.therapist_application_incomplete_steps(profile=sam) == {}
    assert selectors.therapist_approval_shortfalls(profile=sam, today=timezone.localdate()) == []
    assert list(sam.vetting_decisions.values_list("from_status", "to_status")) == [
        ("draft", "submitted")
    ]
    assert "approve" in services.vetting_actions_allowed(profile=sam)


def test_approving_sam_in_the_demo_works_and_a_reload_starts_over(
    django_capture_on_commit_callbacks,
):
    demo_data_load()
    sam = TherapistProfile.objects.get(user__email="sam.dubois@example.org")
    staff = User.objects.get(email=STAFF_EMAIL)

    with django_capture_on_commit_callbacks(execute=True):
        services.therapist_vetting_decide(
            profile=sam, action="approve", actor=staff, reason="Looks good."
        )
    sam.refresh_from_db()
    assert sam.is_approved

    demo_data_load()

    sam.refresh_from_db()
    assert sam.vetting_status == "submitted"
    assert list(sam.vetting_decisions.values_list("from_status", "to_status")) == [
        ("draft", "submitted")
    ]


def test_practice_details_are_varied_and_bios_in_the_therapists_languages():
    demo_data_load()

    profiles = list(TherapistProfile.objects.prefetch_related("languages"))
    assert all("video" in p.modalities for p in profiles)
    assert any("phone" in p.modalities for p in profiles)
    assert any("chat" in p.modalities for p in profiles)
    assert any(p.modalities == ["video"] for p in profiles)
    karim = TherapistProfile.objects.get(user__email="karim.haddad@example.org")
    assert karim.faith == "muslim"
    assert TherapistProfile.objects.exclude(faith="").count() == 1
    for profile in profiles:
        spoken = {language.language for language in profile.languages.all()}
        assert set(profile.bios) == spoken
        for code in spoken & {"en", "fr"}:
            sentences = re.findall(r"[.!?](?:\s|$)", profile.bios[code])
            assert len(sentences) == 2, (profile, code)


def test_photos_and_documents_are_generated_and_private(settings):
    demo_data_load()

    root = Path(settings.PRIVATE_MEDIA_ROOT)
    for profile in TherapistProfile.objects.all():
        photo = Path(profile.photo.path)
        assert photo.is_relative_to(root)
        with Image.open(io.BytesIO(crypto.decrypt_bytes(photo.read_bytes()))) as image:
            assert image.format == "JPEG"
            assert image.size == (uploads.PHOTO_SIZE, uploads.PHOTO_SIZE)
            assert not image.getexif()
        documents = {document.kind: document for document in profile.documents.all()}
        assert set(documents) == {"degree", "license"}
        for document in documents.values():
            content = crypto.decrypt_bytes(Path(document.file.path).read_bytes())
            assert Path(document.file.path).is_relative_to(root)
            assert document.content_type == uploads.PDF
            assert document.size == len(content)
            assert b"DEMO - NOT A REAL DOCUMENT" in content
            assert "DEMO" in document.original_name
            _assert_pdf_is_well_formed(content)


def _assert_pdf_is_well_formed(content: bytes) -> None:
    """Its cross-reference table points at each object, as a viewer expects."""
    upload = SimpleUploadedFile("demo.pdf", content)
    assert uploads.validate_upload(upload, allowed=(uploads.PDF,)) == uploads.PDF
    assert content.endswith(b"%%EOF\n")
    startxref = int(content.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert content[startxref:].startswith(b"xref\n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", content[startxref:])
    assert len(entries) == 5
    for number, offset in enumerate(entries, start=1):
        assert content[int(offset) :].startswith(b"%d 0 obj" % number)


def test_files_lost_from_disk_come_back_on_reload(settings):
    demo_data_load()
    for path in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()

    demo_data_load()

    for profile in TherapistProfile.objects.all():
        assert Path(profile.photo.path).exists()
        for document in profile.documents.all():
            assert Path(document.file.path).exists()
    assert TherapistDocument.objects.count() == 2 * len(THERAPISTS)


def test_the_command_refuses_outside_development(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only with DEBUG=true"):
        call_command("demo_data")

    assert not User.objects.exists()


def test_the_command_prints_the_logins(settings, capsys):
    settings.DEBUG = True

    call_command("demo_data")

    out = capsys.readouterr().out
    assert "patient@example.org" in out
    assert PATIENT_PASSWORD in out
    assert "pending vetting" in out


def test_an_expatriate_in_japan_is_matched_with_a_french_therapist():
    """Nobody is licensed in Japan: Hugo, French, living in Tokyo, is seen by a therapist
    licensed in France who sees French people abroad (the jurisdiction rule)."""
    demo_data_load()

    hugo = User.objects.get(email="patient3@example.org")
    assert hugo.patient_profile.country == "JP"
    assert hugo.intakes.get().home_country == "FR"
    match = Match.objects.get(patient=hugo, status=Match.Status.ACTIVE)
    therapist = match.therapist
    assert "FR" in therapist.licensed_countries
    assert "JP" not in therapist.licensed_countries
    assert therapist.abroad_practice.serves_citizens_abroad
    assert therapist.languages.filter(language="fr").exists()
    assert match.conversation.messages.count() == 2


def test_one_demo_patient_is_matched_and_the_other_waits_for_an_answer():
    demo_data_load()

    match = Match.objects.get(patient__email="patient@example.org")
    assert match.status == Match.Status.ACTIVE
    assert match.reasons  # the reasons the patient sees
    offer = Offer.objects.get(request__patient__email="patient2@example.org")
    assert offer.status == Offer.Status.PENDING
    assert offer.therapist.user.email == "daniel.weber@example.org"


def test_the_demo_sends_no_email(settings, mailoutbox, capsys):
    settings.DEBUG = True

    call_command("demo_data")

    assert "Subject:" not in capsys.readouterr().out


def test_the_demo_is_made_through_the_apps_services(monkeypatch):
    """The demo writes what the platform writes, the way it writes it: through each app's
    services, so it never drifts from their rules (no row the platform could not have made)."""
    calls: dict[str, int] = {}

    def spy(module, name):
        real = getattr(module, name)

        def counted(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    for module, names in (
        (
            load.accounts_services,
            [
                "user_register",
                "therapist_about_update",
                "therapist_credentials_update",
                "therapist_document_add",
                "therapist_application_submit",
                "therapist_vetting_decide",
            ],
        ),
        (
            load.matching_services,
            ["intake_record", "offer_next", "offer_accept", "checkin_record"],
        ),
        (load.messaging_services, ["message_send", "messages_mark_read"]),
        (load.scheduling_services, ["availability_window_add", "appointment_book"]),
        (load.room_services, ["room_join", "rooms_close"]),
    ):
        for name in names:
            spy(module, name)
    spy(load, "session_note_save")

    demo_data_load()

    therapists, patients = len(THERAPISTS), 3
    assert calls["user_register"] == therapists + patients
    assert calls["therapist_document_add"] == 2 * therapists
    assert calls["therapist_application_submit"] == therapists
    assert calls["therapist_vetting_decide"] == therapists - 1  # Sam waits
    assert calls["intake_record"] == patients
    assert calls["offer_accept"] == 2  # Léa and Hugo; Tomás waits
    assert calls["appointment_book"] == 2
    assert calls["session_note_save"] == 1
    assert calls["checkin_record"] == 1
    assert calls["rooms_close"] == 1
    assert set(calls) >= {"message_send", "messages_mark_read", "availability_window_add"}


def test_what_the_demo_booked_stays_booked_once_it_commits(django_capture_on_commit_callbacks):
    """The demo's therapists are approved in the same transaction as Léa's sessions are booked;
    the announcements of their earlier statuses arrive after it commits and cancel nothing."""
    with django_capture_on_commit_callbacks(execute=True):
        demo_data_load()

    patient = User.objects.get(email="patient@example.org")
    _held, booked = Appointment.objects.filter(patient=patient).order_by("starts_at")
    assert booked.is_booked
