"""A patient writes to their therapist (Enter sends, the page is not reloaded) and sends a file;
the therapist's open list of conversations counts it at once, and the thread shows it without
reload; the therapist downloads the file and answers; the therapist's page shows that the
answer was seen. Both sides' consoles stay clean (no Content-Security-Policy violation) even
with a resized message box."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from matching import services as matching_services
from tests.e2e.browser import log_in
from tests.factories import PatientFactory, TherapistFactory
from tests.factories.matching import IntakeFactory
from tests.helpers import wait_until

PDF = b"%PDF-1.4\n1 0 obj<</Title (Letter)>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def resize(page, box) -> None:
    """Drag the box's resize handle down, as a person does: the browser writes its new size in
    the box's style attribute (which htmx used to copy onto the new box, against the policy)."""
    area = box.bounding_box()
    page.mouse.move(area["x"] + area["width"] - 3, area["y"] + area["height"] - 3)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] - 3, area["y"] + area["height"] + 60, steps=5)
    page.mouse.up()
    expect(box).to_have_attribute("style", re.compile(r"height: \d+(\.\d+)?px"))


def test_writing_between_sessions(browser, page, screenshot):
    therapist = TherapistFactory(
        therapist_profile__display_name="Rui Costa",
        therapist_profile__licensed_countries=["FR"],
        therapist_profile__modalities=["video"],
    )
    patient = PatientFactory(patient_profile__nickname="Joana")
    intake = IntakeFactory.create(patient=patient, concerns=["grief"], languages=["fr"])
    request = matching_services.match_request_open(patient=patient, intake=intake)
    offer = request.offers.get()  # made as soon as the request was committed
    matching_services.offer_accept(offer_id=offer.pk, therapist=therapist)

    log_in(page, patient.email)
    page.get_by_role("link", name="Messages").click()
    expect(page.get_by_role("heading", name="With Rui Costa")).to_be_visible()

    # The therapist's list of conversations, open in their own browser (watched as well).
    therapist_page = browser.new_page(base_url=page.url.split("/messages")[0])
    log_in(therapist_page, therapist.email, code=True)
    therapist_page.goto("/messages/")
    expect(therapist_page.locator("body")).to_have_attribute("data-events-state", "open")
    listed = therapist_page.get_by_role("listitem").filter(has_text="Joana")
    expect(listed).to_be_visible()
    expect(listed).not_to_contain_text("unread")
    list_marker = therapist_page.evaluate("() => (window.__sameDocument = 'list')")
    expect(page.locator("body")).to_have_attribute("data-conversation-socket", "open")

    marker = page.evaluate("() => (window.__sameDocument = 'yes')")
    box = page.get_by_label("Your message")
    resize(page, box)
    box.fill("It has been a hard week.")
    box.press("Shift+Enter")
    box.type("Can we talk about it on Tuesday?")
    box.press("Enter")
    expect(page.get_by_text("Can we talk about it on Tuesday?")).to_be_visible()
    assert page.evaluate("() => window.__sameDocument") == marker  # htmx, no reload
    expect(page.get_by_label("Your message")).to_have_value("")

    # Live, without a reload: the therapist's list counts the new message.
    expect(listed).to_contain_text("1 unread")
    assert therapist_page.evaluate("() => window.__sameDocument") == list_marker
    therapist_page.get_by_role("link", name="Joana").click()
    expect(therapist_page.get_by_role("heading", name="With Joana")).to_be_visible()
    expect(therapist_page.locator("body")).to_have_attribute("data-conversation-socket", "open")
    # Dates as on every other page, never "12/06/2026 11:11 a.m.".
    expect(therapist_page.locator(".message time").first).to_have_text(
        re.compile(r"^[A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2}$")
    )

    # The patient's open page sees it was seen, without a reload.
    expect(therapist_page.get_by_text("It has been a hard week.")).to_be_visible()
    expect(page.get_by_text("Seen at")).to_be_visible()

    page.get_by_label("Your message").fill("The letter from my doctor.")
    page.get_by_label("Attach a file").set_input_files(
        {"name": "doctor-letter.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("link", name="doctor-letter.pdf")).to_be_visible()
    expect(page.get_by_label("Attach a file")).to_have_value("")  # a fresh form
    assert page.evaluate("() => window.__sameDocument") == marker

    file_link = therapist_page.get_by_role("link", name="doctor-letter.pdf")
    expect(file_link).to_be_visible()
    with therapist_page.expect_download() as download:
        file_link.click()
    assert download.value.suggested_filename == "doctor-letter.pdf"
    assert Path(download.value.path()).read_bytes() == PDF

    therapist_page.get_by_label("Your message").fill("Of course. Take care until then.")
    therapist_page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Of course. Take care until then.")).to_be_visible()
    assert page.evaluate("() => window.__sameDocument") == marker
    # The patient's open page has read the answer: the therapist sees it was seen.
    answer = therapist_page.locator(".message-mine").filter(has_text="Of course.")
    expect(answer.get_by_text("Seen at")).to_be_visible()
    screenshot(therapist_page, "messages-therapist")
    therapist_page.close()
    screenshot(page, "messages")


def test_a_message_read_at_once_asks_for_the_unread_count_once(browser, page):
    """The therapist's thread is open: each message arriving is two events for the navigation's
    unread count (a new message, then the open thread read it), and messages coming one after
    another keep them coming. The count is asked for once, REFRESH_AFTER_MS (site.js) after the
    first event, for all that came meanwhile; it used to be asked for at each event. Under the
    page's controlled clock: the events are awaited, then the clock is moved."""
    therapist = TherapistFactory(therapist_profile__licensed_countries=["FR"])
    patient = PatientFactory(patient_profile__nickname="Joana")
    intake = IntakeFactory.create(patient=patient, concerns=["grief"], languages=["fr"])
    request = matching_services.match_request_open(patient=patient, intake=intake)
    matching_services.offer_accept(offer_id=request.offers.get().pk, therapist=therapist)
    log_in(page, patient.email)
    page.get_by_role("link", name="Messages").click()
    expect(page.locator("body")).to_have_attribute("data-conversation-socket", "open")

    therapist_page = browser.new_page(base_url=page.url.split("/messages")[0])
    log_in(therapist_page, therapist.email, code=True)
    therapist_page.clock.install()
    therapist_page.goto(page.url)
    expect(therapist_page.get_by_role("heading", name="With Joana")).to_be_visible()
    expect(therapist_page.locator("body")).to_have_attribute("data-conversation-socket", "open")
    expect(therapist_page.locator("body")).to_have_attribute("data-events-state", "open")
    therapist_page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
    therapist_page.evaluate(
        """() => {
          window.unreadEvents = 0;
          document.addEventListener("app:messages.unread", () => window.unreadEvents++);
        }"""
    )
    asked = []

    def count(request) -> None:
        if "/messages/unread/" in request.url:
            asked.append(request)

    therapist_page.on("request", count)

    def send(text: str, events: int) -> None:
        page.get_by_label("Your message").fill(text)
        page.get_by_role("button", name="Send").click()
        expect(therapist_page.get_by_text(text)).to_be_visible()
        # Its reading, too: the fetch that showed it marked it read.
        wait_until(lambda: therapist_page.evaluate("() => window.unreadEvents") >= events)

    send("First message.", 2)
    therapist_page.clock.run_for(200)
    send("Second message.", 4)
    assert asked == []  # the clock has not reached REFRESH_AFTER_MS since the first event
    with therapist_page.expect_response("**/messages/unread/") as answered:
        therapist_page.clock.run_for(100)
    assert answered.value.ok
    assert len(asked) == 1
    # Both read in the open thread: nothing left unread, and no second request planned.
    expect(therapist_page.locator("#unread-badge")).to_have_text("")
    therapist_page.clock.run_for(1_000)
    assert len(asked) == 1
    therapist_page.close()
