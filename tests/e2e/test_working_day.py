"""A therapist's day from the dashboard: accept an offer in place (the caseload follows at once),
a new message shows in the caseload live, read and answer a patient waiting for an answer, join
a session whose room is open, write the session's private note. Then a patient's home: the next
session and its join button, unread messages, the check-in due and the progress chart, in
English and in French; retaking the check-in adds a point."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import cast
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import Modality
from matching import services as matching_services
from matching.models import Match, ScreeningResult
from messaging import services as messaging_services
from scheduling.models import Appointment, SessionNote
from tests.e2e.browser import log_in
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.matching import CheckinFactory, IntakeFactory, MatchFactory
from tests.factories.messaging import ConversationFactory, MessageFactory
from tests.factories.scheduling import AppointmentFactory
from tests.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHQ9_ANSWERS = ["Several days"] * 4 + ["Not at all"] * 5
GAD7_ANSWERS = ["Several days"] * 3 + ["Not at all"] * 4


def a_patient_of(therapist, nickname: str) -> Match:
    patient = PatientFactory(patient_profile__nickname=nickname, time_zone="Europe/Paris")
    match = MatchFactory(
        patient=patient,
        therapist=therapist.therapist_profile,
        reasons=[{"code": "language", "value": "fr"}],
    )
    ConversationFactory(match=match)
    return cast(Match, match)


def written(match, sender, body: str, minutes_ago: int, read=False) -> None:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    MessageFactory(
        conversation=match.conversation,
        sender=sender,
        body=body,
        created_at=at,
        read_at=at if read else None,
    )


def a_session(match, minutes_from_now: int, modality=Modality.CHAT) -> Appointment:
    starts_at = timezone.now() + timedelta(minutes=minutes_from_now)
    appointment = AppointmentFactory(
        match=match,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        modality=modality,
    )
    return cast(Appointment, appointment)


def scores(patient, days_ago: int, phq9: int, gad7: int) -> None:
    for instrument, value in (("phq9", phq9), ("gad7", gad7)):
        CheckinFactory(
            patient=patient,
            instrument=instrument,
            answers=[],
            score=value,
            taken_at=timezone.now() - timedelta(days=days_ago),
        )


def in_a_thread(work, **kwargs):
    """Run a service from a thread of its own: Playwright's event loop runs in this one, and
    the live events a service sends go out from synchronous code."""
    with ThreadPoolExecutor(1) as arrange:
        return arrange.submit(work, **kwargs).result()


def patient_writes(match, body: str) -> None:
    """The match's patient sends a message now, through the service their page calls."""
    in_a_thread(
        messaging_services.message_send,
        conversation=match.conversation,
        sender=match.patient,
        body=body,
        client_id=uuid.uuid4(),
    )


def test_a_therapists_day(page, screenshot):
    therapist = TherapistFactory(
        therapist_profile__display_name="Ana Ruiz",
        therapist_profile__licensed_countries=["FR"],
        therapist_profile__modalities=["video", "chat"],
        time_zone="Europe/Paris",
    )
    newcomer = PatientFactory(patient_profile__nickname="Robin")
    intake = IntakeFactory(
        patient=newcomer,
        concerns=["anxiety"],
        languages=["fr"],
        country="FR",
        time_zone="Europe/Paris",
        modality="video",
        screenings=False,
    )
    # Offered at once, on commit.
    in_a_thread(matching_services.match_request_open, patient=newcomer, intake=intake)
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
    caseload = page.locator("#caseload-section")
    expect(caseload).to_contain_text("1 of at most")
    card.get_by_role("button", name="Accept Robin").click()
    expect(card).to_contain_text("You are now working with Robin")
    assert Match.objects.filter(patient=newcomer, status=Match.Status.ACTIVE).exists()
    # The caseload follows without a reload.
    expect(page.locator("#caseload-section")).to_contain_text("2 of at most")
    expect(page.get_by_role("row").filter(has_text="Robin")).to_contain_text("No messages yet")

    # Kim writes while the dashboard is open: her row shows it, live.
    patient_writes(kim, "Are you there today?")
    expect(page.get_by_role("row").filter(has_text="Kim")).to_contain_text("Are you there today?")
    expect(page.get_by_role("row").filter(has_text="Kim")).to_contain_text("2 unread")

    # Kim waits for an answer: read it and answer.
    row = page.get_by_role("row").filter(has_text="Kim")
    expect(row).to_contain_text("Waiting for your answer for 1")
    expect(row).to_contain_text("12")  # latest PHQ-9, down from 16
    row.get_by_role("link", name="Are you there today?").click()
    expect(page.get_by_text("I had a rough night, can we talk about it?")).to_be_visible()
    # Enter sends once the page's module runs (before, it is a new line, as without scripts).
    expect(page.locator("body")).to_have_attribute("data-conversation-socket", "open")
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


def test_a_message_refreshes_its_patients_row_alone(page):
    """A patient writes while the dashboard is open: their row of the caseload is fetched
    again, alone; the other rows and the rest of the caseload are not read again. Under the
    page's controlled clock: the message's events are awaited, then the clock is moved past
    REFRESH_AFTER_MS (site.js), when every refresh they asked for goes out at once."""
    therapist = TherapistFactory(therapist_profile__licensed_countries=["FR"])
    kim = a_patient_of(therapist, "Kim")
    robin = a_patient_of(therapist, "Robin")
    written(robin, robin.patient, "Thank you for today.", minutes_ago=30)
    log_in(page, therapist.email, code=True)
    page.clock.install()
    page.goto("/home/")
    expect(page.locator("body")).to_have_attribute("data-events-state", "open")
    page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
    page.evaluate(
        """() => {
          window.heard = [];
          for (const kind of ["conversation.activity", "messages.unread"]) {
            document.addEventListener(`app:${kind}`, () => window.heard.push(kind));
          }
        }"""
    )
    asked = []
    page.on("request", lambda request: asked.append(urlsplit(request.url).path))

    patient_writes(kim, "Can we move Thursday?")
    wait_until(lambda: len(page.evaluate("() => window.heard")) == 2)
    assert asked == []
    page.clock.run_for(300)

    row = page.get_by_role("row").filter(has_text="Kim")
    expect(row).to_contain_text("Can we move Thursday?")
    expect(row).to_contain_text("1 unread")
    fetched = [path for path in asked if path.startswith("/home/")]
    assert fetched == [reverse("dashboard_caseload_row", kwargs={"patient_id": kim.patient_id})]
    expect(page.get_by_role("row").filter(has_text="Robin")).to_contain_text("Thank you for today.")


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


def test_a_patients_home_in_french_draws_its_charts_with_machine_numbers(page):
    """Numbers a browser reads (SVG coordinates) never go through the locale: "183,3" is no
    coordinate, and the console would say so (the page fixture fails on any console error)."""
    therapist = TherapistFactory(therapist_profile__display_name="Ana Ruiz")
    lea = a_patient_of(therapist, "Léa")
    patient = lea.patient
    patient.language = "fr"
    patient.save(update_fields=["language"])
    scores(patient, days_ago=70, phq9=15, gad7=11)
    scores(patient, days_ago=40, phq9=13, gad7=10)
    scores(patient, days_ago=10, phq9=11, gad7=9)

    log_in(page, patient.email)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    progress = page.locator("section[aria-labelledby=home-progress]")
    expect(progress.locator("svg circle")).to_have_count(6)  # three check-ins, two charts

    not_numbers = page.evaluate(
        """(names) => {
          const number = /^-?[0-9]+(\\.[0-9]+)?$/;
          const pair = /^-?[0-9]+(\\.[0-9]+)?,-?[0-9]+(\\.[0-9]+)?$/;
          const bad = [];
          for (const element of document.querySelectorAll("svg *")) {
            for (const name of names) {
              const value = element.getAttribute(name);
              if (value !== null && !number.test(value)) bad.push(`${name}=${value}`);
            }
            for (const point of (element.getAttribute("points") || "").trim().split(/\\s+/)) {
              if (point && !pair.test(point)) bad.push(`${element.tagName} points ${point}`);
            }
          }
          return bad;
        }""",
        ["x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height"],
    )
    assert not_numbers == []
