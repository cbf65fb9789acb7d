"""A therapist's day from the dashboard: accept an offer in place, read and answer a patient
waiting for an answer, join a session whose room is open, write the session's private note.
Then a patient's home: the next session and its join button, unread messages, the check-in due
and the progress chart; retaking the check-in adds a point."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import Modality
from matching import services as matching_services
from matching.models import Intake, Match, ScreeningResult
from scheduling.models import Appointment, SessionNote
from tests.e2e.conftest import log_in
from tests.factories import PatientFactory, TherapistFactory
from tests.teletherapy.test_dashboard import matched, message, score, session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHQ9_ANSWERS = ["Several days"] * 4 + ["Not at all"] * 5
GAD7_ANSWERS = ["Several days"] * 3 + ["Not at all"] * 4


def a_patient_of(therapist, nickname: str) -> Match:
    patient = PatientFactory(patient_profile__nickname=nickname, time_zone="Europe/Paris")
    match = matched(therapist, patient=patient)
    match.reasons = [{"code": "language", "value": "fr"}]
    match.save(update_fields=["reasons"])
    return match


def written(match, sender, body: str, minutes_ago: int, read=False) -> None:
    message(match, sender, body, timezone.now() - timedelta(minutes=minutes_ago), read=read)


def a_session(match, minutes_from_now: int, modality=Modality.CHAT) -> Appointment:
    return session(match, timezone.now() + timedelta(minutes=minutes_from_now), modality=modality)


def scores(patient, days_ago: int, phq9: int, gad7: int) -> None:
    for instrument, value in (("phq9", phq9), ("gad7", gad7)):
        score(patient, instrument, value, timezone.now() - timedelta(days=days_ago))


def test_a_therapists_day(page, screenshot):
    therapist = TherapistFactory(
        therapist_profile__display_name="Ana Ruiz",
        therapist_profile__licensed_countries=["FR"],
        therapist_profile__modalities=["video", "chat"],
        time_zone="Europe/Paris",
    )
    newcomer = PatientFactory(patient_profile__nickname="Robin")
    intake = Intake.objects.create(
        patient=newcomer,
        concerns=["anxiety"],
        languages=["fr"],
        country="FR",
        time_zone="Europe/Paris",
        modality="video",
    )
    # Offered at once, on commit; from a thread of its own, as Playwright's event loop runs in
    # this one and the offer's live event is sent from synchronous code.
    with ThreadPoolExecutor(1) as arrange:
        arrange.submit(
            matching_services.match_request_open, patient=newcomer, intake=intake
        ).result()
    kim = a_patient_of(therapist, "Kim")
    written(kim, therapist, "See you on Wednesday.", minutes_ago=3000, read=True)
    written(kim, kim.patient, "I had a rough night, can we talk about it?", minutes_ago=90)
    scores(kim.patient, days_ago=60, phq9=16, gad7=12)
    scores(kim.patient, days_ago=10, phq9=12, gad7=12)
    session = a_session(kim, minutes_from_now=5)

    log_in(page, therapist.email, code=True)
    expect(page.get_by_role("heading", name="Your practice")).to_be_visible()

    # An offer, answered in place.
    card = page.locator(".offer-card").filter(has_text="Robin")
    expect(card).to_contain_text("Anxiety")
    expect(card).to_contain_text("min left")
    screenshot(page, "therapist-dashboard")
    card.get_by_role("button", name="Accept Robin").click()
    expect(card).to_contain_text("You are now working with Robin")
    assert Match.objects.filter(patient=newcomer, status=Match.Status.ACTIVE).exists()

    # Kim waits for an answer: read it and answer.
    row = page.get_by_role("row").filter(has_text="Kim")
    expect(row).to_contain_text("Waiting for your answer for 1")
    expect(row).to_contain_text("12")  # latest PHQ-9, down from 16
    row.get_by_role("link", name="I had a rough night").click()
    expect(page.get_by_text("I had a rough night, can we talk about it?")).to_be_visible()
    box = page.get_by_label("Your message")
    box.fill("I am sorry to hear that. Yes, let's start with it today.")
    box.press("Enter")
    expect(page.locator("#message-list")).to_contain_text("let's start with it today")
    page.get_by_role("link", name="Dashboard").click()
    row = page.get_by_role("row").filter(has_text="Kim")
    expect(row).to_contain_text("Answered")

    # The session's room is open: join it.
    page.get_by_role("region", name="Your sessions").get_by_role(
        "link", name="Join the session"
    ).click()
    expect(page.locator("#chat-presence")).to_have_text("Waiting for Kim to join…")
    page.get_by_role("link", name="Leave").click()

    # The session's private note.
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("region", name="Your sessions").get_by_role("link", name="Notes").click()
    note = "Sleep worse since the move. Work on evening routine."
    page.get_by_role("textbox", name="Your note").fill(note)
    page.get_by_role("button", name="Save the note").click()
    expect(page.locator("#note-saved-at")).to_contain_text("Last saved")
    screenshot(page, "session-notes")
    note = SessionNote.objects.get(appointment=session)
    assert "evening routine" not in note.body_encrypted


def test_a_patients_home(page, screenshot):
    therapist = TherapistFactory(therapist_profile__display_name="Ana Ruiz")
    lea = a_patient_of(therapist, "Léa")
    patient = lea.patient
    written(lea, therapist, "Here is the breathing exercise we talked about.", minutes_ago=60)
    written(lea, therapist, "And the link to the sleep diary.", minutes_ago=50)
    scores(patient, days_ago=70, phq9=15, gad7=11)
    scores(patient, days_ago=30, phq9=11, gad7=9)  # the check-in is due (every 28 days)
    session = a_session(lea, minutes_from_now=8, modality=Modality.VIDEO)

    log_in(page, patient.email)
    expect(page.get_by_role("heading", name="Welcome, Léa")).to_be_visible()
    expect(page.get_by_text("You are working with Ana Ruiz.")).to_be_visible()
    next_session = page.get_by_role("region", name="Your next session")
    expect(next_session).to_contain_text("Video")
    expect(next_session.get_by_role("link", name="Join the session")).to_have_attribute(
        "href", f"/sessions/{session.pk}/room/"
    )
    expect(page.get_by_text("You have 2 unread messages.")).to_be_visible()
    expect(page.get_by_role("link", name="Numbers to call now")).to_be_visible()
    progress = page.get_by_role("region", name="Your progress")
    expect(progress.get_by_role("img", name="PHQ-9 scores over time")).to_be_visible()
    expect(progress).to_contain_text("Your check-in is due")
    screenshot(page, "patient-home")

    progress.get_by_role("link", name="Retake my check-in").click()
    groups = page.get_by_role("group").all()
    for group, answer in zip(groups, PHQ9_ANSWERS + GAD7_ANSWERS, strict=True):
        group.get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Save my check-in").click()
    expect(page.get_by_text("Thank you. Your check-in is saved")).to_be_visible()

    page.get_by_role("link", name="Home").click()
    progress = page.get_by_role("region", name="Your progress")
    expect(progress).to_contain_text("Your next check-in is due on")
    assert ScreeningResult.objects.filter(patient=patient, intake=None).count() == 6
